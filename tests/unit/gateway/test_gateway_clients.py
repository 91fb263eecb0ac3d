"""The service client: JSON errors become exceptions with their field errors."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import requests

from services.gateway.clients import ServiceClient, ServiceError, Unavailable
from services.gateway.presenters import (
    date_fr,
    field_message,
    highlight_flags,
    iso_date,
    page_number,
    pagination,
    response_of,
    search_text,
    token_claims,
)


class FakeSession:
    def __init__(self, status=200, body=None, exc=None, raw: bytes | None = None):
        self.status, self.body, self.exc, self.raw, self.calls = status, body, exc, raw, []

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        if self.exc:
            raise self.exc
        response = requests.Response()
        response.status_code = self.status
        response._content = self.raw if self.raw is not None else \
            json.dumps(self.body).encode() if self.body is not None else b""
        return response


@pytest.mark.parametrize("experience_id,sent", [
    ("abc?status=submitted", "/experiences/abc%3Fstatus%3Dsubmitted/response"),
    ("abc#x", "/experiences/abc%23x/response"),
    ("%2e%2e", "/experiences/%252e%252e/response"),
    ("é", "/experiences/%C3%A9/response"),
])
def test_an_id_from_a_page_url_stays_one_path_segment(experience_id, sent):
    """Flask decodes the page's URL: the id it gives may hold what would make another path."""
    session = FakeSession(200, {})
    client = ServiceClient("experiences", base_url="http://x:1", session=session)
    client.post(f"/experiences/{experience_id}/response", json={})
    client.download(f"/experiences/{experience_id}/response")
    assert [url for _method, url, _kwargs in session.calls] == [f"http://x:1{sent}"] * 2


@pytest.mark.parametrize("experience_id", ["..", "."])
def test_a_dot_segment_never_reaches_a_service(experience_id):
    session = FakeSession(200, {})
    client = ServiceClient("experiences", base_url="http://x:1", session=session)
    with pytest.raises(ServiceError) as refused:
        client.post(f"/experiences/{experience_id}/reassign", json={})
    assert refused.value.status == 404 and session.calls == []


def test_success_returns_json_and_sends_token_forwarded_for_and_timeout():
    session = FakeSession(202, {"id": "1", "status": "submitted"})
    client = ServiceClient("experiences", base_url="http://x:1/", session=session)
    answer = client.post("/experiences", json={"a": 1}, token="T", forwarded_for="1.2.3.4",
                         params={"q": "", "page": 2})
    assert answer == {"id": "1", "status": "submitted"}
    method, url, kwargs = session.calls[0]
    assert (method, url) == ("POST", "http://x:1/experiences")
    assert kwargs["headers"]["Authorization"] == "Bearer T"
    assert kwargs["headers"]["X-Forwarded-For"] == "1.2.3.4"
    assert kwargs["params"] == {"page": 2} and kwargs["timeout"]


def test_4xx_error_carries_field_errors():
    session = FakeSession(422, {"code": "validation_error", "message": "Invalide",
                                "errors": {"title": ["Obligatoire."], "x": "seul"}})
    with pytest.raises(ServiceError) as caught:
        ServiceClient("experiences", base_url="http://x", session=session).get("/e")
    assert caught.value.status == 422 and caught.value.code == "validation_error"
    assert caught.value.errors == {"title": ["Obligatoire."], "x": ["seul"]}
    assert not isinstance(caught.value, Unavailable)


def test_5xx_and_connection_errors_are_unavailable_in_french():
    with pytest.raises(Unavailable) as caught:
        ServiceClient("x", base_url="http://x", session=FakeSession(502, None)).get("/")
    assert "indisponible" in caught.value.message
    with pytest.raises(Unavailable):
        ServiceClient("x", base_url="http://x",
                      session=FakeSession(exc=requests.ConnectTimeout())).get("/")


def test_non_json_error_body_still_gives_a_message():
    session = FakeSession(404)
    session.body = None
    with pytest.raises(ServiceError) as caught:
        ServiceClient("x", base_url="http://x", session=session).get("/")
    assert caught.value.status == 404 and caught.value.message


