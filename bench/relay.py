"""Outbox relay throughput against the raw broker, on the same broker in the same run.

Run from the project root: `.venv/bin/python bench/relay.py --events 20000 --write-docs`.
It needs RabbitMQ and PostgreSQL. Two phases, both publishing persistent messages with
publisher confirms to a throw-away durable topic exchange with one bound durable classic queue
(so every message is routed and written to the queue, as in production):

1. raw broker: `PipelinedPublisher.publish_batch` on precomputed messages in batches of
   --batch, the ceiling the relay could reach with this publisher;
2. relay: N events written by `events.publish()` (in transactions of 1,000, not timed), then
   `OutboxRelay.run_once()` in a loop until the outbox is empty (timed).

Each of --rounds rounds (default 3) runs both phases; the medians are reported, since a phase
lasts only a second or two and single runs are noisy on a small shared machine.
The exchange, the queue and the database (or, with --database-url, a private schema in it)
are created for the run and removed at the end. With --write-docs the figures replace the
"## Outbox relay vs raw broker" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `services` importable from a checkout
    sys.path.insert(0, str(ROOT))

import pika
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from services.chassis.amqp import Message, PipelinedPublisher, PublishError, connection_parameters
from services.chassis.catalogue import TEST_EVENT
from services.chassis.db import Database, add_messaging_tables
from services.chassis.events import make_event, publish
from services.chassis.relay import OutboxRelay

DOC_PATH = ROOT / "docs" / "benchmarks.md"
SECTION = "## Outbox relay vs raw broker"
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672//"
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PRODUCER = "bench"
INSERT_TX = 1000
# A note of a realistic length: the envelope then weighs about 300 bytes, like a small domain event.
NOTE = "Relay benchmark event: a short free-text note of a plausible length for a domain event."
TARGET = 50.0


def payload(i: int) -> dict:
    return {"n": i, "note": NOTE}


# --- broker --------------------------------------------------------------------------------
class Broker:
    """Declares, inspects and removes the bench topology, each time on a short-lived connection:
    an admin connection left idle would die with anything that closes the broker's connections."""

    def __init__(self, amqp_url: str, suffix: str):
        self.amqp_url = amqp_url
        self.exchange, self.queue = f"spp.bench.{suffix}", f"spp.bench.{suffix}.all"
        self.server_properties: dict = {}

    def _run(self, fn):
        conn = pika.BlockingConnection(connection_parameters(self.amqp_url))
        try:
            self.server_properties = getattr(conn._impl, "server_properties", None) or {}
            return fn(conn.channel())
        finally:
            if conn.is_open:
                conn.close()

    def declare(self) -> None:
        def go(ch):
            ch.exchange_declare(self.exchange, exchange_type="topic", durable=True)
            ch.queue_declare(self.queue, durable=True, arguments={"x-queue-type": "classic"})
            ch.queue_bind(self.queue, self.exchange, routing_key="#")
        self._run(go)

    def depth(self) -> int:
        return self._run(lambda ch: ch.queue_declare(self.queue, passive=True).method.message_count)

    def wait_depth(self, expected: int, timeout: float = 10.0) -> int:
        """Confirmed persistent messages are in the queue, but its counter may lag a little."""
        deadline = time.monotonic() + timeout
        depth = self.depth()
        while depth != expected and time.monotonic() < deadline:
            time.sleep(0.1)
            depth = self.depth()
        if depth != expected:
            print(f"warning: {depth} messages in {self.queue}, expected {expected}",
                  file=sys.stderr)
        return depth

    def purge(self) -> None:
        self._run(lambda ch: ch.queue_purge(self.queue))

    def delete(self) -> None:
        def go(ch):
            ch.queue_delete(self.queue)
            ch.exchange_delete(self.exchange)
        self._run(go)


@contextmanager
def bench_topology(amqp_url: str, suffix: str):
    """A unique durable topic exchange and a durable classic queue bound to every key."""
    broker = Broker(amqp_url, suffix)
    broker.declare()
    try:
        yield broker
    finally:
        for attempt in range(3):  # the broker may be dropping connections: try a few times
            try:
                broker.delete()
                break
            except pika.exceptions.AMQPError as exc:
                if attempt == 2:
                    print(f"could not delete {broker.queue} / {broker.exchange}: {exc!r}",
                          file=sys.stderr)
                time.sleep(1)


