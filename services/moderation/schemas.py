"""Marshmallow schemas of moderation's requests and responses."""
