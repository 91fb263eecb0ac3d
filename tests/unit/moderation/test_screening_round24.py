"""Twenty-fourth round of the screening, tuned on dev24: health and disability, rural life,
big-city papers.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from services.moderation.screening import CHECKSUM_FAILED, screen
from tests.support.screening import in_field, of_kind


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Merci à l'aide-soignante Florence pour sa patience.", "Florence"),
        ("Muito obrigado senhora Ferreira de l'accueil.", "senhora Ferreira"),
        ("Gracias señor Castillo por su ayuda.", "señor Castillo"),
    ],
)
def test_names_of_this_round(text: str, name: str) -> None:
    assert name in of_kind(text, "person_name")


def test_a_name_said_in_a_text_message() -> None:
    assert of_kind("mon nom c diallo awa mon tel 07 12 34 56 78 merci", "person_name") == ["diallo awa"]


@pytest.mark.parametrize(
    "text",
    [
        "Je ne suis pas Nelson Mandela, mais j'attends aussi depuis longtemps.",
        "On descend à Guy Môquet puis on marche dix minutes.",
        "Mon fils a le syndrome de Gilles de la Tourette.",
    ],
)
def test_public_figures_of_this_round_stay_public(text: str) -> None:
    assert of_kind(text, "person_name") == []


@pytest.mark.parametrize(
    "text",
    ["Préfecture de la Lozère, Mende, 2 rue de la Rovère",
     "Commission de médiation DALO du Rhône, 33 rue Moncey"],
)
def test_an_office_with_its_town_before_its_address(text: str) -> None:
    assert in_field(text, "structure_hint", "address") == []


def test_a_foreign_word_for_passport_labels_its_number() -> None:
    assert of_kind("Mon passaporte FP123456 est chez eux depuis mars.", "identifier") == ["FP123456"]


@pytest.mark.parametrize(
    "text",
    [
        "je te retrouverai, toi et ta collègue",
        "je retrouverai l'agent qui a jeté mon dossier",
        "si ça continue je me pointe à la mairie avec un bidon d'essence",
        "le prochain qui me parle comme ça je lui colle mon poing dans la figure",
    ],
)
def test_threats_of_this_round(text: str) -> None:
    assert of_kind(text, "threat")


def test_finding_a_paper_again_is_no_threat() -> None:
    assert of_kind("je retrouverai mon attestation dans mes papiers", "threat") == []


def test_insults_of_this_round() -> None:
    assert of_kind("Ils sont tous pourris à cette agence.", "insult") == ["pourris"]
    assert of_kind("Ce médecin est un charlatan.", "insult") == ["charlatan"]


# From the strict-kind misses the spent halves still showed (heldout10, heldout13).
def test_a_phone_a_digit_short_after_a_bare_number_word_is_a_phone() -> None:
    text = "Sur ma fiche, mon numéro (07 21 5 48 33) est faux."
    assert of_kind(text, "phone") == ["07 21 5 48 33"]


def test_an_iban_dictated_in_words_after_rib_is_masked_whatever_its_key() -> None:
    text = "le rib c'est F R soixante-seize trente dix-huit zéro zéro douze quarante-cinq soixante-sept "
    text += "quatre-vingt-neuf dix vingt-trois quarante-cinq six douze"
    [flag] = [f for f in screen(text) if f.kind == "iban"]
    assert flag.note == CHECKSUM_FAILED and text[flag.start :].startswith("F R soixante-seize")


# Offices' addresses, from the false addresses of the development halves.
@pytest.mark.parametrize(
    "text",
    [
        "cpam de la sarthe, le mans, 178 av bollée",
        "Mairie du 3e arrondissement de Marseille, 62 rue Pavillon",
        "Adresse pour écrire : BP 112, 13233 Marseille Cedex",
        "Crèche municipale, 4 rue des Écoles, 75005 Paris",
    ],
)
def test_an_office_heading_its_own_address(text: str) -> None:
    assert in_field(text, "structure_hint", "address") == []


@pytest.mark.parametrize(
    "text",
    [
        "l agence caf c est au 12 rue de la gare",
        "Les bureaux de la MSA sont au 8 rue Victor Hugo, 47000 Agen.",
    ],
)
def test_an_office_said_to_be_at_an_address(text: str) -> None:
    assert of_kind(text, "address") == []


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("CROUS résidence Les Tilleuls, chambre 12, 3 rue Monge 21000 Dijon",
         "résidence Les Tilleuls, chambre 12, 3 rue Monge 21000 Dijon"),
        ("CARSAT / attestation pour Paulo Mendes, Rua do Carmo 14, 1200-093 Lisboa",
         "Rua do Carmo 14, 1200-093 Lisboa"),
    ],
)
def test_a_home_after_an_office_word_stays_private(text: str, address: str) -> None:
    assert address in in_field(text, "structure_hint", "address")
