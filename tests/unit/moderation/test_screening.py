import dataclasses
import itertools
import sys
from pathlib import Path

import pytest

from services.moderation import screening_report
from services.moderation.screening import (
    ADVISORY_KINDS,
    CHECKSUM_FAILED,
    FLAG_KINDS,
    PLACEHOLDERS,
    PRIORITY,
    Flag,
    FlagKind,
    default_masks,
    name_model,
    parse_lexicon,
    redact,
    resolve,
    screen,
)
from services.moderation.screening_eval import Entry, evaluate, load_corpus, locate

ROOT = Path(__file__).resolve().parents[3]
CORPUS = Path(__file__).parent / "corpus"
DEV = CORPUS / "dev.yaml"
DEV2 = CORPUS / "dev2.yaml"
DEV_HALVES = {"dev": DEV, "dev2": DEV2}
OLD_SET = Path(__file__).parent / "screening_set.yaml"
INVENTED = [Path(__file__).parent / "invented_dev.yaml", Path(__file__).parent / "invented_check.yaml"]


@pytest.fixture(scope="session")
def model():
    """The spaCy model, loaded once for the whole session (screen() caches it per process)."""
    return name_model()


@pytest.fixture(scope="session")
def screened(model):
    """Each text of the dev halves and its flags, screened once for the session."""
    return {
        entry.text: screen(entry.text)
        for path in DEV_HALVES.values()
        if path.exists()
        for entry in load_corpus(path)
    }


@pytest.fixture(scope="session", params=sorted(DEV_HALVES))
def dev_report(request, screened):
    path = DEV_HALVES[request.param]
    if not path.exists():
        pytest.skip(f"the {request.param} half of the corpus is not split yet")
    return evaluate(load_corpus(path), screened.__getitem__)


def spans(text: str) -> list[tuple[str, str]]:
    return [(str(f.kind), text[f.start : f.end]) for f in screen(text)]


def kinds(text: str) -> list[str]:
    return [str(f.kind) for f in screen(text)]


# --- figures on the dev halves of the two corpora


@pytest.mark.parametrize("kind", ["email", "phone", "nir", "iban"])
def test_dev_recall_is_complete_on_what_must_never_be_published(dev_report, kind):
    counts = dev_report.per_kind[kind]
    missed = [(k, s) for k, s, _ in dev_report.missed if k == kind]
    assert counts.expected >= 5
    assert counts.recall == 1.0, missed


@pytest.mark.parametrize("kind", ["person_name", "address"])
def test_dev_recall_of_names_and_addresses_is_at_least_95_percent(dev_report, kind):
    counts = dev_report.per_kind[kind]
    assert counts.expected >= 20
    assert counts.recall >= 0.95, [(k, s) for k, s, _ in dev_report.missed if k == kind]


def test_dev_overall_precision_is_at_least_95_percent(dev_report):
    assert dev_report.overall.precision >= 0.95, dev_report.false_flags


def test_the_invented_sentences_keep_their_figures(model):
    """Sentences written for the second round (a part of them held back while the rules were
    written): a rule that stops generalising shows here first."""
    report = evaluate([e for path in INVENTED for e in load_corpus(path)])
    assert report.entries >= 600
    assert report.overall.recall >= 0.97, report.missed
    assert report.overall.precision >= 0.97, report.false_flags


def test_the_old_set_relabelled_leaks_none_of_the_four_numbers():
    # Numbers do not depend on the name model: the rules alone are scored.
    report = evaluate(load_corpus(OLD_SET), lambda text: screen(text, use_model=False))
    assert report.entries >= 300
    for kind in ("email", "phone", "nir", "iban"):
        assert report.per_kind[kind].recall == 1.0, kind
    assert not [leak for leak in report.leaks if leak[0] in ("email", "phone", "nir", "iban")]


def test_corpus_files_are_well_formed():
    for path in [p for p in (DEV, DEV2, OLD_SET, *INVENTED) if p.exists()]:
        for entry in load_corpus(path):
            for kind, span in entry.expected:
                assert kind in FLAG_KINDS, (path.name, entry.text)
                assert span in entry.text, (path.name, span, entry.text)


def test_flags_are_sorted_and_never_overlap_on_the_dev_halves(screened):
    for text, flags in screened.items():
        assert flags == sorted(flags, key=lambda f: f.start)
        for previous, flag in itertools.pairwise(flags):
            assert previous.end <= flag.start, text
        assert all(0 <= f.start < f.end <= len(text) for f in flags)


# --- the scoring rules


def test_the_loader_reads_the_list_format_and_the_old_batches(tmp_path):
    listed = tmp_path / "list.yaml"
    listed.write_text('- field: title\n  text: "Appelez le 06 12 34 56 78"\n'
                      '  expect: [[phone, "06 12 34 56 78"]]\n- text: "Rien"\n  expect: []\n')
    batches = tmp_path / "batches.yaml"
    batches.write_text('development:\n  - text: "a"\n    expect: []\nheld_out:\n'
                       '  - text: "b"\n    expect: []\n')
    assert load_corpus(listed) == [
        Entry("Appelez le 06 12 34 56 78", (("phone", "06 12 34 56 78"),), "title"),
        Entry("Rien", (), "body"),
    ]
    assert [e.text for e in load_corpus(batches)] == ["a", "b"]


