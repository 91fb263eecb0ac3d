"""the structures replica keeps when identity made the change each row holds

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 02:00:00

An identity event retried or replayed after a newer one no longer undoes it
(services/chassis/replica.py). Rows replicated before this revision have no time:
the next event for them applies.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("structures") as batch:
        batch.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("structures") as batch:
        batch.drop_column("changed_at")
