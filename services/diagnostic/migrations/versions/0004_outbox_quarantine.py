"""outbox quarantine: the rows the broker refused, set aside with their reason

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 09:00:00
"""
from services.chassis.messaging_migration import (
    create_outbox_quarantine_table,
    drop_outbox_quarantine_table,
)

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_quarantine_table()


def downgrade() -> None:
    drop_outbox_quarantine_table()
