"""Seventh round of the screening: rural addresses without a street number (a hamlet, a
mill, « la Combe » after « habite »), the town written first, addresses in capitals; the
author's name field screened as such (a first name alone names the author there); threats
in colloquial and SMS French; the direct line of an office's person against the office's
switchboard.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from services.moderation import domain
from services.moderation.screening import Flag, FlagKind, screen
from services.moderation.screening_eval import Entry, evaluate
from tests.support.screening import kinds, rules, spans


def author(text: str) -> list[tuple[str, str]]:
    return [(str(f.kind), text[f.start : f.end])
            for f in screen(text, use_model=False, field="author_name")]

# --- addresses without a street number, and in capitals


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("ma tante vit à la Chaumette 19340 Merlines depuis toujours", "la Chaumette 19340 Merlines"),
        ("il habite le Puy Larron 87120 Nedde.", "le Puy Larron 87120 Nedde"),
        ("mes coordonnées : moulin de la Brégère 23400 Ars", "moulin de la Brégère 23400 Ars"),
        ("écrire à la ferme des Aulnes 24390 Hautefort svp", "ferme des Aulnes 24390 Hautefort"),
        ("Écrire à : Chez Baudinet, 87250 Bessines", "Chez Baudinet, 87250 Bessines"),
        ("Mme Paule Vergnaud\nLa Croix Blanche\n19170 Bonnefond", "La Croix Blanche\n19170 Bonnefond"),
        ("j'habite à Bonnat (23220), lieu-dit le Puy Mory.", "Bonnat (23220), lieu-dit le Puy Mory"),
        ("adresse : 23220 Bonnat, lieu-dit les Combettes", "23220 Bonnat, lieu-dit les Combettes"),
        ("il habite au lieu-dit la Veyssière à Chamberet", "lieu-dit la Veyssière à Chamberet"),
    ],
)
def test_rural_places_without_a_number_are_addresses(text, address):
    assert ("address", address) in rules(text)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("JE SUIS AU 14 RUE DES TANNEURS 23200 AUBUSSON TEL 05 55 00 00 00",
         "14 RUE DES TANNEURS 23200 AUBUSSON"),
        ("NOUS HABITONS 4 IMPASSE DU LAVOIR 19200 USSEL DEPUIS 1970",
         "4 IMPASSE DU LAVOIR 19200 USSEL"),
        ("LIEU DIT LE CHATELET 23400 SAINT DIZIER", "LIEU DIT LE CHATELET 23400 SAINT DIZIER"),
        ("au 3 rue Haute 13090 Aix en Provence.", "3 rue Haute 13090 Aix en Provence"),
        ("3 rue Haute, 23000 Guéret Cedex 9", "3 rue Haute, 23000 Guéret Cedex"),
    ],
)  # fmt: skip
def test_the_city_in_capitals_stops_where_the_sentence_goes_on(text, address):
    assert ("address", address) in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "la CAF de la Creuse 23000 Guéret m'a répondu",
        "je suis allé à la Poste 23000 Guéret",
        "la permanence a lieu à la Grange aux Moines 23000 Guéret",
        "bureau de la Souterraine 23300 ouvert le lundi",
        "je suis allée à la Maison France services, 23200 Aubusson",
    ],
)
def test_offices_and_towns_after_an_article_are_no_addresses(text):
    assert "address" not in {kind for kind, _ in rules(text)}


# --- the author's name field


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Gaston 23", "Gaston"),
        ("Marcel 87", "Marcel"),
        ("DENISE", "DENISE"),
        ("yannick_du_19", "yannick"),
        ("ludovic du 44", "ludovic"),
        ("BLANCHE 19", "BLANCHE"),
        ("Tatie Lu - 06 00 00 00 00", "Lu"),
        ("Papy Dédé", "Dédé"),
        ("Nguyen Thi Hoa", "Nguyen Thi Hoa"),
        ("Francine pour son mari", "Francine"),
        ("josiane pour sa soeur", "josiane"),
        ("Rachid (pour ma mère)", "Rachid"),
        ("gaston ✉️ écrit par sa fille", "gaston"),
    ],
)
def test_a_first_name_alone_names_the_author(text, name):
    found = [s for k, s in author(text) if k == "person_name"]
    assert found == ([name] if name else [])


@pytest.mark.parametrize(
    "text",
    [
        "Asso Entraide Gentilly",
        "Cabinet Vasseur & associés",
        "Bénévole Emmaüs",
        "la_reine_des_crepes",
        "Le_Prince_Du_RSA",
        "tuteur_UDAF",
        "Conseillère CESF",
        "Papy du Morvan",
        "Anonyme du 62",
        "ti_moun_973",
    ],
)
def test_groups_roles_and_handles_without_a_first_name_name_no_one(text):
    assert "person_name" not in {k for k, _ in author(text)}


def test_a_first_name_alone_in_a_body_still_needs_a_person_context():
    assert "person_name" not in {k for k, _ in rules("Pierrot 23")}
    assert ("person_name", "Pierrot") in author("Pierrot 23")


def test_evaluate_screens_each_entry_as_its_field():
    entry = Entry("Pierrot 23", (("person_name", "Pierrot"),), field="author_name")
    assert evaluate([entry]).per_kind["person_name"].found == 1
    # a one-argument screener is still called with the text alone
    assert evaluate([entry], lambda text: [Flag(FlagKind.PERSON_NAME, 0, 7)]).overall.recall == 1.0


def test_the_domain_screens_the_author_name_as_such():
    flags = domain.screen_fields({"title": "Pierrot 23", "body": "", "author_name": "Pierrot 23",
                                  "structure_hint": ""})
    assert [f["kind"] for f in flags["author_name"]] == ["person_name"]
    assert flags["title"] == []


# --- threats in colloquial and SMS French


@pytest.mark.parametrize(
    "text",
    [
        "Le vigile de l'entrée m'a bousculé. Jvais le retrouver, je connais sa voiture",
        "la gestionnaire répond jamais, jvais la trouver moi meme",
        "si ma prime saute jviens avec mes cousins",
        "la prochaine fois ça se passera mal pour l'agent de l'accueil",
        "continuez comme ça et ça va mal se passer pour vous",
        "je te retrouverai et tu vas comprendre",
    ],
)
def test_colloquial_threats_at_a_person_are_threats(text):
    assert "threat" in {k for k, _ in rules(text)}


@pytest.mark.parametrize(
    "text",
    [
        "j'ai égaré mon formulaire mais je vais le retrouver",
        "la conseillère m'a demandé mon avis d'impôt, je vais le retrouver",
        "si le site bug encore ça se passera mal pour mon dossier",
        "je viens avec mes enfants au rendez-vous",
    ],
)
def test_finding_a_paper_again_is_no_threat(text):
    assert "threat" not in {k for k, _ in rules(text)}


# --- the line of a person at an office, the office's switchboard


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Merci à Gilles du service des eaux, tél 05 55 00 41 17", "05 55 00 41 17"),
        ("Le sien : 06 00 11 22 33. La mienne au bureau : 0590 00 12 34.", "0590 00 12 34"),
        ("Voyez Odile de la mairie, 03 86 00 21 45", "03 86 00 21 45"),
    ],
)
def test_a_line_given_with_a_person_or_as_ones_own_is_a_phone(text, number):
    assert ("phone", number) in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "France Travail Bellac 05 55 00 60 60",
        "Maison France services Le Dorat 05 55 00 14 14",
        "CAF de la Haute-Vienne - tél. : 05 55 00 30 30",
        "L'accueil de la Maison de la Justice de Guéret, 05 55 00 20 20",
    ],
)
def test_an_office_named_before_its_number_gives_its_switchboard(text):
    assert "phone" not in {k for k, _ in rules(text)}


# --- an address as a chain of parts


@pytest.mark.parametrize(
    ("text", "address"),
    [
        # a locality without a number before the postal code and its town
        ("je vis seul à Kerhuel, 29800 Landerneau depuis dix ans", "Kerhuel, 29800 Landerneau"),
        ("Nous habitons Les Bories Hautes, 46160 Cajarc.", "Les Bories Hautes, 46160 Cajarc"),
        ("adresse : Loc ar Vilin, 22300 Lannion", "Loc ar Vilin, 22300 Lannion"),
        ("elle habite Morne Vert, 97226 Le Morne-Vert, seule", "Morne Vert, 97226 Le Morne-Vert"),
        # a quarter and a road before the postal code, a landmark for the postman
        ("mon adresse : Mtsapéré, rue du Stade, 97600 Mamoudzou",
         "Mtsapéré, rue du Stade, 97600 Mamoudzou"),
        ("j'habite Bandraboua, route nationale 2, à côté de la mosquée, 97650 Bandraboua.",
         "Bandraboua, route nationale 2, à côté de la mosquée, 97650 Bandraboua"),
        ("Écrire à : Quartier Haut, impasse des Manguiers, maison 7, 97660 Bandrélé",
         "Quartier Haut, impasse des Manguiers, maison 7, 97660 Bandrélé"),
        # the town first, the details after
        ("KOUROU 97310, lotissement Bellevue, 3ème rue, case n°8 : c'est chez nous",
         "KOUROU 97310, lotissement Bellevue, 3ème rue, case n°8"),
        # an arrondissement or a postal code alone after the street
        ("Mon père vit au 4, rue des Martyrs, Paris 9e, seul.", "4, rue des Martyrs, Paris 9e"),
        ("nous habitons 18 boulevard National, 13003.", "18 boulevard National, 13003"),
        ("je suis au 5 rue Sainte 13007, au 2e sans ascenseur", "5 rue Sainte 13007"),
        ("au 10 chemin des Grives, 97433 Salazie des Hauts, ma mère",
         "10 chemin des Grives, 97433 Salazie des Hauts"),
        ("On vit au 1-3-5 allée des Pins à Bondy", "1-3-5 allée des Pins à Bondy"),
        # the flat's details before or after the street
        ("Résidant Esc. C, 3e droite au 40 av. Victor Hugo 26000 Valence, je",
         "Esc. C, 3e droite au 40 av. Victor Hugo 26000 Valence"),
        ("Adresse : Bât. Les Tilleuls, Esc 2, RDC droite, 5 rue Pasteur, 13600 La Ciotat.",
         "Bât. Les Tilleuls, Esc 2, RDC droite, 5 rue Pasteur, 13600 La Ciotat"),
        ("elle habite 8, place du Marché, 2e étage à gauche (digicode 1357), 68000 Colmar.",
         "8, place du Marché, 2e étage à gauche (digicode 1357), 68000 Colmar"),
        # details without a street
        ("Nous habitions Tour Europe, 12e étage, Courbevoie. Depuis", "Tour Europe, 12e étage, Courbevoie"),
        ("appt 803 tour Saturne : plus d'eau chaude", "appt 803 tour Saturne"),
        ("elle vit residence les Flamboyants bat D appt 3 a Saint-Benoît. Elle",
         "residence les Flamboyants bat D appt 3 a Saint-Benoît"),
        ("Tour Verlaine, 14e étage, 59100 Roubaix : ascenseur en panne",
         "Tour Verlaine, 14e étage, 59100 Roubaix"),
    ],
)  # fmt: skip
def test_an_address_is_read_as_a_chain_of_parts(text, address):
    assert ("address", address) in rules(text)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        # a person's name before the address is no locality
        ("Pour Mme Odile Ferrand, 6 rue Carnot, 18000 Bourges", "6 rue Carnot, 18000 Bourges"),
        ("Signé : Yann Kervella, 4 hameau de Kerlaz, 29100 Douarnenez",
         "4 hameau de Kerlaz, 29100 Douarnenez"),
        # the town she lives in, said before the quarter
        ("Je vis à Mayotte, quartier Bonovo, 12 rue des Écoles, 97600 Mamoudzou.",
         "quartier Bonovo, 12 rue des Écoles, 97600 Mamoudzou"),
    ],
)  # fmt: skip
def test_the_chain_stops_at_a_name_or_a_town_said_first(text, address):
    assert ("address", address) in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "La CAF de Nantes, située 22 rue de Malville, 44000 Nantes, ferme le lundi.",
        "Préfecture du Cher, 18000 Bourges",
        "la mairie de Vannes, 56000 Vannes, ne répond pas",
    ],
)
def test_an_office_chain_stays_unmasked(text):
    assert "address" not in {kind for kind, _ in rules(text)}


def test_a_street_number_after_a_phone_is_the_address_s():
    text = "Joindre Paul Vidal, 05 55 12 34 56, 3 rue des Forges, 87000 Limoges."
    assert ("phone", "05 55 12 34 56") in rules(text)
    assert ("address", "3 rue des Forges, 87000 Limoges") in rules(text)


# --- names of private persons: shapes and contexts


def test_a_dwelling_word_inside_a_first_name_starts_no_address():
    text = "Je loge chez M. Thomas Rivière, 9 rue des Lilas, 31000 Toulouse, depuis mai."
    assert ("person_name", "M. Thomas Rivière") in rules(text)
    assert ("address", "9 rue des Lilas, 31000 Toulouse") in rules(text)


def test_a_signature_s_surname_stops_at_the_line_s_end():
    text = "Veuillez agréer mes salutations.\nColette MARCHAIS\nLe Pré Haut\n36400 Montgivray"
    assert ("person_name", "Colette MARCHAIS") in rules(text)
    assert ("address", "Le Pré Haut\n36400 Montgivray") in rules(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("MONSIEUR ET MADAME LE BRAS\n12 RUE DU PORT\n56100 LORIENT", "MONSIEUR ET MADAME LE BRAS"),
        ("Monsieur et Madame Da Costa nous ont hébergés", "Monsieur et Madame Da Costa"),
        ("Mèsi pou Madanm Jean-Baptiste ki té la", "Madanm Jean-Baptiste"),
        ("il a parlé avec Misyé Bellemare hier", "Misyé Bellemare"),
        ("mon colis est chez la voisine Mme Orange depuis lundi", "Mme Orange"),
    ],
)
def test_titles_in_capitals_creole_and_after_a_person_word_name(text, name):
    assert ("person_name", name) in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "un monsieur âgé attendait debout depuis une heure",
        "cette madame pressée m'a doublé dans la file",
        "c pr savoir si le dossier est complet",
        "jai appelé pr rien, personne ne répond",
    ],
)
def test_a_lower_case_title_after_a_determiner_or_pr_for_pour_names_no_one(text):
    assert "person_name" not in kinds(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Elle s'appelle Zaïnaba, la dame du guichet 3", "Zaïnaba"),
        ("la lettre porte le nom mal écrit « KERVRAN » au lieu du mien", "KERVRAN"),
        ("mon permis a mon nom orthographié « N'DIAYE Awa » depuis 2010", "N'DIAYE Awa"),
        ("Sur l'attestation : Nom : Kouyaté et pas Kouyatey", "Kouyatey"),
        ("C'est Mme Ferrandou, pas Ferandou, qui signe", "Ferandou"),
    ],
)
def test_a_name_said_or_spelled_is_a_name(text, name):
    assert ("person_name", name) in rules(text)


def test_a_word_unlike_the_name_after_pas_is_no_other_spelling():
    assert [s for k, s in rules("Merci à Mme Ferrandou, pas Pôle emploi.") if k == "person_name"] == [
        "Mme Ferrandou"
    ]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("mes parents Xiong Pao et leur voisin n'ont pas internet", "Xiong Pao"),
        ("Moussa (fils de Mariama)", "Mariama"),
        ("je suis la fille de Mme Pham Thi Mai, hospitalisée", "Mme Pham Thi Mai"),
    ],
)
def test_parents_kin_in_brackets_and_vietnamese_middle_names(text, name):
    assert ("person_name", name) in rules(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [("KarimB", "KarimB"), ("SoniaLM", "SoniaLM"), ("jp.moreau", "jp.moreau"),
     ("mc_lefebvre", "mc_lefebvre")],
)
def test_handles_of_a_first_name_and_initials_name_the_author(text, name):
    assert ("person_name", name) in author(text)


@pytest.mark.parametrize("text", ["Mr_Propre_93", "le.bon", "ToulouseFC"])
def test_handles_of_set_phrases_and_words_name_no_one(text):
    assert "person_name" not in {k for k, _ in author(text)}


@pytest.mark.parametrize(
    "text",
    [
        "La clinique du Littoral (Simone Veilard) a perdu ma carte vitale.",
        "Service juridique – Cabinet Leroy & Associés, Lyon",
        "Je vais au Relais Info Famille de Montbéliard le mardi",
        "Écrire au 4 voie Simone Veil, 94000 Créteil, à l'accueil de la MDPH",
        "Adresse au Sénégal : Ndiaye Liberté, villa 12, Dakar",
    ],
)
def test_places_and_firms_named_after_someone_are_no_person(text):
    assert "person_name" not in kinds(text)


def test_an_office_s_acronym_and_its_regions_are_no_person():
    assert "person_name" not in {k for k, _ in spans("MSA Gironde Landes Béarn")}


def test_a_family_named_at_the_start_of_an_address_is_a_person():
    text = "Expédier à : Famille Le Dantec, 3 rue du Port, 29200 Brest"
    assert ("person_name", "Famille Le Dantec") in rules(text)


# --- the NIR of a person born in Corsica


@pytest.mark.parametrize(
    ("text", "nir"),
    [
        ("mon numéro de sécu : 1 85 05 2A 004 123 56", "1 85 05 2A 004 123 56"),
        ("carte vitale 2 83 11 2B 050 321 07, refusée", "2 83 11 2B 050 321 07"),
        ("n° de sécurité sociale 2 71 2B 06 033 418 57, merci", "2 71 2B 06 033 418 57"),
    ],
)
def test_a_corsican_nir_is_a_nir_wherever_the_department_is_written(text, nir):
    assert ("nir", nir) in rules(text)
    assert "identifier" not in kinds(text)


# --- threats: the present tense for what will come, going after someone to her home


@pytest.mark.parametrize(
    "text",
    [
        "s'il me refuse encore l'aide, je lui refais le portrait à ce guichetier",
        "si je le revois au guichet je te casse la gueule",
        "rendez-moi mes papiers ou je vais le trouver jusque chez lui",
    ],
)
def test_harm_in_the_present_and_a_home_sought_are_threats(text):
    assert "threat" in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "le photographe m'a refait le portrait pour la carte d'identité",
        "je vais chercher ma fille chez sa nounou",
    ],
)
def test_a_portrait_retaken_and_a_child_fetched_are_no_threats(text):
    assert "threat" not in kinds(text)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("nous habitons 14 Park an Aod, 29160 Crozon depuis 2001", "14 Park an Aod, 29160 Crozon"),
        ("chez nous : 27 RN1, Bois Rouge, 97460 Saint-Paul.", "27 RN1, Bois Rouge, 97460 Saint-Paul"),
    ],
)
def test_a_numbered_locality_without_a_street_word_keeps_its_number(text, address):
    assert ("address", address) in rules(text)


def test_the_last_group_of_a_phone_is_no_locality_s_number():
    text = "Joindre Anne au 06 11 22 33 44, Kerbastard, 29800 Landerneau"
    assert ("phone", "06 11 22 33 44") in rules(text)
    assert ("address", "Kerbastard, 29800 Landerneau") in rules(text)
