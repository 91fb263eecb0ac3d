"""Notifier's pure rules: no Flask, no SQLAlchemy."""
