"""revoked users (deactivated accounts, from identity's user events)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 15:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('revoked_users',
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id')
    )


def downgrade() -> None:
    op.drop_table('revoked_users')
