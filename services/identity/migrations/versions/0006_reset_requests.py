"""password-reset requests, handled by the worker

The web answer to « mot de passe oublié » only records the request, the same write whatever the
address: how long it takes no longer tells whether an account exists.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 23:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reset_requests',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_reset_requests_requested_at'), 'reset_requests', ['requested_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_reset_requests_requested_at'), table_name='reset_requests')
    op.drop_table('reset_requests')
