"""The moderation case page: every screened field with its flags, the moderator's masks kept in
the form, previewed and approved through a faked moderation API."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from services.gateway import masks
from services.gateway.clients import ServiceError, Unavailable, flat_errors
from services.gateway.presenters import highlight_flags
from tests.support.gateway import BODY, CASE, NAME, PHONE, VULGAR, csrf_of, login_as

USAGER_WORDS = ("Jean", "Dupont", "06 12", "bordel", "CAF de Lyon")


@pytest.fixture
def moderator(app, fakes):
    """A moderator's browser, the case c1 waiting."""
    browser = app.test_client()
    login_as(browser, fakes, profile="moderator")
    fakes["moderation"].answers[("GET", "/cases/c1")] = CASE
    return browser


def page_csrf(browser) -> str:
    return csrf_of(browser.get("/moderation/cas/c1").get_data(as_text=True))


def default_form(csrf: str, **changes) -> MultiDict:
    """The decision form as the page sends it untouched, with `changes` replacing keys."""
    form = MultiDict([("csrf_token", csrf), ("decision_form", "1"),
                      ("title-masks", "0:11"),
                      ("body-masks", f"{NAME[0]}:{NAME[1]}"),
                      ("body-masks", f"{PHONE[0]}:{PHONE[1]}")])
    for key, value in changes.items():
        form.setlist(key, value if isinstance(value, list) else [value])
    return form


def posts(fakes, path):
    return [c for c in fakes["moderation"].calls if c["method"] == "POST" and c["path"] == path]


