"""Schemas every service shares."""

from __future__ import annotations

from marshmallow import Schema, fields


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """The list envelope of the contract: {"items": [...], "total", "page", "per_page"}."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema)),
        "total": fields.Integer(),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
    }, name=name)
