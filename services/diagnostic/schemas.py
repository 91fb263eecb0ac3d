"""Marshmallow schemas of diagnostic's requests and responses."""
