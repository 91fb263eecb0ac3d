"""Dead letters: the service's dead-letter queue, and the outbox rows its relay quarantined.

    python -m services.chassis.deadletter list experiences [--limit 20]
    python -m services.chassis.deadletter show experiences [--limit 20]
    python -m services.chassis.deadletter replay experiences [--limit N]
    python -m services.chassis.deadletter drop experiences MESSAGE_ID
    python -m services.chassis.deadletter retry experiences ROW [--new-correlation-id]
    python -m services.chassis.deadletter discard experiences ROW

list and show cover both (list gives each dead letter's message id, show its body too); replay
sends the queue's letters back to that service's own queue only (the default exchange, routing
key = the queue's name: the other services bound to the event already had it); drop deletes the
dead letters of one message id (a poison that no replay will cure); retry puts a quarantined
outbox row (ROW, its id in `list`) back in the outbox once the cause is fixed (a broker limit
raised; --new-correlation-id for an id the broker cannot carry); discard deletes one.
"""

from __future__ import annotations

import argparse
import json
import sys

import pika
import sqlalchemy as sa

from services.chassis.amqp import connection_parameters
from services.chassis.config import SERVICE_PORTS, Settings
from services.chassis.consumer import ATTEMPTS_HEADER, REASON_HEADER, ROUTING_KEY_HEADER
from services.chassis.db import Database
from services.chassis.events import secret_fields
from services.chassis.relay import discard_quarantined, quarantined, retry_quarantined


def queue_name(settings: Settings) -> str:
    """The service's own queue (what Topology.build names it)."""
    return f"{settings.queue_prefix}.{settings.service}"


def dlq_name(settings: Settings) -> str:
    return f"{queue_name(settings)}.dlq"


def queue_depth(settings: Settings) -> int | None:
    conn = pika.BlockingConnection(connection_parameters(settings.amqp_url))
    try:
        ch = conn.channel()
        try:
            return ch.queue_declare(dlq_name(settings), passive=True).method.message_count
        except pika.exceptions.ChannelClosedByBroker:
            return None
    finally:
        if conn.is_open:
            conn.close()


def fetch(settings: Settings, limit: int, remove: bool):
    """Read up to `limit` dead letters; unless `remove`, they are put back (nacked)."""
    conn = pika.BlockingConnection(connection_parameters(settings.amqp_url))
    ch = conn.channel()
    taken = []
    try:
        for _ in range(limit):
            method, props, body = ch.basic_get(dlq_name(settings), auto_ack=False)
            if method is None:
                break
            taken.append((method, props, body))
        return [(props, body) for _, props, body in taken], (conn, ch, taken)
    except Exception:
        conn.close()
        raise


def _release(handle, ack: bool, keep=None) -> None:
    """Ack the letters taken (all, or those `keep` says no to), put the others back."""
    conn, ch, taken = handle
    try:
        if ch.is_open:  # a closed channel has given its unacked letters back already
            for method, props, _ in taken:
                if ack and (keep is None or not keep(props)):
                    ch.basic_ack(method.delivery_tag)
                else:
                    ch.basic_nack(method.delivery_tag, requeue=True)
    finally:
        if conn.is_open:
            conn.close()


def replay(settings: Settings, limit: int = 1000) -> int:
    """Send dead letters back to their service's own queue, attempts reset.

    The default exchange with the queue's name as routing key reaches that queue alone: through
    the shared topic exchange every service bound to the event type would have it again. The
    properties (message id, correlation id, type, delivery mode) and headers are kept, the
    original routing key among them (a new failure dead-letters it under the same key); the
    reason becomes x-spp-replayed-reason. Acked only once every copy is confirmed.
    """
    letters, handle = fetch(settings, limit, remove=True)
    _, ch, _ = handle
    ok = False
    try:
        ch.confirm_delivery()
        for props, body in letters:
            headers = dict(props.headers or {})
            headers.pop(ATTEMPTS_HEADER, None)
            headers["x-spp-replayed-reason"] = headers.pop(REASON_HEADER, "")
            props.headers = headers
            # mandatory: no such queue raises UnroutableError, and nothing is acked
            ch.basic_publish("", queue_name(settings), body, props, mandatory=True)
        ok = True
        return len(letters)
    finally:
        _release(handle, ack=ok)


def drop(settings: Settings, message_id: str, limit: int = 100_000) -> int:
    """Delete the dead letters of `message_id` (`list` gives it); the others stay. How many went."""
    letters, handle = fetch(settings, limit, remove=True)
    doomed = sum(1 for props, _ in letters if props.message_id == message_id)
    _release(handle, ack=True, keep=lambda props: props.message_id != message_id)
    return doomed


def _letter_line(props) -> str:
    headers = props.headers or {}
    reason = str(headers.get(REASON_HEADER) or "")
    return (f"  {props.message_id or '(no message id)'}  {headers.get(ROUTING_KEY_HEADER) or props.type}"
            f"  attempts {headers.get(ATTEMPTS_HEADER, '-')}: {' '.join(reason.split())[:200]}")


