import copy
import re

import pytest
import yaml

from services.diagnostic.domain import (
    CSV_HEADER,
    AnswerCode,
    AnswerError,
    ChannelCode,
    ChannelSelectionError,
    Item,
    QuestionnaireError,
    available_versions,
    average_results,
    compare,
    compute_results,
    current_questionnaire,
    format_percent,
    get_questionnaire,
    load_questionnaire,
    missing_items,
    percent,
    results_to_csv_rows,
    validate_answers,
    validate_questionnaire,
)
from tests.support.diagnostic import ANSWERS, BOTH, SMALL

IN_PERSON = ChannelCode.IN_PERSON
PHONE = ChannelCode.PHONE


@pytest.fixture
def small():
    return validate_questionnaire(copy.deepcopy(SMALL))


def results_of(questionnaire, answers, channels=BOTH):
    return compute_results(questionnaire, channels, answers)


# --- items and channel selection -------------------------------------------------------------


def test_items_for_both_channels_in_display_order(small):
    assert small.items(BOTH) == [
        Item("a", 1, IN_PERSON),
        Item("a", 1, PHONE),
        Item("b", 1, PHONE),
        Item("c", 2, IN_PERSON),
        Item("d", 2, IN_PERSON),
        Item("d", 2, PHONE),
    ]


def test_items_for_one_channel_drop_the_other_channels_questions(small):
    assert small.items({"phone"}) == [Item("a", 1, PHONE), Item("b", 1, PHONE), Item("d", 2, PHONE)]


@pytest.mark.parametrize(
    "channels, message",
    [(set(), "at least one"), ({"phone", "fax"}, "fax"), ({"online"}, "online")],
)
def test_channel_selection_refuses_none_or_unknown(small, channels, message):
    with pytest.raises(ChannelSelectionError, match=message):
        small.items(channels)


# --- missing items ---------------------------------------------------------------------------


def test_missing_items_lists_unanswered_and_counts_not_applicable_as_answered(small):
    answers = {("a", "phone"): "yes", ("b", "phone"): "not_applicable", ("d", "phone"): None}
    assert missing_items(small, {"phone"}, answers) == [Item("d", 2, PHONE)]


def test_nothing_missing_when_every_item_is_answered(small):
    assert missing_items(small, BOTH, ANSWERS) == []


def test_answers_for_unpicked_channels_do_not_count(small):
    answers = {("a", "in_person"): "yes", ("d", "in_person"): "yes", ("c", "in_person"): "no"}
    assert missing_items(small, {"phone"}, answers) == [
        Item("a", 1, PHONE),
        Item("b", 1, PHONE),
        Item("d", 2, PHONE),
    ]


def test_validate_answers_refuses_foreign_items_and_unknown_codes(small):
    validate_answers(small, BOTH, {**ANSWERS, ("a", "phone"): None})
    with pytest.raises(AnswerError) as error:
        validate_answers(
            small,
            {"phone"},
            {("c", "in_person"): "yes", ("zz", "phone"): "yes", ("a", "phone"): "maybe"},
        )
    assert len(error.value.errors) == 3
    assert "maybe" in str(error.value)


# --- scores and gaps -------------------------------------------------------------------------


def test_commitment_scores_and_gaps(small):
    results = results_of(small, ANSWERS)
    assert results.commitment_scores == {1: pytest.approx(0.5), 2: pytest.approx(0.75)}
    assert results.commitment_gap(1) == pytest.approx(0.3)  # 0.8 - 0.5: below expectation
    assert results.commitment_gap(2) == pytest.approx(-0.25)  # 0.5 - 0.75: above


def test_cell_scores_and_gaps(small):
    results = results_of(small, ANSWERS)
    assert results.cell_scores == {
        (1, IN_PERSON): pytest.approx(1.0),
        (1, PHONE): pytest.approx(0.25),  # (0.5 + 0) / 2
        (2, IN_PERSON): pytest.approx(0.5),  # c is N/A, d partly
        (2, PHONE): pytest.approx(1.0),
    }
    assert results.cell_gap(1, "phone") == pytest.approx(0.55)
    assert results.cell_gap(2, "in_person") == pytest.approx(0.0)


def test_channel_and_overall_scores(small):
    results = results_of(small, ANSWERS)
    assert results.channel_scores == {
        IN_PERSON: pytest.approx(0.75),  # (1 + 0.5) / 2
        PHONE: pytest.approx(0.5),  # (0.5 + 0 + 1) / 3
    }
    assert results.overall_score == pytest.approx(0.6)  # 3 / 5


def test_all_not_applicable_gives_no_score_and_no_gap(small):
    answers = {**ANSWERS, ("d", "in_person"): "not_applicable", ("d", "phone"): "not_applicable"}
    results = results_of(small, answers)
    assert results.commitment_scores[2] is None
    assert results.commitment_gap(2) is None
    assert results.cell_scores[(2, IN_PERSON)] is None
    assert results.overall_score == pytest.approx(0.5)  # commitment 1 only