def test_a_repeated_substring_is_located_once_per_occurrence_whole_words_first():
    entry = Entry("Le conseiller, ce con, et un autre con", (("insult", "con"), ("insult", "con")))
    assert [(s.start, s.end) for s in locate(entry)] == [(18, 21), (35, 38)]


def test_found_needs_every_character_covered_but_the_title_of_a_name():
    entry = Entry("Reçu par M. Jean Dupont, tél 06 12 34 56 78",
                  (("person_name", "M. Jean Dupont"), ("phone", "06 12 34 56 78")))
    name_only = [Flag(FlagKind.PERSON_NAME, 12, 23)]  # « Jean Dupont »: the title uncovered
    half_phone = [Flag(FlagKind.PHONE, 29, 37)]
    report = evaluate([entry], lambda text: name_only + half_phone)
    assert report.per_kind["person_name"].found == 1
    assert report.per_kind["phone"].found == 0
    assert report.per_kind["phone"].correct == 1  # overlapping is enough to be correct
    assert [leak[0] for leak in report.leaks] == ["phone"]


def test_an_overlap_is_enough_for_abuse_and_a_wrong_kind_is_a_miss_and_a_leak():
    entry = Entry("Bande de connards", (("insult", "Bande de connards"),))
    assert evaluate([entry], lambda t: [Flag(FlagKind.INSULT, 9, 17)]).overall.recall == 1.0
    report = evaluate([entry], lambda t: [Flag(FlagKind.VULGARITY, 0, 17)])
    assert report.overall.recall == 0.0 and report.overall.precision == 0.0
    assert len(report.leaks) == 1  # a vulgarity is not masked by default


# --- phones


@pytest.mark.parametrize(
    "number",
    [
        "06 12 34 56 78", "0612345678", "06.12.34.56.78", "06-12-34-56-78", "06,12,34,56,78",
        "06/12/34/56/78", "+33 6 12 34 56 78", "+33612345678", "+33 (0)6 12 34 56 78",
        "+33(0)6 12 34 56 78", "(+33) 6 12 34 56 78", "0033 6 12 34 56 78", "06 12 345 678",
        "0612 34 56 78", "0590 12 34 56", "0594 12 34 56", "0596 12 34 56", "0262 12 34 56",
        "0269 61 23 45", "0690 12 34 56", "0694 12 34 56", "0639 12 34 56", "+262 692 12 34 56",
        "O6 12 34 56 78", "06 12 34 56 7O", "06\u00a012\u00a034\u00a056\u00a078",
        "+32 470 12 34 56",
    ],
)  # fmt: skip
def test_every_layout_of_a_phone_number_is_flagged(number):
    assert spans(f"Rappelez-moi au {number}, merci.") == [("phone", number)]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("tel0612345678", "0612345678"),
        ("Tél:06-12-34-56-78", "06-12-34-56-78"),
        ("mon tel c'est le 0 6 1 2 3 4 5 6 7 8 le soir", "0 6 1 2 3 4 5 6 7 8"),
    ],
)
def test_a_number_stuck_to_its_label_or_typed_digit_by_digit_is_flagged(text, number):
    assert spans(text) == [("phone", number)]


@pytest.mark.parametrize(
    "text",
    [
        "J'ai appelé le 3949 puis le 39 49 et le 36 46.",
        "Le 0 809 401 401 des impôts est saturé.",
        "Le 0 800 123 456 est un numéro gratuit.",
        "Le standard de la mairie, 01 23 45 67 00, ne répond pas.",
        "J'ai eu quelqu'un au 04 72 61 74 00 (numéro de la MDPH sur leur site).",
        "Rendez-vous le 06/12/2024 à 14 h 30.",
        "Le compteur affichait 0 1 2 3 4 5 6 7 8 9.",
    ],
)
def test_public_numbers_dates_and_digit_lists_are_not_phones(text):
    assert kinds(text) == []


def test_an_office_number_ending_in_00_stays_personal_when_given_as_ones_own():
    assert kinds("Le service m'a dit de rappeler mon fixe au 01 45 67 89 00.") == ["phone"]


# --- e-mails


@pytest.mark.parametrize(
    "email",
    [
        "marie.lefort@example.fr", "JEAN-PIERRE.ROUX@EXAMPLE.COM", "o'neil@example.ie",
        "claire.dumas(at)example.org", "t.nguyen [at] exemple.fr", "gerard.lucas @ example.fr",
        "jean point dupont arobase gmail point com", "jean.dupont at gmail dot com",
        "jean . dupont @ gmail . com", "jean(dot)dupont(at)gmail(dot)com",
        "marie75 (arobase) free.fr", "ketsia.b971 at gmail.com",
    ],
)  # fmt: skip
def test_plain_and_obfuscated_email_addresses_are_flagged(email):
    assert spans(f"Écrivez-moi à {email} svp.") == [("email", email)]


def test_an_elision_before_an_address_is_left_out_and_a_first_name_before_it_kept():
    assert spans("C'est l'adresse d'amelie@example.fr.") == [("email", "amelie@example.fr")]
    assert spans("écrire à jean dupont arobase orange point fr") == [
        ("email", "jean dupont arobase orange point fr")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "J'ai écrit à contact@caf.fr sans réponse.",
        "Le mail pref-etrangers@seine-saint-denis.gouv.fr ne répond pas.",
        "Rendez-vous at home point final.",
    ],
)
def test_office_mailboxes_and_english_words_are_not_personal_addresses(text):
    assert kinds(text) == []


# --- NIR, IBAN, cards


