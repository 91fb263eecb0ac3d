"""the structures' replica keeps whether each is active: no move to a deactivated one

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 12:10:00

Rows replicated before this revision read as active until identity's next
`structure.updated` for them (docs/experiences.md).
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("structures") as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("structures") as batch:
        batch.drop_column("active")
