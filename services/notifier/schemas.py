"""Marshmallow schemas of notifier's requests and responses."""
