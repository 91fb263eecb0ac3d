"""The French words the pages show for the API codes of DOMAIN.md, declared once."""

from __future__ import annotations

CHANNELS = {
    "in_person": "Accueil physique",
    "phone": "Téléphone",
    "mail": "Courrier",
    "email": "Courriel",
    "online": "Formulaire ou démarche en ligne",
    "other": "Autre",
}

FEELINGS = {"positive": "Positif", "neutral": "Neutre", "negative": "Négatif"}

# The general tags an agent sets on an experience, each with a feeling.
GENERAL_TAGS = {
    "accessibility": "Accessibilité",
    "information": "Information",
    "relationship": "Relation avec l'usager",
    "responsiveness": "Réactivité",
    "simplicity": "Simplicité",
}

STATUSES = {
    "submitted": "En modération",
    "rejected": "Refusée",
    "to_process": "À traiter",
    "awaiting_validation": "En attente de validation",
    "answered": "Réponse apportée",
}

# The filter « État » of the agents' list.
AGENT_STATUS_FILTER = ("to_process", "awaiting_validation", "answered")

STATUS_BADGES = {
    "submitted": "fr-badge--info",
    "rejected": "fr-badge--error",
    "to_process": "fr-badge--new",
    "awaiting_validation": "fr-badge--warning",
    "answered": "fr-badge--success",
}

CASE_STATUSES = {"pending": "En attente", "approved": "Approuvé", "rejected": "Refusé",
                 "rerouted": "Réorienté", "declined": "Réorientation refusée"}

# What a moderation case is (the API's `kind`): the queue's badge and filter.
CASE_KINDS = {"submission": "Nouvelle expérience", "reorientation": "Demande de réorientation"}
CASE_KIND_BADGES = {"submission": "fr-badge--blue-ecume",
                    "reorientation": "fr-badge--purple-glycine"}
CASE_KIND_FILTER = {"": "Tous les dossiers", "submission": "Nouvelles expériences",
                    "reorientation": "Demandes de réorientation"}

REJECT_REASONS = {
    "insult": "Propos injurieux, diffamatoires ou discriminatoires",
    "personal_data": "Données personnelles",
    "off_topic": "Hors sujet (ne concerne pas un service public)",
    "advertising": "Publicité",
    "duplicate": "Doublon",
    "unintelligible": "Incompréhensible",
    "other": "Autre motif",
}

FLAG_KINDS = {
    "email": "Adresse électronique",
    "phone": "Numéro de téléphone",
    "nir": "Numéro de sécurité sociale",
    "iban": "Coordonnées bancaires (IBAN)",
    "card": "Numéro de carte bancaire",
    "address": "Adresse postale",
    "person_name": "Nom de personne",
    "birth_date": "Date de naissance",
    "identifier": "Identifiant",
    "insult": "Injure",
    "threat": "Menace",
    "vulgarity": "Grossièreté",
    "other": "Passage masqué par la modération",
}

# Why a flag may be doubtful, from the screening's `note`.
FLAG_NOTES = {"checksum_failed": "la clé de contrôle ne correspond pas : ce n'est peut-être pas "
                                 "un vrai numéro"}

# The screened fields of a moderation case, in the order of the page.
MODERATED_FIELDS = {
    "title": "Titre",
    "body": "Témoignage",
    "author_name": "Nom affiché (pseudonyme)",
    "structure_hint": "Lieu ou service indiqué",
}

PROFILES = {
    "agent": "Agent",
    "super_agent": "Super agent",
    "referent": "Référent réseau",
    "moderator": "Modérateur",
    "admin": "Administrateur DITP",
}

# Fields of POST /experiences, in the order of the form.
EXPERIENCE_FIELDS = ("title", "body", "structure_hint", "postal_code", "channel", "occurred_on",
                     "feeling", "author_name", "author_email")


def label(table: dict[str, str], code: str | None) -> str:
    """The French label of a code; the code itself when unknown."""
    return table.get(code or "", code or "")

NOTIFICATION_FREQUENCIES = {
    "immediate": "À chaque nouvelle expérience",
    "daily": "Une fois par jour (récapitulatif)",
    "weekly": "Une fois par semaine (récapitulatif)",
    "none": "Jamais",
}

MISSIONS = {"answer": "Répondre aux expériences", "diagnostic": "Remplir le diagnostic local"}

DIAGNOSTIC_STATUSES = {"draft": "Brouillon", "completed": "Terminé"}

DIAGNOSTIC_BADGES = {"draft": "fr-badge--new", "completed": "fr-badge--success"}

# The figures of GET /dashboard, in the order of the tiles.
DASHBOARD_FIGURES = {
    "published": "Expériences publiées",
    "answered": "Expériences avec réponse",
    "answered_share": "Taux de réponse",
    "average_delay_days": "Délai moyen de réponse",
    "within_target_share": "Réponses dans le délai cible",
    "evaluations": "Évaluations des usagers",
    "useful_share": "Réponses jugées utiles",
    "negative_to_positive_share": "Usagers mécontents devenus satisfaits",
}

USER_STATES = {True: "Actif", False: "Désactivé"}

# A user's state on the users' pages: an invited account has not chosen its password yet.
USER_STATE_LABELS = {"active": "Actif", "invited": "Invitation envoyée", "disabled": "Désactivé"}
USER_STATE_BADGES = {"active": "fr-badge--success", "invited": "fr-badge--info",
                     "disabled": "fr-badge--error"}

STRUCTURE_STATES = {True: "Active", False: "Désactivée"}

# Whether a network's answers wait for a super agent's validation.
NETWORK_VALIDATION = {True: "Validation par un super agent", False: "Publication directe"}

MONTHS_SHORT = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                "oct.", "nov.", "déc.")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")

# The agents' list: the « État » filter's words (a super agent looks for « à valider »), and
# whose experiences it shows.
AGENT_STATUS_FILTER_LABELS = {
    "to_process": "À traiter",
    "awaiting_validation": "En attente de validation (à valider)",
    "answered": "Réponse apportée",
}
AGENT_SCOPES = {
    "avec-filles": "Mes structures et leurs structures filles",
    "mes-structures": "Mes structures seulement",
}

USEFUL = {True: "Oui", False: "Non"}
