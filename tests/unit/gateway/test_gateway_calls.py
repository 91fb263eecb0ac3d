"""The gateway's one way of calling a service and saying what went wrong on the form."""

from __future__ import annotations

import pytest
from flask import Flask, get_flashed_messages

from services.gateway.calls import calling, redirect_with, split_errors
from services.gateway.clients import ServiceError, Unavailable


def _refusal(status=422, message="Certains champs sont invalides.", **errors):
    return ServiceError(status, "validation_error", message, errors)


def test_field_errors_stay_by_their_field_and_the_others_go_to_the_summary():
    exc = _refusal(title=["Trop long."], hidden=["Inconnu."])
    shown, summary = split_errors(exc, ["title", "body"])
    assert shown == {"title": ["Trop long."]}
    assert summary == ["Inconnu."]
    assert split_errors(_refusal(), ["title"]) == ({}, ["Certains champs sont invalides."])


def test_a_renamed_field_and_a_leading_message():
    exc = _refusal(409, "Déjà pris.", structure_id=["Structure inconnue."])
    shown, summary = split_errors(exc, ["structure"], rename={"structure_id": "structure"},
                                  lead=(409,))
    assert shown == {"structure": ["Structure inconnue."]} and summary[0] == "Déjà pris."


def test_calling_keeps_a_refusal_ends_the_block_and_lets_401_through():
    reached = []
    with calling(["title"]) as outcome:
        raise _refusal(title=["Obligatoire."])
        reached.append(True)  # never runs: the block ends at the refusal
    assert outcome.failed and not outcome.unavailable and not reached
    assert outcome.errors == {"title": ["Obligatoire."]} and outcome.refused({422})

    with calling() as outcome:
        raise Unavailable(503, "unavailable", "Le service est momentanément indisponible.")
    assert outcome.unavailable and outcome.general == [
        "Le service est momentanément indisponible."]

    with pytest.raises(ServiceError), calling():
        raise _refusal(401, "Authentification requise.")
    with pytest.raises(ServiceError), calling(only={422}):
        raise _refusal(404, "Introuvable.")
    with calling() as outcome:
        pass
    assert not outcome.failed


def test_an_action_button_flashes_what_happened_and_redirects():
    app = Flask(__name__)
    app.secret_key = "test"
    with app.test_request_context("/"):
        with calling() as outcome:
            raise _refusal(409, "Déjà validée.")
        answer = outcome.flash_redirect("/liste", "Réponse validée.")
        assert answer.status_code == 302 and answer.location == "/liste"
        assert get_flashed_messages(with_categories=True) == [("error", "Déjà validée.")]
    with app.test_request_context("/"):
        answer = redirect_with("Enregistré.", "/page")
        assert answer.location == "/page"
        assert get_flashed_messages(with_categories=True) == [("success", "Enregistré.")]
