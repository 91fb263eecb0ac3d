"""Domain refusals reach HTTP in one place, in the contract's error shape."""

from __future__ import annotations

from flask import Flask

from services.chassis.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    register_error_handlers,
)


class AlreadyUsed(Gone):
    code = "already_used"


def _app(exc: Exception) -> Flask:
    app = Flask(__name__)
    register_error_handlers(app)

    @app.get("/")
    def refuse():
        raise exc

    return app


def test_each_kind_of_refusal_has_its_status_code_and_field():
    cases = [
        (Invalid("Trop long.", field="title"), 422, "validation_error", {"title": ["Trop long."]}),
        (Forbidden("Hors de votre périmètre."), 403, "forbidden", {}),
        (NotFound("Expérience introuvable."), 404, "not_found", {}),
        (Conflict("Déjà publiée.", status="published"), 409, "conflict",
         {"status": ["published"]}),
        (AlreadyUsed("Lien déjà utilisé.", field="token"), 410, "already_used",
         {"token": ["Lien déjà utilisé."]}),
    ]
    for exc, status, code, errors in cases:
        answer = _app(exc).test_client().get("/")
        assert answer.status_code == status
        assert answer.get_json() == {"code": code, "message": exc.message, "errors": errors}


def test_a_service_refusal_subclassing_the_base_is_a_422():
    class OwnRule(DomainError):
        pass

    answer = _app(OwnRule("Règle.", field="x")).test_client().get("/")
    assert answer.status_code == 422 and answer.get_json()["errors"] == {"x": ["Règle."]}


def test_a_refusal_may_list_several_messages_under_a_field():
    exc = Invalid("Mot de passe trop faible.", listed={"password": ["Trop court.", "Trop courant."]})
    answer = _app(exc).test_client().get("/")
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == {"password": ["Trop court.", "Trop courant."]}
    nested = Invalid("Champs invalides.", listed={"fields": {"title": {"text": ["Vide."]}}})
    assert nested.answer_errors() == {"fields": {"title": {"text": ["Vide."]}}}


def test_a_database_out_of_reach_is_a_503_to_try_again_and_no_value_is_logged(caplog):
    import sqlalchemy as sa

    lost = sa.exc.OperationalError("UPDATE users SET email = %(email)s",
                                   {"email": "camille@example.org"},
                                   Exception("server closed the connection unexpectedly"))
    closed = sa.exc.InterfaceError("SELECT 1", {}, Exception("connection already closed"))
    for exc in (lost, closed):
        response = _app(exc).test_client().get("/")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert response.json["code"] == "unavailable"
    assert "camille" not in caplog.text and "UPDATE" not in caplog.text


def _row_error():
    import sqlalchemy as sa

    orig = Exception('duplicate key value violates unique constraint "users_email_key"\n'
                     'DETAIL:  Key (email)=(camille@example.org) already exists.')
    return sa.exc.IntegrityError("INSERT INTO users (email) VALUES (%(email)s)",
                                 {"email": "camille@example.org"}, orig)


def test_a_race_lost_on_a_unique_constraint_is_a_409_and_its_row_is_not_logged(caplog):
    answer = _app(_row_error()).test_client().get("/")
    assert answer.status_code == 409 and answer.get_json()["code"] == "conflict"
    assert "users_email_key" in caplog.text and "camille" not in caplog.text


def test_an_unexpected_error_is_logged_with_its_place_but_not_its_values(caplog):
    import sqlalchemy as sa

    exc = sa.exc.ProgrammingError("SELECT %(email)s", {"email": "camille@example.org"},
                                  Exception("syntax error\nDETAIL: camille@example.org"))
    answer = _app(exc).test_client().get("/")
    assert answer.status_code == 500
    assert "ProgrammingError: (builtins.Exception) syntax error" in caplog.text
    assert "in refuse" in caplog.text  # where it was raised
    assert "camille" not in caplog.text


class Closed(Conflict):
    message = "Ce dossier est clos."
    details = {"status": "Dossier clos."}


def test_a_refusal_that_always_says_the_same_declares_it_on_its_class():
    answer = _app(Closed()).test_client().get("/").get_json()
    assert answer == {"code": "conflict", "message": "Ce dossier est clos.",
                      "errors": {"status": ["Dossier clos."]}}


def test_what_a_raise_says_adds_to_the_class_and_never_changes_it():
    said = Closed("Autre message.", field="id", reason="Raison.")
    assert said.answer_errors() == {"id": ["Autre message."], "status": ["Dossier clos."],
                                    "reason": ["Raison."]}
    assert Closed().answer_errors() == {"status": ["Dossier clos."]}
    assert Closed.details == {"status": "Dossier clos."}
