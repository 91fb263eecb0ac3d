"""Diagnostic's HTTP API (flask-smorest blueprints)."""

BLUEPRINTS: list = []