def test_only_picked_channels_are_scored(small):
    results = results_of(small, ANSWERS, channels={"phone"})
    assert results.channels == (PHONE,)
    assert set(results.cell_scores) == {(1, PHONE), (2, PHONE)}
    assert results.commitment_scores == {1: pytest.approx(0.25), 2: pytest.approx(1.0)}


def test_unanswered_items_are_left_out_of_a_draft_score(small):
    results = results_of(small, {("a", "phone"): "yes", ("b", "phone"): "no"})
    assert results.commitment_scores == {1: pytest.approx(0.5), 2: None}


def test_unknown_answer_code_is_refused(small):
    with pytest.raises(AnswerError, match="maybe"):
        results_of(small, {("a", "phone"): "maybe"})


def test_weakest_cells_come_first_and_unscored_ones_are_left_out(small):
    answers = {**ANSWERS, ("d", "phone"): "not_applicable"}
    cells = results_of(small, answers).weakest()
    assert [(c.commitment, c.channel) for c in cells] == [
        (1, PHONE),  # gap 0.8 - 0.25 = 0.55
        (2, IN_PERSON),  # 0.5 - 0.5 = 0
        (1, IN_PERSON),  # 0.8 - 1 = -0.2
    ]
    assert cells[0].gap == pytest.approx(0.55)


# --- comparison and network average ----------------------------------------------------------


def test_compare_with_previous_diagnostic(small):
    previous = results_of(small, {**ANSWERS, ("a", "in_person"): "no"})  # c1: 0.5/3
    deltas = compare(results_of(small, ANSWERS), previous)
    assert deltas[1].previous == pytest.approx(0.5 / 3)
    assert deltas[1].change == pytest.approx(0.5 - 0.5 / 3)
    assert deltas[2].change == pytest.approx(0.0)


def test_first_diagnostic_has_no_change(small):
    deltas = compare(results_of(small, ANSWERS), None)
    assert deltas[1].current == pytest.approx(0.5)
    assert deltas[1].previous is None and deltas[1].change is None


def test_compare_matches_commitments_by_code_across_versions(small):
    data = copy.deepcopy(SMALL)
    data["version"] = "test-v2"
    first, second = data["commitments"]
    first["number"], second["number"] = 2, 1
    renumbered = validate_questionnaire(data)
    current = results_of(renumbered, ANSWERS)
    deltas = compare(current, results_of(small, ANSWERS))
    assert deltas[1].previous == pytest.approx(0.75)  # "contact" was number 2
    assert deltas[2].previous == pytest.approx(0.5)


def test_network_average_per_commitment(small):
    one = results_of(small, ANSWERS)  # 0.5, 0.75
    two = results_of(small, {key: "yes" for key in ANSWERS})  # 1.0, 1.0
    not_concerned = {key: "not_applicable" for key in ANSWERS}
    three = results_of(small, {**not_concerned, ("a", "phone"): "no"})  # 0.0, None
    assert average_results([one, two, three]) == {
        1: pytest.approx(0.5),  # (0.5 + 1 + 0) / 3
        2: pytest.approx(0.875),  # (0.75 + 1) / 2: the N/A structure is left out
    }
    assert average_results([]) == {}


def test_network_average_refuses_mixed_versions(small):
    other = validate_questionnaire({**copy.deepcopy(SMALL), "version": "test-v2"})
    with pytest.raises(ValueError, match="versions"):
        average_results([results_of(small, ANSWERS), results_of(other, ANSWERS)])


# --- presentation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "share, expected",
    [(None, None), (0.0, 0), (1.0, 100), (0.625, 63), (2 / 3, 67), (0.575, 58), (0.3, 30)],
)
def test_percent_rounds_half_up(share, expected):
    assert percent(share) == expected


def test_format_percent():
    assert format_percent(0.625) == "63\u00a0%"
    assert format_percent(None) == "—"


def test_csv_rows(small):
    rows = results_to_csv_rows(small, results_of(small, ANSWERS))
    assert rows == [
        CSV_HEADER,
        ["1", "Accueil bienveillant", "Accueil physique", "100", "80", "-20"],
        ["1", "Accueil bienveillant", "Téléphone", "25", "80", "55"],
        ["2", "Contact facile", "Accueil physique", "50", "50", "0"],
        ["2", "Contact facile", "Téléphone", "100", "50", "-50"],
    ]


def test_csv_rows_leave_unscored_cells_blank(small):
    answers = {**ANSWERS, ("d", "in_person"): "not_applicable"}
    rows = results_to_csv_rows(small, results_of(small, answers))
    assert rows[3] == ["2", "Contact facile", "Accueil physique", "", "50", ""]


# --- validation ------------------------------------------------------------------------------


