"""revoked users (deactivated accounts, from identity's user events)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 15:10:00
"""
from services.chassis.messaging_migration import (
    create_revoked_users_table,
    drop_revoked_users_table,
)

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_revoked_users_table()


def downgrade() -> None:
    drop_revoked_users_table()
