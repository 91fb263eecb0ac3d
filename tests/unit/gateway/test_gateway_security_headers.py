"""The gateway's hardening headers and its machine routes, kept off the internet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.chassis.config import Settings
from services.gateway.app import create_app

TEMPLATES = Path(__file__).resolve().parents[3] / "services" / "gateway" / "templates"


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.delenv("SPP_SECRET_KEY", raising=False)
    return create_app(Settings.from_env("gateway"), clients={}, var_dir=tmp_path).test_client()


@pytest.mark.parametrize("path", ["/connexion", "/donner-mon-avis", "/page-qui-n-existe-pas"])
def test_every_page_carries_the_hardening_headers(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(client):
    response = client.get("/static/gateway.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers["Cache-Control"]


def test_hsts_only_when_cookies_are_secure(tmp_path, monkeypatch):
    monkeypatch.delenv("SPP_SECRET_KEY", raising=False)
    monkeypatch.setenv("SPP_COOKIE_SECURE", "1")
    secure = create_app(Settings.from_env("gateway"), clients={}, var_dir=tmp_path).test_client()
    assert "max-age=" in secure.get("/connexion").headers["Strict-Transport-Security"]


@pytest.mark.parametrize("path", ["/metrics", "/readyz", "/openapi.json"])
@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP"])
def test_machine_routes_are_not_served_through_the_proxy(client, path, header):
    assert client.get(path, headers={header: "203.0.113.7"}).status_code == 404


def test_machine_routes_answer_inside_the_deployment(client):
    assert client.get("/metrics").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_no_template_needs_an_inline_script_or_style():
    """The policy forbids them: an inline one would silently not run in the browser."""
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"\sstyle=|\son[a-z]+=|<style", text), template
        assert not re.search(r"<script(?![^>]*\ssrc=)", text), template


@pytest.mark.parametrize("target", [
    "//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/evil.example",
    "/\r\nSet-Cookie: x=1", "https://evil.example/", "/\u3000/evil.example", "/\x00",
    "javascript:alert(1)", "", None, "/" + "a" * 3000,
])
def test_a_login_target_off_this_site_is_refused(target):
    from services.gateway.views.agent import safe_next

    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/agent/experiences", "/agent/experiences/e1?page=2",
                                    "/moderation/cas/c1#decision"])
def test_a_path_on_this_site_is_kept(target):
    from services.gateway.views.agent import safe_next

    assert safe_next(target) == target


def test_a_crlf_in_next_is_no_500(client):
    response = client.get("/connexion?next=/%0d%0aSet-Cookie:%20x=1")
    assert response.status_code == 200
    assert "Set-Cookie: x=1" not in str(response.headers)
