"""the agents' list of one structure read in its own order

The staff list of a structure is ordered by (published_at NULLS FIRST, submitted_at, id).
With these indexes PostgreSQL reads a page of a structure's experiences in that order and stops
after it, instead of fetching every experience of the structure and sorting them
(docs/benchmarks.md, "Agents' list with 10,000,000 experiences"). SQLite sorts NULLs first in
ascending order already.
IF NOT EXISTS: an operator may have built them beforehand with CREATE INDEX CONCURRENTLY
(docs/deploy.md). ix_experiences_structure_status is a prefix of
ix_experiences_structure_status_order once this has run; it stays while models.py names it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 05:00:00
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    published = "published_at NULLS FIRST" if op.get_bind().dialect.name == "postgresql" \
        else "published_at"
    op.execute("CREATE INDEX IF NOT EXISTS ix_experiences_structure_order ON experiences "
               f"(structure_id, {published}, submitted_at, id)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_experiences_structure_status_order ON experiences "
               f"(structure_id, status, {published}, submitted_at, id)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_experiences_structure_status_order")
    op.execute("DROP INDEX IF EXISTS ix_experiences_structure_order")
