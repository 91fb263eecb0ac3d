"""internal comments remember the network they were written in

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 03:35:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("experience_comments") as batch:
        batch.add_column(sa.Column("network_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("experience_comments") as batch:
        batch.drop_column("network_id")
