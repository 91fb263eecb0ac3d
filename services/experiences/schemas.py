"""Marshmallow schemas of experiences's requests and responses (error messages in French)."""

from __future__ import annotations

from datetime import date, timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from services.chassis.schemas import alike, page_of
from services.chassis.vocabulary import breaks_line
from services.experiences.domain import OPEN_DATA_SEPARATOR, Channel, Feeling, GeneralTag, Status


class Strict(Schema):
    error_messages = {"unknown": "Champ inconnu.", "type": "Données invalides : objet JSON attendu."}


def _msgs(name: str, kind: str = "") -> dict:
    invalid = {
        "date": f"Le champ « {name} » doit être une date au format AAAA-MM-JJ.",
        "bool": f"Le champ « {name} » doit valoir true ou false.",
        "int": f"Le champ « {name} » doit être un nombre entier.",
        "list": f"Le champ « {name} » doit être une liste.",
        "datetime": f"Le champ « {name} » doit être une date et une heure au format ISO 8601 "
                    "(AAAA-MM-JJTHH:MM:SS+00:00).",
    }.get(kind, f"Le champ « {name} » doit être une chaîne de caractères.")
    return {"required": f"Le champ « {name} » est obligatoire.",
            "null": f"Le champ « {name} » ne peut pas être vide.", "invalid": invalid}


def _no_nul(name: str):
    def check(value: str) -> None:
        if "\x00" in value:
            raise ValidationError(f"Le champ « {name} » contient un caractère interdit.")
    return check


def _not_blank(name: str):
    def check(value: str) -> None:
        if value and not value.strip():
            raise ValidationError(f"Le champ « {name} » ne peut pas être vide.")
    return check


def _one_line(name: str):
    def check(value: str) -> None:
        if value.strip() and breaks_line(value):  # a blank one is said so (_not_blank)
            raise ValidationError(f"Le champ « {name} » doit tenir sur une ligne, sans retour à "
                                  "la ligne ni caractère invisible de mise en forme.")
    return check


def text(name: str, max_len: int, required: bool = True, min_len: int = 1,
         one_line: bool = False, **kw) -> fields.String:
    checks = [validate.Length(
        min=min_len, max=max_len,
        error=f"Le champ « {name} » doit contenir entre {min_len} et {max_len} caractères."),
        _no_nul(name)]
    if one_line:  # a title or a name: shown in lists, page titles, subjects and CSV cells
        checks.append(_one_line(name))
    if required and min_len >= 1:  # a text that must be given must say something
        checks.append(_not_blank(name))
    return fields.String(required=required, error_messages=_msgs(name), **kw, validate=checks)


def ident(name: str, required: bool = False) -> fields.String:
    """An id in a query or body: opaque, short."""
    return text(name, 64, required=required)


def page_field() -> fields.Integer:
    return fields.Integer(load_default=1, error_messages=_msgs("page", "int"),
                          validate=validate.Range(min=1, max=10000, error=(
                              "Le champ « page » doit être compris entre 1 et 10000.")))


def per_page_field() -> fields.Integer:
    return fields.Integer(load_default=20, error_messages=_msgs("per_page", "int"),
                          validate=validate.Range(min=1, max=100, error=(
                              "Le champ « per_page » doit être compris entre 1 et 100.")))


def choice(name: str, enum, required: bool = True, **kw) -> fields.String:
    values = [e.value for e in enum]
    return fields.String(required=required, error_messages=_msgs(name), **kw,
                         validate=validate.OneOf(values, error=(
                             f"Le champ « {name} » doit valoir l'une de ces valeurs : "
                             + ", ".join(values) + ".")))


def a_date(name: str, required: bool = True, **kw) -> fields.Date:
    return fields.Date(required=required, error_messages=_msgs(name, "date"), **kw)


def a_bool(name: str, required: bool = True, **kw) -> fields.Boolean:
    return fields.Boolean(required=required, error_messages=_msgs(name, "bool"), **kw)


