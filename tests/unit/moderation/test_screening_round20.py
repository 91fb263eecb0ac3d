"""Twentieth round of the screening, tuned on dev20 and the spent halves: older people and
their carers, health and disability, young people and work.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from tests.support.screening import in_field, of_kind, spans


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Pépé Marcel ne reçoit plus sa retraite depuis juin", "Pépé Marcel"),
        ("on est allés voir tatie Huguette à la maison de retraite", "tatie Huguette"),
        ("tout le monde l'appelle Dédé au village", "Dédé"),
        ("Je m'appelle Odile Lapierre et j'habite seule", "Odile Lapierre"),
        ("mon fiston nathan attend son AESH depuis la rentrée", "nathan"),
    ],
)
def test_names_of_this_round(text: str, name: str) -> None:
    assert name in [s for k, s in spans(text) if k == "person_name"]


def test_a_kin_word_after_a_comma_names_the_parent() -> None:
    assert in_field("Sylvie P., fille de Gisèle", "author_name") == ["Sylvie P.", "Gisèle"]


@pytest.mark.parametrize(
    "text",
    [
        "Merci à la CARSAT de Nancy qui a enfin trouvé mes trimestres.",
        "Le Docteur Knock de la sécu m'a encore convoqué.",
        "Des biscuits Papy Brossard pour la salle d'attente, ça serait bien.",
        "Ma référente RQTH m'a rappelé le lendemain.",
    ],
)
def test_towns_brands_characters_and_acronyms_name_no_one(text: str) -> None:
    assert of_kind(text, "person_name") == []


@pytest.mark.parametrize(
    "hint",
    [
        "Résidence universitaire Jean Zay, Antony",
        "Hôpital européen Georges-Pompidou, urgences",
        "CHU de Bordeaux, site Pellegrin",
    ],
)
def test_the_town_or_building_of_a_place_is_no_person(hint: str) -> None:
    assert in_field(hint, "structure_hint") == []


def test_a_person_named_in_the_place_field_is_still_named() -> None:
    assert in_field("CAF de Nancy, bureau de Mme Florence", "structure_hint") == ["Mme Florence"]


def test_the_number_of_an_office_someone_gave_is_public() -> None:
    text = "La mairie m'a donné le numéro du CCAS, 03 80 41 22 00, mais personne ne répond."
    assert of_kind(text, "phone") == []


def test_a_number_in_an_office_label_given_for_a_son_is_still_personal() -> None:
    assert of_kind("voici le numéro du CCAS de mon fils 06 21 43 65 87", "phone") == ["06 21 43 65 87"]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Ma mère est adhérente n° 551203987 à la mutuelle.", "551203987"),
        ("Mon numéro de pension d'invalidité est le 0081234455.", "0081234455"),
    ],
)
def test_member_and_pension_numbers_are_identifiers(text: str, number: str) -> None:
    assert of_kind(text, "identifier") == [number]


def test_opening_hours_after_an_office_are_no_identifier() -> None:
    assert of_kind("Horaires de la CARSAT de Tulle : 9h-12h30 et 14h-16h.", "identifier") == []


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Mon père (DN 14.07.41) n'a plus de médecin traitant.", "14.07.41"),
        ("Dès la naissance de Lina, le 2 mars 2021, on a fait la demande.", "2 mars 2021"),
    ],
)
def test_dates_of_birth_of_this_round(text: str, date: str) -> None:
    assert of_kind(text, "birth_date") == [date]


def test_a_birth_told_without_its_year_is_no_date_of_birth() -> None:
    assert of_kind("J'attends la prime depuis la naissance de Jules le 3 janvier.", "birth_date") == []


def test_a_death_told_is_no_threat() -> None:
    assert "threat" not in {k for k, _ in spans("Mon mari gérait tout. Il est mort en 2019. Merci.")}


@pytest.mark.parametrize(
    "text",
    [
        "Mme Fabre, vous allez payer pour ce que vous avez fait à ma mère.",
        "Dites à votre collègue qu'il a intérêt à ne pas sortir seul ce soir.",
        "t'es mort si je te recroise",
    ],
)
def test_threats_of_this_round(text: str) -> None:
    assert "threat" in {k for k, _ in spans(text)}


@pytest.mark.parametrize(
    ("text", "word"),
    [("ce clown de Mr Petit m'a radié", "clown"), ("cette vipère de Mme Petit m'a radiée", "vipère")],
)
def test_a_word_of_contempt_before_a_titled_name_is_an_insult(text: str, word: str) -> None:
    assert of_kind(text, "insult") == [word]
