"""signing keys out of the database; rotating refresh tokens; addresses accounts signed in from

The private signing keys leave `signing_keys`: the active one is written to the key file (0600,
in a 0700 folder) when the operator provides no key and that file does not exist yet, so tokens
and sessions survive the upgrade; then the column is dropped. The public keys stay, published
while tokens they signed may live.

Each session's refresh token moves to `refresh_tokens`, where each use replaces it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 10:00:00
"""
import logging
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def _key_file() -> Path:
    from services.chassis.config import default_key_file

    return Path(os.environ.get("SPP_JWT_PRIVATE_KEY_FILE") or default_key_file())


def _write_private(path: Path, pem: str) -> None:
    """The PEM to `path`, 0600 from its first byte, in a 0700 folder; an existing file wins."""
    from services.chassis.config import VAR, private_dir

    if path.parent == VAR / "keys":
        private_dir(VAR)
        private_dir(path.parent)
    else:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(pem)
        os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _move_private_keys_out(bind) -> None:
    active = bind.execute(sa.text(
        "SELECT private_pem FROM signing_keys WHERE active ORDER BY created_at DESC")).scalars() \
        .first()
    if not active:
        return
    if os.environ.get("SPP_JWT_PRIVATE_KEY", "").strip():
        log.info("signing key: the operator's SPP_JWT_PRIVATE_KEY replaces the database's")
        return
    path = _key_file()
    if path.exists():
        log.info("signing key: %s exists and replaces the database's", path)
        return
    try:
        _write_private(path, active)
        log.info("signing key moved out of the database to %s (0600)", path)
    except FileExistsError:
        pass  # another process made one meanwhile: it wins
    except OSError as exc:  # tokens signed by the old key stay valid; new ones use a new key
        log.warning("signing key not moved to %s (%s): a new key will be made", path, exc)


def upgrade() -> None:
    bind = op.get_bind()
    _move_private_keys_out(bind)
    now = datetime.now(UTC)
    with op.batch_alter_table('signing_keys') as batch_op:
        batch_op.add_column(sa.Column('seen_at', sa.DateTime(timezone=True), nullable=True))
    keys = sa.table('signing_keys', sa.column('kid'), sa.column('created_at'),
                    sa.column('seen_at', sa.DateTime(timezone=True)))
    # The two keys the JWKS published stay published while their tokens live; older ones not.
    published = bind.execute(sa.select(keys.c.kid).order_by(keys.c.created_at.desc()).limit(2)) \
        .scalars().all()
    bind.execute(keys.update().values(seen_at=keys.c.created_at))
    if published:
        bind.execute(keys.update().where(keys.c.kid.in_(published)).values(seen_at=now))
    with op.batch_alter_table('signing_keys') as batch_op:
        batch_op.alter_column('seen_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_column('private_pem')
        batch_op.drop_column('active')
        batch_op.create_index('ix_signing_keys_seen_at', ['seen_at'], unique=False)

    # Read first: SQLite rebuilds login_sessions, which it cannot while a table refers to it.
    live = bind.execute(sa.text("SELECT token_hash, id, last_used_at FROM login_sessions "
                                "WHERE ended_at IS NULL")).all()
    with op.batch_alter_table('login_sessions') as batch_op:
        batch_op.drop_column('token_hash')
        batch_op.add_column(sa.Column('ended_reason', sa.String(length=30), nullable=True))
    op.create_table(
        'refresh_tokens',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('session_id', sa.String(length=36), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['session_id'], ['login_sessions.id']),
        sa.PrimaryKeyConstraint('token_hash'),
    )
    op.create_index('ix_refresh_tokens_session_id', 'refresh_tokens', ['session_id'], unique=False)
    if live:  # the values as read, untyped: SQLite hands its timestamps back as text
        bind.execute(sa.text("INSERT INTO refresh_tokens (token_hash, session_id, created_at) "
                             "VALUES (:token_hash, :session_id, :created_at)"),
                     [{"token_hash": t, "session_id": i, "created_at": at} for t, i, at in live])

    op.create_table(
        'login_addresses',
        sa.Column('user_id', sa.String(length=36), nullable=False),
        sa.Column('address_hash', sa.String(length=64), nullable=False),
        sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('user_id', 'address_hash'),
    )
    op.create_index('ix_login_addresses_last_success_at', 'login_addresses', ['last_success_at'],
                    unique=False)


def downgrade() -> None:
    """Back to keys in the database: the old code makes a new key at its first token (tokens
    signed by the file's key stop verifying; sessions renew them)."""
    op.drop_index('ix_login_addresses_last_success_at', table_name='login_addresses')
    op.drop_table('login_addresses')

    bind = op.get_bind()
    live = dict(bind.execute(sa.text(
        "SELECT session_id, token_hash FROM refresh_tokens WHERE replaced_at IS NULL "
        "ORDER BY created_at")).all())  # the newest live token of each session
    op.drop_index('ix_refresh_tokens_session_id', table_name='refresh_tokens')
    op.drop_table('refresh_tokens')
    with op.batch_alter_table('login_sessions') as batch_op:
        batch_op.drop_column('ended_reason')
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
    sessions = sa.table('login_sessions', sa.column('id'), sa.column('token_hash'),
                        sa.column('ended_at', sa.DateTime(timezone=True)))
    for session_id, token_hash in live.items():
        bind.execute(sessions.update().where(sessions.c.id == session_id)
                     .values(token_hash=token_hash))
    # A session without a live token is over; its placeholder hash matches no token.
    bind.execute(sessions.update().where(sessions.c.token_hash.is_(None)).values(
        token_hash=sa.literal('ended:') + sessions.c.id,
        ended_at=sa.func.coalesce(sessions.c.ended_at, datetime.now(UTC))))
    with op.batch_alter_table('login_sessions') as batch_op:
        batch_op.alter_column('token_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint('login_sessions_token_hash_key', ['token_hash'])

    with op.batch_alter_table('signing_keys') as batch_op:
        batch_op.drop_index('ix_signing_keys_seen_at')
        batch_op.drop_column('seen_at')
        batch_op.add_column(sa.Column('private_pem', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('active', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
