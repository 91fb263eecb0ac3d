"""Notifier's HTTP API (flask-smorest blueprints)."""

import sqlalchemy as sa

from services.chassis.auth import require
from services.chassis.pagination import page_of
from services.chassis.permissions import Permission
from services.chassis.web import Blueprint, db_of
from services.notifier import domain
from services.notifier.models import Email
from services.notifier.schemas import NotificationPage, NotificationQuery

blp = Blueprint("notifications", __name__, url_prefix="/notifications",
                description="E-mails envoyés ou en attente (exploitation)")


@blp.route("")
@blp.arguments(NotificationQuery, location="query")
@blp.response(200, NotificationPage)
@require(Permission.NOTIFICATION_READ)
def list_notifications(query):
    """List e-mails, newest first, by recipient and status."""
    where = []
    if query.get("recipient"):
        r = query["recipient"].strip()
        where.append(sa.or_(Email.address == r.lower(), Email.recipient_id == r))
    if query.get("status"):
        where.append(Email.status == query["status"])
    with db_of().transaction() as session:
        found = page_of(session, sa.select(Email).where(*where)
                        .order_by(Email.created_at.desc(), Email.id),
                        query["page"], query["per_page"])
    return found | {"items": [_for_operators(e) for e in found["items"]]}


def _for_operators(email: Email) -> dict:
    row = {name: getattr(email, name) for name in (
        "id", "address", "recipient_id", "kind", "status", "event_id", "attempts", "created_at",
        "sent_at")}
    row["address"], row["last_error"] = domain.for_operators(email.kind, email.address,
                                                             email.last_error)
    return row


BLUEPRINTS: list = [blp]
