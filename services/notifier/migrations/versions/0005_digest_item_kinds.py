"""digest items of every kind: to process, to validate, validated, re-oriented, evaluated

Until now a digest listed only experiences to process; rows written before are of that kind.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digest_items") as batch:
        batch.add_column(sa.Column("kind", sa.String(40), nullable=False,
                                   server_default="experience_to_process"))


def downgrade() -> None:
    with op.batch_alter_table("digest_items") as batch:
        batch.drop_column("kind")