def title_of(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


# The page ------------------------------------------------------------------------------------------
def test_the_page_shows_each_field_with_its_flags_and_published_text(moderator):
    html = moderator.get("/moderation/cas/c1").get_data(as_text=True)
    for heading in ("Titre", "Témoignage", "Nom affiché (pseudonyme)", "Lieu ou service indiqué"):
        assert f'class="fr-h4">{heading}</h2>' in html
    # Flags highlighted with their kind said in words; the advisory one marked as kept.
    assert ('<mark title="Numéro de téléphone">06 12 34 56 78</mark>'
            '<span class="fr-sr-only"> (Numéro de téléphone, masqué)</span>') in html
    assert ('<mark title="Grossièreté" class="spp-mark--kept">bordel</mark>'
            '<span class="fr-sr-only"> (Grossièreté, non masqué)</span>') in html
    # One checkbox per flag, checked when masked by default.
    assert re.search(rf'name="body-masks" value="{PHONE[0]}:{PHONE[1]}" checked>', html)
    assert re.search(rf'name="body-masks" value="{VULGAR[0]}:{VULGAR[1]}">', html)
    assert "Masquer « 06 12 34 56 78 » (Numéro de téléphone)" in html
    assert "Masquer « bordel » (Grossièreté)" in html
    assert "Signalement douteux : la clé de contrôle ne correspond pas" in html
    # The published texts, then the facts nobody screens.
    assert 'id="title-publie">[nom masqué] à la CAF</div>' in html
    assert "[téléphone masqué]" in html and 'id="structure_hint-publie">CAF de Lyon<' in html
    facts = html[html.index('id="titre-informations"'):html.index('id="titre-approuver"')]
    for fact in ("69003", "Téléphone", "30/10/2026", "Négatif", "02/11/2026"):
        assert fact in facts
    # Every control labelled; the selection button exists only for the script to reveal.
    for name in ("title", "body", "author_name", "structure_hint"):
        assert f'<label class="fr-label" for="{name}-passage">Masquer aussi ce passage' in html
        assert f'<label class="fr-label" for="{name}-text">Modifier le texte publié' in html
        assert f'<legend class="fr-fieldset__legend" id="{name}-legend">' in html
        assert f'data-selection-for="{name}" hidden>' in html
    assert 'formaction="/moderation/cas/c1/approbation">Approuver et publier</button>' in html
    assert 'action="/moderation/cas/c1/refus"' in html


def test_no_usager_text_in_the_page_title(moderator, fakes):
    html = moderator.get("/moderation/cas/c1").get_data(as_text=True)
    assert title_of(html) == "Dossier C1 du 02/11/2026 — Modération — Services Publics+"
    bad = moderator.post("/moderation/cas/c1/previsualisation", data=default_form(
        page_csrf(moderator), **{"body-passage": "Jean Dupont junior"}))
    title = title_of(bad.get_data(as_text=True))
    assert title == "Erreur — Dossier C1 du 02/11/2026 — Modération — Services Publics+"
    assert not any(word in title for word in USAGER_WORDS)


def test_a_field_the_usager_left_empty_has_nothing_to_mask(moderator, fakes):
    fields = [dict(f, text="", redacted="") if f["name"] == "author_name" else f
              for f in CASE["fields"]]
    fakes["moderation"].answers[("GET", "/cases/c1")] = dict(CASE, fields=fields)
    html = moderator.get("/moderation/cas/c1").get_data(as_text=True)
    assert "Non renseigné par l'usager." in html and 'name="author_name-passage"' not in html


# Preview and approve ------------------------------------------------------------------------------
def test_unchecking_a_flag_and_adding_a_passage_are_previewed(moderator, fakes):
    fakes["moderation"].answers[("POST", "/cases/c1/preview")] = {"fields": [
        {"name": "body", "text": BODY, "published": "Je suis [nom masqué], appelez-moi au "
         "06 12 34 56 78. Quel bordel à la [passage masqué].", "masks": [], "edited": True,
         "text_edited": False, "warnings": []}]}
    form = default_form(page_csrf(moderator), **{
        "body-masks": f"{NAME[0]}:{NAME[1]}", "body-passage": "CAF", "action": "preview"})
    response = moderator.post("/moderation/cas/c1/previsualisation", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    caf = BODY.index("CAF")
    assert posts(fakes, "/cases/c1/preview")[-1]["json"] == {"fields": {"body": {"masks": [
        {"start": NAME[0], "end": NAME[1], "kind": "person_name"},
        {"start": caf, "end": caf + 3, "kind": "other"}]}}}
    # The added passage is now a checked box (kept by a hidden field); the phone is unchecked.
    assert re.search(rf'name="body-masks" value="{caf}:{caf + 3}" checked>', html)
    assert f'name="body-added" value="{caf}:{caf + 3}"' in html
    assert "Masquer « CAF » (Passage masqué par la modération)" in html
    assert re.search(rf'name="body-masks" value="{PHONE[0]}:{PHONE[1]}">', html)
    assert 'id="body-passage" name="body-passage"\n               value=""' in html
    assert "à la [passage masqué].</div>" in html
    assert "Texte qui sera publié (prévisualisation de vos choix)" in html
    assert "Prévisualisation à jour" in html and 'role="status"' in html


def test_the_previewed_choices_are_approved_with_the_structure(moderator, fakes):
    fakes["moderation"].answers[("POST", "/cases/c1/approve")] = {"id": "c1"}
    caf = BODY.index("CAF")
    form = default_form(page_csrf(moderator), **{
        "body-masks": [f"{NAME[0]}:{NAME[1]}", f"{caf}:{caf + 3}"],
        "body-added": f"{caf}:{caf + 3}", "title-passage": "CAF", "structure_id": "s9"})
    response = moderator.post("/moderation/cas/c1/approbation", data=form)
    assert response.status_code == 302 and response.location.endswith("/moderation")
    assert posts(fakes, "/cases/c1/approve")[-1]["json"] == {"structure_id": "s9", "fields": {
        "title": {"masks": [{"start": 0, "end": 11, "kind": "person_name"},
                            {"start": 17, "end": 20, "kind": "other"}]},
        "body": {"masks": [{"start": NAME[0], "end": NAME[1], "kind": "person_name"},
                           {"start": caf, "end": caf + 3, "kind": "other"}]}}}


def test_an_untouched_form_approves_the_default_redaction(moderator, fakes):
    fakes["moderation"].answers[("POST", "/cases/c1/approve")] = {"id": "c1"}
    response = moderator.post("/moderation/cas/c1/approbation", data=default_form(
        page_csrf(moderator), structure_id="s9"))
    assert response.status_code == 302
    assert posts(fakes, "/cases/c1/approve")[-1]["json"] == {"structure_id": "s9"}
    assert not posts(fakes, "/cases/c1/preview")


def test_an_edited_text_is_sent_as_text_and_its_warnings_shown(moderator, fakes):
    edited = "Appelez Jean au 06 99 88 77 66."
    fakes["moderation"].answers[("POST", "/cases/c1/preview")] = {"fields": [
        {"name": "author_name", "text": "Jean D.", "published": "Un usager", "masks": [],
         "edited": True, "text_edited": True, "warnings": []},
        {"name": "body", "text": BODY, "published": edited, "masks": [], "edited": True,
         "text_edited": True, "warnings": [{"kind": "phone", "start": 16, "end": 30}]}]}
    form = default_form(page_csrf(moderator), **{
        "body-text": edited.replace(".", ".\r\n"), "author_name-text": "  Un usager  "})
    html = moderator.post("/moderation/cas/c1/previsualisation",
                          data=form).get_data(as_text=True)
    assert posts(fakes, "/cases/c1/preview")[-1]["json"] == {"fields": {
        "body": {"text": edited}, "author_name": {"text": "Un usager"}}}
    assert '<mark title="Numéro de téléphone" class="spp-mark--kept">06 99 88 77 66</mark>' in html
    assert "contient peut-être encore des données personnelles (Numéro de téléphone)" in html
    assert "Texte remplacé par votre saisie." in html
    assert 'name="body-text"' in html and f">{edited}</textarea>" in html  # kept to rework
    fakes["moderation"].answers[("POST", "/cases/c1/approve")] = {"id": "c1"}
    form["structure_id"] = "s9"
    moderator.post("/moderation/cas/c1/approbation", data=form)
    assert posts(fakes, "/cases/c1/approve")[-1]["json"]["fields"] == {
        "body": {"text": edited}, "author_name": {"text": "Un usager"}}


def test_a_passage_not_found_is_an_error_on_its_field(moderator, fakes):
    form = default_form(page_csrf(moderator), **{"body-passage": "jean dupont",
                                                 "structure_id": "s9"})
    response = moderator.post("/moderation/cas/c1/approbation", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert not posts(fakes, "/cases/c1/approve")  # nothing published while it is not masked
    assert 'id="body-passage-error-1">Passage introuvable' in html
    assert 'href="#body-passage">Témoignage — passage à masquer : Passage introuvable' in html
    assert re.search(r'id="body-passage" name="body-passage"\s+value="jean dupont"[^>]*'
                     r'aria-describedby="body-passage-messages" '
                     r'aria-invalid="true"', html)
    assert 'class="fr-input-group fr-input-group--error"' in html
    assert 'name="structure_id" value="s9"\n             checked' in html


def test_an_api_refusal_of_the_title_masks_is_shown_on_the_title(moderator, fakes):
    message = "Les passages masqués se chevauchent."
    fakes["moderation"].answers[("POST", "/cases/c1/approve")] = ServiceError(
        422, "validation_error", "Certains champs sont invalides.",
        {"fields.title.masks": [message]})
    form = default_form(page_csrf(moderator), **{"title-masks": [], "structure_id": "s9"})
    response = moderator.post("/moderation/cas/c1/approbation", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert posts(fakes, "/cases/c1/approve")[-1]["json"]["fields"] == {"title": {"masks": []}}
    assert f'id="title-masks-error-1">{message}</p>' in html
    assert 'class="fr-fieldset fr-fieldset--error" id="title-masks"' in html
    assert f'href="#title-masks">Titre — passages à masquer : {message}' in html
    assert re.search(r'name="title-masks" value="0:11">', html)  # her choice is kept


def test_a_nested_api_error_reaches_its_field_too(moderator, fakes):
    # marshmallow nests the errors of nested schemas; the client gives them dotted names.
    fakes["moderation"].answers[("POST", "/cases/c1/preview")] = ServiceError(
        422, "validation_error", "Certains champs sont invalides.", flat_errors(
            {"fields": {"body": {"value": {"text": ["Ce champ ne peut pas être vide."]}},
                        "title": {"value": {"masks": {0: {"kind": ["Valeur invalide."]}}}}}}))
    form = default_form(page_csrf(moderator), **{"body-text": "x"})
    html = moderator.post("/moderation/cas/c1/previsualisation",
                          data=form).get_data(as_text=True)
    assert 'id="body-text-error-1">Ce champ ne peut pas être vide.</p>' in html
    assert 'id="title-masks-error-1">Valeur invalide.</p>' in html
    assert "Prévisualisation à jour" not in html


def test_a_tampered_or_overlapping_mask_is_a_field_error_not_a_crash(moderator, fakes):
    form = default_form(page_csrf(moderator), **{"body-masks": ["x:y", "5:100000"]})
    response = moderator.post("/moderation/cas/c1/previsualisation", data=form)
    assert response.status_code == 400
    assert 'id="body-masks-error-1">Un passage coché n&#39;est pas valide' in (
        response.get_data(as_text=True))
    both = default_form(page_csrf(moderator), **{"body-masks": [
        f"{NAME[0]}:{NAME[1]}", f"{NAME[0] + 5}:{NAME[1] + 3}"]})
    response = moderator.post("/moderation/cas/c1/previsualisation", data=both)
    assert response.status_code == 400
    assert "Deux passages cochés se chevauchent" in response.get_data(as_text=True)
    # The body's masks are left out of the preview while they are wrong.
    assert [c["json"] for c in posts(fakes, "/cases/c1/preview")] == [{"fields": {}}] * 2


def test_a_replacement_text_too_long_is_refused_before_the_api(moderator, fakes):
    form = default_form(page_csrf(moderator), **{"title-text": "x" * 301, "structure_id": "s9"})
    response = moderator.post("/moderation/cas/c1/approbation", data=form)
    assert response.status_code == 400 and not posts(fakes, "/cases/c1/approve")
    assert "ne peut pas dépasser 300 caractères (vous en avez saisi 301)" in (
        response.get_data(as_text=True))


def test_the_preview_unavailable_keeps_the_page_and_says_so(moderator, fakes):
    fakes["moderation"].answers[("POST", "/cases/c1/preview")] = Unavailable(
        503, "unavailable", "Indisponible.")
    form = default_form(page_csrf(moderator), **{"body-masks": []})
    response = moderator.post("/moderation/cas/c1/previsualisation", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "La prévisualisation est momentanément" in html
    assert "Texte publié par défaut (prévisualisez pour voir vos choix)" in html


def test_the_structure_search_keeps_the_moderator_choices(moderator, fakes):
    fakes["identity"].answers[("GET", "/structures")] = {"items": [
        {"id": "s2", "name": "CPAM", "city": "Lyon"}]}
    form = default_form(page_csrf(moderator), **{
        "body-masks": [], "structure_q": "cpam", "action": "search"})
    html = moderator.post("/moderation/cas/c1/previsualisation",
                          data=form).get_data(as_text=True)
    assert fakes["identity"].calls[-1]["params"] == {"q": "cpam"}
    assert 'id="structure_id-s2"' in html and "CPAM — Lyon" in html
    assert re.search(rf'name="body-masks" value="{PHONE[0]}:{PHONE[1]}">', html)
    assert "Prévisualisation à jour" not in html


def test_rejection_still_works_beside_the_masks(moderator, fakes):
    response = moderator.post("/moderation/cas/c1/refus", data={
        "csrf_token": page_csrf(moderator), "reason": "personal_data"})
    assert response.status_code == 302
    assert posts(fakes, "/cases/c1/reject")[-1]["json"] == {"reason": "personal_data"}


def test_a_conflict_is_said_in_words_not_codes(moderator, fakes):
    fakes["moderation"].answers[("POST", "/cases/c1/approve")] = ServiceError(
        409, "conflict", "Ce dossier a déjà été traité (statut : Approuvé).",
        {"status": ["approved"]})
    html = moderator.post("/moderation/cas/c1/approbation", data=default_form(
        page_csrf(moderator), structure_id="s9")).get_data(as_text=True)
    assert "<li>Ce dossier a déjà été traité (statut : Approuvé).</li>" in html
    assert "<li>approved</li>" not in html


# Other cases ---------------------------------------------------------------------------------------
def test_a_reorientation_case_shows_published_texts_without_masks(moderator, fakes):
    fields = [{"name": f["name"], "text": f["redacted"], "flags": [], "redacted": f["redacted"]}
              for f in CASE["fields"]]
    fakes["moderation"].answers[("GET", "/cases/c2")] = dict(
        CASE, id="c2", kind="reorientation", reason="Concerne la CPAM.", fields=fields)
    html = moderator.get("/moderation/cas/c2").get_data(as_text=True)
    assert "Expérience publiée" in html and "[téléphone masqué]" in html
    assert "Demande de réorientation" in html and "Réorienter vers une autre structure" in html
    assert "-masks" not in html and "Prévisualiser" not in html
    response = moderator.post("/moderation/cas/c2/previsualisation",
                              data={"csrf_token": csrf_of(html)})
    assert response.status_code == 302 and not posts(fakes, "/cases/c2/preview")


def test_a_decided_case_shows_what_was_published_without_a_form(moderator, fakes):
    fakes["moderation"].answers[("GET", "/cases/c1")] = dict(
        CASE, status="approved", decision={"action": "approve", "published": {
            "title": "Un usager à la CAF", "body": "Corps publié.", "author_name": "Jean D.",
            "structure_hint": "CAF de Lyon"}})
    html = moderator.get("/moderation/cas/c1").get_data(as_text=True)
    assert 'id="title-publie">Un usager à la CAF</div>' in html and "Texte publié" in html
    assert 'id="formulaire-decision"' not in html and "Approuver et publier" not in html


# The pure pieces ----------------------------------------------------------------------------------
FIELD = {"name": "body", "text": "Mme Durand, 12 rue Haute.\nMme  Durand a dit non. durand",
         "flags": [{"kind": "address", "start": 12, "end": 24, "masked": True},
                   {"kind": "vulgarity", "start": 45, "end": 48, "masked": False}],
         "redacted": "..."}


def posted(**values) -> masks.FieldState:
    form = MultiDict([("body-masks", "12:24")])
    for key, value in values.items():
        form.setlist(key, value if isinstance(value, list) else [value])
    return masks.posted_state(FIELD, form)


def test_a_passage_masks_each_occurrence_case_sensitively_across_white_space():
    state = posted(**{"body-passage": " Mme Durand "})
    chosen = [(s.start, s.end, s.kind) for s in state.spans if s.checked]
    assert chosen == [(0, 10, "other"), (12, 24, "address"), (26, 37, "other")]
    assert state.text[26:37] == "Mme  Durand" and not state.errors
    assert state.decision()["masks"][0] == {"start": 0, "end": 10, "kind": "other"}


def test_a_passage_reaching_into_a_mask_masks_their_union():
    state = posted(**{"body-passage": "Durand, 12"})
    assert [(s.start, s.end, s.checked) for s in state.spans] == [
        (4, 24, True), (12, 24, False), (45, 48, False)]
    inside = posted(**{"body-passage": "rue"})  # already masked by the address
    assert inside.decision() == {} and not inside.errors


def test_the_default_choice_gives_no_decision_and_an_unchecked_flag_one():
    assert posted().decision() == {}
    assert posted(**{"body-masks": []}).decision() == {"masks": []}
    advisory = posted(**{"body-masks": ["12:24", "45:48"]}).decision()
    assert advisory == {"masks": [{"start": 12, "end": 24, "kind": "address"},
                                  {"start": 45, "end": 48, "kind": "vulgarity"}]}


def test_an_older_case_answer_gives_the_body_alone():
    fields = masks.fields_of({"body": "Tel 0612345678", "redacted_body": "Tel [masqué]",
                              "flags": [{"kind": "phone", "start": 4, "end": 14}]})
    state = masks.default_state(fields[0])
    assert [f["name"] for f in fields] == ["body"] and state.redacted == "Tel [masqué]"
    assert state.spans[0].checked and state.default == {(4, 14)}


def test_api_errors_are_renamed_for_the_page():
    assert masks.api_field_errors({
        "fields.title.masks": ["A"], "fields.body.text": ["B"], "structure_id": ["C"],
        "fields": ["Champ inconnu."]}) == {
        "title-masks": ["A"], "body-text": ["B"], "structure_id": ["C"],
        "fields": ["Champ inconnu."]}


def test_highlight_says_which_spans_stay_unmasked():
    html = str(highlight_flags("a <b> c", [{"kind": "vulgarity", "start": 2, "end": 5,
                                            "masked": False}]))
    assert html == ('a <mark title="Grossièreté" class="spp-mark--kept">&lt;b&gt;</mark>'
                    '<span class="fr-sr-only"> (Grossièreté, non masqué)</span> c')


# Claims -------------------------------------------------------------------------------------------

def test_opening_a_case_claims_nothing_and_offers_to_take_it(moderator, fakes):
    fakes["moderation"].answers[("GET", "/cases/c1")] = dict(CASE, claim="free")
    html = moderator.get("/moderation/cas/c1").get_data(as_text=True)
    assert posts(fakes, "/cases/c1/claim") == []
    assert "Prendre en charge ce dossier" in html


def test_taking_a_case_is_an_explicit_post(moderator, fakes):
    token = page_csrf(moderator)
    response = moderator.post("/moderation/cas/c1/prise-en-charge", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.location.endswith("/moderation/cas/c1#prise-en-charge")  # where she was
    assert len(posts(fakes, "/cases/c1/claim")) == 1
    fakes["moderation"].answers[("POST", "/cases/c1/claim")] = ServiceError(
        409, "conflict", "Un autre modérateur traite ce dossier.", {})
    moderator.post("/moderation/cas/c1/prise-en-charge", data={"csrf_token": token})
    html = moderator.get("/moderation/cas/c1").get_data(as_text=True)
    assert "déjà traité par un autre modérateur" in html


def test_a_case_held_by_another_says_until_when(moderator, fakes):
    fakes["moderation"].answers[("GET", "/cases/c1")] = dict(
        CASE, claim="other", claimed_until="2026-11-02T08:05:00+00:00")
    html = moderator.get("/moderation/cas/c1").get_data(as_text=True)
    assert "Un autre modérateur traite ce dossier jusqu'à 09 h 05" in html
    assert "Prendre en charge ce dossier" not in html


def test_previewing_takes_the_case(moderator, fakes):
    moderator.post("/moderation/cas/c1/previsualisation", data=default_form(page_csrf(moderator)))
    assert len(posts(fakes, "/cases/c1/claim")) == 1


def test_two_cases_have_different_titles_and_headings(moderator, fakes):
    fakes["moderation"].answers[("GET", "/cases/3f2a9c1b-0000-4000-8000-000000000000")] = dict(
        CASE, id="3f2a9c1b-0000-4000-8000-000000000000", kind="reorientation",
        created_at="2026-11-05T10:00:00+00:00", reason="Pas chez nous.")
    html = moderator.get("/moderation/cas/3f2a9c1b-0000-4000-8000-000000000000").get_data(
        as_text=True)
    heading = "Dossier 3F2A9C1B — Demande de réorientation du 05/11/2026"
    assert title_of(html) == f"{heading} — Modération — Services Publics+"
    assert f"<h1>{heading}</h1>" in html
    assert not any(word in title_of(html) for word in USAGER_WORDS)


def test_after_taking_a_case_the_keyboard_lands_on_the_notice_that_says_so(moderator, fakes):
    fakes["moderation"].answers[("GET", "/cases/c1")] = dict(
        CASE, claim="mine", claimed_until="2026-11-02T08:05:00+00:00")
    html = moderator.get("/moderation/cas/c1").get_data(as_text=True)
    notice = html.split('id="prise-en-charge"')[1].split("</div>")[0]
    assert 'tabindex="-1"' in notice and "Vous traitez ce dossier jusqu'à 09 h 05" in notice


def test_a_preview_comes_back_to_its_notice_above_the_fields(moderator, fakes):
    html = moderator.get("/moderation/cas/c1").get_data(as_text=True)
    assert 'action="/moderation/cas/c1/previsualisation#previsualisation"' in html
    page = moderator.post("/moderation/cas/c1/previsualisation#previsualisation",
                          data=default_form(page_csrf(moderator), action="preview"))
    text = page.get_data(as_text=True)
    notice = text.split('id="previsualisation"')[1].split("</div>")[0]
    assert 'tabindex="-1"' in notice and "Prévisualisation à jour" in notice
    assert text.index('id="previsualisation"') < text.index('id="champ-title"')
