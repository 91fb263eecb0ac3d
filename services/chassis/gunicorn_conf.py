"""gunicorn settings shared by `make up` and the deployment (`-c python:services.chassis.gunicorn_conf`).

The access log leaves out the query string (evaluation and password links carry their token
there; searches may carry names) and the client address: no secrets, no personal data. The path
is written with its control characters escaped: a %0d%0a in a URL cannot forge a log line.
"""

import logging
import os
import re
import shutil
import tempfile
from datetime import UTC, datetime

from gunicorn.glogging import Logger

from services.chassis import heartbeat
from services.chassis.startup import freeze_start_up

accesslog = "-"
access_log_format = '%(m)s %(U)s %(s)s %(B)s %(M)sms'  # what AccessLogger writes
timeout = 60
logger_class = "services.chassis.gunicorn_conf.AccessLogger"
# gunicorn's defaults, written out: the bounds of a request line and its headers.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190


# /metrics adds up every worker's counters (prometheus_client's multiprocess mode): each worker
# writes its figures to files in a folder of this server's own, and a scrape reads them all,
# whichever worker answers it. The folder is named in the master before any worker is forked
# and before prometheus_client is first imported (it picks its mode then); never one inherited
# from another process (another service started by `make up`).
_metrics: dict = {}


def on_starting(server):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics["dir"] = tempfile.mkdtemp(
        prefix="spp-metrics-")
    from prometheus_client import multiprocess

    _metrics["multiprocess"] = multiprocess


def child_exit(server, worker):
    if _metrics:
        _metrics["multiprocess"].mark_process_dead(worker.pid)


def on_exit(server):
    if _metrics:
        shutil.rmtree(_metrics["dir"], ignore_errors=True)


def post_fork(server, worker):
    heartbeat.attach(worker)  # streamed answers report the worker alive (heartbeat.py)


def post_worker_init(worker):
    freeze_start_up()  # the app is loaded: its objects are the worker's for good

# Line breaks of any kind (C0, DEL, C1 with NEL, U+2028/2029) and the backslash that escapes them.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\\\\]")


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    if code == 0x5C:
        return "\\\\"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def loggable(text: str) -> str:
    """`text` on one line: a WSGI string (bytes as latin-1) read as UTF-8, controls escaped."""
    try:
        text = text.encode("latin-1").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        pass  # not a WSGI string: already text
    return _UNSAFE.sub(_escaped, text)


class _Stamped(logging.Formatter):
    """An access line starts with its time, in UTC as the JSON logs' `ts`: var/log's files have
    no other clock (gunicorn's own access format has none either)."""

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class AccessLogger(Logger):
    """Writes the access line above directly. gunicorn's generic `atoms` copy every header and
    environ entry into a dict for each request (see docs/benchmarks.md)."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.access_log.handlers:
            handler.setFormatter(_Stamped("%(asctime)s %(message)s"))

    def access(self, resp, req, environ, request_time):
        if not self.cfg.accesslog:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        sent = getattr(resp, "sent", None)
        millis = request_time.seconds * 1000 + request_time.microseconds // 1000
        method, path = environ.get("REQUEST_METHOD") or "-", environ.get("PATH_INFO") or ""
        if not (path.isascii() and path.isprintable() and "\\" not in path):
            path = loggable(path)
        if not (method.isascii() and method.isprintable()):
            method = loggable(method)
        self.access_log.info("%s %s %s %s %sms", method, path, status,
                             "-" if sent is None else sent, millis)