@pytest.mark.parametrize(
    "nir",
    ["1 85 05 78 006 084 91", "185057800608491", "1.85.05.78.006.084.91", "1 87 12 2A 004 012 84",
     "1 85 05 78 006 084 clé 91", "1850578006084 clé 91", "1 94 01 99 212 066 et la clé 35"],
)  # fmt: skip
def test_a_nir_with_its_key_is_flagged_with_no_note(nir):
    [flag] = screen(f"Mon numéro de sécurité sociale est {nir}.")
    assert (flag.kind, flag.note) == (FlagKind.NIR, None)


@pytest.mark.parametrize(
    ("text", "nir"),
    [
        ("Mon numéro de sécu 1 85 05 78 006 084 36 est refusé.", "1 85 05 78 006 084 36"),
        ("sécu : 1 85 05 78 006 084, la clé je ne l'ai plus", "1 85 05 78 006 084"),
        ("c'est 1 94 01 99 212 066 et la clé 36", "1 94 01 99 212 066 et la clé 36"),
    ],
)
def test_a_nir_with_a_wrong_or_missing_key_is_masked_with_a_note(text, nir):
    [flag] = screen(text)
    assert (flag.kind, text[flag.start : flag.end], flag.note) == (FlagKind.NIR, nir, CHECKSUM_FAILED)


def test_a_short_number_and_an_amex_card_are_no_nir():
    assert kinds("Numéro provisoire 185057800608 en attente.") == []
    assert spans("Ma carte Amex 3782 822463 10005 a été débitée.") == [("card", "3782 822463 10005")]


@pytest.mark.parametrize(
    "iban",
    ["FR76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189", "FR 76 3000 6000 0112 3456 7890 189",
     "fr76 3000 6000 0112 3456 7890 189", "FR76-3000-6000-0112-3456-7890-189", "GB82 WEST 1234 5698 7654 32",
     "BE68 5390 0754 7034"],
)  # fmt: skip
def test_an_iban_is_flagged_whatever_its_layout(iban):
    [flag] = screen(f"Mon IBAN : {iban} Merci de corriger.")
    assert (flag.kind, flag.note) == (FlagKind.IBAN, None)


def test_an_iban_with_a_wrong_key_is_masked_with_a_note():
    [flag] = screen("IBAN FR76 3000 6000 0112 3456 7890 188 refusé.")
    assert (flag.kind, flag.note) == (FlagKind.IBAN, CHECKSUM_FAILED)
    assert kinds("Référence de virement FR12 ABCD 2023 sur mon relevé.") == []


@pytest.mark.parametrize("card", ["4970 7483 3788 7626", "5131-3286-0129-0402", "3782 822463 10005"])
def test_a_card_number_passing_luhn_is_flagged(card):
    assert spans(f"Ma carte {card} a été débitée deux fois.") == [("card", card)]


def test_numbers_that_are_no_card_stay_unflagged():
    for number in ("362 521 879 00034", "1234 5678 9012 3456"):
        assert kinds(f"Le numéro {number} figure sur le courrier.") == []


# --- identifiers and dates of birth


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("numéro allocataire : 2456781", "2456781"),
        ("mon numéro CAF est le 7654321", "7654321"),
        ("Numéro allocataire de ma fille : 2203958.", "2203958"),
        ("Identifiant France Travail 1234567A.", "1234567A"),
        ("mon numéro fiscal est 0123456789012", "0123456789012"),
        ("le voilà : 12 34 567 890 066.", "12 34 567 890 066"),
        ("numéro de passeport 18AV12345", "18AV12345"),
        ("permis de conduire (ancien modèle) : 871069300512", "871069300512"),
        ("Carte grise EF-321-GH jamais reçue", "EF-321-GH"),
        ("immatriculation de ma voiture AB 123 CD", "AB 123 CD"),
        ("Numéro AGDREF 6901258743, récépissé renouvelé", "6901258743"),
        ("mon titre de séjour n° 1234567890", "1234567890"),
        ("mon RIB: 30006 00001 12345678901 89", "30006 00001 12345678901 89"),
    ],
)
def test_personal_identifiers_are_flagged_without_their_label(text, number):
    assert spans(text) == [("identifier", number)]


@pytest.mark.parametrize(
    "text",
    [
        "Dossier n° 2024-118, courrier du 15/04/2024.",
        "formulaire Cerfa 13403*03",
        "Le numéro de dossier ANTS 21AB12345 ne renvoie à rien.",
        "Allocataire depuis 2009 et toujours rien.",
    ],
)
def test_the_administrations_references_are_not_identifiers(text):
    assert kinds(text) == []


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("Née le 12/05/1985 à Lyon.", ["12/05/1985"]),
        ("date de naissance : 3 mars 1990", ["3 mars 1990"]),
        ("Mon dossier naturalisation, né le 1er mars 1992", ["1er mars 1992"]),
        ("Je suis né le 17/08/1999 et on a écrit 17/08/1990 sur ma carte", ["17/08/1999", "17/08/1990"]),
        ("Courrier du 12/03/2024, rendez-vous le 3 avril.", []),
    ],
)
def test_dates_of_birth_and_only_them_are_flagged(text, dates):
    assert [s for k, s in spans(text) if k == "birth_date"] == dates


