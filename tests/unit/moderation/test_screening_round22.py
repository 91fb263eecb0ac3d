"""Twenty-second round of the screening, tuned on dev22 and the spent halves: money matters;
papers, transport and school; a day's mix across every office.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from tests.support.screening import in_field, of_kind, spans


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Le médecin-conseil, Dr Attal, m'a reçu deux minutes.", "Dr Attal"),
        ("Au téléphone, il s'est présenté comme Kevin, puis il a raccroché.", "Kevin"),
        ("Courrier adressé à Mme de la Roche-Aymon, qui n'habite plus ici.", "Mme de la Roche-Aymon"),
    ],
)
def test_names_of_this_round(text: str, name: str) -> None:
    assert name in [s for k, s in spans(text) if k == "person_name"]


@pytest.mark.parametrize(
    ("field_text", "name"),
    [("Sandrine Moulin0612457890", "Sandrine Moulin"), ("P. Van der Berg", "P. Van der Berg")],
)
def test_author_names_of_this_round(field_text: str, name: str) -> None:
    assert in_field(field_text, "author_name") == [name]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("Je suis professeur des écoles à Laval depuis dix ans.", "body"),
        ("Collège public Jean Moulin, secrétariat", "structure_hint"),
        ("accueil de la CPAM, le grand monsieur barbu", "structure_hint"),
        ("Le père Fouettard", "author_name"),
        ("Merci Mme la Directrice de la CAF.", "body"),
    ],
)
def test_functions_places_and_characters_name_no_one(text: str, field: str) -> None:
    assert in_field(text, field) == []


def test_a_minister_named_without_a_title_stays_public() -> None:
    assert of_kind("Catherine Vautrin a annoncé une réforme.", "person_name") == []


def test_a_french_department_is_no_misspelt_insult() -> None:
    assert of_kind("Les habitants de la Lozère attendent toujours le bus.", "insult") == []


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Numéro de point de livraison : 14482233019876, compteur jamais relevé.", "14482233019876"),
        ("Mon SIRET à moi c'est le 532 109 876 00025.", "532 109 876 00025"),
    ],
)
def test_identifiers_of_this_round(text: str, number: str) -> None:
    assert of_kind(text, "identifier") == [number]


def test_a_number_given_with_opening_hours_is_an_office_s() -> None:
    text = "Écrivez au SIP ou appelez le 02 41 22 33 00 aux heures d'ouverture."
    assert of_kind(text, "phone") == []


@pytest.mark.parametrize(
    "text",
    [
        "heureusement que j'étais calme, sinon je lui en collais une",
        "si mon père meurt faute de soins, je saurai où vous trouver",
        "je viendrai régler ça avec le directeur, et pas avec des mots",
        "je vais vous pourrir sur tous les réseaux sociaux",
    ],
)
def test_threats_of_this_round(text: str) -> None:
    assert "threat" in {k for k, _ in spans(text)}


def test_an_old_woman_called_mad_is_insulted() -> None:
    assert of_kind("l'agent l'a traitée de « vieille folle »", "insult") == ["vieille folle"]



@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("mon mail c est Paul. Girard@Free. Fr le correcteur met des majuscules", "Paul. Girard@Free. Fr"),
        ("voila mon mail : lucie . martin 75 @ gmail . com avec les espaces",
         "lucie . martin 75 @ gmail . com"),
    ],
)
def test_an_address_typed_with_blanks_around_its_dots_is_masked_whole(text: str, address: str) -> None:
    assert of_kind(text, "email") == [address]


# From the strict-kind misses of heldout15–heldout18, read after this round's scoring (those
# halves are spent since); the sentences are invented again for the same shapes.
@pytest.mark.parametrize(
    ("text", "kind", "span"),
    [
        ("Son adresse pro : marie-claire.vasseur@cpam-lille.fr, elle répond vite.", "email",
         "marie-claire.vasseur@cpam-lille.fr"),
        ("Rappel au 89456712 svp, c'est le portable de mon frère", "phone", "89456712"),
        ("Chez nous : +687 75 12 40, ou chez ma tante au 27 53 61.", "phone", "27 53 61"),
        ("c'est paul tiret du six henry arobase free point fr", "email",
         "paul tiret du six henry arobase free point fr"),
        ("mon numéro 1840375112045 ne passe pas, il manque la clé sur ma carte", "nir", "1840375112045"),
        ("mon numero est le 7 1 2 3 4 5 6 7 8 precede du zero", "phone", "7 1 2 3 4 5 6 7 8"),
    ],
)
def test_strict_kinds_from_the_spent_halves(text: str, kind: str, span: str) -> None:
    assert span in [s for k, s in spans(text) if k == kind]


def test_a_fiscal_number_of_thirteen_digits_stays_an_identifier() -> None:
    assert of_kind("Mon numéro fiscal : 3012458796214, la clé est sur l'avis", "identifier") == [
        "3012458796214"
    ]


# From the names heldout15–heldout18 still missed, read after their strict kinds (spent).
@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("la dame qui s appelle nadege m a bien aidée", "nadege"),
        ("Mes voisins : Hugo 06 12 48 75 33, Léon 07 81 22 64 10.", "Hugo"),
        ("Mr gerard a égaré mon dossier", "Mr gerard"),
        ("Je vous écris pour mon colocataire Mbarga Nkodo Serge, arrivé en septembre.",
         "Mbarga Nkodo Serge"),
        ("madame Girard G I R A R D sans accent", "G I R A R D"),
        ("si je recroise cet abruti de Morvan au guichet", "Morvan"),
        ("Merci à Mme Lyon, qui m'a rappelée le jour même.", "Mme Lyon"),
        ("C'est M. Février qui gère mon dossier, sans rire.", "M. Février"),
    ],
)
def test_names_from_the_spent_halves(text: str, name: str) -> None:
    assert any(name in found for found in [s for k, s in spans(text) if k == "person_name"])


@pytest.mark.parametrize(
    "text",
    [
        "C O N N A R D S voilà ce que vous êtes",
        "Le site s appelle Ameli et il plante",
        "Madame rose le dossier",
    ],
)
def test_insults_spelled_and_words_after_a_title_name_no_one(text: str) -> None:
    assert of_kind(text, "person_name") == []
