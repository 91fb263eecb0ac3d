"""Database plumbing: one engine and session factory per service, the messaging tables, Alembic."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, sessionmaker

from services.chassis.config import VAR, private_dir, private_file


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and read back aware, on PostgreSQL and on SQLite alike.

    SQLite keeps the wall time only: without this, what was written aware came back naive and
    the APIs answered dates without their offset.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def new_id() -> str:
    """A row's id: a random UUID as text, the same in every service's database."""
    return str(uuid.uuid4())


LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """`%text%` for LIKE with the user's own % and _ taken literally (use `escape=LIKE_ESCAPE`)."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _private_sqlite_file(url: str) -> None:
    """A SQLite database holds password hashes and session tokens: var/ 0700, the file 0600
    (made before SQLite opens it; its -wal and -shm files take the database file's mode)."""
    private_dir(VAR)
    path = sa.engine.make_url(url).database
    if path and path != ":memory:" and not path.startswith("file:") \
            and Path(path).parent.is_dir():
        private_file(Path(path))
        for suffix in ("-wal", "-shm", "-journal"):
            if Path(path + suffix).exists():
                private_file(Path(path + suffix))


def make_engine(url: str, **kwargs) -> sa.Engine:
    # A statement's values never reach an error's text (hence no log): they may be personal data.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @sa_event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # WAL lets the web process and the worker read and write side by side.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    ping_idle = "pool_pre_ping" not in kwargs
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    engine = sa.create_engine(url, **kwargs)
    if ping_idle:
        ping_when_idle(engine)
    return engine


# A connection given back less than this ago is not pinged when taken again.
PING_IDLE_S = 1.0


def ping_when_idle(engine: sa.Engine, idle_s: float | None = None) -> None:
    """SQLAlchemy's pre-ping, only for a connection that sat idle in the pool: a restarted
    server or a proxy's idle timeout is still found before use, and the connection replaced,
    but a busy process no longer pays a round trip per transaction. A connection cut while in
    use fails its transaction, as with pre-ping, and the pool then renews all the others."""

    idle_s = PING_IDLE_S if idle_s is None else idle_s

    @sa_event.listens_for(engine, "checkin")
    def _given_back(_dbapi_conn, record) -> None:
        record.info["given_back"] = time.monotonic()

    @sa_event.listens_for(engine, "checkout")
    def _taken(dbapi_conn, record, _proxy) -> None:
        if time.monotonic() - record.info.get("given_back", 0.0) < idle_s:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DisconnectionError("idle connection found dead") from exc
        if not alive:
            raise sa.exc.DisconnectionError("idle connection found dead")


def is_postgres(bind: sa.Engine | sa.Connection | Session) -> bool:
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "postgresql"


def _lock_on_sqlite_for_update(connection, statement, *_args) -> None:
    """SQLite ignores FOR UPDATE. A select that asks for it starts the transaction with BEGIN
    IMMEDIATE instead: the write lock is held from the read on, so two read-then-write
    transactions (a decision, a single-use link, a validation) run one after the other, as FOR
    UPDATE makes them on PostgreSQL, instead of both acting on what they read. An engine event,
    so that ORM sessions and Core connections alike take the lock."""
    if getattr(statement, "_for_update_arg", None) is None:
        return
    driver = connection.connection.driver_connection
    if not driver.in_transaction:
        driver.execute("BEGIN IMMEDIATE")


class Database:
    """An engine and its session factory; `transaction()` commits or rolls back as a unit."""

    def __init__(self, url: str, **engine_kwargs):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # For a read of one statement on PostgreSQL: no BEGIN before it and no ROLLBACK when the
        # connection goes back to the pool (two round trips, and psycopg forgets its prepared
        # statements after a ROLLBACK). SQLite has no round trip to save.
        self.autocommit = (self.engine.execution_options(isolation_level="AUTOCOMMIT")
                           if is_postgres(self.engine) else self.engine)
        if self.engine.dialect.name == "sqlite":
            sa_event.listen(self.engine, "before_execute", _lock_on_sqlite_for_update)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


QUARANTINE_TABLE = "outbox_quarantine"


def add_messaging_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """The outbox (events to publish) and inbox (events handled) tables, in a service's own
    metadata, with the outbox's quarantine (rows the broker refused, see `relay`)."""
    outbox = sa.Table(
        "outbox",
        metadata,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(80), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Index("ix_outbox_unpublished", "id", postgresql_where=sa.text("published_at IS NULL"),
                 sqlite_where=sa.text("published_at IS NULL")),
    )
    inbox = sa.Table(
        "inbox",
        metadata,
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("event_type", sa.String(80), nullable=False),
        sa.Column("handled_at", UTCDateTime(), nullable=False),
    )
    sa.Table(
        QUARANTINE_TABLE,
        metadata,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        # The row's id in the outbox: the order in which the events were written. Not a key:
        # SQLite gives a deleted row's id to the next one.
        sa.Column("outbox_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(80), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("quarantined_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    return outbox, inbox


_outbox_sent = sa.table("outbox", sa.column("published_at"))
_PENDING = sa.select(sa.func.count()).where(_outbox_sent.c.published_at.is_(None))
_QUARANTINED = sa.select(sa.func.count()).select_from(sa.table(QUARANTINE_TABLE))


def outbox_gauges(db: Database) -> tuple[int, int] | None:
    """(rows waiting in the outbox, rows in quarantine); None when they cannot be counted."""
    try:
        with db.engine.connect() as conn:
            return conn.execute(_PENDING).scalar_one(), conn.execute(_QUARANTINED).scalar_one()
    except sa.exc.SQLAlchemyError:
        return None  # not migrated yet, or the database is down (/readyz says which)


def migrate(service: str, url: str, revision: str = "head") -> None:
    """Run the service's own Alembic history against `url`."""
    from alembic import command

    command.upgrade(alembic_config(service, url), revision)


def alembic_config(service: str, url: str):
    from alembic.config import Config

    folder = Path(__file__).resolve().parents[1] / service / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(folder))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["service"] = service
    return cfg


def run_migrations(target_metadata: sa.MetaData) -> None:
    """Body of every service's migrations/env.py."""
    from alembic import context

    cfg = context.config
    url = cfg.get_main_option("sqlalchemy.url")
    connectable = cfg.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, target_metadata=target_metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