# --- addresses


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("J'habite au 12 rue de la Paix, 75002 Paris.", "12 rue de la Paix, 75002 Paris"),
        ("Au 14 r. du Stade 62300 Lens.", "14 r. du Stade 62300 Lens"),
        ("Au 4 bd Gambetta, 13001 Marseille.", "4 bd Gambetta, 13001 Marseille"),
        ("Au 8 av. Jean Jaurès.", "8 av. Jean Jaurès"),
        ("Au 15 pl. de la Mairie.", "15 pl. de la Mairie"),
        ("Au 22 route de Bordeaux 33000 Mérignac.", "22 route de Bordeaux 33000 Mérignac"),
        ("Au 10 Le Bourg 24200 Sarlat.", "10 Le Bourg 24200 Sarlat"),
        ("Adresse : lieu-dit Les Granges, 15300 Murat.", "lieu-dit Les Granges, 15300 Murat"),
        ("Bât A appt 4 résidence du Parc, 2 rue des Roses 68100 Mulhouse",
         "Bât A appt 4 résidence du Parc, 2 rue des Roses 68100 Mulhouse"),
        ("au 6 allée des Cèdres, Bât D, 93200 Saint-Denis.", "6 allée des Cèdres, Bât D, 93200 Saint-Denis"),
        ("Quartier Bellevue, 97200 Fort-de-France.", "Quartier Bellevue, 97200 Fort-de-France"),
        ("mon adresse c'est 4 rue victor hugo depuis mars", "4 rue victor hugo"),
        ("Adresse actuelle : Hauptstraße 12, 77694 Kehl.", "Hauptstraße 12, 77694 Kehl"),
    ],
)  # fmt: skip
def test_private_postal_addresses_are_flagged_with_their_details(text, address):
    assert spans(text) == [("address", address)]


@pytest.mark.parametrize(
    "text",
    [
        "L'agence est rue de la Gare, à côté de la poste.",
        "Il y avait 12 places de parking réservées.",
        "La CAF du 27 avenue du Général de Gaulle est fermée le jeudi.",
        "La Poste, 3 rue Nationale, 59000 Lille",
        "L'adresse de la CPAM indiquée sur vos courriers, 2 rue Georges Brassens 69007 Lyon, a changé.",
    ],
)
def test_streets_without_number_and_office_addresses_are_not_flagged(text):
    assert kinds(text) == []


def test_an_address_after_words_of_home_is_private_even_after_an_office():
    assert kinds("Domicilié au CCAS, mon adresse est 1 place de la Mairie, 62000 Arras.") == [
        "address"
    ]


# --- names


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("J'ai été reçu par M. Dupont à l'accueil.", "M. Dupont"),
        ("mme martin m'a aidé", "mme martin"),
        ("Me Durand, mon avocate, a écrit.", "Me Durand"),
        ("Le docteur Martin est génial.", "docteur Martin"),
        ("MERCI MADAME CAMARA !!!", "MADAME CAMARA"),
        ("DUPONT Jean-Pierre, 45 ans", "DUPONT Jean-Pierre"),
        ("Fernand BOUCHER", "Fernand BOUCHER"),
        ("merci de me recontacter : ODILE MARCHAND", "ODILE MARCHAND"),
        ("Un grand merci à Karim B. pour son aide", "Karim B."),
        ("G. Lambert", "G. Lambert"),
        ("Merci à Sophie de l'accueil", "Sophie"),
        ("Sophie, à l'accueil, a été formidable.", "Sophie"),
        ("La conseillère (Nadia) a été top.", "Nadia"),
        ("mon fils Lucas, 12 ans, n'a pas de place", "Lucas"),
        ("merci a kevin du guichet 3", "kevin"),
    ],
)
def test_private_persons_names_are_flagged(model, text, name):
    assert spans(text) == [("person_name", name)]


@pytest.mark.parametrize(
    "text",
    [
        "Madame, Monsieur, je vous écris au sujet de mon dossier.",
        "J'ai écrit à Monsieur le Préfet et à Madame la Directrice.",
        "Le ministre Bruno Le Maire disait que tout serait en ligne.",
        "Emmanuel Macron devrait venir voir.",
        "Le lycée Jean Jaurès a fait la demande de bourse.",
        "Monsieur Tout-le-monde n'y comprend rien.",
        "Accueil CAF de Nancy fermé le 15 août",
        "Je suis né à Metz, mais je vis ailleurs.",
        "La rose du jardin a gelé.",
        "Pouvez vous me rappeler le matin svp.",
    ],
)
def test_public_figures_set_phrases_places_and_sentence_words_are_not_names(model, text):
    assert kinds(text) == []


# --- insults, vulgarity, threats


@pytest.mark.parametrize(
    ("text", "insult"),
    [
        ("Ces connards m'ont radié.", "connards"),
        ("Bande de cons !", "Bande de cons"),
        ("Un c0nnard.", "c0nnard"),
        ("Le conseiller est un c.o.n.n.a.r.d fini.", "c.o.n.n.a.r.d fini"),
        ("Quel c*nnard de conseiller.", "c*nnard"),
        ("la fille du guichet est une vraie konasse", "vraie konasse"),
        ("vous êtes des incompétents", "incompétents"),
        ("Sale raciste, voilà ce qu'il est.", "Sale raciste"),
        ("Espèce de merde !", "Espèce de merde"),
    ],
)
def test_insults_aimed_at_persons_are_flagged_whatever_the_spelling(text, insult):
    assert spans(text) == [("insult", insult)]


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Putain, quatre heures d'attente.", "Putain"),
        ("Franchement c'est de la merde ce site.", "merde"),
        ("Ça fait 6 mois que ça dure ce bordel.", "bordel"),
        ("batard de systeme en ligne", "batard"),
        ("ptain je comprends rien", "ptain"),
    ],
)
def test_vulgarity_aimed_at_no_one_is_advisory(text, word):
    flags = screen(text)
    assert [(str(f.kind), text[f.start : f.end]) for f in flags] == [("vulgarity", word)]
    assert default_masks(flags) == [] and redact(text, default_masks(flags)) == text


