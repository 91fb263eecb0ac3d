"""Schemas every service shares."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

# No list of ours has this many pages; a bound keeps the offset a number every database takes
# (10**30 overflowed SQLite's integers and answered 500).
MAX_PAGE = 100_000


def alike(field: type[fields.Field], count: int, **options) -> tuple[fields.Field, ...]:
    """`count` fresh output fields of one kind, for names in a row that share it:
    `id, title, body = alike(fields.String, 3)` declares three strings, in that order."""
    return tuple(field(**options) for _ in range(count))


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """The list envelope of the contract: {"items": [...], "total", "page", "per_page"}."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema)),
        "total": fields.Integer(),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
    }, name=name)


class PageQuery(Schema):
    """A list's query: `page` and `per_page`. Its bound on `page` holds in a subclass that
    declares its own `page` field too."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))

    @validates("page")
    def _page_in_bounds(self, value: int, **_kwargs) -> None:
        if not 1 <= value <= MAX_PAGE:
            raise ValidationError(f"Doit être compris entre 1 et {MAX_PAGE}.")
