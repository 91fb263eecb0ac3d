"""Diagnostic's event handlers: one function per consumed event type."""

HANDLERS: dict = {}
