"""outbox quarantine; links' tokens out of the e-mails' bodies

The relay sets aside the rows the broker refuses (`outbox_quarantine`). An e-mail's link token
now waits in `emails.secret` until the mail is sent, its bodies holding a placeholder: the rows
written before are rewritten the same way (the token of a queued mail moves to `secret`, that of
a mail sent or given up is dropped). A downgrade puts back no token.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 09:00:00
"""
import re

import sqlalchemy as sa
from alembic import op

from services.chassis.messaging_migration import (
    create_outbox_quarantine_table,
    drop_outbox_quarantine_table,
)

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

PLACEHOLDER = "__SPP_LINK_TOKEN__"  # services.notifier.mailer.SECRET_PLACEHOLDER, frozen here
# The token of a link, in the text body or in the HTML one (where & is written &amp;).
TOKEN = re.compile(r"((?:[?&]|&amp;)token=)([^&#\s\"'<>]+)")


def upgrade() -> None:
    create_outbox_quarantine_table()
    with op.batch_alter_table("emails") as batch:
        batch.add_column(sa.Column("secret", sa.Text(), nullable=True))
    emails = sa.table("emails", sa.column("id"), sa.column("status"), sa.column("body_text"),
                      sa.column("body_html"), sa.column("secret"))
    bind = op.get_bind()
    due = (sa.select(emails.c.id, emails.c.status, emails.c.body_text, emails.c.body_html)
           .where(sa.or_(emails.c.body_text.like("%token=%"), emails.c.body_html.like("%token=%")),
                  emails.c.id > sa.bindparam("after"))
           .order_by(emails.c.id).limit(500))
    rewrite = (sa.update(emails).where(emails.c.id == sa.bindparam("email_id"))
               .values(body_text=sa.bindparam("text"), body_html=sa.bindparam("html"),
                       secret=sa.bindparam("token")))
    after = ""
    while rows := bind.execute(due, {"after": after}).all():
        changes = []
        for row in rows:
            found = TOKEN.search(row.body_text) or TOKEN.search(row.body_html)
            if found is None or found.group(2) == PLACEHOLDER:
                continue
            changes.append({
                "email_id": row.id,
                "text": TOKEN.sub(lambda m: m.group(1) + PLACEHOLDER, row.body_text),
                "html": TOKEN.sub(lambda m: m.group(1) + PLACEHOLDER, row.body_html),
                "token": found.group(2) if row.status == "queued" else None})
        if changes:
            bind.execute(rewrite, changes)
        after = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("emails") as batch:
        batch.drop_column("secret")
    drop_outbox_quarantine_table()
