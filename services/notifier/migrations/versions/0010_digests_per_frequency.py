"""digests claimed per frequency, and each lists what came since the recipient's previous one

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 02:10:00

A daily and a weekly period can start at the same Monday 08:00: claimed by (period_start,
recipient) alone, a user who went from daily to weekly lost her first weekly digest. The index
finds where a recipient's previous digest ended (services/notifier/mailer.py).
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digest_runs") as batch:
        batch.drop_constraint("uq_digest_runs_period_recipient", type_="unique")
        batch.create_unique_constraint("uq_digest_runs_frequency_period_recipient",
                                       ["frequency", "period_start", "recipient_id"])
        batch.create_index("ix_digest_runs_recipient_end", ["recipient_id", "period_end"])


def downgrade() -> None:
    with op.batch_alter_table("digest_runs") as batch:
        batch.drop_index("ix_digest_runs_recipient_end")
        batch.drop_constraint("uq_digest_runs_frequency_period_recipient", type_="unique")
        batch.create_unique_constraint("uq_digest_runs_period_recipient",
                                       ["period_start", "recipient_id"])
