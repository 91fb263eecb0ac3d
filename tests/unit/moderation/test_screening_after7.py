"""Shapes tuned after the seventh held-out half was scored: threats said as a condition
(« si je le recroise … il va comprendre »), animals let loose in an office; addresses whose
details follow the street; names before an envelope's address, typed without apostrophes,
in three parts, with particles in the author's field.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from services.moderation.screening import screen
from tests.support.screening import kinds, rules


def author(text: str) -> list[tuple[str, str]]:
    return [(str(f.kind), text[f.start : f.end])
            for f in screen(text, use_model=False, field="author_name")]


# --- threats


@pytest.mark.parametrize(
    ("text", "threat"),
    [
        ("Le type de l'accueil m'a humilié. Si je le croise au marché il va comprendre.",
         "Si je le croise au marché il va comprendre"),
        ("si je la recroise elle va le regretter", "si je la recroise elle va le regretter"),
        ("Coupez encore l'eau et je descends à la sous-préfecture avec mes chèvres et je vous "
         "les lâche dans l'accueil.", "je vous les lâche dans l'accueil"),
        ("je vous lâche mes chiens au prochain courrier", "je vous lâche mes chiens"),
    ],
)  # fmt: skip
def test_conditional_threats_and_animals_let_loose(text, threat):
    flagged = [s for k, s in rules(text) if k == "threat"]
    assert any(threat in s for s in flagged), flagged


@pytest.mark.parametrize(
    "text",
    [
        "si je la revois demain elle va comprendre le dossier",
        "si je le croise au marché il va comprendre la fiche ?",
        "le vétérinaire nous lâche avec nos brebis malades",
    ],
)
def test_no_threat_in_a_condition_without_harm(text):
    assert "threat" not in kinds(text)


# --- addresses: the details after the street, then the town


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Écrire au 42 rue des Tanneurs, 3e cour, esc. B, 69004 Lyon merci",
         "42 rue des Tanneurs, 3e cour, esc. B, 69004 Lyon"),
        ("c'est au 7 bis r. du Moulin, fond de cour, porte bleue, 31000 Toulouse.",
         "7 bis r. du Moulin, fond de cour, porte bleue, 31000 Toulouse"),
        ("domicile : 30 av. des Pins, bât. F, Nantes", "30 av. des Pins, bât. F, Nantes"),
        ("chez ma sœur, 5 allée des Saules, appt 12, Bondy. Merci", "5 allée des Saules, appt 12, Bondy"),
        ("Gaëlle, 14 rue Voltaire, Le Plessis-Robinson", "14 rue Voltaire, Le Plessis-Robinson"),
        ("ADRESSE : 21 AVENUE DES CHENES ESC. 4 APT 31 33000 BORDEAUX TEL",
         "21 AVENUE DES CHENES ESC. 4 APT 31 33000 BORDEAUX"),
    ],
)  # fmt: skip
def test_details_after_the_street_keep_the_town(text, address):
    assert ("address", address) in rules(text)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("au 8 rue Danton, Le Pont-Neuf est fermé", "8 rue Danton"),
        ("3 rue de l'Escalier 75011 Paris", "3 rue de l'Escalier 75011 Paris"),
    ],
)
def test_a_street_named_after_a_detail_word_or_a_sentence_after_it(text, address):
    assert ("address", address) in rules(text)


# --- names said without apostrophes or capitals, after « soussigné »


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("bonjour je m appelle farid meziane j ai un souci avec la caf", "farid meziane"),
        ("je suis monsieur pham van long, retraité", "pham van long"),
        ("je suis mme sok chanthy, j ai 70 ans", "sok chanthy"),
        ("Je soussigné TRAN MINH KHOA, demeurant à Ivry, atteste", "TRAN MINH KHOA"),
        ("Je soussignée Odile Ferrand certifie sur l'honneur", "Odile Ferrand"),
    ],
)
def test_names_after_cues_typed_loosely(text, name):
    names = [s for k, s in rules(text) if k == "person_name"]
    assert any(s in (name, f"monsieur {name}", f"mme {name}") for s in names), names


@pytest.mark.parametrize(
    "text",
    ["je suis madame la directrice du centre", "je suis monsieur tout le monde, rien de plus"],
)
def test_no_name_after_a_title_that_names_a_function(text):
    assert "person_name" not in kinds(text)


# --- a full name written again in another case or without its accents


@pytest.mark.parametrize(
    ("text", "again"),
    [
        ("Je soussigné PHAM MINH TUAN, domicilié à Lyon, demande … Salutations, Pham Minh Tuan",
         "Pham Minh Tuan"),
        ("Je m'appelle Trần Thị Hoa mais la carte porte « TRAN THI HOA »", "TRAN THI HOA"),
    ],
)  # fmt: skip
def test_a_full_name_written_again_in_another_case(text, again):
    assert ("person_name", again) in rules(text)


# --- a household after a word for neighbours, mail in the care of someone


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Nos voisins, les Perrault, ont reçu la même lettre", "Perrault"),
        ("mes cousins les Benhamou-Lévy habitent à côté", "Benhamou-Lévy"),
        ("envoyez le courrier c/o Garnier, merci", "Garnier"),
    ],
)
def test_household_and_care_of(text, name):
    assert ("person_name", name) in rules(text)


def test_a_nationality_after_friends_is_no_household():
    assert "person_name" not in kinds("nos amis les Portugais passent l'été ici")


# --- the author's field: a name with particles, « née », initials


@pytest.mark.parametrize(
    "text",
    [
        "de Villeneuve-Arnaud Clotilde",
        "BENALI née MANSOURI Samira",
        "PEREIRA DOS SANTOS Ana Paula",
        "J.-M. Castagnet-Roux",
    ],
)
def test_the_whole_author_field_is_the_name(text):
    assert author(text) == [("person_name", text)]


@pytest.mark.parametrize("text", ["Les Amis de Pierre", "La Maison de Marie"])
def test_a_group_named_after_a_person_is_not_taken_whole(text):
    assert ("person_name", text) not in author(text)


# --- a name in capitals at the head of an envelope, right before the street


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("PHAM THANH BINH\n12, rue des Orfèvres\n69002 LYON\nObjet : attestation", "PHAM THANH BINH"),
        ("Renvoyez la carte à : MOUSSA HALIDI Rue des Manguiers 97650 Bandraboua", "MOUSSA HALIDI"),
    ],
)
def test_capitals_before_a_street_are_a_name(text, name):
    assert ("person_name", name) in rules(text)


@pytest.mark.parametrize(
    "text",
    ["MAIRIE DE VILLEURBANNE 8 rue Pasteur", "ADRESSE : 9 RUE DES PINS 59000 LILLE"],
)
def test_an_office_or_a_label_in_capitals_before_a_street_is_no_name(text):
    assert "person_name" not in kinds(text)
