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