def test_highlight_escapes_and_merges_overlapping_flags():
    html = str(highlight_flags("<b>Jean Dupont</b> 0612345678",
                               [{"kind": "person_name", "start": 3, "end": 14},
                                {"kind": "insult", "start": 8, "end": 12},
                                {"kind": "phone", "start": 19, "end": 29},
                                {"kind": "email", "start": 50, "end": 10}]))
    assert html.startswith("&lt;b&gt;<mark")
    assert html.count("<mark") == 2 and "Nom de personne, Injure" in html
    assert "<mark title=\"Numéro de téléphone\">0612345678</mark>" in html


def test_response_of_accepts_nested_or_flat_shapes():
    assert response_of({"response": {"body": "B"}})["body"] == "B"
    assert response_of({"response_body": "B", "response_signature": "S"})["signature"] == "S"
    assert response_of({"response": None}) is None
    draft = {"response": None, "response_draft": {"body": "D"}}
    assert response_of(draft) is None
    assert response_of(draft, draft=True)["body"] == "D"


def test_pagination_and_token_claims():
    assert pagination({"total": 21, "page": 3, "per_page": 10}, 1, 10) == {
        "page": 3, "pages": 3, "total": 21, "previous": 2, "next": None}
    assert token_claims("not-a-token") == {}


def test_get_all_follows_the_pages_of_a_list():
    """A network with more structures than one page (France Travail has about 900 agencies)."""
    pages = {1: [{"id": str(i)} for i in range(500)], 2: [{"id": str(i)} for i in range(500, 903)]}

    class Paged(ServiceClient):
        def __init__(self):
            super().__init__("identity", base_url="http://identity.invalid")
            self.seen = []

        def get(self, path, **kwargs):
            page = kwargs["params"]["page"]
            self.seen.append((path, kwargs["params"]))
            return {"items": pages.get(page, []), "total": 903, "page": page, "per_page": 500}

    client = Paged()
    found = client.get_all("/structures", params={"network_id": "n1"}, token="t")
    assert [s["id"] for s in found] == [str(i) for i in range(903)]
    assert [p["page"] for _, p in client.seen] == [1, 2]
    assert client.seen[0][1] == {"network_id": "n1", "page": 1, "per_page": 500}


def test_get_all_reads_past_a_capped_total():
    pages = {1: [{"id": str(i)} for i in range(500)], 2: [{"id": str(i)} for i in range(500, 700)]}

    class Capped(ServiceClient):
        def __init__(self):
            super().__init__("experiences", base_url="http://experiences.invalid")

        def get(self, path, **kwargs):
            page = kwargs["params"]["page"]
            return {"items": pages.get(page, []), "total": 500, "total_capped": True,
                    "page": page, "per_page": 500}

    assert len(Capped().get_all("/experiences", params={"q": "accueil"}, token="t")) == 700


@pytest.mark.parametrize("status,raw", [(204, b""), (200, b"null"), (201, b"  ")])
def test_an_empty_success_body_is_an_empty_answer(status, raw):
    client = ServiceClient("x", base_url="http://x", session=FakeSession(status, raw=raw))
    assert client.put("/e", json={}) == {}


@pytest.mark.parametrize("raw", [b"", b"null", b"<html>Bad Gateway</html>"])
def test_an_empty_or_foreign_error_body_is_a_service_error(raw):
    with pytest.raises(ServiceError) as caught:
        ServiceClient("x", base_url="http://x", session=FakeSession(409, raw=raw)).post("/e")
    assert caught.value.status == 409 and caught.value.errors == {}
    assert caught.value.message == "La demande n'a pas pu aboutir."


