"""Personal data in any field of an experience reaches no public place, unless a moderator
explicitly unmasks it: public API, public pages and their titles, open data, agents' e-mails."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.support.e2e import ADMIN, PASSWORD, login, mails_to, post, text_of, url, wait_until

# On both databases: SQLite as `make up` runs it, and PostgreSQL (tests/e2e/conftest.py).
pytestmark = [pytest.mark.e2e,
              pytest.mark.parametrize("platform", ["sqlite", "postgresql"], indirect=True)]

PHONES = {"title": "06 12 34 56 78", "body": "07.98.76.54.32", "author_name": "0611223344",
          "structure_hint": "+33 6 55 44 33 22"}
EMAILS = {"title": "jeanne.leclerc@example.org", "body": "j.leclerc@exemple.fr",
          "author_name": "jl75@example.net", "structure_hint": "jeanne-pro@example.com"}


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)[-8:]  # the subscriber's digits, whatever the layout


def _leaks(text: str) -> list[str]:
    squeezed = re.sub(r"\D", "", text)
    found = [p for p in PHONES.values() if _digits(p) in squeezed]
    return found + [e for e in EMAILS.values() if e.lower() in text.lower()]


@pytest.fixture(scope="module")
def setting(platform):
    tag = uuid.uuid4().hex[:8]
    admin = login(*ADMIN)
    network = post("identity", "/networks", admin, code=f"PD{tag}", name=f"Réseau {tag}",
                   requires_validation=False)
    structure = post("identity", "/structures", admin, network_id=network["id"],
                     name=f"Agence {tag}", postal_code="69003", city="Lyon")
    agent = f"agent.{tag}@caf.example.fr"
    post("identity", "/users", admin, email=agent, name=f"Agent {tag}", profile="agent",
         missions=["answer"], network_id=network["id"], structure_ids=[structure["id"]],
         password=PASSWORD)
    moderator = f"moderateur.{tag}@ditp.example.fr"
    post("identity", "/users", admin, email=moderator, name=f"Modérateur {tag}",
         profile="moderator", missions=[], network_id=None, structure_ids=[], password=PASSWORD)
    return {"structure": structure, "agent": agent, "moderator": login(moderator, PASSWORD)}


def _submit(marker: str) -> str:
    return post("experiences", "/experiences", expect=(202,),
                title=f"{marker} rappelez-moi au {PHONES['title']} ou {EMAILS['title']}",
                body=(f"{marker} L'accueil a perdu mon dossier. Écrivez-moi à {EMAILS['body']} "
                       f"ou appelez le {PHONES['body']} le matin."),
                structure_hint=f"Guichet 3, {PHONES['structure_hint']}, {EMAILS['structure_hint']}",
                postal_code="69003", channel="in_person", occurred_on="2026-11-02",
                feeling="negative", author_name=f"{PHONES['author_name']} {EMAILS['author_name']}",
                author_email=f"usager.{marker}@example.org")["id"]


def _case_of(moderator: dict, exp_id: str) -> dict:
    def pending():
        listing = requests.get(url("moderation", "/cases?status=pending&per_page=100"),
                               headers=moderator, timeout=10).json()["items"]
        found = next((c for c in listing if c["experience_id"] == exp_id), None)
        return found and requests.get(url("moderation", f"/cases/{found['id']}"),
                                      headers=moderator, timeout=10).json()

    case = wait_until(pending, 30)
    assert case, "moderation never opened a case"
    return case


def _published(exp_id: str) -> dict:
    def ready():
        response = requests.get(url("experiences", f"/experiences/{exp_id}"), timeout=10)
        return response.ok and response.json()
    public = wait_until(ready, 30)
    assert public, "the experience was never published"
    return public


def _everything_public(exp_id: str, marker: str, agent: str, mail_folder) -> dict[str, str]:
    """Every place the experience shows up outside moderation, as text."""
    places = {
        "api": requests.get(url("experiences", f"/experiences/{exp_id}"), timeout=10).text,
        "api list": requests.get(url("experiences", "/experiences"), params={"q": marker},
                                 timeout=10).text,
        "page": requests.get(url("gateway", f"/experiences/{exp_id}"), timeout=10).text,
        "public list": requests.get(url("gateway", "/experiences"), params={"q": marker},
                                    timeout=10).text,
        "open data": requests.get(url("experiences", "/open-data/experiences.csv"),
                                  timeout=30).text,
        "open data through the gateway": requests.get(
            url("gateway", "/donnees-ouvertes/experiences.json"), timeout=30).text,
    }
    page_title = re.search(r"<title>(.*?)</title>", places["page"], re.S)
    places["page title"] = page_title.group(1) if page_title else ""
    mails = wait_until(lambda: [m for m in mails_to(mail_folder, agent) if marker in str(m["Subject"])
                                or marker in text_of(m)], 30)
    assert mails, "the agent was never told"
    places["agent mail"] = "\n".join(f"{m['Subject']}\n{text_of(m)}" for m in mails)
    return places


def test_phones_and_emails_in_every_field_are_flagged_and_never_published(platform, setting):
    marker = f"pd{uuid.uuid4().hex[:6]}"
    exp_id = _submit(marker)
    case = _case_of(setting["moderator"], exp_id)
    fields = {f["name"]: f for f in case["fields"]}
    for name in PHONES:
        kinds = sorted(f["kind"] for f in fields[name]["flags"])
        assert "phone" in kinds and "email" in kinds, (name, fields[name])
        assert not _leaks(fields[name]["redacted"]), (name, fields[name]["redacted"])

    post("moderation", f"/cases/{case['id']}/approve", setting["moderator"],
         structure_id=setting["structure"]["id"])
    public = _published(exp_id)
    assert marker in public["title"]
    places = _everything_public(exp_id, marker, setting["agent"], platform["mail"])
    assert marker in places["page"] and marker in places["open data"]
    assert marker in places["open data through the gateway"]
    for place, text in places.items():
        assert not _leaks(text), f"personal data in the {place}: {_leaks(text)}"


def test_only_what_the_moderator_unmasks_is_published(platform, setting):
    marker = f"pd{uuid.uuid4().hex[:6]}"
    exp_id = _submit(marker)
    case = _case_of(setting["moderator"], exp_id)
    body = next(f for f in case["fields"] if f["name"] == "body")
    kept = [{"start": f["start"], "end": f["end"], "kind": f["kind"]} for f in body["flags"]
            if f["kind"] != "phone"]  # she judges the body's phone number fit to publish
    start = body["text"].index("perdu mon dossier")
    kept.append({"start": start, "end": start + len("perdu mon dossier")})
    post("moderation", f"/cases/{case['id']}/approve", setting["moderator"],
         structure_id=setting["structure"]["id"], fields={"body": {"masks": kept}})
    public = _published(exp_id)
    assert PHONES["body"] in public["body"]
    assert "perdu mon dossier" not in public["body"] and "[passage masqué]" in public["body"]
    places = _everything_public(exp_id, marker, setting["agent"], platform["mail"])
    for place, text in places.items():
        assert _leaks(text) in ([], [PHONES["body"]]), f"personal data in the {place}"
