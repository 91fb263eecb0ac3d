"""Pure rules of what a digest lists: each experience once per section, in its latest state;
a declined re-orientation on its own line with moderation's explanation; a subject that counts
what is listed, in French; and who is asked to validate a response (four eyes)."""

from __future__ import annotations

from services.notifier import domain
from services.notifier.domain import EmailKind, ExperienceState, Progress

MINE, ELSEWHERE, CHILD = "s-mine", "s-else", "s-child"


def _item(kind, exp, structure=MINE, comment=None, title=None):
    return {"kind": str(kind), "experience_id": exp, "structure_id": structure,
            "title": title or exp, "comment": comment}


def _listed(items, states=None, structures=(MINE,)):
    return [(i["kind"], i["experience_id"])
            for i in domain.current_items(items, states or {}, set(structures))]


def _at(structure=MINE, progress=Progress.TO_PROCESS):
    return ExperienceState(structure, str(progress))


# Each experience once ------------------------------------------------------------------------
def test_published_then_declined_is_listed_once_as_declined_with_the_explanation():
    items = [_item(EmailKind.TO_PROCESS, "S"),
             _item(EmailKind.REORIENTATION_DECLINED, "S", comment="C'est bien chez vous.")]
    current = domain.current_items(items, {"S": _at()}, {MINE})
    assert [(i["kind"], i["comment"]) for i in current] == [
        ("reorientation_declined", "C'est bien chez vous.")]
    [section] = domain.digest_sections(current)
    assert section["heading"].startswith("Demandes de réorientation refusées")
    assert "restent à traiter par votre structure" in section["heading"]


def test_the_same_kind_twice_is_listed_once_where_its_latest_falls():
    items = [_item(EmailKind.TO_PROCESS, "A"), _item(EmailKind.TO_PROCESS, "B"),
             _item(EmailKind.REASSIGNED, "A")]
    assert _listed(items, {"A": _at(), "B": _at()}) == [
        ("experience_to_process", "B"), ("experience_reassigned", "A")]


def test_sections_are_apart_an_experience_may_be_in_two():
    # Validated, then rated by its author: two different things to tell.
    items = [_item(EmailKind.RESPONSE_VALIDATED, "V"), _item(EmailKind.EVALUATED, "V")]
    assert _listed(items, {"V": _at(progress=Progress.ANSWERED)}) == [
        ("response_validated", "V"), ("experience_evaluated", "V")]


def test_items_without_a_known_state_are_listed_as_they_are():
    items = [_item(EmailKind.TO_PROCESS, "old", structure=None),
             _item(EmailKind.RESPONSE_TO_VALIDATE, "older", structure=None)]
    assert _listed(items) == [("experience_to_process", "old"),
                              ("response_to_validate", "older")]


# Stale items dropped -------------------------------------------------------------------------
def test_rerouted_away_is_no_longer_to_process_but_its_reroute_is_told():
    items = [_item(EmailKind.TO_PROCESS, "L"), _item(EmailKind.REORIENTATION_ACCEPTED, "L")]
    assert _listed(items, {"L": _at(ELSEWHERE)}) == [("reorientation_accepted", "L")]


def test_moved_to_a_child_structure_is_no_longer_to_process_by_the_parent():
    items = [_item(EmailKind.TO_PROCESS, "M")]
    assert _listed(items, {"M": _at(CHILD)}) == []
    # ... unless the recipient works there too.
    assert _listed(items, {"M": _at(CHILD)}, structures=(MINE, CHILD)) == [
        ("experience_to_process", "M")]


def test_the_recipient_who_left_the_structure_is_not_asked_to_process_it():
    items = [_item(EmailKind.TO_PROCESS, "Q")]
    assert _listed(items, {"Q": _at(MINE)}, structures=(ELSEWHERE,)) == []


def test_answered_the_same_day_is_no_longer_to_process():
    items = [_item(EmailKind.TO_PROCESS, "A"), _item(EmailKind.REORIENTATION_DECLINED, "D")]
    states = {"A": _at(progress=Progress.ANSWERED), "D": _at(progress=Progress.ANSWERED)}
    assert _listed(items, states) == []