@pytest.mark.parametrize(
    "text",
    [
        "Le conseiller était incompétent et incapable de répondre.",
        "Service nul, délais inadmissibles.",
        "La taxe d'enlèvement des ordures ménagères a doublé.",
        "Les cônes du chantier devant l'agence.",
        "Une mise en demeure reçue par erreur.",
        "Je vais porter plainte et saisir le tribunal administratif.",
    ],
)
def test_criticism_lookalikes_and_legal_action_are_not_abuse(text):
    assert kinds(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "je vais vous retrouver à la sortie",
        "Je vais vous faire la peau",
        "Vous allez le payer cher",
        "je sais où tu habites",
        "je vais mettre le feu à la CAF",
        "Prenez garde, quelqu'un va prendre une balle.",
        "Dites à Bruno qu'il a intérêt à faire attention en rentrant ce soir.",
    ],
)
def test_threats_are_flagged(model, text):
    assert "threat" in kinds(text)


def test_a_threat_covers_its_clause_and_leaves_the_insult_its_own_flag():
    text = "Je vais vous attendre à la sortie de l'agence ce soir, bande de fumiers."
    assert spans(text) == [
        ("threat", "Je vais vous attendre à la sortie de l'agence ce soir"),
        ("insult", "bande de fumiers"),
    ]


def test_the_lexicons_list_explicit_forms_when_given():
    assert parse_lexicon(["con = con, cons, conne, connes"]) == {"con", "cons", "conne", "connes"}
    assert parse_lexicon(["crétin"]) >= {"crétin", "crétins", "crétine", "crétines"}
    assert parse_lexicon(["bouseux"]) == {"bouseux", "bouseuse", "bouseuses"}


# --- second round: mechanisms for text the rules were not written on


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("M. et Mme Garnier sont venus ensemble.", ["M. et Mme Garnier"]),
        ("Monsieur et Madame Ouattara, locataires.", ["Monsieur et Madame Ouattara"]),
        ("Nom : MOREL\nPrénom : Gisèle", ["MOREL", "Gisèle"]),
        ("nom de naissance KERGOAT, nom d'usage LE BRAS", ["KERGOAT", "LE BRAS"]),
        ("bonjour je m'appelle ines kaddour", ["ines kaddour"]),
        ("J'ai eu affaire à un certain Wojciechowski.", ["Wojciechowski"]),
        ("Nous sommes la famille Ferreira-Lopes.", ["famille Ferreira-Lopes"]),
        ("Pour mon voisin Zbigniew (80 ans) c'est compliqué.", ["Zbigniew"]),
        ("La fille de Huguette m'a appelée.", ["Huguette"]),
        ("Signé : Léonie et Marcel Dufour", ["Léonie et Marcel Dufour"]),
        ("Nous remercions Lætitia pour son aide.", ["Lætitia"]),
        ("De la part d'Armelle Quéré", ["Armelle Quéré"]),
        ("le lieutenant Payet a pris ma plainte", ["Payet"]),
        ("Pour mon dossier : Lemarchand Solène, née à Brest.", ["Lemarchand Solène"]),
    ],
)
def test_names_in_couples_forms_and_words_that_say_a_name_is_one(model, text, names):
    assert [s for k, s in spans(text) if k == "person_name"] == names


def test_a_maiden_name_is_masked_with_the_name_it_follows(model):
    text = "Dossier de Mme Odette Brun née Lacaze, 80 ans."
    masked = redact(text, default_masks(screen(text)))
    assert "Odette" not in masked and "Brun" not in masked and "Lacaze" not in masked


@pytest.mark.parametrize(
    "text",
    [
        "Mon fils Autiste, 12 ans, attend une AESH.",
        "Le Samu Social m'a trouvé une place pour deux nuits.",
        "Délais Trop Longs",
        "La conseillère de Sainte-Suzanne a tout fait.",
        "Une certaine lenteur, disons.",
        "Attention, monsieur l'agent, à ce que vous écrivez.",
        "Famille Nombreuse",
        "Je cite la loi : nul n'est censé l'ignorer.",
    ],
)
def test_words_that_only_look_like_names_are_not_names(model, text):
    assert "person_name" not in kinds(text)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("J'habite 4 impasse des Roses à Vannes depuis 2015.", "4 impasse des Roses à Vannes"),
        ("Au 12 bis rue des Lilas, 3e étage gauche, 75011 Paris.",
         "12 bis rue des Lilas, 3e étage gauche, 75011 Paris"),
        ("j'habite 24 grande rue, 70100 Gray", "24 grande rue, 70100 Gray"),
        ("J'habite au 14 de la rue des Lilas à Vichy.", "14 de la rue des Lilas à Vichy"),
        ("au 45 bvd Victor Hugo, 06000 Nice", "45 bvd Victor Hugo, 06000 Nice"),
        ("Mon père vit à La Grange Haute, 23200 Aubusson.", "La Grange Haute, 23200 Aubusson"),
        ("Adresse : BP 12, Mas des Pins, 30000 Nîmes", "BP 12, Mas des Pins, 30000 Nîmes"),
        ("c'est 4 chemin Bras-Long, Saint-Paul, ici", "4 chemin Bras-Long, Saint-Paul"),
        ("mon adresse c'est le 8 rue pasteur a evreux", "8 rue pasteur a evreux"),
        ("2 rue de la Mairie\n57370 Phalsbourg", "2 rue de la Mairie\n57370 Phalsbourg"),
    ],
)  # fmt: skip
def test_addresses_with_a_city_after_a_or_details_after_the_street(text, address):
    assert spans(text) == [("address", address)]


