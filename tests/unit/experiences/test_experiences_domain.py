"""The status machine of an experience, every transition legal and illegal; scope helpers."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.experiences import domain
from services.experiences.domain import IllegalTransition, ScopeKind, Status

ALL = list(Status)
S = Status


def _illegal(fn, allowed, *args):
    for status in ALL:
        if status in allowed:
            continue
        with pytest.raises(IllegalTransition) as err:
            fn(status, *args)
        assert err.value.current is status
        assert status.value in str(err.value)


def test_approve_from_submitted_only():
    assert domain.approve(S.SUBMITTED) is S.TO_PROCESS
    _illegal(domain.approve, {S.SUBMITTED})


def test_reject_from_submitted_only():
    assert domain.reject(S.SUBMITTED) is S.REJECTED
    _illegal(domain.reject, {S.SUBMITTED})


def test_draft_allowed_until_the_response_is_public():
    assert domain.draft_response(S.TO_PROCESS) is S.TO_PROCESS
    assert domain.draft_response(S.AWAITING_VALIDATION) is S.AWAITING_VALIDATION
    _illegal(domain.draft_response, {S.TO_PROCESS, S.AWAITING_VALIDATION})


def test_submit_goes_to_validation_where_required():
    assert domain.submit_response(S.TO_PROCESS, True) is S.AWAITING_VALIDATION


def test_submit_answers_directly_where_no_validation_is_required():
    assert domain.submit_response(S.TO_PROCESS, False) is S.ANSWERED


@pytest.mark.parametrize("requires_validation", [True, False])
def test_submit_illegal_elsewhere(requires_validation):
    _illegal(domain.submit_response, {S.TO_PROCESS}, requires_validation)


def test_validate_by_super_agent_answers():
    assert domain.validate_response(S.AWAITING_VALIDATION, "super_agent") is S.ANSWERED
    assert domain.validate_response(S.AWAITING_VALIDATION, "admin") is S.ANSWERED
    _illegal(domain.validate_response, {S.AWAITING_VALIDATION}, "super_agent")


@pytest.mark.parametrize("profile", ["agent", "referent", "moderator"])
def test_only_a_super_agent_validates(profile):
    with pytest.raises(domain.DomainError):
        domain.validate_response(S.AWAITING_VALIDATION, profile)


def test_validation_publishes_only_the_version_read():
    saved = datetime(2026, 11, 3, 9, 5, 0, 123456, tzinfo=UTC)
    same = saved.astimezone(timezone(timedelta(hours=1)))
    for read in (None, saved, same, saved.replace(tzinfo=None)):  # naive: SQLite's, UTC
        assert domain.validate_response(S.AWAITING_VALIDATION, "super_agent", read=read,
                                        saved=saved) is S.ANSWERED
    for read, current in ((saved - timedelta(microseconds=1), saved), (saved, None)):
        with pytest.raises(domain.ResponseChanged) as err:
            domain.validate_response(S.AWAITING_VALIDATION, "super_agent", read=read,
                                     saved=current)
        assert err.value.status == 409 and "response_updated_at" in err.value.answer_errors()


def test_a_stale_version_says_the_status_or_the_right_first():
    old, new = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    with pytest.raises(IllegalTransition):
        domain.validate_response(S.ANSWERED, "super_agent", read=old, saved=new)
    with pytest.raises(domain.Forbidden):
        domain.validate_response(S.AWAITING_VALIDATION, "agent", read=old, saved=new)


@pytest.mark.parametrize("profile,reads", [("admin", True), ("moderator", False),
                                           ("referent", False), ("super_agent", False),
                                           ("agent", False), ("", False)])
def test_only_the_programme_reads_the_evaluation_comment(profile, reads):
    assert domain.reads_evaluation_comment(profile) is reads


def test_move_resets_to_process():
    assert domain.move(S.TO_PROCESS) is S.TO_PROCESS
    assert domain.move(S.AWAITING_VALIDATION) is S.TO_PROCESS
    _illegal(domain.move, {S.TO_PROCESS, S.AWAITING_VALIDATION})


def test_reorientation_only_while_unanswered():
    assert domain.request_reorientation(S.TO_PROCESS) is S.TO_PROCESS
    _illegal(domain.request_reorientation, {S.TO_PROCESS, S.AWAITING_VALIDATION})


def test_no_answer_and_no_second_request_while_a_reorientation_is_pending():
    with pytest.raises(domain.ReorientationPending):
        domain.submit_response(S.TO_PROCESS, False, True)
    with pytest.raises(domain.ReorientationPending):
        domain.validate_response(S.AWAITING_VALIDATION, "super_agent", True)
    with pytest.raises(domain.ReorientationPending) as err:
        domain.request_reorientation(S.TO_PROCESS, True)
    assert "réorientation est en cours" in str(err.value)
    assert domain.request_reorientation(S.TO_PROCESS, False) is S.TO_PROCESS
    with pytest.raises(domain.ReorientationPending) as moving:
        domain.check_reassign(S.TO_PROCESS, "reg", "loc1", {"reg", "loc1"},
                              reorientation_pending=True)
    assert "réaffecter" in str(moving.value)
    domain.check_reassign(S.TO_PROCESS, "reg", "loc1", {"reg", "loc1"},
                          reorientation_pending=False)


def test_evaluation_once_and_only_when_answered():
    domain.evaluate(S.ANSWERED, False)
    with pytest.raises(domain.AlreadyEvaluated):
        domain.evaluate(S.ANSWERED, True)
    _illegal(domain.evaluate, {S.ANSWERED}, False)


def test_illegal_message_names_the_status_in_french():
    with pytest.raises(IllegalTransition) as err:
        domain.approve(S.ANSWERED)
    assert "réponse apportée" in str(err.value) and "answered" in str(err.value)


def test_published_never_includes_pending_or_rejected():
    assert S.SUBMITTED not in domain.PUBLISHED and S.REJECTED not in domain.PUBLISHED
    assert domain.PUBLISHED == {S.TO_PROCESS, S.AWAITING_VALIDATION, S.ANSWERED}


def test_evaluation_token_is_random_and_kept_hashed():
    token, digest = domain.new_evaluation_token()
    other, _ = domain.new_evaluation_token()
    assert token != other and len(token) >= 32  # 24 bytes = 192 bits
    assert digest != token and len(digest) == 64
    assert domain.token_matches(token, digest)
    assert not domain.token_matches(other, digest)
    assert not domain.token_matches(token, None)


def test_descendants_walks_the_tree():
    parent_of = {"nat": None, "reg": "nat", "loc1": "reg", "loc2": "reg", "other": None}
    assert domain.descendants(["reg"], parent_of) == {"reg", "loc1", "loc2"}
    assert domain.descendants(["nat"], parent_of) == {"nat", "reg", "loc1", "loc2"}
    assert domain.descendants(["loc1"], parent_of) == {"loc1"}


def test_may_reassign_only_below():
    assert domain.may_reassign("reg", "loc1", {"reg", "loc1"})
    assert not domain.may_reassign("reg", "reg", {"reg", "loc1"})
    assert not domain.may_reassign("reg", "other", {"reg", "loc1"})


def test_check_reassign_refuses_a_deactivated_target():
    domain.check_reassign("to_process", "reg", "loc1", {"reg", "loc1"}, target_active=True)
    with pytest.raises(domain.InactiveTarget) as refused:
        domain.check_reassign("to_process", "reg", "loc1", {"reg", "loc1"},
                              target_active=False)
    assert "structure_id" in refused.value.answer_errors()
    with pytest.raises(domain.NotBelow):  # outside the tree: that refusal comes first
        domain.check_reassign("to_process", "reg", "other", {"reg", "loc1"},
                              target_active=False)


@pytest.mark.parametrize("profile,network,kind", [
    ("admin", None, ScopeKind.ALL), ("moderator", None, ScopeKind.ALL),
    ("referent", "n1", ScopeKind.NETWORK), ("referent", None, ScopeKind.NONE),
    ("agent", "n1", ScopeKind.STRUCTURES), ("super_agent", "n1", ScopeKind.STRUCTURES),
    ("stranger", None, ScopeKind.NONE)])
def test_scope_kind(profile, network, kind):
    assert domain.scope_kind(profile, network) is kind


def test_share():
    assert domain.share(1, 4) == 0.25
    assert domain.share(0, 0) is None


def test_dashboard_figures():
    figures = domain.dashboard_figures(published=10, answered=4, delay_seconds_sum=4 * 2 * 86400,
                                       within_target=3, evaluations=2, useful=1,
                                       negative_evaluations=2, negative_to_positive=1)
    assert figures == {"published": 10, "answered": 4, "answered_share": 0.4,
                       "average_delay_days": 2.0, "within_target_share": 0.75,
                       "evaluations": 2, "useful_share": 0.5, "negative_to_positive_share": 0.5}
    empty = domain.dashboard_figures(0, 0, None, 0, 0, 0, 0, 0)
    assert empty["answered_share"] is None and empty["average_delay_days"] is None


def test_titles_names_and_tags_are_one_line_read_in_their_own_order():
    from services.experiences.schemas import Annotations, ExperienceSubmit, ImprovementActionCreate

    good = {"title": "Accueil à la CAF", "body": "Bonjour,\nmerci \u202e.",
            "structure_hint": "CAF de Lyon", "postal_code": "69003", "channel": "phone",
            "occurred_on": "2026-11-02", "feeling": "positive", "author_name": "Camille",
            "author_email": "camille@example.org"}
    assert ExperienceSubmit().validate(good) == {}  # a long text keeps its lines and marks
    for field, bad in [("title", "Accueil\r\nBcc: x@y.z"), ("author_name", "\u202eadmin"),
                       ("structure_hint", "CAF\u2028Lyon"), ("title", "a\tb")]:
        errors = ExperienceSubmit().validate({**good, field: bad})
        assert list(errors) == [field] and "tenir sur une ligne" in errors[field][0]
    assert "title" in ImprovementActionCreate().validate({"title": "Plan\nB"})
    assert "business_tags" in Annotations().validate({"business_tags": ["ok", "a\u2066b"]})


def test_annotations_give_one_feeling_per_theme_and_channel_and_tags_split_back():
    from services.experiences.schemas import Annotations

    assert Annotations().validate({
        "general_tags": [{"tag": "information", "feeling": "positive"},
                         {"tag": "simplicity", "feeling": "negative"}],
        "channel_feelings": [{"channel": "phone", "feeling": "neutral"}],
        "business_tags": ["prestations familiales", "prime: activité"]}) == {}
    twice = Annotations().validate({
        "general_tags": [{"tag": "information", "feeling": "positive"},
                         {"tag": "information", "feeling": "negative"}],
        "channel_feelings": [{"channel": "phone", "feeling": "positive"},
                             {"channel": "phone", "feeling": "negative"}],
        "business_tags": ["accueil | RSA"]})
    assert twice == {
        "general_tags": ["Le champ « general_tags » donne un seul ressenti par thème."],
        "channel_feelings": ["Le champ « channel_feelings » donne un seul ressenti par canal."],
        "business_tags": ["Une étiquette métier ne peut pas contenir « | »."]}


def test_an_open_data_cell_splits_back_into_its_items_whatever_they_hold():
    titles = ["Accueil | horaires élargis", "Formulaire simplifié", "a|b|c"]
    cell = domain.open_data_cell(titles)
    assert cell == "Accueil ¦ horaires élargis | Formulaire simplifié | a¦b¦c"
    assert len(cell.split(" | ")) == len(titles)
    assert domain.open_data_cell([]) == ""
