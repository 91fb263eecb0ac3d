"""Marshmallow schemas of identity's requests and responses."""

from marshmallow import Schema, ValidationError, fields, validate

from services.chassis.permissions import Mission, Profile
from services.chassis.schemas import PageQuery, alike, page_of
from services.chassis.vocabulary import NETWORK_CODE, breaks_line
from services.identity.domain import Channel, NotificationFrequency, password_problems

_profiles = validate.OneOf([p.value for p in Profile])
_missions = validate.OneOf([m.value for m in Mission])
_channels = validate.OneOf([c.value for c in Channel])
_frequencies = validate.OneOf([f.value for f in NotificationFrequency])
_postal = validate.Regexp(r"^\d[0-9AB]\d{3}$", error="Code postal invalide.")


def _password_policy(value: str) -> None:
    problems = password_problems(value)
    if problems:
        raise ValidationError(problems)


def _plain_text(value: str) -> None:
    """Names are shown on pages, in lists and in e-mails: on one line, not blank, no NUL
    (PostgreSQL refuses it)."""
    if "\x00" in value:
        raise ValidationError("Caractère interdit.")
    if value.strip() and breaks_line(value):  # a blank one is said so below
        raise ValidationError("Ce champ doit tenir sur une ligne, sans retour à la ligne ni caractère "
                              "invisible de mise en forme.")
    if value and not value.strip():
        raise ValidationError("Ce champ ne peut pas être vide.")


Password = lambda **kw: fields.String(  # noqa: E731
    validate=[validate.Length(max=512), _password_policy], **kw)
Name = lambda **kw: fields.String(  # noqa: E731
    validate=[validate.Length(min=1, max=200), _plain_text], **kw)


class PageArgs(PageQuery):  # its bound on page holds (chassis)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class LoginIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=512))


class TokenOut(Schema):
    access_token, token_type = alike(fields.String, 2)
    expires_in = fields.Integer()
    refresh_token = fields.String(metadata={
        "description": "Renews the access token at POST /auth/refresh; ends at POST /auth/logout"})
    refresh_expires_in = fields.Integer(metadata={
        "description": "Seconds of inactivity after which the refresh token stops working"})


class RefreshIn(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=20, max=200))


class PasswordResetIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))


class SetPasswordIn(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = Password(required=True)


class ChangePasswordIn(Schema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=512))
    password = Password(required=True)


class PasswordLinkIn(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class LinkStateOut(Schema):
    state = fields.String(metadata={"description": "open: the link may still set a password"})


class PreferencesIn(Schema):
    notification_frequency = fields.String(required=True, validate=_frequencies)


_network_code = [validate.Length(min=1, max=50),
                 validate.Regexp(NETWORK_CODE,
                                 error="Le champ « code » ne contient que des lettres, "
                                       "des chiffres, - ou _.")]
_target_delay = validate.Range(min=1, max=365)


class NetworkIn(Schema):
    code = fields.String(required=True, validate=_network_code)
    name = Name(required=True)
    requires_validation = fields.Boolean(load_default=True)
    target_delay_days = fields.Integer(load_default=15, validate=_target_delay)


class NetworkPatch(Schema):
    code = fields.String(validate=_network_code)
    name = Name()
    requires_validation = fields.Boolean()
    target_delay_days = fields.Integer(validate=_target_delay)


class NetworkOut(Schema):
    id, code, name = alike(fields.String, 3)
    requires_validation = fields.Boolean()
    target_delay_days = fields.Integer()


NetworkPage = page_of(NetworkOut, "NetworkPage")


class StructureIn(Schema):
    network_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    parent_id = fields.String(allow_none=True, load_default=None,
                              validate=validate.Length(min=1, max=36))
    name = Name(required=True)
    postal_code = fields.String(allow_none=True, load_default=None, validate=_postal)
    city = fields.String(allow_none=True, load_default=None,
                         validate=[validate.Length(max=120), _plain_text])
    channels = fields.List(fields.String(validate=_channels), load_default=list)


class StructurePatch(Schema):
    parent_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=36))
    name = Name()
    postal_code = fields.String(allow_none=True, validate=_postal)
    city = fields.String(allow_none=True, validate=[validate.Length(max=120), _plain_text])
    channels = fields.List(fields.String(validate=_channels))
    active = fields.Boolean()


class StructureArgs(PageArgs):
    network_id, parent_id = alike(fields.String, 2)
    q = fields.String(validate=validate.Length(max=200))


class StructureOut(Schema):
    id, network_id = alike(fields.String, 2)
    parent_id = fields.String(allow_none=True)
    name = fields.String()
    postal_code, city = alike(fields.String, 2, allow_none=True)
    channels = fields.List(fields.String())
    active = fields.Boolean()


class StructurePage(NetworkPage):
    items = fields.List(fields.Nested(StructureOut))


MAX_IMPORT_CHARS = 500_000  # under the door's 1 MiB once JSON-escaped


class StructureImportIn(Schema):
    network_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    csv = fields.String(required=True, validate=validate.Length(
        min=1, max=MAX_IMPORT_CHARS, error="Le fichier doit contenir entre {min} et {max} "
        "caractères : découpez-le s'il est plus gros."), metadata={
        "description": "The CSV file's text: columns name, parent_name, postal_code, city, "
                       "channels (separated by |); commas or semicolons between columns"})


class ImportRowError(Schema):
    line = fields.Integer()
    column = fields.String(allow_none=True)
    message = fields.String()


class StructureImportOut(Schema):
    created = fields.Integer()
    created_ids = fields.List(fields.String())
    errors = fields.List(fields.Nested(ImportRowError))


class UserIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = Name(required=True)
    profile = fields.String(required=True, validate=_profiles)
    missions = fields.List(fields.String(validate=_missions), load_default=list)
    network_id = fields.String(allow_none=True, load_default=None,
                               validate=validate.Length(min=1, max=36))
    structure_ids = fields.List(fields.String(validate=validate.Length(min=1, max=36)),
                                load_default=list, validate=validate.Length(max=500))
    password = Password()


class UserPatch(Schema):
    email = fields.Email(validate=validate.Length(max=254))
    name = Name()
    profile = fields.String(validate=_profiles)
    missions = fields.List(fields.String(validate=_missions))
    network_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=36))
    structure_ids = fields.List(fields.String(validate=validate.Length(min=1, max=36)),
                                validate=validate.Length(max=500))
    password = Password()
    active = fields.Boolean()


class UserArgs(PageArgs):
    network_id = fields.String()
    profile = fields.String(validate=_profiles)
    q = fields.String(validate=validate.Length(max=200))


class UserOut(Schema):
    id, email, name, profile = alike(fields.String, 4)
    missions = fields.List(fields.String())
    network_id = fields.String(allow_none=True)
    structure_ids = fields.List(fields.String())
    notification_frequency = fields.String()
    active = fields.Boolean()
    password_set = fields.Function(
        lambda user: getattr(user, "password_hash", None) is not None,
        metadata={"type": "boolean",
                  "description": "false for an invited account that never chose its password"})


class InvitationOut(Schema):
    user_id = fields.String()
    expires_at = fields.DateTime()


class UserPage(NetworkPage):
    items = fields.List(fields.Nested(UserOut))