# --- database ------------------------------------------------------------------------------
@contextmanager
def bench_database(database_url: str | None, suffix: str):
    """Yield a `Database`: a fresh `spp_bench_<suffix>` database, or a private schema in the
    database given with --database-url. Either is dropped at the end."""
    name = f"spp_bench_{suffix}"
    if database_url:
        admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT",
                                 poolclass=sa.pool.NullPool)
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        db = Database(database_url, connect_args={"options": f"-csearch_path={name}"})
        try:
            yield db, f'schema "{name}" in the given database'
        finally:
            db.dispose()
            with admin.connect() as c:
                c.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            admin.dispose()
        return
    server = os.environ.get("TEST_DATABASE_URL") or DEFAULT_SERVER
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    try:
        yield db, f'fresh database "{name}"'
    finally:
        db.dispose()
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- phases --------------------------------------------------------------------------------
def raw_phase(amqp_url: str, exchange: str, n: int, batch: int) -> dict:
    """Publish n precomputed messages shaped like the relay's, batch by batch."""
    messages = []
    for i in range(n):
        event = make_event(TEST_EVENT, payload(i), PRODUCER)
        messages.append(Message(exchange=exchange, routing_key=event.type, body=event.to_json(),
                                message_id=event.id, type=event.type,
                                correlation_id=event.correlation_id))
    sizes = [len(m.body.encode()) for m in messages]
    with PipelinedPublisher(amqp_url) as publisher:
        publisher.publish_batch(messages[:1])  # connection and channel warm; not counted
        rest = messages[1:]
        unroutable = 0
        started = time.perf_counter()
        for k in range(0, len(rest), batch):
            unroutable += len(publisher.publish_batch(rest[k:k + batch]))
        elapsed = time.perf_counter() - started
    if unroutable:
        raise RuntimeError(f"{unroutable} raw message(s) were unroutable")
    return {"count": len(rest), "seconds": elapsed, "rate": len(rest) / elapsed,
            "body_mean": statistics.mean(sizes), "body_min": min(sizes), "body_max": max(sizes)}


def fill_outbox(db: Database, n: int) -> dict:
    """An empty outbox (created on the first call, truncated after), then n events in it."""
    outbox, _inbox = add_messaging_tables(sa.MetaData())
    outbox.metadata.create_all(db.engine, tables=[outbox])
    with db.engine.begin() as c:
        c.execute(sa.text("TRUNCATE outbox"))
    started = time.perf_counter()
    for k in range(0, n, INSERT_TX):
        with db.transaction() as session:
            for i in range(k, min(k + INSERT_TX, n)):
                publish(session, TEST_EVENT, payload(i), PRODUCER)
    elapsed = time.perf_counter() - started
    with db.engine.connect() as c:
        c.execute(sa.text("ANALYZE outbox"))  # as autovacuum would on a long-lived outbox
        c.commit()
        sizes = c.execute(sa.text("SELECT avg(octet_length(body)), min(octet_length(body)), "
                                  "max(octet_length(body)) FROM outbox")).one()
    return {"seconds": elapsed, "rate": n / elapsed, "body_mean": float(sizes[0]),
            "body_min": sizes[1], "body_max": sizes[2]}