def shown_body(body: str, limit: int = 2000) -> str:
    """A quarantined body as an operator reads it: its secret fields hidden, cut at `limit`."""
    try:
        envelope = json.loads(body)
        secrets = secret_fields(envelope) if isinstance(envelope, dict) else ()
        payload = envelope.get("payload") if secrets else None
    except (ValueError, RecursionError):
        return body[:limit]
    if not isinstance(payload, dict):
        return body[:limit]
    for name in secrets:
        if payload.get(name):
            payload[name] = "(secret)"
    return json.dumps(envelope, ensure_ascii=False)[:limit]


def _queue_lines(settings: Settings, limit: int) -> None:
    try:
        depth = queue_depth(settings)
    except pika.exceptions.AMQPError as exc:
        print(f"{dlq_name(settings)}: broker unreachable ({type(exc).__name__})")
        return
    print(f"{dlq_name(settings)}: {'absent' if depth is None else depth} message(s)"
          + (f" (the first {limit})" if depth and depth > limit else ""))
    if depth:
        letters, handle = fetch(settings, limit, remove=False)
        _release(handle, ack=False)
        for props, _ in letters:
            print(_letter_line(props))


def _quarantine(db: Database, limit: int) -> list | None:
    try:
        return quarantined(db, limit)
    except sa.exc.SQLAlchemyError as exc:
        print(f"outbox quarantine: unreadable ({type(exc).__name__}: is the database migrated?)")
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deadletter", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["list", "show", "replay", "drop", "retry", "discard"])
    parser.add_argument("service", choices=[s for s in SERVICE_PORTS if s != "gateway"])
    parser.add_argument("id", nargs="?", help="a quarantined outbox row (retry, discard), "
                        "a dead letter's message id (drop)")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--new-correlation-id", action="store_true",
                        help="retry: give the event a fresh correlation id")
    args = parser.parse_args(argv)
    if args.command == "drop" and not args.id:
        parser.error("drop needs the dead letter's message id (see list)")
    if args.command in ("retry", "discard"):
        if args.id is None or not args.id.isdigit():
            parser.error(f"{args.command} needs the quarantined row's id (see list)")
        args.row = int(args.id)
    settings = Settings.from_env(args.service)
    if args.command == "list":
        _queue_lines(settings, args.limit)
        db = Database(settings.database_url)
        rows = _quarantine(db, args.limit)
        if rows is not None:
            print(f"outbox quarantine: {len(rows)} row(s)"
                  + (f" (the first {args.limit})" if len(rows) == args.limit else ""))
            for row in rows:
                print(f"  {row.id}  {row.event_type}  {row.event_id}  quarantined "
                      f"{row.quarantined_at}: {row.reason[:200]}")
        db.dispose()
    elif args.command == "show":
        try:
            letters, handle = fetch(settings, args.limit, remove=False)
        except pika.exceptions.AMQPError as exc:
            print(f"{dlq_name(settings)}: absent or unreachable ({type(exc).__name__})")
            letters, handle = [], None
        try:
            for props, body in letters:
                headers = props.headers or {}
                print(json.dumps({
                    "message_id": props.message_id,
                    "routing_key": headers.get(ROUTING_KEY_HEADER),
                    "attempts": headers.get(ATTEMPTS_HEADER),
                    "reason": headers.get(REASON_HEADER),
                    "body": body.decode("utf-8", "replace")[:2000],
                }, ensure_ascii=False))
        finally:
            if handle is not None:
                _release(handle, ack=False)
        db = Database(settings.database_url)
        for row in _quarantine(db, args.limit) or ():
            print(json.dumps({
                "quarantined_row": row.id, "event_id": row.event_id,
                "event_type": row.event_type, "created_at": str(row.created_at),
                "quarantined_at": str(row.quarantined_at), "reason": row.reason,
                "body": shown_body(row.body),
            }, ensure_ascii=False))
        db.dispose()
    elif args.command == "retry":
        db = Database(settings.database_url)
        event_id = retry_quarantined(db, args.row, new_correlation_id=args.new_correlation_id)
        db.dispose()
        if event_id is None:
            print(f"no quarantined row {args.row}", file=sys.stderr)
            return 1
        print(f"row {args.row} (event {event_id}) is back in the outbox")
    elif args.command == "discard":
        db = Database(settings.database_url)
        gone = discard_quarantined(db, args.row)
        db.dispose()
        if not gone:
            print(f"no quarantined row {args.row}", file=sys.stderr)
            return 1
        print(f"row {args.row} discarded")
    elif args.command == "drop":
        gone = drop(settings, args.id)
        if not gone:
            print(f"no dead letter {args.id} in {dlq_name(settings)}", file=sys.stderr)
            return 1
        print(f"dead letter {args.id} dropped" + (f" ({gone} copies)" if gone > 1 else ""))
    else:
        print(f"replayed {replay(settings, args.limit)} message(s) to {queue_name(settings)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
