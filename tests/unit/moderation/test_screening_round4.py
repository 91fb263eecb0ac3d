"""Fourth round of the screening: catch-alls for phones and e-mails, and the shapes of
addresses, identifiers and names met in the fourth corpus.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from tests.support.screening import kinds, rules

# --- phones: the catch-all


@pytest.mark.parametrize(
    ("text", "number"),
    [
        # any short run of signs between the groups
        ("rappelez moi : 07 41 // 28 // 93 // 65 merci", "07 41 // 28 // 93 // 65"),
        ("mon numéro 06|58|21|47|30 le soir", "06|58|21|47|30"),
        ("tel = 07 ** 12 ** 88 ** 40 ** 19", "07 ** 12 ** 88 ** 40 ** 19"),
        ("portable +33 6 // 71 // 20 // 45 // 88", "+33 6 // 71 // 20 // 45 // 88"),
        # a word between two groups
        ("joignable au 07 puis 61 28 44 90 après midi", "07 puis 61 28 44 90"),
        # the first zero left out, after words of a phone
        ("mon tel 7 58 14 62 03 svp", "7 58 14 62 03"),
        # the letter O twice in a row
        ("rappel au O6 71 OO 43 28", "O6 71 OO 43 28"),
    ],
)
def test_digits_joined_by_any_signs_with_a_phones_length_are_phones(text, number):
    assert rules(text) == [("phone", number)]


@pytest.mark.parametrize(
    "text",
    [
        "J'habite en Espagne, joignable au +33 7 45 12 90 36 sur mon numéro français.",
        "mon numéro français 0033 6 31 27 84 50 fonctionne encore",
        "mon numero marocain +212 6 70 41 25 83",
    ],
)
def test_a_number_with_an_international_prefix_is_a_phone_not_an_identifier(text):
    assert kinds(text) == {"phone"}


@pytest.mark.parametrize(
    "text",
    [
        "le 04/07/2023, 12 personnes attendaient",
        "rendez-vous 03.11.2024 / 09:30 au guichet",
        "j'ai 12 puis 34 ans de cotisation",
        "appelez le 0 809 401 401 pour les impôts",
    ],
)
def test_dates_hours_and_public_numbers_stay_unflagged_by_the_catch_all(text):
    assert "phone" not in kinds(text)


# --- e-mails: the catch-all


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("écrivez moi: rosine.kabe + arobase + yahoo + point + fr",
         "rosine.kabe + arobase + yahoo + point + fr"),
        ("mail : l o u n a . p @ g m a i l . c o m", "l o u n a . p @ g m a i l . c o m"),
        ("contact perso théo.marsan a-commercial free.fr", "théo.marsan a-commercial free.fr"),
        ("répondez sur amadou.keita arobase hotmail", "amadou.keita arobase hotmail"),
        ("mon adresse c'est yvon.leguen@orange, sans le point fr", "yvon.leguen@orange"),
        ("écrire à sarah93@laposte svp", "sarah93@laposte"),
    ],
)  # fmt: skip
def test_addresses_split_by_signs_spaced_letter_by_letter_or_without_their_end_are_emails(
    text, email
):
    assert rules(text) == [("email", email)]


def test_an_agents_mailbox_at_a_public_domain_with_an_initial_is_personal():
    text = "La gestionnaire m'a dit d'écrire à ml.vasseur@francetravail.fr directement."
    assert ("email", "ml.vasseur@francetravail.fr") in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "Je l'ai vu at home, à la maison",
        "c'est vraiment un b@tard ce type",
        "écrivez à accueil.lyon@caf.fr pour le dossier",
        "look at me",
    ],
)
def test_english_at_insults_and_office_mailboxes_are_no_personal_emails(text):
    assert "email" not in kinds(text)


# --- NIR


def test_a_nir_with_its_key_after_a_dash_or_in_brackets():
    assert rules("numéro de sécu 1 79 08 33 402 117 - 45") == [("nir", "1 79 08 33 402 117 - 45")]
    assert rules("sécu 2 91 11 59 127 034 (18)")[0][1].startswith("2 91 11 59 127 034 (18")


# --- addresses


@pytest.mark.parametrize(
    ("text", "address"),
    [
        # a locality between the street and the postal code
        ("j'habite 8 rue des Manguiers, Bras de Pontho, 97410 Saint-Pierre",
         "8 rue des Manguiers, Bras de Pontho, 97410 Saint-Pierre"),
        # a quarter, a residence, a home or a building named before the street
        ("on vit Quartier Haut Moulin, 4 allée des Palmistes, 97220 Trinité",
         "Quartier Haut Moulin, 4 allée des Palmistes, 97220 Trinité"),
        ("je loge res les Tilleuls esc 2, 9 bd Carnot 21000 Dijon",
         "res les Tilleuls esc 2, 9 bd Carnot 21000 Dijon"),
        ("Sa chambre : EHPAD Les Glycines, chambre 7, 15 rue du Parc, 62000 Arras",
         "EHPAD Les Glycines, chambre 7, 15 rue du Parc, 62000 Arras"),
        ("Adresse : Bât. Les Cèdres, appt 4C, 11 rue Lamartine, 94200 Ivry-sur-Seine",
         "Bât. Les Cèdres, appt 4C, 11 rue Lamartine, 94200 Ivry-sur-Seine"),
        ("elle vit Appt 9 — 31 r. Montesquieu 47000 Agen", "Appt 9 — 31 r. Montesquieu 47000 Agen"),
        ("mon adresse: atelier 3, ZA du Moulin, 6 route de Lorient, 56700 Hennebont",
         "atelier 3, ZA du Moulin, 6 route de Lorient, 56700 Hennebont"),
        ("hameau de la source, 2 chemin du four 26400 crest",
         "hameau de la source, 2 chemin du four 26400 crest"),
        # a residence without a street
        ("je vis res Crous Les Hêtres chambre 112, 80000 Amiens",
         "res Crous Les Hêtres chambre 112, 80000 Amiens"),
        # a number before a rural place; a street type of the islands
        ("Courrier pour mon père, 5 Le Pradel, 12340 Bozouls", "5 Le Pradel, 12340 Bozouls"),
        ("ma tante habite 14 ligne des Goyaviers 97440 Saint-André",
         "14 ligne des Goyaviers 97440 Saint-André"),
        # the number after the street's name
        ("j'habite impasse Beauséjour n°7, quartier Fond Lahaye, 97233 Schœlcher",
         "impasse Beauséjour n°7, quartier Fond Lahaye, 97233 Schœlcher"),
        # a lower-case word inside the name, dashes around the postal code
        ("nouvelle adresse 3 rue du Pont a Mousson, Bât. C, 57000 Metz",
         "3 rue du Pont a Mousson, Bât. C, 57000 Metz"),
        ("je vis 9, rue des Ormes - 45000 - Orléans", "9, rue des Ormes - 45000 - Orléans"),
        # a post box as one's own address
        ("domicilié BP 214, 97640 Sada", "BP 214, 97640 Sada"),
        # a home after an office's name
        ("CAF du Gers, lieu-dit Le Cros, 32000 Auch (mon domicile)", "lieu-dit Le Cros, 32000 Auch"),
    ],
)  # fmt: skip
def test_more_address_shapes(text, address):
    assert ("address", address) in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        # an office, with a department or a site after its name
        "Écrivez à l'UDAF du Jura, service des tutelles, 4 rue Rouget de Lisle, 39000 Lons-le-Saunier.",
        "URSSAF Bretagne, site de Vannes, 12 rue de la Loi",
        "La caisse d'allocations familiales, 8 rue Lafayette, accueil sur rendez-vous",
        # an office placed by a verb before its number
        "L'accueil de la CPAM de Nîmes, situé 40 chemin de la Planette, 30000 Nîmes, est fermé le lundi.",
        # the permanences of an office
        "Les permanences de la mairie ont lieu le mardi de 9h à 12h, au 2 place de l'Hôtel de Ville.",
        # a lawyer's or a doctor's office
        "Merci d'écrire à mon avocate : Me Claire Bouvet, 22 cours Vitton, 69006 Lyon.",
        "Dr Paul Lenoir, 5 avenue Foch, 54000 Nancy",
        # not a street
        "pas au 12, c'est le 12 de la rue d'à côté",
    ],
)
def test_offices_lawyers_and_set_phrases_are_no_private_addresses(text):
    assert "address" not in kinds(text)


# --- identifiers


@pytest.mark.parametrize(
    ("text", "number"),
    [
        # a France Travail identifier by its shape
        ("radié sans raison (id 4418273K), je conteste", "4418273K"),
        # a nationality between the label and the number
        ("passeport sénégalais A01234567 en cours de validité", "A01234567"),
        ("mon passeport tunisien 781234560 est périmé", "781234560"),
        # the label far before the number, in the same clause
        ("ils me demandent mon numéro fiscal pour la prime, c est le 2147836509123", "2147836509123"),
        # an elision typed without its apostrophe
        ("ma carte d identité n° 230475910386 a été volée", "230475910386"),
        ("cni n 160382104527 refusée", "160382104527"),
    ],
)
def test_more_identifier_shapes(text, number):
    assert ("identifier", number) in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "pour mon titre de séjour, convocation n° 2025/PREF/004512 jeudi",
        "Numéro de demande de titre de séjour : 6601234567 ; toujours rien",
        "écrivez à ce.0641234B@ac-bordeaux.fr",
    ],
)
def test_the_administrations_references_stay_no_identifiers(text):
    assert "identifier" not in kinds(text)


# --- dates of birth


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Né le : 1979-04-30 à Dakar", "1979-04-30"),
        ("date de naissance 2001-12-05, nationalité française", "2001-12-05"),
    ],
)
def test_an_iso_date_of_birth(text, date):
    assert ("birth_date", date) in rules(text)


# --- names


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Titulaire du compte : M. ou Mme PERRET Lucien", "M. ou Mme PERRET Lucien"),
        ("pour me joindre c'est moi Gérard au 06 21 74 39 58", "Gérard"),
        ("La petite-fille d'Héloïse", "Héloïse"),
        ("avec mme josiane ferrand ce matin", "mme josiane ferrand"),
        ("Ils ont écrit mon nom 'Traoré Moussa' sur la carte", "Traoré Moussa"),
        ("Mon nom est Yeboah Kwame Daniel, je suis étudiant", "Yeboah Kwame Daniel"),
        ("Roger (tel 06 48 19 27 53)", "Roger"),
    ],
)
def test_more_name_shapes(text, name):
    assert any(kind == "person_name" and span.strip("'") == name for kind, span in rules(text))


@pytest.mark.parametrize("text", ["Mr Anonyme du 13", "j'ai écrit à l'Élysée", "Mon nom est sur la liste"])
def test_no_name_in_a_pseudonym_a_palace_or_a_phrase(text):
    assert "person_name" not in kinds(text)


# --- insults


@pytest.mark.parametrize(
    "text",
    [
        "vous n êtes qu une bande d escrocs",
        "la secrétaire, une vraie peau de vache",
        "Vieux schnock, voilà comment il m'a appelé",
    ],
)
def test_more_insult_shapes(text):
    assert "insult" in kinds(text)


def test_spaced_letters_still_read_as_one_word_with_bare_elisions():
    assert "insult" in kinds("C O N N A S S E S voilà ce que vous êtes")
    assert "insult" not in kinds("j ai appelé la caisse et l agent a répondu")


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("jhabite 7 res les palmiers bat D 97122 baie mahault",
         "7 res les palmiers bat D 97122 baie mahault"),
        ("on vit cité des roses, 93000 bobigny", "cité des roses, 93000 bobigny"),
        ("mon père vit à l'EHPAD Les Tilleuls, 33000 Bordeaux", "EHPAD Les Tilleuls, 33000 Bordeaux"),
    ],
)
def test_residences_in_lower_case_and_homes_in_an_institution(text, address):
    assert ("address", address) in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "le quartier est calme, 75011 c'est bien",
        "Quartier prioritaire, 15 000 habitants",
        "l'EHPAD Les Tilleuls, 33000 Bordeaux, ne répond jamais",
    ],
)
def test_common_nouns_and_an_institution_named_alone_are_no_addresses(text):
    assert "address" not in kinds(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("yannick 0745129836", "yannick"),
        ("ines haddad 4 rue des lilas 59000 lille", "ines haddad"),
    ],
)
def test_a_signature_in_lower_case_before_a_number_or_an_address(text, name):
    assert rules(text)[0] == ("person_name", name)


@pytest.mark.parametrize("text", ["cest 07 45 12 98 36 mon numero", "merci 2 fois pour rien"])
def test_no_signature_in_a_word_or_a_thanks(text):
    assert "person_name" not in kinds(text)
