"""every public field screened: the case keeps them and their flags, the approval what it published

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 01:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Cases opened before keep empty texts and no field_flags: the API reads that as unscreened.
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("author_name", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("channel", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("occurred_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("feeling", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("field_flags", sa.JSON(), nullable=True))
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("published", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("changes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("changes")
        batch.drop_column("published")
    with op.batch_alter_table("cases") as batch:
        for column in ("field_flags", "feeling", "occurred_on", "channel", "author_name"):
            batch.drop_column(column)
