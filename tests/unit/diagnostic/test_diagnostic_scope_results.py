"""Scope rules, the results snapshot and the results view, on hand-computed cases."""

import json

import pytest

from services.diagnostic.domain import (
    ChannelCode,
    StatusRefuses,
    check_draft,
    check_results,
    compute_results,
    get_questionnaire,
    hidden_from,
    in_scope,
    results_from_json,
    results_to_json,
    results_view,
)

Q = get_questionnaire("2023-v1")
PHONE, ONLINE = ChannelCode.PHONE, ChannelCode.ONLINE


def answers(channels, per_commitment, default="yes"):
    return {item.key: per_commitment.get(item.commitment, default)
            for item in Q.items(channels)}


# --- scope ---------------------------------------------------------------------------------


@pytest.mark.parametrize("profile, network, structures, expected", [
    ("agent", "n1", ["s1"], True),            # its own structure
    ("agent", "n1", ["root"], True),          # an ancestor's agent
    ("super_agent", "n1", ["other"], False),  # another structure of the network
    ("agent", "n1", [], False),
    ("referent", "n1", [], True),             # its network's referent
    ("referent", "n2", [], False),            # another network's referent
    ("referent", None, [], False),
    ("admin", None, [], True),
    ("moderator", None, [], False),
])
def test_in_scope(profile, network, structures, expected):
    assert in_scope(profile, network, structures, ["s1", "parent", "root"], "n1") is expected


def test_hidden_outside_the_network_only():
    assert hidden_from("agent", "n2", "n1")
    assert hidden_from("referent", None, "n1")
    assert not hidden_from("agent", "n1", "n1")
    assert not hidden_from("admin", None, "n1")


# --- snapshot ------------------------------------------------------------------------------


def test_snapshot_round_trips_through_json():
    results = compute_results(Q, [PHONE, ONLINE], answers([PHONE, ONLINE], {1: "no", 2: "partly"}))
    stored = json.loads(json.dumps(results_to_json(results)))
    assert results_from_json(stored) == results


# --- view ----------------------------------------------------------------------------------


def test_results_view_gaps_weakest_and_comparisons():
    # phone only; commitment 1 « Non » (0), commitment 2 « Partiellement » (0.5), others « Oui »
    current = compute_results(Q, [PHONE], answers([PHONE], {1: "no", 2: "partly"}))
    previous = compute_results(Q, [PHONE], answers([PHONE], {1: "partly"}))
    view = results_view(Q, current, previous, {1: 0.25, 2: None})
    by_number = {c["number"]: c for c in view["commitments"]}

    assert by_number[1]["score"] == 0.0 and by_number[1]["gap"] == pytest.approx(0.8)
    assert by_number[2]["score"] == 0.5 and by_number[2]["gap"] == pytest.approx(0.3)
    assert by_number[3]["gap"] == pytest.approx(-0.2)
    assert by_number[1]["previous_score"] == 0.5 and by_number[1]["change"] == -0.5
    assert by_number[2]["previous_score"] == 1.0 and by_number[2]["change"] == -0.5
    assert by_number[1]["network_average"] == 0.25
    assert by_number[1]["gap_to_network"] == 0.25
    assert by_number[2]["gap_to_network"] is None
    assert by_number[1]["label"].startswith("Dans le respect mutuel")

    assert [c["number"] for c in view["weakest_commitments"][:2]] == [1, 2]
    assert [(c["commitment"], c["channel"]) for c in view["weakest"][:2]] == \
        [(1, "phone"), (2, "phone")]
    assert view["weakest"][0]["channel_label"] == "Téléphone"
    assert view["channels"] == [{"channel": "phone", "label": "Téléphone",
                                 "score": current.channel_scores[PHONE],
                                 "score_percent": round(current.channel_scores[PHONE] * 100)}]
    assert view["questionnaire_version"] == "2023-v1"


def test_results_view_without_previous_or_network():
    current = compute_results(Q, [PHONE], answers([PHONE], {}, default="not_applicable"))
    view = results_view(Q, current, None, {})
    assert view["overall_score"] is None and view["overall_percent"] is None
    assert view["weakest"] == [] and view["weakest_commitments"] == []
    assert all(c["previous_score"] is None and c["change"] is None
               for c in view["commitments"])


# --- status ----------------------------------------------------------------------------------


def test_a_completed_diagnostic_is_read_only_and_a_draft_has_no_results():
    check_draft("draft")
    with pytest.raises(StatusRefuses) as changed:
        check_draft("completed")
    assert changed.value.answer_errors() == {"status": ["Diagnostic terminé."]}
    assert "terminé : il ne peut plus être modifié" in changed.value.message
    check_results("completed", {"score": 1})
    for status, results in (("draft", None), ("completed", None)):
        with pytest.raises(StatusRefuses) as early:
            check_results(status, results)
        assert early.value.answer_errors() == {"status": ["Diagnostic en brouillon."]}
        assert early.value.status == 409
