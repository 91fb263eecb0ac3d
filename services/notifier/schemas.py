"""Marshmallow schemas of notifier's requests and responses."""

from marshmallow import Schema, fields, validate

from services.chassis.schemas import alike, page_of
from services.notifier.domain import EmailStatus


class NotificationQuery(Schema):
    recipient = fields.String(validate=validate.Length(min=1, max=320),
                              metadata={"description": "adresse e-mail ou id du destinataire"})
    status = fields.String(validate=validate.OneOf([s.value for s in EmailStatus]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class NotificationOut(Schema):
    id = fields.String()
    recipient = fields.String(attribute="address")
    recipient_id = fields.String(allow_none=True)
    kind, status, event_id = alike(fields.String, 3)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


NotificationPage = page_of(NotificationOut, "NotificationPage")
