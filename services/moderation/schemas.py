"""Marshmallow schemas of moderation's requests and responses."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.chassis.schemas import page_of
from services.moderation.domain import CaseKind, CaseStatus, RejectReason


def _choices(enum) -> validate.OneOf:
    return validate.OneOf([e.value for e in enum])


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class CaseQuery(PageQuery):
    status = fields.String(load_default=CaseStatus.PENDING.value, validate=_choices(CaseStatus))
    kind = fields.String(load_default=None, validate=_choices(CaseKind))


class StructureQuery(PageQuery):
    q = fields.String(load_default="", validate=validate.Length(max=200))


class ApproveRequest(Schema):
    structure_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    body = fields.String(load_default=None, validate=validate.Length(min=1, max=20000))

    @validates_schema
    def _body_not_blank(self, data, **kwargs):
        if data.get("body") is not None and not data["body"].strip():
            raise ValidationError("Le texte publié ne peut pas être vide.", "body")


class RejectRequest(Schema):
    reason = fields.String(required=True, validate=_choices(RejectReason))
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))

    @validates_schema
    def _comment_for_other(self, data, **kwargs):
        if data.get("reason") == RejectReason.OTHER and not (data.get("comment") or "").strip():
            raise ValidationError("Un commentaire est requis pour le motif « other ».", "comment")


class DeclineRequest(Schema):
    comment = fields.String(required=True, validate=validate.Length(max=2000))

    @validates_schema
    def _comment_not_blank(self, data, **kwargs):
        if not (data.get("comment") or "").strip():
            raise ValidationError("Expliquez à la structure pourquoi elle garde l'expérience.",
                                  "comment")


class RerouteRequest(Schema):
    structure_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))


class FlagOut(Schema):
    kind = fields.String()
    start = fields.Integer()
    end = fields.Integer()


class SuggestionOut(Schema):
    id = fields.String()
    name = fields.String()
    score = fields.Float()


class DecisionOut(Schema):
    id = fields.String()
    action = fields.String()
    moderator_id = fields.String()
    decided_at = fields.DateTime()
    structure_id = fields.String(allow_none=True)
    network_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    published_body = fields.String(allow_none=True)
    edited = fields.Boolean(allow_none=True)


class CaseSummaryOut(Schema):
    id = fields.String()
    experience_id = fields.String()
    kind = fields.String()
    status = fields.String()
    title = fields.String()
    flag_count = fields.Integer()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    age_seconds = fields.Integer()
    claimed_by = fields.String(allow_none=True)
    claimed_until = fields.DateTime(allow_none=True)


class CaseOut(CaseSummaryOut):
    body = fields.String()
    structure_hint = fields.String()
    postal_code = fields.String()
    flags = fields.List(fields.Nested(FlagOut))
    redacted_body = fields.String()
    current_structure_id = fields.String(allow_none=True)
    current_network_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    suggested_structures = fields.List(fields.Nested(SuggestionOut))
    decision = fields.Nested(DecisionOut, allow_none=True)


CasePage = page_of(CaseSummaryOut, "CasePage")


class StructureOut(Schema):
    id = fields.String()
    name = fields.String()
    postal_code = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    active = fields.Boolean()
    parent_id = fields.String(allow_none=True)
    network_id = fields.String()
    network_name = fields.String(allow_none=True)


StructurePage = page_of(StructureOut, "StructurePage")


class MedianOut(Schema):
    days = fields.Integer()
    decided = fields.Integer()
    median_seconds = fields.Float(allow_none=True)


class StatsOut(Schema):
    pending = fields.Integer()
    approved = fields.Integer()
    rejected = fields.Integer()
    rerouted = fields.Integer()
    declined = fields.Integer()
    time_to_decision = fields.List(fields.Nested(MedianOut))
