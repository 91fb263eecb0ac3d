"""structures replica: the contact channels identity declares for each structure

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows already there stay NULL until their next structure.updated: every channel, as before.
    with op.batch_alter_table('structures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channels', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('structures', schema=None) as batch_op:
        batch_op.drop_column('channels')