def test_date_fr_gives_paris_days_for_datetimes_and_leaves_plain_dates():
    assert date_fr("2026-11-02") == "02/11/2026"
    assert date_fr(date(2026, 3, 5)) == "05/03/2026"
    assert date_fr("2026-11-02T23:30:00+00:00") == "03/11/2026"  # already the 3rd in Paris
    assert date_fr("2026-07-14T21:59:00Z") == "14/07/2026"  # 23:59 in summer
    assert date_fr("2026-07-14T22:00:00") == "15/07/2026"  # naive: UTC, as the APIs answer
    assert date_fr(datetime(2026, 1, 1, 0, 30, tzinfo=UTC)) == "01/01/2026"
    assert date_fr(None) == "" and date_fr("") == "" and date_fr("bientôt") == "bientôt"


def test_iso_date_reads_french_and_iso_dates():
    assert iso_date("05/03/2026") == "2026-03-05" and iso_date(" 5/3/2026 ") == "2026-03-05"
    assert iso_date("2026-03-05") == "2026-03-05" and iso_date("") == "" and iso_date(None) == ""
    for wrong in ("31/02/2026", "05/03/26", "2026/03/05", "demain"):
        with pytest.raises(ValueError):
            iso_date(wrong)


def test_page_number_and_search_text_bounds():
    assert [page_number(r) for r in (None, "", "7", "-1", "1e3", "10000", "10001")] == [
        1, 1, 7, 1, 1, 10000, 10000]
    assert search_text("\x00 a\nb\u0085 ") == "ab" and len(search_text("é" * 500)) == 200
    assert search_text(None) == ""


def test_field_message_drops_the_internal_field_name():
    assert field_message("Le champ « occurred_on » ne peut pas être une date future.") == \
        "Ce champ ne peut pas être une date future."
    assert field_message("Le code postal doit compter 5 chiffres.") == \
        "Le code postal doit compter 5 chiffres."


def test_nested_field_errors_get_dotted_names():
    from services.gateway.clients import flat_errors

    nested = {"structure_id": ["Requis."],
              "fields": {"title": {"masks": {0: {"start": ["Trop grand."]}, 1: ["Chevauche."]}}}}
    assert flat_errors(nested) == {"structure_id": ["Requis."],
                                   "fields.title.masks.0.start": ["Trop grand."],
                                   "fields.title.masks.1": ["Chevauche."]}


class StreamSession:
    """A requests session whose answer is read chunk by chunk, like a real streamed one."""

    def __init__(self, status, content: bytes, headers=None):
        self.status, self.content, self.headers, self.calls = status, content, headers or {}, []

    def request(self, method, url, **kwargs):
        import io

        self.calls.append((method, url, kwargs))
        response = requests.Response()
        response.status_code = self.status
        response.raw = io.BytesIO(self.content)
        response.headers.update(self.headers)
        return response


def test_stream_passes_chunks_with_type_and_name_and_forwards_the_address():
    body = b"id,title\r\n" + b"e,x\r\n" * 40_000
    session = StreamSession(200, body, {"Content-Type": "text/csv",
                                        "Content-Disposition": "attachment; filename=e.csv"})
    client = ServiceClient("experiences", "http://exp", session=session)
    chunks, content_type, name = client.stream("/open-data/experiences.csv",
                                               forwarded_for="198.51.100.9")
    [(method, url, kwargs)] = session.calls
    assert (method, url) == ("GET", "http://exp/open-data/experiences.csv")
    assert kwargs["stream"] is True and kwargs["headers"]["X-Forwarded-For"] == "198.51.100.9"
    pieces = list(chunks)
    assert len(pieces) > 1 and b"".join(pieces) == body
    assert (content_type, name) == ("text/csv", "e.csv")


def test_stream_errors_carry_the_retry_after():
    session = StreamSession(429, json.dumps({"code": "rate_limited", "message": "Trop"}).encode(),
                            {"Retry-After": "60"})
    client = ServiceClient("experiences", "http://exp", session=session)
    with pytest.raises(ServiceError) as raised:
        client.stream("/open-data/experiences.csv", forwarded_for="198.51.100.9")
    assert raised.value.status == 429 and raised.value.retry_after == "60"
