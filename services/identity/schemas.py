"""Marshmallow schemas of identity's requests and responses."""
