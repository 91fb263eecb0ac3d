"""Moderation's pure rules: routing suggestions, claims, medians, per-field masks."""

from datetime import UTC, datetime, timedelta

import pytest

from services.moderation import domain
from services.moderation.domain import ScreenedField, StructureRef, suggest_structures
from services.moderation.screening import Flag, FlagKind

LYON_CAF = StructureRef("1", "CAF de Lyon", "69003", "Lyon")
LYON_CPAM = StructureRef("2", "CPAM du Rhône", "69003", "Lyon")
VILLEURBANNE = StructureRef("3", "France Travail Villeurbanne", "69100", "Villeurbanne")
MARSEILLE = StructureRef("4", "CAF des Bouches-du-Rhône", "13001", "Marseille")
CLOSED = StructureRef("5", "CAF de Lyon Vaise", "69009", "Lyon", active=False)
ALL = [LYON_CAF, LYON_CPAM, VILLEURBANNE, MARSEILLE, CLOSED]


def ids(suggestions):
    return [s["id"] for s in suggestions]


def test_exact_postal_code_and_name_in_hint_rank_first():
    ranked = suggest_structures(ALL, "69003", "la CAF", "Attente au guichet.")
    assert ids(ranked)[0] == "1"
    assert ranked[0]["name"] == "CAF de Lyon"


def test_exact_postal_code_beats_same_departement():
    ranked = suggest_structures(ALL, "69003", "", "")
    assert ids(ranked) == ["1", "2", "3"]  # 69003 twice (by name), then the 69 département
    assert ranked[0]["score"] == ranked[1]["score"] > ranked[2]["score"] > 0


def test_city_named_in_the_text_counts():
    ranked = suggest_structures(ALL, "", "", "Je suis allé à Villeurbanne hier.")
    assert ids(ranked) == ["3"]


def test_city_matches_without_accents_or_case():
    refs = [StructureRef("9", "Mairie", "42000", "Saint-Étienne")]
    assert ids(suggest_structures(refs, "", "mairie de saint etienne", "")) == ["9"]


def test_name_tokens_in_hint_weigh_more_than_in_text():
    in_hint = suggest_structures([LYON_CPAM], "", "CPAM", "")[0]["score"]
    in_text = suggest_structures([LYON_CPAM], "", "", "la CPAM m'a répondu")[0]["score"]
    assert in_hint > in_text > 0


def test_overseas_departement_has_three_digits():
    refs = [StructureRef("a", "CAF", "97400", "Saint-Denis"),
            StructureRef("b", "CAF", "97100", "Basse-Terre")]
    assert ids(suggest_structures(refs, "97410", "", "")) == ["a"]


def test_inactive_and_unrelated_structures_are_left_out():
    ranked = suggest_structures(ALL, "69009", "", "")
    assert "5" not in ids(ranked)
    assert "4" not in ids(ranked)


def test_nothing_matches_nothing_suggested():
    assert suggest_structures(ALL, "", "", "Texte sans indice.") == []


def test_at_most_five_suggestions():
    refs = [StructureRef(str(i), f"Agence {i}", "75001", "Paris") for i in range(8)]
    assert len(suggest_structures(refs, "75001", "", "")) == domain.SUGGESTION_LIMIT


@pytest.mark.parametrize("code, expected", [("69003", "69"), ("97411", "974"), ("2A004", None),
                                            ("", None), (None, None), ("123", None)])
def test_departement(code, expected):
    assert domain.departement(code) == expected


def test_claim_by_another_moderator_lapses():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    later = now + domain.CLAIM_DURATION
    assert domain.is_claimed_by_other("m1", later, "m2", now)
    assert not domain.is_claimed_by_other("m1", later, "m1", now)
    assert not domain.is_claimed_by_other("m1", now - timedelta(seconds=1), "m2", now)
    assert not domain.is_claimed_by_other(None, None, "m2", now)


def test_median_and_age():
    assert domain.median_seconds([]) is None
    assert domain.median_seconds([timedelta(hours=h) for h in (1, 3, 10)]) == 3 * 3600
    naive = datetime(2026, 1, 1, 12, 0)
    assert domain.age_seconds(naive, datetime(2026, 1, 1, 12, 1, tzinfo=UTC)) == 60


# --- per-field screening and masks

TITLE = "Rappelez au 06 12 34 56 78 svp"  # phone at 12-26
PHONE = Flag(FlagKind.PHONE, 12, 26)
BODY = "Quel bordel, Monsieur Martin m'a reçu."  # vulgarity 5-11, name 13-28
SWEAR = Flag(FlagKind.VULGARITY, 5, 11)
NAME = Flag(FlagKind.PERSON_NAME, 13, 28)


def screened(name="title", text=TITLE, flags=(PHONE,), known=True):
    return ScreenedField(name, text, tuple(flags), known)


def span(flag):
    return {"kind": str(flag.kind), "start": flag.start, "end": flag.end}


