"""Eighth round of the screening: addresses in every written shape (the number's letter or
sign, the number after the street, typed street words, pasted forms, military postal
sectors, the place where a person lives named before the street, addresses abroad), and
the offices' own addresses that stay unmasked.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from services.moderation.screening import screen
from tests.support.screening import kinds, rules


def addresses(text: str) -> list[str]:
    return [s for k, s in rules(text) if k == "address"]


# --- the street number: a letter after a space, a sign before it, typed street words


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Le livreur cherche encore le 7 C impasse des Mésanges", "7 C impasse des Mésanges"),
        ("mon fils vit au 21 A rue Nationale, 62400 Béthune depuis mars",
         "21 A rue Nationale, 62400 Béthune"),
        ("Adresse : n°5 chemin des Vignes 84200 Carpentras", "n°5 chemin des Vignes 84200 Carpentras"),
        ("je suis au numéro 18 avenue Jean Jaurès, 69007 Lyon", "numéro 18 avenue Jean Jaurès, 69007 Lyon"),
        ("les lettres vont au 9 alee des tilleuls 62100 calais au lieu de chez moi",
         "9 alee des tilleuls 62100 calais"),
        ("Colette Morin - 3 voie communale Lectoure", "3 voie communale Lectoure"),
        ("elle habite au 11 côte Saint-Jean, 47300 Villeneuve-sur-Lot",
         "11 côte Saint-Jean, 47300 Villeneuve-sur-Lot"),
        ("envoyé au 2 rte de Nantes 44470 la Chapelle-sur-Erdre hier",
         "2 rte de Nantes 44470 la Chapelle-sur-Erdre"),
        ("il vit bat 12 cite des 3000 93600 aulnay sous bois et rien n'arrive",
         "bat 12 cite des 3000 93600 aulnay sous bois"),
    ],
)  # fmt: skip
def test_number_shapes_and_typed_street_words_are_read(text, address):
    assert address in addresses(text)


@pytest.mark.parametrize(
    "text",
    [
        "j'ai commandé 2 côtes de boeuf au boucher",
        "il y a 3 voies de recours possibles",
        "on était 12 A la réunion",
    ],
)
def test_common_nouns_after_a_number_are_no_street(text):
    assert "address" not in kinds(text)


# --- the number after the street's name, in France and abroad


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Je vis impasse des Genêts 4 et le facteur ne trouve pas", "impasse des Genêts 4"),
        ("Elle habite Av. Foch n°17 à Tarbes depuis l'an dernier", "Av. Foch n°17 à Tarbes"),
        ("Adresse : Rua do Carmo 41, 1200-093 Lisboa. Merci", "Rua do Carmo 41, 1200-093 Lisboa"),
        ("ma fille étudie à Séville, Calle Feria 35, 41003 Sevilla, piso 2",
         "Calle Feria 35, 41003 Sevilla, piso 2"),
        ("mon père vit à Turin, Via Garibaldi 18, 10122 Torino (Piemonte), seul",
         "Via Garibaldi 18, 10122 Torino (Piemonte)"),
        ("nouvelle adresse : Chaussée de Wavre 120, 1050 Ixelles, Belgique.",
         "Chaussée de Wavre 120, 1050 Ixelles, Belgique"),
        ("je vis à Leipzig, Karl-Heine Str. 12, 04229 Leipzig, depuis 2022",
         "Karl-Heine Str. 12, 04229 Leipzig"),
        ("Adresse : Flat 3, 27 Mill Lane, Oxford OX1 2AB. Merci", "Flat 3, 27 Mill Lane, Oxford OX1 2AB"),
        ("Je suis à Melbourne : 8/31 Collins Street, Melbourne VIC 3000.",
         "8/31 Collins Street, Melbourne VIC 3000"),
        ("Écrire au 2210, boulevard Rosemont, app. 5, Montréal (Québec) H2G 1T4 svp",
         "2210, boulevard Rosemont, app. 5, Montréal (Québec) H2G 1T4"),
    ],
)  # fmt: skip
def test_a_number_after_the_street_and_addresses_abroad_are_read(text, address):
    assert address in addresses(text)


@pytest.mark.parametrize(
    "text",
    [
        "je suis passée rue Pasteur 3 fois cette semaine",
        "avenue de la Gare 12 personnes attendaient devant la porte",
        "les travaux de l'avenue Foch 2021 sont finis",
        "on m'a donné le code WC2B pour la salle 3",
        "le bus passe place Kléber 8 minutes plus tard",
    ],
)
def test_a_count_or_a_year_after_a_street_is_no_number(text):
    assert "address" not in kinds(text)


# --- military postal sectors, pasted forms, the place where a person lives before the street


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Caporal en mission : SP 55021 00566 ARMEES, pas de courrier", "SP 55021 00566 ARMEES"),
        ("écrire à BP 17, SP 91045, 00819 Armées pour mon mari", "BP 17, SP 91045, 00819 Armées"),
        ("Nom : GUÉRIN\nAdresse : 15 rue des Capucins\nCP / Ville : 56000 Vannes\nTél : non",
         "15 rue des Capucins\nCP / Ville : 56000 Vannes"),
        ("Adresse : 4 impasse du Moulin\nCode postal : 81100\nVille : Castres\nMotif : retard",
         "4 impasse du Moulin\nCode postal : 81100\nVille : Castres"),
        ("mon frère, placé à l'ITEP Les Chênes, 3 chemin du Lac, 63000 Clermont-Ferrand, n'a rien reçu",
         "ITEP Les Chênes, 3 chemin du Lac, 63000 Clermont-Ferrand"),
        ("Adresse de ma mère : Maison de retraite Sainte-Anne, 8 rue du Parc, 71000 Mâcon",
         "Maison de retraite Sainte-Anne, 8 rue du Parc, 71000 Mâcon"),
        ("je vis sur une péniche : Péniche « Marie-Galante », quai Saint-Pierre, 89000 Auxerre",
         "Péniche « Marie-Galante », quai Saint-Pierre, 89000 Auxerre"),
        ("Camping Les Pins, emplacement 12, 17370 Saint-Trojan : j'y vis toute l'année",
         "Camping Les Pins, emplacement 12, 17370 Saint-Trojan"),
        ("J'attends la visite de l'assistante de la CAF au 6 cité des Lilas, appt 3, 19100 Brive",
         "6 cité des Lilas, appt 3, 19100 Brive"),
        ("Adresse enregistrée par la CAF : 2 chemin Neuf, 46000 Cahors", "2 chemin Neuf, 46000 Cahors"),
        ("Erreur d'adresse MSA - 4 rue du Lac 12000 Rodez", "4 rue du Lac 12000 Rodez"),
        ("il dort quartier Cavani, derrière le stade, 97600 Mamoudzou",
         "quartier Cavani, derrière le stade, 97600 Mamoudzou"),
    ],
)  # fmt: skip
def test_military_sectors_forms_and_places_where_someone_lives_are_addresses(text, address):
    assert address in addresses(text)


@pytest.mark.parametrize(
    "text",
    [
        "Envoyez tout à : Service des pensions, TSA 41207, 33059 Bordeaux Cedex",
        "La trésorerie a déménagé du centre-ville à la zone d'activités, ZA des Landes, 3 rue de l'Artisanat",
        "Domiciliation au Secours Catholique, 5 rue des Carmes : refusée par la CAF",
        "Cité administrative, 14 boulevard de la Liberté, bureau 12",
        "Les bureaux sont au 3e étage, bâtiment C, porte 7, sans ascenseur",
        "La permanence se tient au centre social, 4 rue des Écoles, le jeudi",
    ],
)
def test_an_office_s_own_address_stays_unmasked(text):
    assert "address" not in kinds(text)


# --- an envelope's residence line, the town after a quarter, a named place and its town


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("À l'attention de la CAF :\nMme Josiane PERRIN\nLe Clos des Vignes\n3 "
         "allée des Muriers\n26000 VALENCE\nMerci",
         "Le Clos des Vignes\n3 allée des Muriers\n26000 VALENCE"),
        ("on est passés du 5 rue Hoche, Lens à 2 rue Zola, 62300 Lens en mai",
         "5 rue Hoche, Lens"),
        ("Retraite non versée – Immeuble Nour, Appt 4, Gueliz, Marrakech",
         "Immeuble Nour, Appt 4, Gueliz, Marrakech"),
        ("Colis perdu au Lotissement Les Genêts, Saint-Jean-de-Luz",
         "Lotissement Les Genêts, Saint-Jean-de-Luz"),
    ],
)  # fmt: skip
def test_residence_lines_towns_after_a_quarter_and_named_places_are_read(text, address):
    assert address in addresses(text)


@pytest.mark.parametrize(
    "text",
    [
        "Adresse de la préfecture : 3 rue Solférino, 64000 Pau. Sur ma "
        "convocation : 3 rue Solférino, 64000 Pau.",
        "Résidence Les Pins, Résidence Les Chênes : toutes les résidences se ressemblent ici",
        "Loge du gardien, résidence Les Cèdres, Bron",
    ],
)
def test_an_office_s_address_written_again_and_residences_named_alone_stay_unmasked(text):
    assert "address" not in kinds(text)


# --- more written shapes: typed street words, floors abroad, form details, a country after


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("mon adresse : 6 impase des Bleuets 80000 Amiens", "6 impase des Bleuets 80000 Amiens"),
        ("il vit au 41 boulvard Carnot 06000 Nice", "41 boulvard Carnot 06000 Nice"),
        ("elle habite 2 allé des Sources 37000 Tours", "2 allé des Sources 37000 Tours"),
        ("Adresse : Calle Toledo 22, 4º A, 28005 Madrid", "Calle Toledo 22, 4º A, 28005 Madrid"),
        ("ma fille vit au 17 Station Road, Leeds LS1 4DY depuis un an", "17 Station Road, Leeds LS1 4DY"),
        ("Adresse : 8 rue Basse\nComplément d'adresse : bât C\n47000 Agen",
         "8 rue Basse\nComplément d'adresse : bât C\n47000 Agen"),
        ("on vit sur l'aire d'accueil des gens du voyage, emplacement 5, 79000 Niort",
         "aire d'accueil des gens du voyage, emplacement 5, 79000 Niort"),
        ("Mme Rose Arnaud\nLa Bergerie\n7 chemin du Puits\n04100 Manosque",
         "La Bergerie\n7 chemin du Puits\n04100 Manosque"),
        ("nous habitons 9 rue de l'Église, 57000 Metz, France", "9 rue de l'Église, 57000 Metz, France"),
        ("mon oncle vit Cité Ennasr, bloc 7, n° 3, Sousse, Tunisie",
         "Cité Ennasr, bloc 7, n° 3, Sousse, Tunisie"),
    ],
)  # fmt: skip
def test_more_written_shapes_of_an_address(text, address):
    assert address in addresses(text)


@pytest.mark.parametrize(
    "text",
    [
        "Consulat de France à Édimbourg, 11 Randolph Crescent, Edinburgh EH3 7TT",
        "je suis allé des fois à la mairie",
        "nous habitons 3 rue du Port, 29900 Concarneau, France Travail ne répond pas",
    ],
)
def test_a_consulate_s_address_and_france_travail_are_no_private_address(text):
    found = addresses(text)
    assert not found or found == ["3 rue du Port, 29900 Concarneau"]


# --- names of every origin, a maiden name, a signature after the town, phrases in the author's field


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Ma voisine Ayşe Łukasik ne reçoit plus rien", "Ayşe Łukasik"),
        ("mon cousin Emre Şimşek attend sa carte de séjour", "Emre Şimşek"),
        ("Dossier perdu au 4 rue Haute, Vannes - Gaëlle Le Goff", "Gaëlle Le Goff"),
    ],
)
def test_names_with_latin_capitals_and_a_signature_after_an_address(text, name):
    assert ("person_name", name) in rules(text)


def test_a_maiden_name_is_no_locality_before_the_street():
    text = "moi : Hélène Garnier née Roussel, 5 rue du Four, 16000 Angoulême."
    found = rules(text)
    assert ("address", "5 rue du Four, 16000 Angoulême") in found
    assert "Roussel" in " ".join(s for k, s in found if k == "person_name")


def test_a_person_s_house_in_the_details_is_no_address_part():
    text = "Section Morne-Rouge, 97120 Saint-Claude, maison de Mme Odile Jean-Louis."
    assert ("address", "Section Morne-Rouge, 97120 Saint-Claude") in rules(text)


@pytest.mark.parametrize(
    "text",
    ["Rose des champs", "Fleur de lys", "Victoire sur la paperasse", "Riverain de l'avenue Jean Moulin"],
)
def test_phrases_and_streets_in_the_author_s_field_name_no_one(text):
    assert not [f for f in screen(text, field="pseudonym") if f.kind == "person_name"]


# --- threats: harm promised in the present, waiting for someone with a warning


@pytest.mark.parametrize(
    ("text", "threat"),
    [
        ("Si l'agent me refuse encore, je te fais regretter", "je te fais regretter"),
        ("Si le livreur jette encore mon colis au 4 rue Neuve, 21000 Dijon, je "
         "vais l'attendre en bas et il va comprendre.",
         "je vais l'attendre en bas et il va comprendre"),
    ],
)  # fmt: skip
def test_present_harm_and_waiting_with_a_warning_are_threats(text, threat):
    threats = [s for k, s in rules(text) if k == "threat"]
    assert len(threats) == 1 and threat in threats[0] and not any(c.isdigit() for c in threats[0])


@pytest.mark.parametrize("text", ["je lui fais un dessin pour qu'il comprenne", "je leur fais confiance"])
def test_doing_something_for_someone_is_no_threat(text):
    assert "threat" not in kinds(text)


# --- an office's mail and a service number are no personal file numbers


@pytest.mark.parametrize(
    "text",
    [
        "l'adresse était « Caisse de retraite, TSA 40112, 67035 Strasbourg Cedex 2 »",
        "adresse de retour : CPAM, 75948 Paris Cedex 19",
        "Français de l'étranger : le 3939 ne répond pas",
    ],
)
def test_an_office_s_mail_box_and_a_service_number_are_no_identifiers(text):
    assert "identifier" not in kinds(text)


def test_a_foreigner_s_number_with_its_label_is_still_an_identifier():
    assert ("identifier", "7501234567") in rules("mon numéro étranger : 7501234567")


# --- forms with two labels, the United States, a road without a number after « habite »


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Adresse : 3 rue du Lac\nCode postal et ville : 74000 Annecy",
         "3 rue du Lac\nCode postal et ville : 74000 Annecy"),
        ("Adresse : 2250 Ocean Avenue, Miami, FL 33139", "2250 Ocean Avenue, Miami, FL 33139"),
        ("elle habite chemin des Goyaviers, Sainte-Rose, et n'a pas de numéro",
         "chemin des Goyaviers, Sainte-Rose"),
        ("nous vivons quartier Bellevue, Le Moule, sans boîte aux lettres", "quartier Bellevue, Le Moule"),
        ("chez nous, 5 impasse Hibiscus, Les Hauts du Bourg, Saint-Laurent",
         "5 impasse Hibiscus, Les Hauts du Bourg, Saint-Laurent"),
    ],
)  # fmt: skip
def test_two_labelled_form_lines_abroad_and_roads_without_a_number(text, address):
    assert address in addresses(text)


def test_a_first_name_after_a_road_is_no_town():
    assert not addresses("j'habite rue Victor Hugo, Martine est ma voisine")


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("chez ma sœur au 4 rue des Flamboyants, Trénelle, Fort-de-France",
         "4 rue des Flamboyants, Trénelle, Fort-de-France"),
        ("l'adresse était « Au Pradet, 32120 Mauvezin » sans numéro", "Au Pradet, 32120 Mauvezin"),
    ],
)
def test_a_hyphenated_town_after_a_quarter_and_a_gascon_place_are_read(text, address):
    assert address in addresses(text)


@pytest.mark.parametrize(("text", "name"), [("M.-C. R.", "M.-C. R."), ("Tran H. L.", "Tran H. L.")])
def test_initials_with_one_name_word_or_none_name_the_author(text, name):
    assert [text[f.start : f.end] for f in screen(text, field="author_name")] == [name]


def test_an_acronym_with_dots_names_no_author():
    assert not screen("S.O.S. Amitié", field="author_name")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("jai envoyé le dossier de mon pere youssef ben amar au guichet", "youssef ben amar"),
        ("merci a samira el fassi pour son aide", "samira el fassi"),
    ],
)
def test_a_lower_case_surname_after_a_particle_goes_with_its_first_name(text, name):
    assert ("person_name", name) in rules(text)
