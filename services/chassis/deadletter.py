"""Dead-letter queues: list, show, replay to the original routing key.

    python -m services.chassis.deadletter list experiences
    python -m services.chassis.deadletter show experiences [--limit 20]
    python -m services.chassis.deadletter replay experiences [--limit N]
"""

from __future__ import annotations

import argparse
import json
import sys

import pika

from services.chassis.amqp import Message, PipelinedPublisher, connection_parameters
from services.chassis.config import SERVICE_PORTS, Settings
from services.chassis.consumer import ATTEMPTS_HEADER, REASON_HEADER, ROUTING_KEY_HEADER


def dlq_name(settings: Settings) -> str:
    return f"{settings.queue_prefix}.{settings.service}.dlq"


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


def _release(handle, ack: bool) -> None:
    conn, ch, taken = handle
    for method, _, _ in taken:
        if ack:
            ch.basic_ack(method.delivery_tag)
        else:
            ch.basic_nack(method.delivery_tag, requeue=True)
    conn.close()


def replay(settings: Settings, limit: int = 1000) -> int:
    """Republish dead letters to the exchange with their original routing key, attempts reset."""
    letters, handle = fetch(settings, limit, remove=True)
    ok = False
    try:
        messages = []
        for props, body in letters:
            headers = dict(props.headers or {})
            key = headers.pop(ROUTING_KEY_HEADER, None) or props.type
            headers.pop(ATTEMPTS_HEADER, None)
            headers["x-spp-replayed-reason"] = headers.pop(REASON_HEADER, "")
            messages.append(Message(exchange=settings.exchange, routing_key=key, body=body,
                                    message_id=props.message_id or "", headers=headers,
                                    type=props.type, correlation_id=props.correlation_id))
        with PipelinedPublisher(settings.amqp_url) as publisher:
            publisher.publish_batch(messages)
        ok = True
        return len(messages)
    finally:
        _release(handle, ack=ok)  # acked only once the republished copies are confirmed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deadletter", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["list", "show", "replay"])
    parser.add_argument("service", choices=[s for s in SERVICE_PORTS if s != "gateway"])
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args(argv)
    settings = Settings.from_env(args.service)
    if args.command == "list":
        depth = queue_depth(settings)
        print(f"{dlq_name(settings)}: {'absent' if depth is None else depth} message(s)")
    elif args.command == "show":
        letters, handle = fetch(settings, args.limit, remove=False)
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
            _release(handle, ack=False)
    else:
        print(f"replayed {replay(settings, args.limit)} message(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
