"""Pure rules of the mails to staff: the tree walked up, who hears of a validation, the digest's
sections and subject, where each link leads."""

from __future__ import annotations

from services.notifier import domain
from services.notifier.domain import EmailKind


def test_ancestors_nearest_first_and_a_loop_stops():
    parent_of = {"agence": "region", "region": "national", "national": None}
    assert domain.ancestors("agence", parent_of) == ["agence", "region", "national"]
    assert domain.ancestors("inconnue", parent_of) == ["inconnue"]
    assert domain.ancestors("a", {"a": "b", "b": "a"}) == ["a", "b"]


def test_validation_is_told_to_whoever_wrote_or_sent_it_not_the_validator():
    assert domain.response_authors("u-1", "u-2", "u-9") == ["u-2", "u-1"]
    assert domain.response_authors("u-1", "u-1", "u-9") == ["u-1"]
    assert domain.response_authors("u-9", "u-1", "u-9") == ["u-1"]  # she amended, he sent
    assert domain.response_authors("u-1", "u-1", None) == []  # no validation: nothing to tell
    assert domain.response_authors(None, None, "u-9") == []


def _item(kind, title="T"):
    return {"kind": str(kind), "title": title, "link": "L"}


def test_digest_sections_in_order_without_empty_ones():
    items = [_item(EmailKind.EVALUATED, "E"), _item(EmailKind.TO_PROCESS, "N"),
             _item(EmailKind.REASSIGNED, "R"), _item(EmailKind.RESPONSE_TO_VALIDATE, "V")]
    sections = domain.digest_sections(items)
    assert [s["heading"] for s in sections] == [
        "Nouvelles expériences à traiter pour votre structure",
        "Réponses qui attendent votre validation", "Réponses évaluées par les usagers"]
    assert [i["title"] for i in sections[0]["items"]] == ["N", "R"]


def test_an_item_of_an_unknown_kind_is_listed_with_those_to_process():
    sections = domain.digest_sections([_item("quelque_chose_de_nouveau", "X")])
    assert sections[0]["heading"].startswith("Nouvelles expériences")
    assert [i["title"] for i in sections[0]["items"]] == ["X"]


def test_digest_subject_keeps_the_usual_words_for_experiences_to_process_only():
    only_new = [_item(EmailKind.TO_PROCESS), _item(EmailKind.REASSIGNED)]
    assert domain.digest_headline(only_new) == \
        "Services Publics+ : 2 nouvelles expériences à traiter"
    mixed = only_new + [_item(EmailKind.RESPONSE_VALIDATED)]
    assert domain.digest_headline(mixed) == \
        "Votre récapitulatif Services Publics+ : 3 notifications"


def test_an_accepted_reorientation_links_to_the_public_page():
    gateway = "https://spp.example"
    assert domain.staff_link(gateway, EmailKind.REORIENTATION_ACCEPTED, "e 1") == \
        "https://spp.example/experiences/e%201"
    for kind in (EmailKind.TO_PROCESS, EmailKind.RESPONSE_TO_VALIDATE, EmailKind.EVALUATED,
                 EmailKind.RESPONSE_VALIDATED):
        assert domain.staff_link(gateway, kind, "e-1") == "https://spp.example/agent/experiences/e-1"


def test_every_staff_kind_has_a_subject_and_feelings_read_in_french():
    for kind in (EmailKind.RESPONSE_VALIDATED, EmailKind.REORIENTATION_ACCEPTED,
                 EmailKind.EVALUATED):
        assert "{title}" in domain.SUBJECTS[kind]
    assert domain.feeling_word("negative") == "négatif"
    assert domain.feeling_word(None) == "non indiqué"
