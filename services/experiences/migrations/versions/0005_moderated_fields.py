"""every public field as moderated: the usager's own words kept apart

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 00:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Placeholders such as « [téléphone masqué] » are longer than what they replace.
WIDENED = ("title", "structure_hint", "author_name")


def upgrade() -> None:
    with op.batch_alter_table("experiences") as batch:
        for column in WIDENED:
            batch.add_column(sa.Column(f"submitted_{column}", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":  # SQLite does not enforce lengths
        for column in WIDENED:
            op.alter_column("experiences", column, type_=sa.Text(), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("experiences") as batch:
        for column in WIDENED:
            batch.drop_column(f"submitted_{column}")
