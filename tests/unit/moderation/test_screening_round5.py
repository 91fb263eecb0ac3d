"""Fifth round of the screening: a normalised view for the number detectors, e-mails
anchored on their domain, phones by digit density, tolerant NIR and IBAN shapes, and the
shapes of names, addresses, dates and threats met in the fifth corpus.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import time

import pytest

from services.moderation.screening import screen
from services.moderation.screening_normal import normalised
from tests.support.screening import kinds, rules

# --- the normalised view


@pytest.mark.parametrize(
    ("text", "view"),
    [
        ("rappel O7 l2 45 8O 19", "rappel 07 12 45 80 19"),
        ("tel zéro six 45 dix-huit 07 33", "tel 06 45 18 07 33"),
        ("au 06 41 🙏 puis 22 80 17", "au 06 41 22 80 17"),
        ("sécu deux 91 03 12 345 678 clé 04", "sécu 2 91 03 12 345 678 clé 04"),
        ("habite vingt-deux rue Haute", "habite 22 rue Haute"),
    ],
)
def test_the_view_rewrites_digits_typed_as_letters_words_or_signs(text, view):
    assert normalised(text).text == view


@pytest.mark.parametrize(
    "text",
    [
        "Il a deux enfants et un chien.",
        "Une fois sur deux la borne est en panne.",
        "Il faut trois jours pour une réponse.",
    ],
)
def test_prose_without_digits_reads_the_same_in_the_view(text):
    assert normalised(text) is None


def test_a_flag_found_on_the_view_masks_the_characters_as_typed():
    text = "mon portable zéro sept 61 42 88 10 merci"
    assert rules(text) == [("phone", "zéro sept 61 42 88 10")]


# --- phones: letters for digits, words, signs and words between the groups


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("rappelez moi au O6 I2 58 31 74", "O6 I2 58 31 74"),
        ("mon tel 07 4l 2O 93 18", "07 4l 2O 93 18"),
        ("tel 06 douze 58 31 74 le soir", "06 douze 58 31 74"),
        ("+33 sept 41 28 93 65 sur whatsapp", "+33 sept 41 28 93 65"),
        ("plus 33 6 41 28 93 65 depuis l'Espagne", "plus 33 6 41 28 93 65"),
        ("mon numéro 07 41 ⭐ 28 93 65", "07 41 ⭐ 28 93 65"),
        ("joignable au 06 41 → 28 93 65", "06 41 → 28 93 65"),
        ("tel 06 41 28 et ensuite 93 65", "06 41 28 et ensuite 93 65"),
        ("Depuis la Belgique : 0033-7-41-28-93-65", "0033-7-41-28-93-65"),
    ],
)
def test_digits_typed_as_letters_words_or_with_signs_between_them_are_phones(text, number):
    assert rules(text) == [("phone", number)]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        # a digit short or long
        ("tel 07 41 28 93 6 (il manque un chiffre)", "07 41 28 93 6"),
        ("appelez moi 06-41-28-93-65-1", "06-41-28-93-65-1"),
        # a foreign mobile or a number of another country after words about a phone
        ("mon numéro anglais 07700 900461 le soir", "07700 900461"),
        ("mon numéro tunisien 71 234 567 merci", "71 234 567"),
        ("joignable au 89 41 27 30 à Papeete", "89 41 27 30"),
        # an overseas code typed without its plus
        ("en Guadeloupe c'est le 590 690 41 28 93", "590 690 41 28 93"),
    ],
)
def test_a_stretch_of_digits_shaped_like_a_phone_is_one_even_a_digit_off(text, number):
    assert rules(text) == [("phone", number)]


def test_an_agents_direct_line_in_a_signature_is_a_phone():
    text = "Cordialement, Mme Lina Roche, conseillère. Tél. direct : 03 44 71 20 58 Accueil : 3646"
    assert ("phone", "03 44 71 20 58") in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "Le compteur affichait 0 1 2 3 4 5 6 7 8 9.",
        "du 01 02 2024 au 05 02 2024 rien reçu",
        "j'ai payé 1 250 euros puis 300 euros",
        "commande 0600123456789 reçue hier",
        "né en 1937-02-09 selon l'acte",
        "dossier 0 12 45 78 96 33 en cours",
        "il a 06 ans et 12 mois",
    ],
)
def test_lists_dates_amounts_and_references_are_no_phones(text):
    assert "phone" not in kinds(text)


# --- e-mails anchored on the domain


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("mail : romy.v 🌸 gmail.com", "romy.v 🌸 gmail.com"),
        ("écrire à tess.b → yahoo.fr", "tess.b → yahoo.fr"),
        ("contact: yann.le sur outlook.fr", "yann.le sur outlook.fr"),
        ("Répondez à noah-garnier CHEZ free.fr", "noah-garnier CHEZ free.fr"),
        ("mon adresse ilan.r gmail.com (j'ai pas l'arobase)", "ilan.r gmail.com"),
        ("mail rayane77 hotmail fr", "rayane77 hotmail fr"),
        ("adresse : mael.t (a) laposte net", "mael.t (a) laposte net"),
        ("mon mail jade.p ⓐ icloud.com", "jade.p ⓐ icloud.com"),
        ("mail : lou.f // gmail // com", "lou.f // gmail // com"),
        ("c'est chez iris.m chez monfai.fr", "iris.m chez monfai.fr"),
        # a first name glued to a name or an initial needs no separator
        ("mail : sofianeb 🌀 gmail.com", "sofianeb 🌀 gmail.com"),
        ("écrivez à clarabenoit sur outlook.fr", "clarabenoit sur outlook.fr"),
    ],
)
def test_a_local_part_then_a_provider_or_a_site_is_an_email_whatever_stands_for_the_at(text, email):
    assert rules(text) == [("email", email)]


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("écrivez à paul point henry chez orange point fr",
         "paul point henry chez orange point fr"),
        ("mail : sacha underscore leroy 75 at gmail point com",
         "sacha underscore leroy 75 at gmail point com"),
        ("adresse : nina tiret bas roux arobase free point fr",
         "nina tiret bas roux arobase free point fr"),
        ("mail: eva tiret morel arrobe hotmail point fr", "eva tiret morel arrobe hotmail point fr"),
        ("mail gabin.fabre78, arobase yahoo point fr", "gabin.fabre78, arobase yahoo point fr"),
        ("adresse louise.dumasarobaselaposte.net", "louise.dumasarobaselaposte.net"),
    ],
)  # fmt: skip
def test_words_for_the_signs_inside_the_local_part_belong_to_the_email(text, email):
    assert rules(text) == [("email", email)]


def test_a_familys_mailbox_at_a_consumer_provider_is_personal():
    text = "répondez à contact.famille-moreau@orange.fr merci"
    assert rules(text) == [("email", "contact.famille-moreau@orange.fr")]


@pytest.mark.parametrize(
    "text",
    [
        "J'ai reçu un mail de orange.fr hier",
        "je suis sur gmail.com depuis hier",
        "Connectez-vous sur www.caf.fr pour voir",
        "j'ai un forfait chez Free et un autre chez SFR",
        "le colis est chez laposte depuis lundi",
        "Le bureau est au rond-point SFR à côté du marché",
        "écrivez à accueil.caf@caf.fr pour le dossier",
        "allez sur impots.gouv.fr rubrique particulier",
        "merci 🙏 gmail.com marche enfin",
        "Laurent chez free.fr m'a répondu",
    ],
)
def test_providers_and_sites_named_in_prose_are_no_emails(text):
    assert "email" not in kinds(text)


# --- NIR: any separators, a first digit in words, a digit off


@pytest.mark.parametrize(
    ("text", "nir"),
    [
        ("NIR 2/91/03/12/345/678/04", "2/91/03/12/345/678/04"),
        ("num secu 1_85_05_75_123_456_78", "1_85_05_75_123_456_78"),
        ("sécu : 2910312345678 + clé 04", "2910312345678 + clé 04"),
        ("NIR 2 91 03 12 345 678 — clé 04", "2 91 03 12 345 678 — clé 04"),
        ("N° SS : 2910312345678 [04]", "2910312345678 [04"),
        ("N° sécu : 1 85 05 75 123 456 clef 78", "1 85 05 75 123 456 clef 78"),
        ("numéro de sécu deux 91 03 12 345 678 clé 04", "deux 91 03 12 345 678 clé 04"),
        ("Mon NIR un 85 05 75 123 456 78", "un 85 05 75 123 456 78"),
        ("secu 1 85 05 75 123 45 78 (un chiffre manque)", "1 85 05 75 123 45 78"),
        ("NIR 1 85 05 🙂 75 123 456 78", "1 85 05 🙂 75 123 456 78"),
    ],
)
def test_a_nir_with_any_separators_a_word_for_its_first_digit_or_a_digit_off(text, nir):
    assert rules(text) == [("nir", nir)]


# --- IBAN: a group missing or extra, cut by words or signs


@pytest.mark.parametrize(
    ("text", "iban"),
    [
        ("RIB : FR76 3000 6000 0112 7890 189", "FR76 3000 6000 0112 7890 189"),
        ("IBAN FR76 3000 6000 0112 3456 7890 1894 0", "FR76 3000 6000 0112 3456 7890 1894 0"),
        ("IBAN FR76 3000 6000 0112 puis la fin 3456 7890 189",
         "FR76 3000 6000 0112 puis la fin 3456 7890 189"),
        ("IBAN FR76 3000 6000 0112 / 3456 7890 189", "FR76 3000 6000 0112 / 3456 7890 189"),
        ("IBAN FR76 3000 6000 0112 (la suite) 3456 7890 189",
         "FR76 3000 6000 0112 (la suite) 3456 7890 189"),
        ("mon iban fr76 3000 6000 0112 3456 7890", "fr76 3000 6000 0112 3456 7890"),
    ],
)  # fmt: skip
def test_an_iban_with_a_group_missing_or_extra_or_cut_by_words_is_masked(text, iban):
    assert rules(text) == [("iban", iban)]


@pytest.mark.parametrize(
    "text",
    [
        "le FR76 3000 6000 0112 et 2 enfants",
        "référence FR24 0000 1234 du dossier",
        "BIC BNPAFRPPXXX et code guichet 00012",
    ],
)
def test_short_shapes_after_a_country_code_are_no_iban(text):
    assert "iban" not in kinds(text)


# --- addresses


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("j'habite trente rue des Mimosas, 13008 Marseille",
         "trente rue des Mimosas, 13008 Marseille"),
        ("adresse : CADA Le Phare, chambre 12, 3 rue du Port, 29200 Brest",
         "CADA Le Phare, chambre 12, 3 rue du Port, 29200 Brest"),
        ("je vis au 14 rue Haute, 1000 Bruxelles depuis mars", "14 rue Haute, 1000 Bruxelles"),
        ("chez moi à Québec : 210 rue Saint-Jean, G1R 1P1 Québec",
         "210 rue Saint-Jean, G1R 1P1 Québec"),
        ("écrivez-moi Villa 18, Cité Les Almadies, Dakar", "Villa 18, Cité Les Almadies, Dakar"),
    ],
)  # fmt: skip
def test_addresses_with_a_number_in_words_a_shelter_or_a_postal_code_abroad(text, address):
    assert ("address", address) in rules(text)


# --- names


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Nom FOURNIER | Prénom Agathe | Tél 06 41 28 93 65", "FOURNIER"),
        ("ASSURE: MARCHAL DENIS | NIR 1 85 05 75 123 456 78", "MARCHAL DENIS"),
        ("virement au titulaire GOMIS ANNA, RIB joint", "GOMIS ANNA"),
    ],
)
def test_a_name_in_capitals_after_a_forms_label_without_colon(text, name):
    assert ("person_name", name) in rules(text)


def test_a_surname_flagged_once_is_flagged_where_it_comes_back():
    text = "La carte est au nom de M. Kévin TRAORÉ, la banque écrit TRAORE sans accent."
    assert ("person_name", "TRAORE") in rules(text)


def test_a_firm_named_after_the_person_is_not_flagged_again():
    text = "Mme Odile Perret, gérante de la SARL Perret Transports, attend sa réponse."
    assert ("person_name", "Perret") not in rules(text)


def test_salarie_before_a_word_in_capitals_that_is_no_name():
    assert "person_name" not in kinds("URGENT SALARIE EN ARRET DEPUIS LE 04/01")


# --- dates of birth with a two-digit year


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("née le 12 octobre 57 à Lens", "12 octobre 57"),
        ("né le 3 mai 88, je demande ma carte", "3 mai 88"),
    ],
)
def test_a_birth_date_with_a_two_digit_year_after_its_month(text, date):
    assert ("birth_date", date) in rules(text)


def test_a_birth_month_followed_by_an_age_keeps_only_the_day_and_month():
    assert ("birth_date", "3 mai") in rules("né le 3 mai 40 ans plus tard")


# --- threats and insults


@pytest.mark.parametrize(
    "text",
    [
        "LA PROCHAINE FOIS JE VIENS AVEC MES FRERES",
        "je viens régler ça moi-même si personne ne bouge",
        "un jour il y aura un drame dans ce bureau",
        "qu'il ait intérêt à ne pas croiser ma route",
        "Je viendrai vous chercher un par un.",
        "si ça continue ça finira en fait divers",
        "j'ai bien envie de lui casser la figure à cet agent",
        "je vous envoie mes cousins demain",
        "vous finirez tous pendus",
        "je viens foutre le feu à votre agence",
    ],
)
def test_threats_in_the_shapes_of_the_fifth_corpus(text):
    assert "threat" in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "Mon passeport est prêt, je viendrai le chercher.",
        "vous avez de la chance d'avoir un travail",
        "la prochaine fois je viendrai avec mon fils pour m'aider",
        "je viens chercher mon attestation demain",
    ],
)
def test_coming_back_or_luck_without_menace_is_no_threat(text):
    assert "threat" not in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "Espèces de bureaucrates planqués, vous ne foutez rien",
        "cette dame est une incompétente et une menteuse",
        "vous êtes des zéros",
    ],
)
def test_insults_aimed_in_a_second_breath_or_after_a_persons_noun(text):
    assert "insult" in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "le dossier est une catastrophe et une honte",
        "zéro six douze, c'est mon indicatif",
        "ma voiture vendue en 2019",
    ],
)
def test_the_same_words_said_of_things_are_no_insults(text):
    assert "insult" not in kinds(text)


# --- identifiers


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Passeport algérien n°: K 581 204, expiré", "K 581 204"),
        ("n° de carte 6300219874, perdue au marché", "6300219874"),
        ("le numéro de ma plainte c'est le 2024/118034", "2024/118034"),
    ],
)
def test_a_number_after_its_documents_label_with_a_spaced_letter_or_a_card(text, number):
    assert ("identifier", number) in rules(text)


def test_a_phone_after_the_word_card_without_a_number_sign_stays_a_phone():
    assert rules("la carte 06 41 28 93 65 de mon fils") == [("phone", "06 41 28 93 65")]


# --- more shapes of dictation, providers and addresses abroad


@pytest.mark.parametrize(
    ("text", "kind", "span"),
    [
        ("mon numéro zéro six double quatre 12 80 35", "phone", "zéro six double quatre 12 80 35"),
        ("tel : zéro sept, trente, double zéro, quarante-deux, dix-neuf", "phone",
         "zéro sept, trente, double zéro, quarante-deux, dix-neuf"),
        ("mail ines.roy arobase hot mail point fr", "email", "ines.roy arobase hot mail point fr"),
        ("j'habite Rue de la Station 41, 1080 Molenbeek depuis mai", "address",
         "Rue de la Station 41, 1080 Molenbeek"),
    ],
)  # fmt: skip
def test_doubled_digits_providers_in_two_words_and_the_number_after_the_street(text, kind, span):
    assert rules(text) == [(kind, span)]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("mon e-mail sur gmail.com ne marche plus", "email"),
        ("inscrivez-vous chez free.fr pour la box", "email"),
        ("l'adresse de mes parents, la Poste dit qu'elle n'existe pas", "email"),
        ("j'ai eu deux, trois soucis avec quatre ou cinq agents", "phone"),
        ("Gérant de la SARL Boulangerie Caron depuis 2019", "person_name"),
        ("Le guichet de Saint-Joseph était fermé", "person_name"),
        ("Mon identifiant finit par Q (Q comme Quentin)", "person_name"),
    ],
)
def test_hyphenated_words_lists_firms_towns_and_spelling_are_not_flagged(text, kind):
    assert kind not in kinds(text)


# --- long runs of separators stay fast


@pytest.mark.parametrize(
    "text",
    [
        "a_" * 400 + "@gmail.com",
        "jean.dupont." * 60 + " gmail",
        "IBAN FR76 1234 " + "et la suite " * 60 + "1234",
    ],
)
def test_long_runs_of_separators_are_screened_quickly(text):
    start = time.perf_counter()
    screen(text, use_model=False)
    assert time.perf_counter() - start < 1.0
