"""drop the network ids the notifier copied and never read

The notifier finds a structure's super agents by walking `structures.parent_id`; which network
a structure or a recipient belongs to was never read. Nothing is lost: identity keeps it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 06:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("structures", "recipients"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("network_id")


def downgrade() -> None:
    # Values are not restored: identity's next structure and user events fill them again.
    with op.batch_alter_table("structures") as batch:
        batch.add_column(sa.Column("network_id", sa.String(36), nullable=False,
                                  server_default=""))
    with op.batch_alter_table("recipients") as batch:
        batch.add_column(sa.Column("network_id", sa.String(36), nullable=True))
