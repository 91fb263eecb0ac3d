"""The locust users of bench/pages.py: agents, public visitors and moderators on the web pages.

Run by bench/pages.py (`locust -f bench/pages_locust.py --headless ...`), which seeds the
platform and hands this file what it made through BENCH_PAGES_SPEC (a JSON file: accounts,
experience ids, case ids, filter values). Every request after BENCH_PAGES_WARMUP seconds is
written to BENCH_PAGES_OUT (one JSON line each: page kind, ms, ok), for exact percentiles.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, between, events, task

SPEC = json.loads(open(os.environ["BENCH_PAGES_SPEC"]).read())
WARMUP = float(os.environ.get("BENCH_PAGES_WARMUP", "30"))
WAIT = [float(v) for v in os.environ.get("BENCH_PAGES_WAIT", "5,15").split(",")]
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_started = [None]
_samples: list[str] = []
_agents = itertools.cycle(SPEC["agents"])
_moderators = itertools.cycle(SPEC["moderators"])


_lags: list[tuple[float, float]] = []  # (time, seconds late) of this process's event loop


def _watch_loop():
    """How late a 50 ms sleep wakes up: a stall of locust itself, not of the platform."""
    while True:
        t = time.perf_counter()
        gevent.sleep(0.05)
        late = time.perf_counter() - t - 0.05
        if late > 0.02:
            _lags.append((time.time(), late))


@events.test_start.add_listener
def _start(**_):
    _started[0] = time.time()
    gevent.spawn(_watch_loop)


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception, **_):
    now = time.time()
    if _started[0] is not None and now - _started[0] >= WARMUP:
        _samples.append(json.dumps([name, response_time, exception is None, round(now, 3)]))


@events.quitting.add_listener
def _write(**_):
    with open(os.environ["BENCH_PAGES_OUT"], "w") as out:
        out.write("\n".join(_samples) + "\n")
        out.write(json.dumps({"loop_lags": _lags}) + "\n")


class _Browser(FastHttpUser):
    abstract = True
    wait_time = between(*WAIT)

    def page(self, path: str, name: str) -> None:
        """A page that must answer 200 itself (a redirect is a lost session: an error)."""
        with self.client.get(path, name=name, allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")

    def login(self, email: str) -> None:
        form = self.client.get("/connexion", name="login")
        token = _CSRF.search(form.text or "")
        body = urlencode({"email": email, "password": SPEC["password"],
                          "csrf_token": token.group(1) if token else ""})
        with self.client.post("/connexion", data=body, name="login", allow_redirects=False,
                              headers={"Content-Type": "application/x-www-form-urlencoded"},
                              catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"login {response.status_code}")


class Agent(_Browser):
    """An agent (or a regional super agent) going through the list and its experiences."""

    fixed_count = len(SPEC["agents"])

    def on_start(self):
        self.account = next(_agents)
        self.login(self.account["email"])

    @task(4)
    def own_list(self):
        self.page("/agent/experiences", "agent: list")

    @task(2)
    def filtered(self):
        status = random.choice(["to_process", "awaiting_validation", "answered"])
        self.page(f"/agent/experiences?status={status}", "agent: list by status")

    @task(1)
    def search(self):
        self.page("/agent/experiences?" + urlencode({"q": random.choice(SPEC["terms"])}),
                  "agent: list search")

    @task(1)
    def later_page(self):
        self.page(f"/agent/experiences?page={random.randint(2, 5)}", "agent: list page 2-5")

    @task(5)
    def experience(self):
        self.page(f"/agent/experiences/{random.choice(self.account['experiences'])}",
                  "agent: experience")


class Visitor(_Browser):
    """A member of the public: home, the published list, its search and filters, an
    experience."""

    fixed_count = SPEC["visitors"]

    @task(2)
    def home(self):
        self.page("/", "public: home")

    @task(3)
    def published(self):
        self.page("/experiences", "public: list")

    @task(1)
    def later_page(self):
        self.page(f"/experiences?page={random.randint(2, 50)}", "public: list page 2-50")

    @task(3)
    def search_or_filter(self):
        choice = random.random()
        if choice < 0.4:
            params = {"q": random.choice(SPEC["terms"])}
        elif choice < 0.7:
            params = {"network_id": SPEC["network_id"],
                      "feeling": random.choice(["positive", "neutral", "negative"])}
        elif choice < 0.85:
            params = {"network_id": SPEC["network_id"],
                      "structure_id": random.choice(SPEC["structures"])}
        else:
            params = {"department": random.choice(SPEC["departments"]),
                      "answered": random.choice(["true", "false"])}
        self.page("/experiences?" + urlencode(params), "public: search/filters")

    @task(4)
    def experience(self):
        self.page(f"/experiences/{random.choice(SPEC['published'])}", "public: experience")


class Moderator(_Browser):
    """A moderator: the queue, then a case."""

    fixed_count = len(SPEC["moderators"])

    def on_start(self):
        self.login(next(_moderators))

    @task(2)
    def queue(self):
        self.page("/moderation", "moderation: queue")

    @task(3)
    def case(self):
        self.page(f"/moderation/cas/{random.choice(SPEC['cases'])}", "moderation: case")