# Requests -------------------------------------------------------------------------------------

class ExperienceSubmit(Strict):
    title = text("title", 150, one_line=True)
    body = text("body", 5000)
    structure_hint = text("structure_hint", 200, one_line=True)
    postal_code = fields.String(required=True, error_messages=_msgs("postal_code"),
                                validate=validate.Regexp(
                                    r"^[0-9]{5}$",
                                    error="Le champ « postal_code » doit contenir 5 chiffres."))
    channel = choice("channel", Channel)
    occurred_on = a_date("occurred_on")
    feeling = choice("feeling", Feeling)
    author_name = text("author_name", 100, one_line=True)
    author_email = fields.String(required=True, error_messages=_msgs("author_email"),
                                 validate=[_no_nul("author_email"), validate.Length(max=254, error=(
                                     "Le champ « author_email » ne doit pas dépasser 254 caractères.")),
                                     validate.Email(error=(
                                         "Le champ « author_email » doit être une adresse "
                                         "électronique valide."))])

    @validates("occurred_on")
    def _not_in_future(self, value: date, **_):
        # Today somewhere in France: overseas (Nouvelle-Calédonie, Wallis) is ahead of the server.
        if value > date.today() + timedelta(days=1):
            raise ValidationError("Le champ « occurred_on » ne peut pas être une date future.")


class Submitted(Schema):
    id, status = alike(fields.String, 2)


class DateRange(Strict):
    @validates_schema
    def _ordered(self, data, **_):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("La date de début « from » doit précéder la date de fin « to ».",
                                  "from")


# A département as the first digits of a postal code: 01-95 (Corse: 2A, 2B), overseas 971-976
# and 986-988.
DEPARTMENT = r"^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6]|98[6-8])$"


class ExperienceQuery(DateRange):
    status = choice("status", Status, required=False)
    structure_id = ident("structure_id")
    network_id = ident("network_id")
    postal_code = text("postal_code", 5, required=False)
    q = text("q", 200, required=False)
    channel = choice("channel", Channel, required=False)
    feeling = choice("feeling", Feeling, required=False)
    date_from = a_date("from", required=False, data_key="from")
    date_to = a_date("to", required=False, data_key="to")
    include_children = a_bool("include_children", required=False, load_default=False)
    department = fields.String(
        required=False, error_messages=_msgs("department"),
        validate=validate.Regexp(DEPARTMENT, error=(
            "Le champ « department » doit être un département : de 01 à 95, 2A, 2B, "
            "ou un numéro d'outre-mer (971 à 976, 986 à 988).")),
        metadata={"description": "Département read from the postal code (2A/2B: Corse)"})
    answered = a_bool("answered", required=False, metadata={
        "description": "true: answered only; false: not answered yet"})
    choices = a_bool("choices", required=False, load_default=False, metadata={
        "description": "Add the filter choices: every network, and the structures of "
                       "`network_id` in tree order"})
    page = page_field()
    per_page = per_page_field()


class ResponseDraft(Strict):
    body = text("body", 10000)
    closing = text("closing", 500, required=False, min_len=0, allow_none=True)
    signature = text("signature", 200, required=False, min_len=0, allow_none=True)


class Validation(Strict):
    response_updated_at = fields.DateTime(
        required=False, error_messages=_msgs("response_updated_at", "datetime"), metadata={
            "description": "The `response_updated_at` of the response the validator read, as "
                           "the internal view gave it: if the draft was saved since, 409 and "
                           "nothing is published."})


class Reassign(Strict):
    structure_id = text("structure_id", 64)


class Reorientation(Strict):
    reason = text("reason", 2000)


class Evaluation(Strict):
    token = text("token", 200)
    useful = a_bool("useful")
    feeling_after = choice("feeling_after", Feeling)
    comment = text("comment", 2000, required=False, min_len=0, allow_none=True)


class EvaluationLinkQuery(Strict):
    token = text("token", 200)


class EvaluationLinkOut(Schema):
    state = fields.String(metadata={"description": "open: the link may still be used"})


