"""a digest lists each experience once, in its latest state

Digest items keep what their event said: when it happened, the structure the experience was at,
and moderation's explanation of a declined re-orientation. `experiences` keeps where each
experience is and how far it went, from its latest event, so that a digest drops what has
changed since (rerouted away, answered). Rows written before: their handling time stands for
when it happened; no structure, no explanation, no state (listed as they were).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 18:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experiences",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("structure_id", sa.String(36), nullable=False),
        sa.Column("progress", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("digest_items") as batch:
        batch.add_column(sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("structure_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("comment", sa.Text(), nullable=True))
    op.execute("UPDATE digest_items SET occurred_at = created_at")
    with op.batch_alter_table("digest_items") as batch:
        batch.alter_column("occurred_at", existing_type=sa.DateTime(timezone=True),
                           nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("digest_items") as batch:
        batch.drop_column("comment")
        batch.drop_column("structure_id")
        batch.drop_column("occurred_at")
    op.drop_table("experiences")
