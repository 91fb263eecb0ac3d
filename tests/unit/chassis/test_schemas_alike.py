"""`alike` declares an output schema's names in a row that share one kind of field."""

from __future__ import annotations

from marshmallow import Schema, fields

from services.chassis.schemas import alike


class Out(Schema):
    id, title = alike(fields.String, 2)
    score = fields.Float()
    closed_at, opened_at = alike(fields.DateTime, 2, allow_none=True)


def test_each_name_has_its_own_field_in_the_declared_order():
    declared = Out._declared_fields
    assert list(declared) == ["id", "title", "score", "closed_at", "opened_at"]
    assert declared["id"] is not declared["title"]
    assert isinstance(declared["title"], fields.String)
    assert declared["opened_at"].allow_none and not declared["title"].allow_none


def test_the_schema_dumps_each_name_from_its_own_attribute():
    dumped = Out().dump({"id": "a1", "title": "Titre", "score": 0.5, "closed_at": None,
                         "opened_at": None})
    assert dumped == {"id": "a1", "title": "Titre", "score": 0.5, "closed_at": None,
                      "opened_at": None}
