"""A small diagnostic questionnaire (two channels, two commitments) and answers to it whose
scores are computed by hand, for the domain tests of services/diagnostic (plain data: nothing
of the service is imported here)."""

SMALL = {
    "version": "test-v1",
    "title": "Petit questionnaire",
    "published_on": "2023-01-01",
    "scale": [
        {"code": "yes", "label": "Oui", "value": 1.0},
        {"code": "partly", "label": "Partiellement", "value": 0.5},
        {"code": "no", "label": "Non", "value": 0.0},
        {"code": "not_applicable", "label": "Non concerné", "value": None},
    ],
    "channels": [
        {"code": "in_person", "label": "Accueil physique"},
        {"code": "phone", "label": "Téléphone"},
    ],
    "commitments": [
        {
            "number": 1,
            "code": "kind",
            "label": "Accueil bienveillant",
            "expected_level": 0.8,
            "questions": [
                {"id": "a", "text": "Question A", "channels": "all"},
                {"id": "b", "text": "Question B", "channels": ["phone"]},
            ],
        },
        {
            "number": 2,
            "code": "contact",
            "label": "Contact facile",
            "expected_level": 0.5,
            "questions": [
                {"id": "c", "text": "Question C", "channels": ["in_person"]},
                {"id": "d", "text": "Question D", "channels": "all"},
            ],
        },
    ],
}

BOTH = {"in_person", "phone"}

# Hand-computed (tests/unit/diagnostic/test_domain.py checks these figures):
# commitment 1 = (1 + 0.5 + 0) / 3 = 0.5, commitment 2 = (0.5 + 1) / 2.
ANSWERS = {
    ("a", "in_person"): "yes",
    ("a", "phone"): "partly",
    ("b", "phone"): "no",
    ("c", "in_person"): "not_applicable",
    ("d", "in_person"): "partly",
    ("d", "phone"): "yes",
}
