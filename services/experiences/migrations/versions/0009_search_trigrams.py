"""the lists' text search on a trigram index (PostgreSQL)

A word found in few experiences is looked up in this index instead of reading every experience
of the scope (docs/benchmarks.md, "Agents' list with 10,000,000 experiences"); the queries take
it only where the planner expects few matches (queries.expected_matches). pg_trgm is a trusted
extension: a database owner creates it without being superuser. SQLite has neither: nothing.
IF NOT EXISTS: on a large table the index takes minutes to build and blocks writes meanwhile;
an operator builds it beforehand with CREATE INDEX CONCURRENTLY (docs/deploy.md). The downgrade
leaves the extension, which something else may use.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 20:00:00
"""
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX IF NOT EXISTS ix_experiences_search_trgm ON experiences "
               "USING gin (search_text gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_experiences_search_trgm")
