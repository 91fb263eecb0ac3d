"""Marshmallow schemas of moderation's requests and responses."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.chassis.schemas import alike, page_of
from services.moderation import domain
from services.moderation.domain import CaseKind, CaseStatus, RejectReason
from services.moderation.screening import FlagKind


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


class MaskIn(Schema):
    start = fields.Integer(required=True, strict=True)
    end = fields.Integer(required=True, strict=True)
    # Checked against FlagKind with the spans (domain.mask_errors), so every mask error of a
    # field is one list of messages under fields.<name>.masks.
    kind = fields.String(load_default=FlagKind.OTHER.value, validate=validate.Length(max=40))


class FieldDecisionIn(Schema):
    """One field's decision: the complete list of spans to mask, or the exact text to publish."""

    field_name = ""
    masks = fields.List(fields.Nested(MaskIn), load_default=None,
                        validate=validate.Length(max=domain.MAX_MASKS))
    text = fields.String(load_default=None)

    @validates_schema
    def _text_fits(self, data, **kwargs):
        if data.get("text") is not None and (errors := domain.text_errors(self.field_name,
                                                                           data["text"])):
            raise ValidationError(errors, "text")


# One schema per field (its own bounds, its own name in the OpenAPI document).
FIELD_DECISIONS = {
    name: type(f"{name.title().replace('_', '')}DecisionIn", (FieldDecisionIn,), {
        "field_name": name,
        "text": fields.String(load_default=None, validate=validate.Length(
            max=domain.FIELD_MAX_LENGTH[name]))})
    for name in domain.SCREENED_FIELDS
}


class FieldDecisionsIn(Schema):
    """The moderator's decision per field; a field left out publishes its default redaction."""

    title = fields.Nested(FIELD_DECISIONS["title"], load_default=None)
    body = fields.Nested(FIELD_DECISIONS["body"], load_default=None)
    author_name = fields.Nested(FIELD_DECISIONS["author_name"], load_default=None)
    structure_hint = fields.Nested(FIELD_DECISIONS["structure_hint"], load_default=None)


# Attributes named `fields` would hide marshmallow's module in a class body: other attribute
# names, the same key on the wire and in the loaded or dumped dict.
_FIELDS = {"data_key": "fields", "attribute": "fields"}


class PreviewRequest(Schema):
    field_decisions = fields.Nested(FieldDecisionsIn, load_default=dict, **_FIELDS)


class ApproveRequest(Schema):
    structure_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    # Legacy: the same as fields.body.text.
    body = fields.String(load_default=None, validate=validate.Length(
        min=1, max=domain.FIELD_MAX_LENGTH["body"]))
    field_decisions = fields.Nested(FieldDecisionsIn, load_default=dict, **_FIELDS)

    @validates_schema
    def _one_body_text(self, data, **kwargs):
        if data.get("body") is not None and not data["body"].strip():
            raise ValidationError("Le texte publié ne peut pas être vide.", "body")
        given = (data.get("fields") or {}).get("body") or {}
        if data.get("body") is not None and given.get("text") not in (None, data["body"]):
            raise ValidationError("Donnez le texte publié dans « body » ou dans "
                                  "« fields.body.text », pas deux textes différents.", "body")


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
    start, end = alike(fields.Integer, 2)


class MaskOut(FlagOut):
    pass


class NotedFlagOut(FlagOut):
    note = fields.String(allow_none=True)


class FieldFlagOut(NotedFlagOut):
    masked = fields.Boolean()


class FieldOut(Schema):
    name, text = alike(fields.String, 2)
    flags = fields.List(fields.Nested(FieldFlagOut))
    redacted = fields.String()


class FieldChangeOut(Schema):
    unmasked = fields.List(fields.Nested(NotedFlagOut))
    added = fields.List(fields.Nested(MaskOut))
    text_edited = fields.Boolean()


# Each screened field as the approval published it.
PublishedOut = Schema.from_dict({name: fields.String(allow_none=True)
                                 for name in domain.SCREENED_FIELDS}, name="PublishedOut")