def test_screen_fields_flags_every_public_field():
    flags = domain.screen_fields({"title": TITLE, "body": "Rien à signaler.",
                                  "author_name": "camille@example.org", "structure_hint": "CAF"})
    assert list(flags) == list(domain.SCREENED_FIELDS)
    spans = {name: [(f["kind"], f["start"], f["end"]) for f in found]
             for name, found in flags.items()}
    assert ("phone", 12, 26) in spans["title"]
    assert spans["author_name"] == [("email", 0, 19)]
    assert spans["body"] == [] and spans["structure_hint"] == []


def test_screen_field_drops_spans_redact_would_refuse(monkeypatch):
    found = [Flag(FlagKind.PHONE, 0, 5), Flag(FlagKind.EMAIL, 3, 8), Flag(FlagKind.CARD, 6, 40)]
    monkeypatch.setattr(domain, "screen", lambda text, field="body": found)
    assert domain.screen_field("0123456789") == [found[0]]


def test_default_masks_leave_advisory_flags_visible():
    field = screened("body", BODY, (SWEAR, NAME))
    assert field.redacted == "Quel bordel, [nom masqué] m'a reçu."
    shown = field.as_json()
    assert [(f["kind"], f["masked"]) for f in shown["flags"]] == [("vulgarity", False),
                                                                  ("person_name", True)]
    assert shown["text"] == BODY and shown["name"] == "body"


def test_case_fields_of_a_case_opened_before_every_field_was_screened():
    texts = {"title": TITLE, "body": "Appelez le 06 12 34 56 78", "author_name": "",
             "structure_hint": "CAF de Lyon"}
    old = domain.case_fields(texts, [{"kind": "phone", "start": 11, "end": 25}], None)
    assert [f.name for f in old] == list(domain.SCREENED_FIELDS)
    title, body, author, hint = old
    assert title.flags == () and title.redacted == TITLE  # never screened
    assert body.flags == (Flag(FlagKind.PHONE, 11, 25),)
    assert not author.known and title.known and hint.known
    new = domain.case_fields(texts, [], {"title": [domain.flag_to_json(PHONE)]})
    assert new[0].flags == (PHONE,) and new[2].known


def test_a_stored_kind_the_detectors_dropped_still_masks():
    assert domain.flag_from_json({"kind": "gone", "start": 1, "end": 2}).kind == FlagKind.OTHER


def test_no_decision_publishes_the_default_redaction():
    [outcome] = domain.decide_fields([screened()], {})
    assert outcome.published == "Rappelez au [téléphone masqué] svp"
    assert outcome.masks == (PHONE,) and outcome.edited and not outcome.changed
    assert domain.changes([outcome]) == {}


def test_masks_replace_the_defaults_unmasked_and_added_are_recorded():
    added = {"start": 0, "end": 8}  # "Rappelez", kind defaults to other
    [outcome] = domain.decide_fields([screened()], {"title": {"masks": [added]}})
    assert outcome.published == "[passage masqué] au 06 12 34 56 78 svp"
    assert outcome.unmasked == (PHONE,)
    assert outcome.added == (Flag(FlagKind.OTHER, 0, 8),)
    assert domain.changes([outcome]) == {"title": {
        "unmasked": [domain.flag_to_json(PHONE)],
        "added": [{"kind": "other", "start": 0, "end": 8}], "text_edited": False}}


def test_a_wider_mask_keeps_the_flag_masked():
    [outcome] = domain.decide_fields([screened()], {"title": {"masks": [
        {"start": 9, "end": 26, "kind": "phone"}]}})
    assert outcome.published == "Rappelez [téléphone masqué] svp"
    assert outcome.unmasked == () and outcome.added == (Flag(FlagKind.PHONE, 9, 26),)


def test_restating_the_default_masks_changes_nothing():
    [outcome] = domain.decide_fields([screened()], {"title": {"masks": [span(PHONE)]}})
    assert not outcome.changed and outcome.published == "Rappelez au [téléphone masqué] svp"


def test_masking_an_advisory_flag_is_an_added_mask():
    field = screened("body", BODY, (SWEAR, NAME))
    [outcome] = domain.decide_fields([field], {"body": {"masks": [span(SWEAR), span(NAME)]}})
    assert outcome.published == "Quel [propos grossier masqué], [nom masqué] m'a reçu."
    assert outcome.added == (SWEAR,) and outcome.unmasked == ()


def test_a_replacement_text_wins_over_masks():
    decision = {"text": "Rappel demandé", "masks": [span(PHONE)]}
    [outcome] = domain.decide_fields([screened()], {"title": decision})
    assert outcome.published == "Rappel demandé" and outcome.masks == ()
    assert outcome.text_edited and outcome.edited and outcome.changed
    [same] = domain.decide_fields([screened()], {"title": {"text": TITLE}})
    assert same.text_edited and not same.edited


