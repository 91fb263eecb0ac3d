import logging
from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config

from services.chassis import gunicorn_conf
from services.chassis.gunicorn_conf import AccessLogger


def _logger(accesslog="-"):
    cfg = Config()
    for name in ("accesslog", "access_log_format", "logger_class"):
        cfg.set(name, getattr(gunicorn_conf, name))
    cfg.set("accesslog", accesslog)
    return AccessLogger(cfg)


def _capture(logger) -> list[str]:
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    logger.access_log.addHandler(handler)
    return lines


def _request(sent=512):
    resp = SimpleNamespace(status="202 ACCEPTED", sent=sent, headers=[("Content-Type", "x")])
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/experiences", "RAW_URI":
               "/experiences?token=secret", "QUERY_STRING": "token=secret",
               "REMOTE_ADDR": "203.0.113.9", "SERVER_PROTOCOL": "HTTP/1.1"}
    return resp, SimpleNamespace(headers=[]), environ, timedelta(seconds=1, microseconds=234_567)


def test_the_line_has_method_path_status_size_and_time_only():
    logger = _logger()
    lines = _capture(logger)
    logger.access(*_request())
    assert lines == ["POST /experiences 202 512 1234ms"]


def test_the_line_matches_gunicorns_own_rendering_of_the_configured_format():
    logger = _logger()
    resp, req, environ, took = _request()
    expected = gunicorn_conf.access_log_format % logger.atoms_wrapper_class(
        logger.atoms(resp, req, environ, took))
    lines = _capture(logger)
    logger.access(resp, req, environ, took)
    assert lines == [expected]


def test_nothing_sent_yet_is_a_dash_and_no_access_log_means_no_line():
    logger = _logger()
    lines = _capture(logger)
    logger.access(*_request(sent=None))
    assert lines == ["POST /experiences 202 - 1234ms"]
    quiet = _logger(accesslog=None)
    lines = _capture(quiet)
    quiet.access(*_request())
    assert lines == []


def test_a_line_break_in_the_path_cannot_forge_a_second_line():
    logger = _logger()
    lines = _capture(logger)
    resp, req, environ, took = _request()
    # gunicorn hands the percent-decoded path over as latin-1: %0d%0a became a real CR LF
    environ["PATH_INFO"] = "/experiences\r\n203.0.113.1 GET /admin 200 0 1ms\x1b[2K\x85"
    logger.access(resp, req, environ, took)
    assert len(lines) == 1 and "\n" not in lines[0] and "\r" not in lines[0]
    # (a lone byte 0x85 is no UTF-8: written as its escape, whose backslash is escaped too)
    assert lines[0] == ("POST /experiences\\x0d\\x0a203.0.113.1 GET /admin 200 0 1ms\\x1b[2K"
                        "\\\\x85 202 512 1234ms")


def test_a_path_reads_as_utf8_and_a_backslash_stays_unambiguous():
    logger = _logger()
    lines = _capture(logger)
    resp, req, environ, took = _request()
    environ["PATH_INFO"] = "/caf\xc3\xa9/\xe2\x80\xa8/a\\x0a"  # é, U+2028, a literal backslash
    logger.access(resp, req, environ, took)
    assert lines == ["POST /café/\\u2028/a\\\\x0a 202 512 1234ms"]


def test_a_json_log_line_stays_one_line_and_encodable():
    import io
    import json

    from services.chassis.logs import JsonFormatter

    stream = io.BytesIO()
    handler = logging.StreamHandler(io.TextIOWrapper(stream, encoding="utf-8", errors="strict",
                                                     write_through=True))
    handler.setFormatter(JsonFormatter("test"))
    log = logging.getLogger("test.json_lines")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("a\nb\u2028c\ud800d é")
    finally:
        log.removeHandler(handler)
    written = stream.getvalue().decode("utf-8")
    assert written.count("\n") == 1 and "\u2028" not in written
    assert json.loads(written)["message"] == "a\nb\u2028c\ud800d é"


def test_the_written_line_starts_with_its_time_in_utc(capsys):
    import re

    logger = _logger()
    logger.access(*_request())
    written = capsys.readouterr().out.splitlines()
    assert len(written) == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 "
                        r"POST /experiences 202 512 1234ms", written[0]), written
