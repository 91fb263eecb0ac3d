"""Streamed answers in chunks, each with a heartbeat to gunicorn's master."""

from __future__ import annotations

from services.chassis import gunicorn_conf, heartbeat


class Worker:
    def __init__(self):
        self.beats = 0

    def notify(self):
        self.beats += 1


def test_pieces_are_joined_into_chunks_each_sent_with_a_beat(monkeypatch):
    worker = Worker()
    monkeypatch.setattr(heartbeat, "_worker", None)
    gunicorn_conf.post_fork(None, worker)  # as gunicorn calls it in each worker
    pieces = [f"ligne {n}\n" for n in range(1000)]
    chunks = list(heartbeat.chunks(iter(pieces), size=100))
    assert "".join(chunks) == "".join(pieces)
    assert all(len(c) >= 100 for c in chunks[:-1]) and len(chunks) > 50
    assert worker.beats == len(chunks)


def test_outside_gunicorn_nothing_is_told():
    heartbeat.attach(None)
    assert list(heartbeat.chunks(["a", "b"], size=10)) == ["ab"]