def relay_phase(db: Database, amqp_url: str, exchange: str, n: int, batch: int) -> dict:
    relay = OutboxRelay(db, amqp_url, exchange, batch_size=batch)
    durations, total = [], 0
    try:
        started = time.perf_counter()
        while True:
            t0 = time.perf_counter()
            got = relay.run_once()
            if not got:
                break
            durations.append(time.perf_counter() - t0)
            total += got
        elapsed = time.perf_counter() - started
    finally:
        relay.close()
    with db.engine.connect() as c:
        left = c.execute(sa.text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar()
    if total != n or left:
        raise RuntimeError(f"relay published {total} of {n} events, {left} left in the outbox")
    return {"count": total, "seconds": elapsed, "rate": total / elapsed, "batches": len(durations),
            "first_batch_ms": durations[0] * 1000,
            "median_batch_ms": statistics.median(durations) * 1000}


# --- environment and report ----------------------------------------------------------------
def rabbitmq_version(server_properties: dict) -> str:
    if shutil.which("rabbitmqctl"):
        try:
            out = subprocess.run(["rabbitmqctl", "version"], check=False, capture_output=True,
                                 text=True, timeout=20)
            if out.returncode == 0 and out.stdout.strip():
                return out.stdout.strip().splitlines()[-1]
        except (OSError, subprocess.SubprocessError):
            pass
    version = server_properties.get("version") if server_properties else None
    if isinstance(version, bytes):
        version = version.decode()
    return f"{version} (from the AMQP handshake)" if version else "unknown"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    return f"{os.cpu_count()} CPUs (nproc) {cpu}{mem}, {platform.system()} {platform.release()}"


def median(values: list[float]) -> float:
    return statistics.median(values)


def render_section(r: dict) -> str:
    rounds = r["rounds"]
    raw_rate = median([x["raw"]["rate"] for x in rounds])
    relay_rate = median([x["relay"]["rate"] for x in rounds])
    ratios = [x["ratio"] for x in rounds]
    verdict = "meets" if r["ratio"] >= TARGET else "misses"
    raw0, fill0 = rounds[0]["raw"], rounds[0]["fill"]
    lines = [
        SECTION,
        "",
        (f"Measured {r['date']} with `.venv/bin/python bench/relay.py --events {r['events']} "
         f"--batch {r['batch']} --rounds {len(rounds)} --write-docs`."),
        "",
        (f"**Relay {relay_rate:,.0f} events/s, raw broker {raw_rate:,.0f} msg/s: ratio "
         f"{r['ratio']:.0f} %** (median of {len(rounds)} rounds; target ≥ {TARGET:.0f} %, which "
         f"this run {verdict})."),
        "",
        ("| round | raw broker, msg/s | outbox relay, events/s | ratio | relay batch, median "
         "| writing the outbox (not compared), events/s |"),
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for i, x in enumerate(rounds, 1):
        lines.append(f"| {i} | {x['raw']['rate']:,.0f} | {x['relay']['rate']:,.0f} "
                     f"| {x['ratio']:.0f} % | {x['relay']['median_batch_ms']:.0f} ms "
                     f"| {x['fill']['rate']:,.0f} |")
    lines.append(f"| **median** | **{raw_rate:,.0f}** | **{relay_rate:,.0f}** "
                 f"| **{r['ratio']:.0f} %** | | |")
    lines += [
        "",
        (f"Ratios ranged from {min(ratios):.0f} % to {max(ratios):.0f} % across the rounds. A "
         "phase lasts one or two seconds on CPUs shared with PostgreSQL and RabbitMQ, so a "
         "single round can be far off when anything else runs on the machine: hence the rounds "
         "and the median."),
        "",
        ("Method. One process, the same broker and the same message shape in both phases: "
         "persistent messages with publisher confirms (a whole batch in flight, one wait per "
         "batch), `mandatory`, to a fresh durable topic exchange `spp.bench.<random>` with one "
         "durable classic queue bound to `#`, so every message is routed and written to disk. "
         "Each round runs the raw phase then the relay phase; the queue is purged after each "
         "phase and deleted at the end, and its depth is checked against the count published."),
        "",
        (f"- Raw broker: {r['events']:,} `{TEST_EVENT}` envelopes built beforehand (JSON bodies "
         f"of {raw0['body_min']}–{raw0['body_max']} bytes, mean {raw0['body_mean']:.0f}), "
         f"published with `PipelinedPublisher.publish_batch` in batches of {r['batch']} on an "
         f"already-open connection; the first message warms the connection and is not timed."),
        (f"- Relay: {r['events']:,} events written to an empty outbox with `events.publish()` in "
         f"transactions of {INSERT_TX:,} (bodies {fill0['body_min']}–{fill0['body_max']} bytes, "
         f"mean {fill0['body_mean']:.0f}; not timed, then `ANALYZE`), then "
         f"`OutboxRelay(batch_size={r['batch']}).run_once()` called until it returns 0. Each "
         "call selects a batch `FOR UPDATE SKIP LOCKED`, publishes it and marks it published in "
         "the same transaction; the timing includes opening the relay's broker connection."),
        (f"- Database: {r['db_where']} on PostgreSQL {r['pg_version']}, created for the run and "
         "dropped after it."),
        (f"- Machine: {r['machine']}; RabbitMQ {r['rabbitmq']}; Python "
         f"{platform.python_version()}, pika {pika.__version__}, SQLAlchemy {sa.__version__}. "
         "PostgreSQL, RabbitMQ and the benchmark share the machine."),
    ]
    return "\n".join(lines) + "\n"


def write_docs(section: str, path: Path = DOC_PATH) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section.rstrip("\n") + "\n\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20000, help="messages per phase")
    parser.add_argument("--batch", type=int, default=500, help="publish and relay batch size")
    parser.add_argument("--rounds", type=int, default=3,
                        help="raw + relay rounds; the medians are reported (default 3)")
    parser.add_argument("--amqp-url", default=os.environ.get("AMQP_URL") or DEFAULT_AMQP)
    parser.add_argument("--database-url", default=None,
                        help="an existing PostgreSQL database (a private schema is used); "
                             "default: a fresh database on TEST_DATABASE_URL's server or "
                             f"{DEFAULT_SERVER}")
    parser.add_argument("--write-docs", action="store_true",
                        help=f"replace the '{SECTION[3:]}' section of docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.events < 2 or args.batch < 1 or args.rounds < 1:
        parser.error("--events must be at least 2, --batch and --rounds at least 1")

    suffix = secrets.token_hex(4)
    report = {"events": args.events, "batch": args.batch, "rounds": [],
              "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")}
    try:
        with bench_topology(args.amqp_url, suffix) as broker, \
                bench_database(args.database_url, suffix) as (db, where):
            exchange = broker.exchange
            report["db_where"] = where
            with db.engine.connect() as c:
                report["pg_version"] = c.execute(sa.text("SHOW server_version")).scalar()
            print(f"exchange {exchange}, queue {broker.queue}, {where}")
            for i in range(1, args.rounds + 1):
                raw = raw_phase(args.amqp_url, exchange, args.events, args.batch)
                depth = broker.wait_depth(raw["count"] + 1)
                broker.purge()
                print(f"[{i}] raw broker: {raw['count']} messages in {raw['seconds']:.2f} s = "
                      f"{raw['rate']:,.0f} msg/s (body mean {raw['body_mean']:.0f} B; "
                      f"queue {depth})")
                fill = fill_outbox(db, args.events)
                print(f"[{i}] outbox filled: {args.events} events in {fill['seconds']:.2f} s = "
                      f"{fill['rate']:,.0f} ev/s (body mean {fill['body_mean']:.0f} B)")
                rel = relay_phase(db, args.amqp_url, exchange, args.events, args.batch)
                depth = broker.wait_depth(args.events)
                broker.purge()
                ratio = 100 * rel["rate"] / raw["rate"]
                print(f"[{i}] relay: {rel['count']} events in {rel['seconds']:.2f} s = "
                      f"{rel['rate']:,.0f} ev/s ({rel['batches']} batches, median "
                      f"{rel['median_batch_ms']:.0f} ms, first {rel['first_batch_ms']:.0f} ms; "
                      f"queue {depth}); ratio {ratio:.1f} %")
                report["rounds"].append({"raw": raw, "fill": fill, "relay": rel, "ratio": ratio})
            report["rabbitmq"] = rabbitmq_version(broker.server_properties)
    except (PublishError, pika.exceptions.AMQPError) as exc:
        print(f"broker failure during the run, figures discarded: {exc!r}\n(something else "
              "may be closing the broker's connections, e.g. an integration test; rerun)",
              file=sys.stderr)
        return 2
    report["machine"] = machine()
    raw_rate = median([x["raw"]["rate"] for x in report["rounds"]])
    relay_rate = median([x["relay"]["rate"] for x in report["rounds"]])
    report["ratio"] = ratio = median([x["ratio"] for x in report["rounds"]])
    print(f"median of {args.rounds} round(s): relay {relay_rate:,.0f} ev/s, raw broker "
          f"{raw_rate:,.0f} msg/s, ratio relay/raw {ratio:.1f} % (target >= {TARGET:.0f} %)")
    if args.write_docs:
        write_docs(render_section(report))
        print(f"wrote {DOC_PATH.relative_to(ROOT)}")
    print(f"relay: {relay_rate:.0f} ev/s, raw broker {raw_rate:.0f} msg/s, ratio {ratio:.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
