"""Twenty-third round of the screening, tuned on dev23: writing for someone else, typing in a
hurry on a phone, formal letters with their signatures and references; and the speed-up of the
lower-case first names.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from tests.support.screening import in_field, of_kind, rules


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Ma grand-mère et moi, on a vu un agent qui s appelait Julien à la CAF.", "Julien"),
        ("Bonjour, je suis Kouadio Aya, et j'attends mon titre depuis un an.", "Kouadio Aya"),
        ("Ia ora na, je suis Teva Tehaamatai, j'habite Papeete.", "Teva Tehaamatai"),
        ("Respectueusement, Marie-Odile VAN DER STRAETEN, 14 rue des Prés, 59000 Lille.",
         "Marie-Odile VAN DER STRAETEN"),
        ("Le Goff Maëlle a signé pour moi.", "Le Goff Maëlle"),
    ],
)
def test_names_of_this_round(text: str, name: str) -> None:
    assert name in of_kind(text, "person_name")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("la nana de la caf sabrina elle m a raccroché au nez", "sabrina"),
        ("mon conseiller france travail julien il repond jamais", "julien"),
        ("merci pour votre aide. cordialement. monique garnier, 8 rue des lilas, 21000 dijon",
         "monique garnier"),
    ],
)
def test_lower_case_names_of_this_round(text: str, name: str) -> None:
    assert name in of_kind(text, "person_name")


def test_a_name_signed_before_a_farm_keeps_its_whole_surname() -> None:
    found = rules("Signé : Jean-Loup Le Bras, EARL de Kerhoas, lieu-dit Kerhoas, 29260 Ploudaniel.")
    assert ("person_name", "Jean-Loup Le Bras") in found
    assert ("address", "EARL de Kerhoas, lieu-dit Kerhoas, 29260 Ploudaniel") in found


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Écrivez-moi : Mme Odette Vigneron, « La Bergerie », 24200 Sarlat-la-Canéda.",
         "« La Bergerie », 24200 Sarlat-la-Canéda"),
        ("Adresse : M. Paul Fabre, Le Mas de l'Olivier, chemin vicinal n° 7, 30250 Sommières.",
         "Le Mas de l'Olivier, chemin vicinal n° 7, 30250 Sommières"),
    ],
)
def test_an_address_signed_after_a_name(text: str, address: str) -> None:
    assert address in of_kind(text, "address")


@pytest.mark.parametrize(
    "text",
    [
        "CARSAT Bretagne, 236 rue de Châteaugiron, CS 10001, 35030 Rennes Cedex 9",
        "Centre des finances publiques, 3 place Carnot, 21032 Dijon Cedex 9",
        "L'UDAF du Cher, 12 avenue de la Gare, 18000 Bourges, ne répond pas.",
        "Chambre de métiers et de l'artisanat du Gers, 8 rue des Lilas, 32000 Auch",
        "Écrivez à notre avocat, Cabinet Lemaire, 9 place d'Armes, 62000 Arras.",
        "Mme Roussel, MSA de Dordogne, 24000 Périgueux, m'a bien aidé.",
    ],
)
def test_an_office_address_is_no_ones(text: str) -> None:
    assert of_kind(text, "address") == []


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("URSSAF Auvergne, accueil sur rendez-vous", "structure_hint"),
        ("Il vient en taxi depuis Bandraboua chaque semaine.", "body"),
        ("je suis à la fac Jean Monnet et le CROUS ne répond pas", "body"),
        ("Je suis Française et fière de l'être.", "body"),
        ("Je suis Handicapé.", "body"),
    ],
)
def test_regions_towns_and_schools_name_no_one(text: str, field: str) -> None:
    assert in_field(text, field) == []


def test_an_address_spelled_letter_by_letter_with_two_letters_between_its_signs() -> None:
    text = "c'est l e o point b k at f r e e point f r merci"
    assert of_kind(text, "email") == ["l e o point b k at f r e e point f r"]


@pytest.mark.parametrize(
    "text",
    [
        "jte jure si je le revois jlui pete sa gueule",
        "je vous souhaite de crever tous autant que vous êtes",
        "tu mérites une bonne baffe",
        "vous perdez rien pour attendre, croyez-moi",
        "la prochaine fois ça va pas être pour discuter",
        "heureusement que ma fille était là, sinon ça se serait fini autrement",
    ],
)
def test_threats_of_this_round(text: str) -> None:
    assert of_kind(text, "threat")


def test_a_vulgar_word_said_to_someone_is_an_insult() -> None:
    assert of_kind("t es qu une merde toi", "insult") == ["merde"]
    assert of_kind("Allez tous vous faire foutre.", "insult") == ["Allez tous vous faire foutre"]
    assert of_kind("chiasse d'administration", "vulgarity") == ["chiasse"]


def test_a_pension_number_is_an_identifier() -> None:
    assert of_kind("Mon numéro de pension civile : 07 318 442 5 K.", "identifier") == ["07 318 442 5 K"]


def test_only_a_first_name_is_read_as_a_lower_case_name() -> None:
    """The lower-case first names skip every word that is no first name before reading its
    context: « kevin » is still found, none of the other words."""
    text = "merci a kevin et a la dame du guichet, le dossier est parti"
    assert of_kind(text, "person_name") == ["kevin"]
