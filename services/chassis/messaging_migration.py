"""The outbox and inbox tables as every service's first revision creates them (and the
revoked_users table of the services that check tokens; the replicas' `changed_at`).

Frozen: it is part of five migration histories. A later change to these tables goes into a new
revision of each service, never here.
"""

import sqlalchemy as sa
from alembic import op


def create_messaging_tables() -> None:
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_unpublished",
            ["id"],
            unique=False,
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )


def drop_messaging_tables() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_unpublished",
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )

    op.drop_table("outbox")
    op.drop_table("inbox")


def create_revoked_users_table() -> None:
    """Revision 0003 of the services that check tokens (frozen too)."""
    op.create_table(
        "revoked_users",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )


def drop_revoked_users_table() -> None:
    op.drop_table("revoked_users")


def create_outbox_quarantine_table() -> None:
    """The outbox's quarantine: rows the relay could not publish, with the reason (a revision of
    every service: identity 0005, experiences 0006, moderation 0005, diagnostic and notifier
    0004; frozen too)."""
    op.create_table(
        "outbox_quarantine",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True,
                  nullable=False),
        sa.Column("outbox_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )


def drop_outbox_quarantine_table() -> None:
    op.drop_table("outbox_quarantine")


def purge_published_secrets(secret_fields: dict[str, tuple[str, ...]]) -> None:
    """Blank the secret payload fields (by event type, version 1) of the events the broker
    already has, as the relay does from now on at each confirm, and mark each envelope
    `"purged": [fields]`. Not undone by a downgrade: the secrets are gone."""
    import json

    outbox = sa.table("outbox", sa.column("id"), sa.column("event_type"), sa.column("body"),
                      sa.column("published_at"))
    bind = op.get_bind()
    due = (sa.select(outbox.c.id, outbox.c.event_type, outbox.c.body)
           .where(outbox.c.event_type.in_(list(secret_fields)),
                  outbox.c.published_at.is_not(None), outbox.c.id > sa.bindparam("after"))
           .order_by(outbox.c.id).limit(500))
    rewrite = (sa.update(outbox).where(outbox.c.id == sa.bindparam("row_id"))
               .values(body=sa.bindparam("purged_body")))
    after = 0
    while rows := bind.execute(due, {"after": after}).all():
        purged = []
        for row in rows:
            envelope = json.loads(row.body)
            payload = envelope.get("payload")
            if envelope.get("purged") or envelope.get("version") != 1:
                continue
            if not isinstance(payload, dict):
                continue
            fields = sorted(secret_fields[row.event_type])
            for name in fields:
                if name in payload:
                    payload[name] = None
            envelope["purged"] = fields
            purged.append({"row_id": row.id, "purged_body": json.dumps(
                envelope, separators=(",", ":"), ensure_ascii=False)})
        if purged:
            bind.execute(rewrite, purged)
        after = rows[-1].id


def add_replica_changed_at(*tables: str) -> None:
    """The replicas of identity's rows keep when identity made the change each holds
    (services/chassis/replica.py: no older event undoes a newer one); NULL for rows replicated
    before: the next event applies."""
    for table in tables:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))


def drop_replica_changed_at(*tables: str) -> None:
    for table in reversed(tables):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("changed_at")
