"""outbox quarantine; the links' tokens blanked in the events already published

The relay sets aside the rows the broker refuses, and blanks an invitation's or a password
reset's token once the broker has the event: the rows published before get the same treatment.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 09:00:00
"""
from services.chassis.messaging_migration import (
    create_outbox_quarantine_table,
    drop_outbox_quarantine_table,
    purge_published_secrets,
)

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_quarantine_table()
    purge_published_secrets({"user.invited": ("token",),
                             "user.password_reset_requested": ("token",)})


def downgrade() -> None:
    drop_outbox_quarantine_table()