@pytest.mark.parametrize(
    "text",
    [
        "La permanence du CCAS a lieu au 3 rue Carnot le mardi.",
        "L'agence CAF se trouve 12 rue de la Gare, à côté de la poste.",
        "La MDPH a déménagé au 15 avenue de la Gare.",
        "La Poste, 59000 Lille, est fermée le samedi.",
        "Le tribunal judiciaire, 4 boulevard du Palais, 75001 Paris, ne répond pas.",
    ],
)
def test_an_office_placed_by_its_sentence_keeps_its_address_public(text):
    assert "address" not in kinds(text)


def test_a_city_after_a_needs_a_city():
    assert spans("Au 12 rue des Lilas à côté de la poste.") == [("address", "12 rue des Lilas")]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Numéro MSA : 1234567890", "1234567890"),
        ("n° de carte d'identité 123456789012", "123456789012"),
        ("CNI de ma mère n° T7XK2M9PA, à refaire", "T7XK2M9PA"),
        ("mon numero caf c 4451236", "4451236"),
        ("Numéro de bénéficiaire APA de mon père : A-2021-00451", "A-2021-00451"),
        ("Mon dossier ANTS n° 24AB3C567890 est bloqué.", "24AB3C567890"),
        ("ma voiture immatriculée ab-123-cd", "ab-123-cd"),
        ("le véhicule AB123CD est vendu", "AB123CD"),
        ("plaque 2345 XY 93", "2345 XY 93"),
        ("Mon scooter GH 458 KL a été volé.", "GH 458 KL"),
        ("n° locataire 7710-045-221, logement 3 pièces", "7710-045-221"),
    ],
)
def test_identifiers_after_any_label_of_a_personal_file(text, number):
    assert spans(text) == [("identifier", number)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Votre demande n° MPR-2023-004512 est en cours.", []),
        ("Le dossier n° 2023/4512 est en cours d'instruction.", []),
        ("voici mon numéro comme demandé : 06 77 89 12 45", [("phone", "06 77 89 12 45")]),
        ("mon num: 06 12 34\n56 78", [("phone", "06 12 34\n56 78")]),
        ("Mon dossier est bloqué depuis 18 mois.", []),
    ],
)
def test_the_administrations_references_and_phones_are_no_identifiers(text, expected):
    assert spans(text) == expected


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Tél : 06 - 31 - 47 - 85 - 29", ["06 - 31 - 47 - 85 - 29"]),
        ("Tél. (06) 12 34 56 78", ["(06) 12 34 56 78"]),
        ("tel 33 6 12 34 56 78", ["33 6 12 34 56 78"]),
        ("Tél : 0 6 12 34 56 78", ["0 6 12 34 56 78"]),
        ("tel 06:12:34:56:78", ["06:12:34:56:78"]),
        ("tel : 06 12 34 56 78 - 06 98 76 54 32", ["06 12 34 56 78", "06 98 76 54 32"]),
        ("Rappelez-moi au zéro six douze trente-quatre cinquante-six soixante-dix-huit.",
         ["zéro six douze trente-quatre cinquante-six soixante-dix-huit"]),
        ("zero sept, quatre-vingt-dix-neuf, soixante et onze, vingt et un, dix",
         ["zero sept, quatre-vingt-dix-neuf, soixante et onze, vingt et un, dix"]),
        ("mon numéro zero six, 12, 34, 56, 78", ["zero six, 12, 34, 56, 78"]),
    ],
)  # fmt: skip
def test_phones_in_odd_layouts_and_in_words(text, numbers):
    assert [s for k, s in spans(text) if k == "phone"] == numbers


def test_hours_and_amounts_are_not_phones():
    assert kinds("Horaires : 08:30-12:00 / 13:30-16:30, zéro euro remboursé.") == []


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("L'adresse dpae@urssaf.fr renvoie une erreur.", []),
        ("Contactez ce.0751234A@ac-paris.fr pour l'inscription.", []),
        ("écrire à ddets-solidarites@nord.gouv.fr ne sert à rien", []),
        ("Mme Ortiz (s.ortiz@caf.fr) ne répond plus.", ["s.ortiz@caf.fr"]),
        ("Mon mail : nathalie_c AT hotmail DOT fr", ["nathalie_c AT hotmail DOT fr"]),
    ],
)
def test_a_public_services_mailbox_is_generic_unless_it_shows_a_person(text, flagged):
    assert [s for k, s in spans(text) if k == "email"] == flagged


