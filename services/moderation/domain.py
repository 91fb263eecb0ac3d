"""Moderation's pure rules: no Flask, no SQLAlchemy."""
