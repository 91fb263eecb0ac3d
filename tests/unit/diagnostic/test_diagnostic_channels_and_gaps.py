"""A new diagnostic starts with the structure's declared channels; « écart » is defined once
(expected level minus score, in displayed points) for the API's view and the CSV."""

from __future__ import annotations

import copy

import pytest

from services.diagnostic.domain import (
    STRUCTURE_CHANNELS,
    ChannelCode,
    compute_results,
    current_questionnaire,
    gap_points,
    results_to_csv_rows,
    results_view,
    validate_questionnaire,
)
from tests.support.diagnostic import ANSWERS, BOTH, SMALL

ALL = ("in_person", "phone", "mail_email", "online")


@pytest.mark.parametrize("declared,expected", [
    (["phone"], ("phone",)),
    (["email"], ("mail_email",)),
    (["mail", "email", "in_person"], ("in_person", "mail_email")),  # questionnaire order
    (["online", "other", "phone"], ("phone", "online")),
    (["other"], ALL),  # nothing the questionnaire covers: every channel
    ([], ALL),
    (None, ALL),
])
def test_default_channels_follow_the_structures_declared_channels(declared, expected):
    assert current_questionnaire().default_channels(declared) == expected


def test_every_questionnaire_channel_covers_some_identity_channel():
    identity = {"in_person", "phone", "mail", "email", "online", "other"}
    assert set(STRUCTURE_CHANNELS) == set(ChannelCode)
    for covered in STRUCTURE_CHANNELS.values():
        assert covered and set(covered) <= identity


@pytest.mark.parametrize("expected,score,points", [
    (0.8, 0.35, 45), (0.8, 0.8, 0), (0.8, 1.0, -20), (0.8, 0.625, 17), (0.5, None, None),
])
def test_gap_points_is_expected_minus_score_as_displayed(expected, score, points):
    assert gap_points(expected, score) == points


def test_the_view_and_the_csv_give_the_same_gap():
    small = validate_questionnaire(copy.deepcopy(SMALL))
    results = compute_results(small, BOTH, ANSWERS)
    view = results_view(small, results, None, {})
    assert [(c["number"], c["gap_points"]) for c in view["commitments"]] == [(1, 30), (2, -25)]
    assert view["weakest_commitments"][0]["gap_points"] == 30
    csv_gaps = [row[5] for row in results_to_csv_rows(small, results)[1:]]
    assert csv_gaps == [str(cell["gap_points"]) for cell in view["cells"]] == [
        "-20", "55", "0", "-50"]