def broken(change):
    data = copy.deepcopy(SMALL)
    change(data)
    return data


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda d: d["channels"].append({"code": "fax", "label": "Fax"}),
            "unknown channel code 'fax'",
        ),
        (lambda d: d["channels"].append({"code": "phone", "label": "Tél."}), "duplicate channel"),
        (
            lambda d: d["commitments"][0]["questions"][1].update(channels=["online"]),
            r"commitments\[0\]\.questions\[1\]\.channels: unknown channel code 'online'",
        ),
        (
            lambda d: d["commitments"][1]["questions"][0].update(id="a"),
            "duplicate question id 'a'",
        ),
        (
            lambda d: d["commitments"][0].update(expected_level=1.2),
            r"commitments\[0\]\.expected_level: must be between 0 and 1",
        ),
        (lambda d: d["commitments"][0].update(expected_level=-0.1), "expected_level"),
        (lambda d: d["commitments"][0].pop("expected_level"), "expected_level: missing"),
        (lambda d: d["commitments"][0].pop("label"), r"commitments\[0\]\.label: missing"),
        (lambda d: d["commitments"][1].update(number=1), "duplicate commitment number 1"),
        (lambda d: d["commitments"][1].update(code="kind"), "duplicate commitment code"),
        (lambda d: d["commitments"][0]["questions"][0].pop("channels"), "channels: missing"),
        (lambda d: d["commitments"][0].update(questions=[]), "questions: must not be empty"),
        (lambda d: d.pop("version"), "version: missing"),
        (lambda d: d.update(published_on="someday"), "published_on"),
        (lambda d: d.pop("channels"), "channels: missing"),
        (lambda d: d["scale"].pop(), "'not_applicable' is missing"),
        (lambda d: d["scale"][3].update(value=0.2), "leave it null"),
        (lambda d: d["scale"][1].update(value=2), r"scale\[1\]\.value"),
    ],
)
def test_malformed_questionnaire_is_refused_with_a_clear_message(change, message):
    with pytest.raises(QuestionnaireError, match=message):
        validate_questionnaire(broken(change))


def test_every_problem_is_reported_at_once():
    def change(d):
        d.pop("title")
        d["commitments"][0].update(expected_level=3)

    with pytest.raises(QuestionnaireError) as error:
        validate_questionnaire(broken(change))
    assert len(error.value.errors) == 2


def test_bare_yaml_yes_is_caught():
    scale = yaml.safe_load("- {code: yes, label: Oui, value: 1.0}")
    with pytest.raises(QuestionnaireError, match="quote it"):
        validate_questionnaire({**copy.deepcopy(SMALL), "scale": scale})


def test_version_must_match_the_file_name(tmp_path):
    path = tmp_path / "2099-v1.yaml"
    path.write_text(yaml.safe_dump(SMALL, allow_unicode=True), encoding="utf-8")
    with pytest.raises(QuestionnaireError, match="file name"):
        load_questionnaire(path)


# --- the shipped questionnaire ---------------------------------------------------------------

DOMAIN_LABELS = [
    "Dans le respect mutuel, vous êtes accueillis avec bienveillance et avez le droit à l'erreur.",
    "Vous pouvez facilement entrer en contact avec vos services publics.",
    "Vous bénéficiez d'un accompagnement adapté à votre situation personnelle.",
    "Votre demande est traitée dans les délais annoncés.",
    "Vous disposez d'une information claire, simple et accessible.",
    "Vous avez accès à nos résultats de qualité de service.",
    "Votre avis est pris en compte pour améliorer le service rendu.",
]


@pytest.fixture(scope="module")
def shipped():
    return get_questionnaire("2023-v1")


def test_shipped_questionnaire_is_listed_and_current(shipped):
    assert "2023-v1" in available_versions()
    assert load_questionnaire(available_versions()["2023-v1"]) == shipped
    assert current_questionnaire().version >= "2023-v1"


def test_shipped_questionnaire_has_the_eight_commitments(shipped):
    assert [c.number for c in shipped.commitments] == list(range(1, 9))
    assert [c.label for c in shipped.commitments[:7]] == DOMAIN_LABELS
    assert all(0 <= c.expected_level <= 1 for c in shipped.commitments)


def test_shipped_questionnaire_uses_the_full_scale_and_every_channel(shipped):
    assert [level.code for level in shipped.scale.levels] == list(AnswerCode)
    assert shipped.scale.value("partly") == 0.5
    assert shipped.scale.value("not_applicable") is None
    assert [c.code for c in shipped.channels] == list(ChannelCode)
    specific = {
        q.channels[0] for c in shipped.commitments for q in c.questions if len(q.channels) == 1
    }
    assert specific == set(ChannelCode)


@pytest.mark.parametrize("channel", list(ChannelCode))
def test_every_commitment_has_questions_for_each_channel_alone(shipped, channel):
    assert {item.commitment for item in shipped.items({channel})} == set(range(1, 9))


def test_shipped_question_ids_follow_the_naming(shipped):
    for commitment in shipped.commitments:
        for question in commitment.questions:
            number, scope = re.fullmatch(r"c(\d)-(\w+)-\d", question.id).groups()
            assert int(number) == commitment.number
            expected = "all" if len(question.channels) == len(ChannelCode) else question.channels[0]
            assert scope == expected
