"""Third round of the screening: the shapes met in text by writers the rules had never read.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from services.moderation.screening import CHECKSUM_FAILED, FlagKind, name_model, screen
from tests.support.screening import rules, spans


@pytest.fixture(scope="module")
def model():
    return name_model()


# --- phones


@pytest.mark.parametrize(
    ("text", "number"),
    [
        # cut once by a slash, spaced or not
        ("Mon portable : 07 81 / 22 45 09, merci.", "07 81 / 22 45 09"),
        ("appelez moi 06 44 12 98 / 30", "06 44 12 98 / 30"),
        ("Rappelez au 06/71 33 20 84 svp", "06/71 33 20 84"),
        # separators mixed after words of a phone
        ("mon tel 06.71-33 20,84 le soir", "06.71-33 20,84"),
        ("joignable au 07-12 34.56 78", "07-12 34.56 78"),
        ("mon num 06, 45 21 12 98", "06, 45 21 12 98"),
        ("joignable au 06..45..21..12..98", "06..45..21..12..98"),
        # stuck to the word after it
        ("joignable au0671332084apres 18h", "0671332084"),
        ("tel:0645211298svp", "0645211298"),
        # a lower-case o for a zero
        ("rappel o7 81 22 45 09 merci", "o7 81 22 45 09"),
    ],
)
def test_numbers_cut_by_a_slash_mixed_or_stuck_are_phones(text, number):
    assert rules(text) == [("phone", number)]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Voici mon numéro, tapé chiffre par chiffre pour passer votre filtre : 0 7 1 2 9 8 4 4 3 0.",
         "0 7 1 2 9 8 4 4 3 0"),
        ("0 6 . 4 1 . 7 7 . 2 0 . 9 3 c'est mon portable", "0 6 . 4 1 . 7 7 . 2 0 . 9 3"),
        ("0 7 5 5 1 9 8 2 4 3 voila", "0 7 5 5 1 9 8 2 4 3"),
        ("06 1 2 3 4 5 6 7 8 rappelez", "06 1 2 3 4 5 6 7 8"),
    ],
)  # fmt: skip
def test_a_number_typed_digit_by_digit_is_a_phone_beside_words_of_a_phone_or_a_mobile(text, number):
    assert rules(text) == [("phone", number)]


@pytest.mark.parametrize(
    "number",
    ["+687 77 12 34", "+689 87 12 34 56", "+508 41 23 45", "+596 696 12 98 44", "00 590 690 40 11 25",
     "+221 77 123 45 67", "+351 912 345 678", "0044 7700 900123", "0262 41 22 33", "0639 40 11 25"],
)  # fmt: skip
def test_overseas_and_foreign_numbers_are_phones(number):
    assert rules(f"Ma sœur est joignable au {number} le soir.") == [("phone", number)]


def test_a_word_in_capitals_ends_an_identifier_before_a_phone():
    text = "JE SUIS INSCRIT ID FRANCE TRAVAIL 7788123K TEL 06 71 33 20 84"
    assert ("phone", "06 71 33 20 84") in rules(text)
    assert ("identifier", "7788123K") in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "les chiffres 0 1 2 3 4 5 6 7 8 9 dans l'ordre",
        "score 0 6 1 2 en finale",
        "Rendez-vous le 06/12 14 30 au guichet.",
        "Le 06/12/2024 à 14h, puis le 07/01 à 10h.",
        "ouvert de 08:30 à 12:00 et 13:30-16:30",
        "montant 1 250,50 € puis 2 300,00 €",
        "J'ai appelé le 39 60, le 3949 puis le 3230 sans succès.",
        "le 0 809 401 401 des impôts puis le 0 800 12 34 56",
        "jai appele la poste au 05 56 10 20 31 cest leur standard",
        "Clinique des Lilas, service des entrées, 0596 55 10 10 (standard)",
        "J'ai essayé de vous joindre au 05 56 11 22 33 sans réponse.",
        "ni le 09 71 32 34 35 indiqué sur leur site, ni le courrier",
    ],
)
def test_public_numbers_switchboards_dates_hours_and_amounts_are_no_phones(text):
    assert rules(text) == []


def test_a_number_given_as_ones_own_after_calling_the_office_stays_a_phone():
    text = "Impossible de vous joindre, rappelez-moi au 06 11 22 33 44."
    assert rules(text) == [("phone", "06 11 22 33 44")]


@pytest.mark.parametrize(
    "text",
    ["la CPAM (05 90 21 44 44) m'a dit d'attendre", "le CCAS, tél. 02 97 01 23 45, est fermé le lundi"],
)
def test_a_landline_right_after_the_offices_name_is_the_offices(text):
    assert rules(text) == []


def test_a_landline_after_a_person_of_the_office_stays_a_phone():
    text = "Mme Tessier de la CAF, 01 23 45 67 89, m'a bien aidé."
    assert ("phone", "01 23 45 67 89") in rules(text)


# --- e-mails


@pytest.mark.parametrize(
    "email",
    ["karine.b chez free.fr", "paul.meunier (chez) orange.fr", "paul.meunier(a)orange.fr",
     "paul.meunier [a] orange.fr", "paul.meunier à orange.fr", "paul.meunier arobaz gmail.com",
     "paul.meunier@@gmail.com", "paul.meunier＠gmail.com", "paul.meunier@orange .fr",
     "paul.meunier@orange,fr", "c.dubreuil (arobase) outlook.fr"],
)  # fmt: skip
def test_more_obfuscated_addresses_are_emails(email):
    assert rules(f"mon mail : {email} merci") == [("email", email)]


@pytest.mark.parametrize(
    "text",
    [
        "je suis client chez free.fr depuis 10 ans",
        "Le fichier releve.pdf a bien été envoyé",
        "mon compte sur ants.gouv.fr a été bloqué",
        "J'ai écrit à accueil@mairie-exemple.fr puis à contact@caf.fr.",
    ],
)
def test_a_word_before_a_domain_and_office_mailboxes_are_no_emails(text):
    assert rules(text) == []


# --- IBAN


@pytest.mark.parametrize(
    "iban", ["FR76.3000.4000.0312.3456.7890.143", "FR76 3000 4000 0312\n3456 7890 143"]
)
def test_an_iban_with_dots_or_across_a_line_break_is_flagged(iban):
    [flag] = screen(f"iban : {iban} merci", use_model=False)
    assert (flag.kind, flag.note) == (FlagKind.IBAN, None)


def test_a_reference_with_dots_is_no_iban():
    assert rules("Réf. FR12.ABCD.2023 sur le relevé") == []


def test_a_nir_in_capitals_with_its_key_is_flagged():
    [flag] = screen("MA SECU 2 93 11 97 411 051 CLE 79 ARRETEZ DE LA PERDRE", use_model=False)
    assert flag.kind == FlagKind.NIR
    assert flag.note in (None, CHECKSUM_FAILED)


# --- addresses


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("jhabite 3 bis r. des acacias 97411 st paul", "3 bis r. des acacias 97411 st paul"),
        ("chez ma tante 8 chemin des manguiers 97430 le tampon, merci",
         "8 chemin des manguiers 97430 le tampon"),
        ("22 cours mirabeau 13100 aix en provence", "22 cours mirabeau 13100 aix en provence"),
        ("esc B, 4e étage, 40 pl. de la liberte 76600 le havre",
         "esc B, 4e étage, 40 pl. de la liberte 76600 le havre"),
        ("res. le clos fleuri, 9 chemin des vignes 84000 avignon",
         "res. le clos fleuri, 9 chemin des vignes 84000 avignon"),
        ("bt 2 esc C apt 31 cite des roses 97400 st denis",
         "bt 2 esc C apt 31 cite des roses 97400 st denis"),
        ("Je suis hébergée au foyer Aurore, chambre 8, 22 rue Pierre Sémard, 75009 Paris.",
         "foyer Aurore, chambre 8, 22 rue Pierre Sémard, 75009 Paris"),
        ("Logé en résidence (Bât C, ch. 112, 14 av. Jean Jaurès, 69007 Lyon), je n'ai pas de boîte.",
         "Bât C, ch. 112, 14 av. Jean Jaurès, 69007 Lyon"),
        ("Mon adresse : PK 12 route de Mana, 97360 Mana.", "PK 12 route de Mana, 97360 Mana"),
        ("habitant le lieu-dit Bois-Joli, PK 8, RN2, 97354 Rémire",
         "lieu-dit Bois-Joli, PK 8, RN2, 97354 Rémire"),
        ("Elle habite quartier Mont-Lucas, rue des Mangles, 97350 Iracoubo.",
         "quartier Mont-Lucas, rue des Mangles, 97350 Iracoubo"),
        ("L'adresse de la famille d'accueil : 5 impasse des Palmiers, 97600 Mamoudzou.",
         "5 impasse des Palmiers, 97600 Mamoudzou"),
        ("5 rue A. Briand 21000 Dijon", "5 rue A. Briand 21000 Dijon"),
        ("28 r Victor Hugo 33000 Bordeaux", "28 r Victor Hugo 33000 Bordeaux"),
        ("2 pl du marché 59000 lille cedex", "2 pl du marché 59000 lille cedex"),
        ("mon adresse 12 rue des lilas, rennes", "12 rue des lilas, rennes"),
        ("jhabite au 5 rue des 3 frères 97300 cayenne", "5 rue des 3 frères 97300 cayenne"),
        ("Je dors à l'hôtel social, 25 rue de Paris, 93100 Montreuil, chambre 4.",
         "25 rue de Paris, 93100 Montreuil, chambre 4"),
    ],
)  # fmt: skip
def test_addresses_in_lower_case_overseas_and_with_details_before_them(text, address):
    assert ("address", address) in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "La CAF de Bobigny, à deux pas du RER, 12 rue Hector Berlioz, est fermée le jeudi.",
        "Le centre des impôts, 14 rue Malher, 75004 Paris, ouvre à 9h.",
        "on ma dit daller a lagence du 15 rue jean moulin",
        "On m'a donné rendez-vous place de la Mairie.",
        "code postal 97400 mais pas de ville sur le courrier",
    ],
)
def test_office_addresses_streets_without_number_and_postal_codes_stay_unflagged(text):
    assert [k for k, _ in rules(text) if k == "address"] == []


def test_a_closing_word_after_a_comma_is_no_city():
    assert rules("j'habite 12 rue des lilas, merci.") == [("address", "12 rue des lilas")]


# --- names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("la gestionnaire amandine ne rappelle jamais", ["amandine"]),
        ("on ma envoye au guichet de yasmina", ["yasmina"]),
        ("merci a la conseillere fatou et a kevin de l'accueil", ["fatou", "kevin"]),
        ("merci sandrine et mehdi du ccas", ["sandrine et mehdi"]),
        ("MERCI BEAUCOUP A NADEGE ET KARIMA", ["NADEGE", "KARIMA"]),
        ("rdv avec mme le bihan mardi", ["mme le bihan"]),
        ("vu avec mr el amrani ce matin", ["mr el amrani"]),
        ("mme sylla aminata, 2 enfants", ["mme sylla aminata"]),
        ("de son vrai nom Jean-Noël RAVAILLE, né en 1950", ["Jean-Noël RAVAILLE"]),
        ("Hôpital Sud, service du Dr Ramsamy", ["Dr Ramsamy"]),
        ("CHUI KARIM BENSALEM ET JATTENDS", ["KARIM BENSALEM"]),
        ("mon fils s'appelle enzo lefebvre", ["enzo lefebvre"]),
    ],
)
def test_names_in_lower_case_in_capitals_and_compound_first_names(model, text, names):
    assert [s for k, s in spans(text) if k == "person_name"] == names


@pytest.mark.parametrize(
    ("text", "name"),
    [("yanis.morel", "yanis.morel"), ("fatima_b", "fatima_b"), ("j.martin", "j.martin"),
     ("nathalie roussel", "nathalie roussel"), ("karima b.", "karima b."), ("mamie josette", "josette")],
)  # fmt: skip
def test_a_pseudonym_made_of_a_persons_names_is_a_name(model, text, name):
    assert spans(text) == [("person_name", name)]


@pytest.mark.parametrize(
    "text",
    [
        "aidant.familial",
        "gwada_971",
        "marie-galante",
        "retraite.bloquee",
        "pas content",
        "Je suis Sénégalaise et je vis à Cergy.",
        "Nous sommes Comoriens, installés à Mayotte.",
        "un vieux monsieur Hmong m'a aidé à remplir le dossier",
        "madame la directrice n'a pas répondu",
        "le monsieur de l'accueil a été patient",
        "Le maire de Kourou, Alain Rivière, a promis un guichet.",
        "MERCI A TOUS",
        "ça s'appelle comment déjà ce formulaire",
    ],
)
def test_pseudonyms_without_a_name_peoples_functions_and_public_figures_are_no_names(model, text):
    assert [s for k, s in spans(text) if k == "person_name"] == []


# --- identifiers


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("num alloc 7712345 depuis 2015", ["7712345"]),
        ("Mon numéro CESU est le 1234567890, le compte est fermé.", ["1234567890"]),
        ("mon numero pajemploi est 9876543", ["9876543"]),
        ("Identifiant : 7788123X, radié sans raison.", ["7788123X"]),
        ("Numéro unique régional : 0931234567890, demande de logement de 2020.", ["0931234567890"]),
        ("Nos numéros fiscaux : 3012345678901 pour moi et 3012345678917 pour mon épouse.",
         ["3012345678901", "3012345678917"]),
    ],
)  # fmt: skip
def test_identifiers_after_short_labels_and_listed_after_another(text, numbers):
    assert [s for k, s in rules(text) if k == "identifier"] == numbers


@pytest.mark.parametrize(
    "text",
    [
        "Le SIRET de la mairie (217 500 016 00012) figure sur la facture.",
        "Notre SARL (SIRET 812 345 678 00024) a reçu une majoration.",
        "Mon recommandé n° 2C 987 654 3210 9 n'est jamais arrivé.",
        "Réf. : CARSAT/2023/AB/01234 — on me redemande une pièce.",
    ],
)
def test_an_offices_or_a_companys_siret_and_post_numbers_are_no_identifiers(text):
    assert rules(text) == []


def test_a_self_employed_persons_siret_stays_an_identifier():
    text = "Micro-entrepreneur (SIRET 812 345 678 00019), l'URSSAF me relance."
    assert rules(text) == [("identifier", "812 345 678 00019")]


# --- abuse


def test_a_threat_on_someone_else_and_a_vulgar_word_inside_a_threat():
    assert [k for k, _ in rules("il va voir ce qui va lui arriver ce guichetier")] == ["threat"]
    text = "Je vais revenir foutre le bordel dans votre agence avec un bidon d'essence."
    assert "vulgarity" not in [k for k, _ in rules(text)]


def test_creole_spellings_and_whole_insult_phrases():
    assert [k for k, _ in rules("Bande de kouyons à la caisse !")] == ["insult"]
    assert ("insult", "Espèces d'abrutis") in rules("Espèces d'abrutis, relisez mon dossier.")
    assert rules("vous êtes une bande de guignols") == [("insult", "une bande de guignols")]
    text = "Ces feignasses de fonctionnaires ne répondent jamais."
    assert rules(text) == [("insult", "feignasses de fonctionnaires")]
    assert rules("Quel c*nnard de conseiller.") == [("insult", "c*nnard")]
