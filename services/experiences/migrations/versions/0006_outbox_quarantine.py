"""outbox quarantine; the evaluation tokens blanked in the events already published

The relay sets aside the rows the broker refuses, and blanks the evaluation token of
experience.answered once the broker has the event: the rows published before get the same
treatment.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 09:00:00
"""
from services.chassis.messaging_migration import (
    create_outbox_quarantine_table,
    drop_outbox_quarantine_table,
    purge_published_secrets,
)

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_quarantine_table()
    purge_published_secrets({"experience.answered": ("evaluation_token",)})


def downgrade() -> None:
    drop_outbox_quarantine_table()
