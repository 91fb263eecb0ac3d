"""Marshmallow schemas of experiences's requests and responses."""
