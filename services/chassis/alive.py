"""A worker's heartbeat, read by its health check: `python -m services.chassis.alive <service> [s]`.

The worker's consumer touches `var/<service>-worker.alive` on each turn of its loop, which runs
at least once a second while it is connected to the broker and handling what arrives (a worker
with no consumer: its outbox relay, after each look into the outbox). A worker that cannot log
in to the broker, lost it, or is stuck in a handler stops beating, and the check fails: it exits
1 when the file is older than the given seconds (default 60) or absent, else 0.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from services.chassis.config import VAR, private_dir

BEAT_EVERY_S = 5.0  # at most one write this often: the loop turns many times a second when busy
DEFAULT_MAX_AGE_S = 60.0


def heartbeat_file(service: str, folder: Path | None = None) -> Path:
    return (folder or VAR) / f"{service}-worker.alive"


class Heartbeat:
    def __init__(self, service: str, folder: Path | None = None):
        self.path = heartbeat_file(service, folder)
        self._last = float("-inf")

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self._last < BEAT_EVERY_S:
            return
        self._last = now
        try:
            private_dir(self.path.parent)
            self.path.touch()
        except OSError:
            pass  # a read-only or full disk fails the health check, which says so soon enough


def age(service: str, folder: Path | None = None) -> float | None:
    """Seconds since the last beat, or None when there was none."""
    try:
        return time.time() - os.stat(heartbeat_file(service, folder)).st_mtime
    except FileNotFoundError:
        return None


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print("usage: python -m services.chassis.alive <service> [max age in seconds]",
              file=sys.stderr)
        return 2
    max_age = float(argv[1]) if len(argv) > 1 else DEFAULT_MAX_AGE_S
    seconds = age(argv[0])
    if seconds is None:
        print(f"{argv[0]} worker: no heartbeat yet", file=sys.stderr)
        return 1
    if seconds > max_age:
        print(f"{argv[0]} worker: last heartbeat {seconds:.0f} s ago", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
