"""an invited user gets no work mail before setting a password

`recipients.activated` follows identity's `activated` (a password is set). Rows replicated
before: activated, as they were treated.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 00:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recipients") as batch:
        batch.add_column(sa.Column("activated", sa.Boolean(), server_default=sa.true(),
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("recipients") as batch:
        batch.drop_column("activated")