class TagFeeling(Strict):
    tag = choice("tag", GeneralTag)
    feeling = choice("feeling", Feeling)


class ChannelFeeling(Strict):
    channel = choice("channel", Channel)
    feeling = choice("feeling", Feeling)


def _once_each(name: str, key: str, what: str):
    """One feeling per tag or channel: two would contradict each other in the open data."""
    def check(items: list[dict]) -> None:
        keys = [item.get(key) for item in items]
        if len(keys) != len(set(keys)):
            raise ValidationError(f"Le champ « {name} » donne un seul ressenti par {what}.")
    return check


def _no_separator(tags: list[str]) -> None:
    if any(OPEN_DATA_SEPARATOR in tag for tag in tags):
        raise ValidationError("Une étiquette métier ne peut pas contenir « | ».")


class Annotations(Strict):
    general_tags = fields.List(fields.Nested(TagFeeling), error_messages=_msgs("general_tags", "list"),
                               validate=_once_each("general_tags", "tag", "thème"))
    business_tags = fields.List(text("business_tags", 100, one_line=True),
                                error_messages=_msgs("business_tags", "list"),
                                validate=[validate.Length(max=30, error=(
                                    "Le champ « business_tags » compte au plus 30 étiquettes.")),
                                    _no_separator])
    channel_feelings = fields.List(fields.Nested(ChannelFeeling),
                                   error_messages=_msgs("channel_feelings", "list"),
                                   validate=_once_each("channel_feelings", "channel", "canal"))
    improvement_to_consider = a_bool("improvement_to_consider", required=False)


class CommentCreate(Strict):
    body = text("body", 5000)


class CommentOut(Schema):
    id, author_id, author_name, body = alike(fields.String, 4)
    created_at = fields.DateTime()


class CommentList(Schema):
    items = fields.List(fields.Nested(CommentOut))


class SimilarOut(Schema):
    id, title, body = alike(fields.String, 3)
    response = fields.Nested("ResponseOut")
    score = fields.Float()


class SimilarList(Schema):
    items = fields.List(fields.Nested(SimilarOut))


class ImprovementActionCreate(Strict):
    title = text("title", 150, one_line=True)
    description = text("description", 5000)
    date = a_date("date")
    structure_id = text("structure_id", 64)
    experience_ids = fields.List(ident("experience_ids", required=True),
                                 required=True, error_messages=_msgs("experience_ids", "list"),
                                 validate=validate.Length(min=1, max=100, error=(
                                     "Le champ « experience_ids » doit lister entre 1 et 100 "
                                     "expériences.")))


class ImprovementActionUpdate(Strict):
    """The fields to change; those not given stay as they are."""

    title = text("title", 150, required=False, one_line=True)
    description = text("description", 5000, required=False)
    date = a_date("date", required=False)
    structure_id = text("structure_id", 64, required=False)
    experience_ids = fields.List(ident("experience_ids", required=True),
                                 error_messages=_msgs("experience_ids", "list"),
                                 validate=validate.Length(min=1, max=100, error=(
                                     "Le champ « experience_ids » doit lister entre 1 et 100 "
                                     "expériences.")))

    @validates_schema
    def _something(self, data, **_):
        if not data:
            raise ValidationError("Indiquez au moins un champ à modifier : title, description, "
                                  "date, structure_id ou experience_ids.", "title")


class ImprovementActionQuery(Strict):
    structure_id = ident("structure_id")
    experience_id = ident("experience_id")
    in_scope = a_bool("in_scope", required=False, load_default=False,
                      metadata={"description": "staff only: the actions of the caller's scope"})
    page = page_field()
    per_page = per_page_field()


class DashboardQuery(DateRange):
    structure_id = ident("structure_id")
    network_id = ident("network_id")
    include_children = a_bool("include_children", required=False, load_default=False)
    date_from = a_date("from", required=False, data_key="from")
    date_to = a_date("to", required=False, data_key="to")