class FieldPreviewOut(Schema):
    name, text, published = alike(fields.String, 3)
    masks = fields.List(fields.Nested(MaskOut))
    edited, text_edited = alike(fields.Boolean, 2)
    warnings = fields.List(fields.Nested(MaskOut))


class PreviewOut(Schema):
    field_previews = fields.List(fields.Nested(FieldPreviewOut), **_FIELDS)


class SuggestionOut(Schema):
    id, name = alike(fields.String, 2)
    network_id = fields.String(allow_none=True)
    network_name = fields.String(allow_none=True, metadata={
        "description": "the network's name; null while the replica does not know it"})
    score = fields.Float()


class DecisionOut(Schema):
    """The latest decision on a case: what was decided, by whom, when."""

    id, action, moderator_id = alike(fields.String, 3)
    decided_at = fields.DateTime()
    structure_id = fields.String(allow_none=True)
    structure_name = fields.String(allow_none=True, metadata={
        "description": "the structure the experience was sent to (approve, reroute)"})
    network_id = fields.String(allow_none=True)
    network_name = fields.String(allow_none=True, metadata={
        "description": "its network's name (approve, reroute)"})
    reason, comment, published_body = alike(fields.String, 3, allow_none=True)
    edited = fields.Boolean(allow_none=True)
    published = fields.Nested(PublishedOut, allow_none=True)
    changes = fields.Dict(keys=fields.String(), values=fields.Nested(FieldChangeOut),
                          allow_none=True)


class CaseSummaryOut(Schema):
    id, experience_id, kind, status, title = alike(fields.String, 5)
    flag_count = fields.Integer()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    age_seconds = fields.Integer()
    claimed_by = fields.String(allow_none=True)
    claimed_until = fields.DateTime(allow_none=True)
    claim = fields.String(metadata={"description": "mine, other, free or closed"})


class CaseOut(CaseSummaryOut):
    body, structure_hint, postal_code, author_name, channel = alike(fields.String, 5)
    occurred_on = fields.Date(allow_none=True)
    feeling = fields.String()
    screened_fields = fields.List(fields.Nested(FieldOut), **_FIELDS)
    flags = fields.List(fields.Nested(FlagOut))
    redacted_body = fields.String()
    current_structure_id, current_network_id = alike(fields.String, 2, allow_none=True)
    current_structure_name = fields.String(allow_none=True, metadata={
        "description": "a re-orientation: the structure that asks, as the replica names it"})
    current_network_name, reason = alike(fields.String, 2, allow_none=True)
    suggested_structures = fields.List(fields.Nested(SuggestionOut))
    decision = fields.Nested(DecisionOut, allow_none=True, metadata={
        "description": "the latest decision on a decided case; null while it is pending"})


CasePage = page_of(CaseSummaryOut, "CasePage")


class StructureOut(Schema):
    id, name = alike(fields.String, 2)
    postal_code, city = alike(fields.String, 2, allow_none=True)
    active = fields.Boolean()
    parent_id = fields.String(allow_none=True)
    network_id = fields.String()
    network_name = fields.String(allow_none=True)


StructurePage = page_of(StructureOut, "StructurePage")


class MedianOut(Schema):
    days, decided = alike(fields.Integer, 2)
    median_seconds = fields.Float(allow_none=True)


# One count per case status, as service.stats counts them, then the medians.
StatsOut = Schema.from_dict({**{status.value: fields.Integer() for status in CaseStatus},
                             "time_to_decision": fields.List(fields.Nested(MedianOut))},
                            name="StatsOut")


class StaffTextsIn(Schema):
    """A staff text about to be published (an agent's response, an improvement action), by
    part; each part as long as the longest the services accept (a response's body)."""

    texts = fields.Dict(
        keys=fields.String(validate=validate.OneOf(domain.STAFF_TEXTS)),
        values=fields.String(validate=validate.Length(max=domain.STAFF_TEXT_MAX)),
        required=True, validate=validate.Length(min=1))


class StaffTextOut(Schema):
    name = fields.String()
    flags = fields.List(fields.Nested(NotedFlagOut))


class StaffScreeningOut(Schema):
    texts = fields.List(fields.Nested(StaffTextOut))
