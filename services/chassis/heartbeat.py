"""A long answer in progress tells gunicorn's master that its worker is alive.

A sync worker reports between requests only: the master kills one that has been silent longer
than `timeout` (gunicorn_conf.py), which cut open-data downloads of a million rows mid-stream.
A streamed answer calls `beat()` at each chunk it sends: a download that keeps going is never
cut, and one stuck in a query is still killed after `timeout`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_worker = None  # gunicorn's worker object in a gunicorn worker process (set by post_fork)

CHUNK = 64 * 1024


def attach(worker) -> None:
    global _worker
    _worker = worker


def beat() -> None:
    if _worker is not None:
        _worker.notify()


def chunks(pieces: Iterable[str], size: int = CHUNK) -> Iterator[str]:
    """`pieces` joined into chunks of at least `size` characters (the last one shorter), each
    sent with a heartbeat: few writes to the socket, and the worker alive all along."""
    buffer: list[str] = []
    held = 0
    for piece in pieces:
        buffer.append(piece)
        held += len(piece)
        if held >= size:
            beat()
            yield "".join(buffer)
            buffer, held = [], 0
    beat()
    yield "".join(buffer)


def each(pieces: Iterable[T]) -> Iterator[T]:
    """`pieces` (already of a good size: a file passed on) as they come, each with a heartbeat."""
    for piece in pieces:
        beat()
        yield piece
