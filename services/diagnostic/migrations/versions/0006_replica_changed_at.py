"""diagnostic's replica of identity's structures keeps when identity made each row's change

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 02:00:00

An identity event retried or replayed after a newer one no longer undoes it.
"""
from services.chassis.messaging_migration import add_replica_changed_at, drop_replica_changed_at

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_replica_changed_at("structures")


def downgrade() -> None:
    drop_replica_changed_at("structures")