@pytest.mark.parametrize(
    ("text", "insult"),
    [
        ("Quel gros porc ce type à l'accueil.", "gros porc"),
        ("espèce de vieille peau", "vieille peau"),
        ("Vous n'êtes qu'un minable.", "minable"),
        ("un fonctionnaire de merde, voilà ce que vous êtes", "merde"),
        ("une vipère, cette secrétaire", "vipère"),
        ("ces parasites de fonctionnaires", "parasites"),
        ("Pourris de la MDPH", "Pourris"),
        ("Le chef d'agence est une ordure.", "ordure"),
        ("Ces cassos de la plateforme raccrochent.", "cassos"),
        ("cette pute de l'accueil", "pute"),
    ],
)
def test_insults_aimed_at_persons_by_the_words_around_them(text, insult):
    assert any(insult in s for k, s in spans(text) if k == "insult"), spans(text)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Le répondeur est complètement idiot, il raccroche tout seul.", "idiot"),
        ("Cette réforme à la con a tout cassé.", "à la con"),
    ],
)
def test_words_said_of_things_are_vulgarity_not_insults(text, word):
    assert spans(text) == [("vulgarity", word)]


@pytest.mark.parametrize(
    "text",
    [
        "Il y a un gros rat dans la cuisine et des cafards partout.",
        "Mes petits cochons sont malades, la MSA ne répond pas.",
        "Une vraie galère, ce dossier.",
    ],
)
def test_animals_and_things_are_not_insults(text):
    assert kinds(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "je vais l'égorger cette vieille",
        "Je vais tous vous descendre.",
        "Un de ces jours je vais en planter un.",
        "La prochaine fois je viens avec une hache.",
        "Vous ne perdez rien pour attendre.",
        "Surveillez vos arrières.",
        "Je connais votre adresse, madame.",
        "On sait où vous garez vos voitures.",
        "Mes cousins vont passer vous voir.",
        "Ça va finir en bain de sang.",
        "Vous allez me le payer.",
        "Si rien ne bouge je mets le feu à la mairie.",
        "Je vais débarquer à votre bureau et ça va très mal se passer.",
        "Qu'elle fasse gaffe en rentrant.",
        "Votre voiture de fonction va prendre feu, un de ces jours.",
        "Je vais venir vous voir, et pas pour discuter.",
        "Tu vas te prendre une droite, toi.",
        "Je ne réponds plus de rien.",
        "Le jour où je te croise, t'auras plus de dents.",
    ],
)
def test_threats_in_the_shapes_of_intent_warning_and_knowing_where(text):
    assert "threat" in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "Je vais tuer le temps en lisant pendant l'attente.",
        "Je vais le retrouver, ce papier.",
        "Je vais revenir demain avec les documents demandés.",
        "Je vais brûler un cierge pour que mon dossier avance.",
        "Vous allez voir, le dossier est complet cette fois.",
        "Je vais exploser mon forfait avec vos numéros surtaxés.",
        "Mon fils a été agressé au couteau, la MDPH ne veut rien savoir.",
        "Je vais m'occuper de votre dossier, m'a dit la conseillère.",
        "Faites attention à bien remplir la case 7.",
        "Je vais payer la facture en trois fois.",
        "Je vais venir armée de patience et de tous mes papiers.",
        "Je vous retrouve à 14 h au guichet ?",
        "Ça finira mal pour mon dossier si personne ne le lit.",
        "Il va prendre un coup de vieux avec ces délais, mon dossier.",
    ],
)
def test_plans_errands_and_idioms_are_not_threats(text):
    assert "threat" not in kinds(text)


def test_overlapping_flags_of_a_free_text_kind_are_joined():
    street = Flag(FlagKind.ADDRESS, 0, 20)
    building = Flag(FlagKind.ADDRESS, 10, 35)
    phone = Flag(FlagKind.PHONE, 40, 50)
    assert resolve([building, phone, street]) == [Flag(FlagKind.ADDRESS, 0, 35), phone]


# --- several kinds, overlaps and redaction


def test_a_text_with_every_kind_is_redacted_with_the_placeholders(model):
    text = (
        "Mme Dupont (marie@example.fr, 06 12 34 56 78) vit au 12 rue de la Paix ; "
        "NIR 1 85 05 78 006 084 91, IBAN FR76 3000 6000 0112 3456 7890 189, "
        "carte 4970 7483 3788 7626, allocataire 2456781, née le 3 mars 1990. Quels connards."
    )
    flags = screen(text)
    assert [str(f.kind) for f in flags] == [
        "person_name", "email", "phone", "address", "nir", "iban", "card", "identifier",
        "birth_date", "insult",
    ]  # fmt: skip
    assert redact(text, default_masks(flags)) == (
        "[nom masqué] ([courriel masqué], [téléphone masqué]) vit au [adresse masquée] ; "
        "NIR [numéro de sécurité sociale masqué], IBAN [IBAN masqué], "
        "carte [numéro de carte masqué], allocataire [identifiant masqué], "
        "née le [date de naissance masquée]. Quels [propos injurieux masqué]."
    )


def test_the_kind_earlier_in_priority_wins_and_a_threat_keeps_its_longest_part():
    nir, phone = Flag(FlagKind.NIR, 0, 10), Flag(FlagKind.PHONE, 2, 12)
    assert resolve([phone, nir]) == [nir]
    name, threat = Flag(FlagKind.PERSON_NAME, 10, 15), Flag(FlagKind.THREAT, 0, 40)
    assert resolve([threat, name]) == [name, Flag(FlagKind.THREAT, 15, 40)]
    assert spans("Au 12 rue du Docteur Roux.") == [("address", "12 rue du Docteur Roux")]


