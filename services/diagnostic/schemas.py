"""Marshmallow schemas of diagnostic's requests and responses."""

from marshmallow import Schema, fields, validate

from services.chassis.schemas import alike, page_of
from services.diagnostic.domain import DiagnosticStatus


class StartDiagnosticSchema(Schema):
    structure_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    channels = fields.List(fields.String(validate=validate.Length(max=32)), load_default=None,
                           validate=validate.Length(min=1, max=10), metadata={
                               "description": "Channels the structure assesses; when left out, "
                                              "those covering the structure's declared "
                                              "channels (every channel if none)"})


class AnswerInSchema(Schema):
    question_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    channel = fields.String(required=True, validate=validate.Length(min=1, max=32))
    answer = fields.String(required=True, allow_none=True, validate=validate.Length(max=32))


class NoteInSchema(Schema):
    commitment = fields.Integer(required=True, strict=True)
    text = fields.String(required=True, validate=validate.Length(max=5000))


class SaveAnswersSchema(Schema):
    answers = fields.List(fields.Nested(AnswerInSchema), load_default=list,
                          validate=validate.Length(max=1000))
    notes = fields.List(fields.Nested(NoteInSchema), load_default=list,
                        validate=validate.Length(max=50))


class ListQuerySchema(Schema):
    structure_id = fields.String(validate=validate.Length(min=1, max=64))
    status = fields.String(validate=validate.OneOf([s.value for s in DiagnosticStatus]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class AnswerOutSchema(Schema):
    question_id, channel, answer, updated_by = alike(fields.String, 4)
    updated_at = fields.DateTime()


class NoteOutSchema(Schema):
    commitment = fields.Integer()
    text, updated_by = alike(fields.String, 2)
    updated_at = fields.DateTime()


class ProgressSchema(Schema):
    answered, total = alike(fields.Integer, 2)


class LastEditSchema(Schema):
    updated_by = fields.String(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)


class DiagnosticSummarySchema(Schema):
    id, structure_id, network_id, questionnaire_version = alike(fields.String, 4)
    channels = fields.List(fields.String())
    status, started_by = alike(fields.String, 2)
    started_at = fields.DateTime()
    completed_by = fields.String(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    overall_score = fields.Float(allow_none=True)


class DiagnosticSchema(DiagnosticSummarySchema):
    progress = fields.Nested(ProgressSchema)
    last_edit = fields.Nested(LastEditSchema)
    answers = fields.List(fields.Nested(AnswerOutSchema))
    notes = fields.List(fields.Nested(NoteOutSchema))
    missing = fields.List(fields.String())


DiagnosticListSchema = page_of(DiagnosticSummarySchema, "DiagnosticListSchema")