@pytest.mark.parametrize("masks, expected", [
    ([{"start": 5, "end": 5}], ["Masque 1 : le début (5) doit précéder la fin (5)."]),
    ([{"start": 8, "end": 3}], ["Masque 1 : le début (8) doit précéder la fin (3)."]),
    ([{"start": 0, "end": 31}], ["Masque 1 : le passage de 0 à 31 sort du texte, qui compte 30 "
                                 "caractères."]),
    ([{"start": -1, "end": 2}], ["Masque 1 : le passage de -1 à 2 sort du texte, qui compte 30 "
                                 "caractères."]),
    ([{"start": 0, "end": 2, "kind": "secret"}], ["Masque 1 : type « secret » inconnu."]),
    ([{"start": 0, "end": 2, "kind": ""}], ["Masque 1 : type «  » inconnu."]),
    ([{"start": 0, "end": 10}, {"start": 20, "end": 25}, {"start": 5, "end": 12}],
     ["Masques 1 et 3 : les passages se chevauchent."]),
    ([{"start": 0, "end": 20}, {"start": 2, "end": 4}, {"start": 6, "end": 8}],
     ["Masques 1 et 2 : les passages se chevauchent.",
      "Masques 1 et 3 : les passages se chevauchent."]),
])
def test_mask_errors(masks, expected):
    assert domain.mask_errors(TITLE, masks) == expected


def test_adjacent_masks_of_every_kind_are_valid():
    masks = [{"start": i, "end": i + 1, "kind": kind} for i, kind in enumerate(FlagKind)]
    assert domain.mask_errors(TITLE, masks) == []


def test_invalid_decisions_name_each_field_at_fault():
    fields = domain.case_fields({"title": TITLE, "body": BODY, "author_name": "Camille",
                                 "structure_hint": ""}, [], {})
    with pytest.raises(domain.InvalidDecision) as caught:
        domain.decide_fields(fields, {
            "title": {"masks": [{"start": 3, "end": 1}]}, "body": {"text": "  "},
            "structure_hint": {"masks": [{"start": 0, "end": 1}]}, "place": {"text": "x"},
            "author_name": {"masks": [{"start": 0, "end": 3}]}})
    assert caught.value.errors == {
        "place": ["Champ inconnu."],
        "title": {"masks": ["Masque 1 : le début (3) doit précéder la fin (1)."]},
        "body": {"text": ["Le texte publié ne peut pas être vide."]},
        "structure_hint": {"masks": ["Masque 1 : le passage de 0 à 1 sort du texte, qui compte 0 "
                                     "caractères."]}}


@pytest.mark.parametrize("name, text, ok", [
    ("title", "x" * 300, True), ("title", "x" * 301, False), ("title", " \n", False),
    ("body", "x" * 20_000, True), ("body", "x" * 20_001, False), ("author_name", "", True),
    ("author_name", "x" * 201, False), ("structure_hint", "", True),
    ("structure_hint", "x" * 401, False), ("author_name", "Cam\x00ille", False)])
def test_text_bounds(name, text, ok):
    assert (domain.text_errors(name, text) == []) is ok


def test_published_and_edited_fields_of_a_case_opened_before():
    fields = domain.case_fields({"title": "Bonjour", "body": "Merci.", "author_name": "",
                                 "structure_hint": "CAF"}, [], None)
    outcomes = domain.decide_fields(fields, {})
    # the author name was never kept: the usager's own stays where it is
    assert domain.published_fields(outcomes) == {"title": "Bonjour", "body": "Merci.",
                                                 "author_name": None, "structure_hint": "CAF"}
    assert domain.edited_fields(outcomes) == []
    renamed = domain.decide_fields(fields, {"author_name": {"text": "Un usager"}})
    assert domain.published_fields(renamed)["author_name"] == "Un usager"
    assert domain.edited_fields(renamed) == ["author_name"]


def test_preview_warns_of_personal_data_left_in_a_replaced_text():
    [edited] = domain.decide_fields([screened()], {"title": {"text": "Appelez le 06 12 34 56 78"}})
    shown = domain.preview(edited)
    assert {"kind": "phone", "start": 11, "end": 25} in shown["warnings"]
    assert shown["masks"] == [] and shown["text"] == TITLE and shown["text_edited"]
    [masked] = domain.decide_fields([screened()], {})
    assert domain.preview(masked) == {
        "name": "title", "text": TITLE, "published": "Rappelez au [téléphone masqué] svp",
        "masks": [span(PHONE)], "edited": True, "text_edited": False, "warnings": []}


@pytest.mark.parametrize("name, text, ok", [
    ("title", "Accueil à la CAF", True), ("title", "Accueil\nà la CAF", False),
    ("author_name", "\u202eadmin", False), ("structure_hint", "CAF\tde Lyon", False),
    ("author_name", "Camille \u2067A\u2069", False),
    ("body", "Bonjour,\r\nmerci \u202e", True)])  # a long text keeps its lines and its marks
def test_a_replacement_title_or_name_reads_as_one_line(name, text, ok):
    errors = domain.text_errors(name, text)
    assert (errors == []) is ok
    assert ok or errors == ["Le texte publié doit tenir sur une ligne, sans retour à la ligne ni "
                            "caractère invisible de mise en forme."]