def test_redact_accepts_every_kind_including_the_moderators_own():
    text = "abc 06 12 34 56 78 def"
    flags = [Flag(FlagKind.OTHER, 19, 22), Flag(FlagKind.PHONE, 4, 18), Flag("nir", 0, 3)]
    assert redact(text, flags) == (
        "[numéro de sécurité sociale masqué] [téléphone masqué] [passage masqué]"
    )
    assert redact(text, []) == text


def test_redact_refuses_overlapping_or_outside_flags():
    with pytest.raises(ValueError):
        redact("0123456789", [Flag(FlagKind.PHONE, 0, 5), Flag(FlagKind.NIR, 4, 8)])
    with pytest.raises(ValueError):
        redact("0123", [Flag(FlagKind.PHONE, 2, 9)])


def test_kinds_placeholders_priority_and_advisory_kinds_are_declared_once():
    assert tuple(k.value for k in FlagKind) == FLAG_KINDS
    assert set(PLACEHOLDERS) == set(FlagKind) == set(PRIORITY)
    assert ADVISORY_KINDS == {FlagKind.VULGARITY}
    with pytest.raises(dataclasses.FrozenInstanceError):
        Flag(FlagKind.EMAIL, 0, 1).start = 2  # type: ignore[misc]
    assert screen("") == []


def test_the_rules_alone_still_find_titled_names_without_the_model():
    assert [str(f.kind) for f in screen("Reçu par Mme Benali.", use_model=False)] == ["person_name"]


# --- the report generator


def test_the_report_reads_the_half_asked_and_publishes_the_held_out_ones_only():
    report = screening_report
    assert report.parse_args(["--half", "dev2"]).corpus == CORPUS / "dev2.yaml"
    assert report.parse_args([]).corpus == DEV
    assert report.parse_args(["--write-docs"]).halves[0] == "heldout"
    with pytest.raises(SystemExit):
        report.parse_args(["--half", "dev", "--write-docs"])


def _tiny_corpus(path: Path, texts: list[tuple[str, list[list[str]]]]) -> Path:
    import yaml

    path.write_text(yaml.safe_dump([{"text": t, "expect": e} for t, e in texts],
                                   allow_unicode=True), encoding="utf-8")  # fmt: skip
    return path


def test_the_docs_give_both_held_out_halves_as_counts_and_never_their_texts(
    model, tmp_path, monkeypatch, capsys
):
    report = screening_report
    secret = "Zéphyrine Quellec-Abgrall"
    first = _tiny_corpus(tmp_path / "h1.yaml", [
        (f"Merci à {secret}, tél 06 12 34 56 78", [["person_name", secret], ["phone", "06 12 34 56 78"]]),
        ("Au 12 rue de la Paix, 75002 Paris, on m'a bien reçu.", []),
    ])  # fmt: skip
    second = _tiny_corpus(tmp_path / "h2.yaml", [("Rien à signaler à Brest.", [["person_name", "Brest"]])])
    monkeypatch.setattr(report, "HALVES", {**report.HALVES, "heldout": first, "heldout2": second})
    # the two tiny halves only: the real ones would take minutes to score here
    monkeypatch.setattr(report, "HELD_OUT", ("heldout", "heldout2"))
    monkeypatch.setattr(report, "DOC_PATH", tmp_path / "screening.md")
    monkeypatch.setattr(report, "SENTENCE_ROUNDS", 1)
    page = report.main(["--write-docs"])
    assert (tmp_path / "screening.md").read_text(encoding="utf-8") == page
    assert "## Results on the heldout half" in page and "## Results on the heldout2 half" in page
    assert "Quellec" not in page and "rue de la Paix" not in page and "Brest" not in page
    assert "Quellec" not in capsys.readouterr().out
    assert "| `address` | 0 | 0 | 1 |" in page  # the false flag, counted
    assert "| `person_name` | 1 | 1 | 0 |" in page  # « Brest » missed and leaked
    earlier = page[page.index("## Earlier held-out run") :]
    assert report.EARLIER_HELD_OUT_RUN in earlier
    assert "| **all** | 367 | 332 | 348 | 342 | **98.3 %** | **90.5 %** |" in earlier


def test_a_dev_half_lists_its_texts(model, tmp_path, monkeypatch):
    report = screening_report
    dev = _tiny_corpus(tmp_path / "d.yaml", [("Rien à signaler à Brest.", [["person_name", "Brest"]])])
    monkeypatch.setattr(report, "HALVES", {**report.HALVES, "dev": dev})
    monkeypatch.setattr(report, "SENTENCE_ROUNDS", 1)
    page = report.main(["--half", "dev", "--markdown", str(tmp_path / "dev.md")])
    assert "- `person_name` « Brest » in: Rien à signaler à Brest." in page
    assert "Earlier held-out run" not in page


def test_the_worker_loads_the_name_model_before_it_consumes(monkeypatch):
    from services.moderation import worker

    calls = []
    monkeypatch.setattr(worker.screening, "name_model", lambda: calls.append("model"))
    monkeypatch.setattr(worker.screening, "screen", lambda text, **kw: calls.append(text) or [])
    worker.warm_up()
    assert calls == ["model", worker.WARM_UP_TEXT]


def test_importing_and_screening_without_the_model_does_not_load_spacy():
    import subprocess

    code = (
        "import sys; from services.moderation.screening import screen; "
        "screen('Mme Dupont, 06 12 34 56 78', use_model=False); print('spacy' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True)  # fmt: skip
    assert result.stdout.strip() == "False"
