"""the lists' text search on one lower-cased column

`search_text` is the public title and text, lower-cased, kept by the database itself. A search
matches it with LIKE instead of ILIKE on both columns: three times faster on PostgreSQL for
the rows a scope reads (docs/benchmarks.md, "Agents' list with 10,000,000 experiences").
PostgreSQL stores it (ALTER rewrites the table: minutes at ten million rows, under an exclusive
lock); SQLite cannot add a stored column, it computes it when read, as ILIKE did.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# As models.py declares it: a character nobody types (unit separator) between the two, so that
# no search matches across them.
EXPRESSION = "lower(title || '\x1f' || coalesce(published_body, ''))"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.add_column("experiences", sa.Column(
        "search_text", sa.Text(), sa.Computed(EXPRESSION, persisted=postgres)))


def downgrade() -> None:
    op.drop_column("experiences", "search_text")