# Responses (author_email is in none of them) --------------------------------------------------

class ImprovementActionOut(Schema):
    id, title, description = alike(fields.String, 3)
    date = fields.Date()
    structure_id = fields.String()
    experience_ids = fields.List(fields.String())
    editable = fields.Boolean(metadata={
        "description": "staff only: whether the caller may change or delete it"})


class ResponseOut(Schema):
    body = fields.String()
    closing, signature = alike(fields.String, 2, allow_none=True)


class ExperienceOut(Schema):
    """What the public sees of a published experience."""

    id, status, title, body = alike(fields.String, 4)
    structure_id, structure_name, network_id = alike(fields.String, 3, allow_none=True)
    postal_code, channel = alike(fields.String, 2)
    occurred_on = fields.Date()
    feeling, author_name = alike(fields.String, 2)
    published_at, first_response_at = alike(fields.DateTime, 2, allow_none=True)
    response = fields.Nested(ResponseOut, allow_none=True)
    improvement_actions = fields.List(fields.Nested(ImprovementActionOut))


class EvaluationOut(Schema):
    useful = fields.Boolean()
    feeling_after = fields.String()
    comment = fields.String(allow_none=True, metadata={
        "description": "the author's free comment, neither screened nor published: given to "
                       "the programme's administrators (profile `admin`) only, null for "
                       "everyone else"})
    evaluated_at = fields.DateTime()


class ExperienceInternalOut(ExperienceOut):
    """What the staff in scope see besides: the draft, the moves, the evaluation."""

    submitted_at = fields.DateTime()
    edited = fields.Boolean()
    rejection_reason, reorientation_reason = alike(fields.String, 2, allow_none=True)
    response_draft = fields.Nested(ResponseOut, allow_none=True)
    response_updated_at = fields.DateTime(allow_none=True, metadata={
        "description": "when the draft was last saved"})
    response_submitted_by = fields.String(allow_none=True, metadata={
        "description": "who sent the response to validation (or published it)"})
    response_drafted_by = fields.String(allow_none=True, metadata={
        "description": "who saved the text as it stands; neither they nor the sender validate it"})
    answer_due_at = fields.DateTime(allow_none=True, metadata={
        "description": "publication plus the network's target delay"})
    general_tags = fields.List(fields.Dict())
    business_tags = fields.List(fields.String())
    channel_feelings = fields.List(fields.Dict())
    improvement_to_consider = fields.Boolean()
    evaluation = fields.Nested(EvaluationOut, allow_none=True)


class NetworkChoiceOut(Schema):
    id, name = alike(fields.String, 2)


class StructureChoiceOut(Schema):
    id, name = alike(fields.String, 2)
    parent_id = fields.String(allow_none=True)
    depth = fields.Integer(metadata={"description": "0 for a root of the network's tree"})


class ExperiencePage(page_of(ExperienceInternalOut, "ExperiencePageBase")):
    # Only with `choices=true`: what the public list's filters offer.
    networks = fields.List(fields.Nested(NetworkChoiceOut))
    structures = fields.List(fields.Nested(StructureChoiceOut))
    structures_truncated = fields.Boolean()
    total_capped = fields.Boolean(metadata={
        "description": "Only on a text search with more matches than it counts: `total` is "
                       "then a lower bound (« plus de 1 000 »)."})


ImprovementActionPage = page_of(ImprovementActionOut, "ImprovementActionPage")


class MonthFiguresOut(Schema):
    month = fields.String(metadata={"description": "YYYY-MM (UTC), month of publication"})
    published, answered = alike(fields.Integer, 2)


class DashboardOut(Schema):
    published, answered = alike(fields.Integer, 2)
    answered_share, average_delay_days, within_target_share = alike(fields.Float, 3, allow_none=True)
    evaluations = fields.Integer()
    useful_share, negative_to_positive_share = alike(fields.Float, 2, allow_none=True)
    by_month = fields.List(fields.Nested(MonthFiguresOut))