def test_a_response_validated_or_dropped_by_a_move_no_longer_waits():
    items = [_item(EmailKind.RESPONSE_TO_VALIDATE, e) for e in ("waits", "done", "moved", "redo")]
    states = {"waits": _at(progress=Progress.AWAITING_VALIDATION),
              "done": _at(progress=Progress.ANSWERED),
              "moved": _at(CHILD, Progress.TO_PROCESS),
              # moved, then submitted again where it went: another structure's response
              "redo": _at(ELSEWHERE, Progress.AWAITING_VALIDATION)}
    assert _listed(items, states, structures=("s-region",)) == [("response_to_validate", "waits")]


def test_rerouted_then_sent_back_is_to_process_again_not_rerouted():
    items = [_item(EmailKind.TO_PROCESS, "B"), _item(EmailKind.REORIENTATION_ACCEPTED, "B"),
             _item(EmailKind.REASSIGNED, "B")]
    assert _listed(items, {"B": _at()}) == [("experience_reassigned", "B")]


def test_the_auditors_day_lists_each_once_in_its_latest_state():
    """L routed here then rerouted; S published then its re-orientation declined; N new."""
    items = [_item(EmailKind.TO_PROCESS, "L"), _item(EmailKind.TO_PROCESS, "S"),
             _item(EmailKind.TO_PROCESS, "N"), _item(EmailKind.REORIENTATION_ACCEPTED, "L"),
             _item(EmailKind.REORIENTATION_DECLINED, "S", comment="Explication")]
    current = domain.current_items(items, {"L": _at(ELSEWHERE), "S": _at(), "N": _at()}, {MINE})
    sections = domain.digest_sections(current)
    assert [(s["heading"].split(" ")[0], [i["experience_id"] for i in s["items"]])
            for s in sections] == [("Nouvelles", ["N"]), ("Demandes", ["S"]),
                                   ("Expériences", ["L"])]
    assert sum(len(s["items"]) for s in sections) == len(current) == 3
    assert domain.digest_headline(current) == \
        "Votre récapitulatif Services Publics+ : 3 notifications"


# Subjects ------------------------------------------------------------------------------------
def test_subjects_say_singular_and_plural_in_french_and_carry_the_brand():
    one = [_item(EmailKind.TO_PROCESS, "A")]
    assert domain.digest_headline(one) == "Services Publics+ : 1 nouvelle expérience à traiter"
    assert domain.digest_headline(one * 2) == \
        "Services Publics+ : 2 nouvelles expériences à traiter"
    assert domain.digest_headline([_item(EmailKind.EVALUATED, "E")]) == \
        "Votre récapitulatif Services Publics+ : 1 notification"
    # A declined re-orientation is not new: the summary's words.
    assert domain.digest_headline([_item(EmailKind.REORIENTATION_DECLINED, "D")]) == \
        "Votre récapitulatif Services Publics+ : 1 notification"


def test_no_subject_leaves_the_count_to_the_reader():
    for subject in domain.SUBJECTS.values():
        assert "(s)" not in subject
    for n in (1, 2, 7):
        for items in ([_item(EmailKind.TO_PROCESS, "A")] * n,
                      [_item(EmailKind.RESPONSE_VALIDATED, "V")] * n):
            assert "(s)" not in domain.digest_headline(items)


# Four eyes -----------------------------------------------------------------------------------
def _super(uid, email):
    return domain.Recipient(id=uid, email=email, name=uid, profile="super_agent",
                            missions=("answer",), frequency="immediate", active=True)


def test_who_submitted_a_response_is_not_asked_to_validate_it():
    supers = [_super("u-1", "moi@a.fr"), _super("u-2", "chef@a.fr"),
              _super("u-3", "Moi@A.fr")]  # another account of the submitter's address
    assert [r.id for r in domain.validators(supers, "u-1")] == ["u-2"]
    assert [r.id for r in domain.validators(supers, None)] == ["u-1", "u-2", "u-3"]
    assert [r.id for r in domain.validators(supers, "an-agent")] == ["u-1", "u-2", "u-3"]
    # an agent sent it, a super agent had written it: neither validates
    assert [r.id for r in domain.validators(supers, "an-agent", "u-2")] == ["u-1", "u-3"]
