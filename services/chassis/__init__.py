"""The microservice chassis: cross-cutting pieces every service is built on. No business rule."""
