"""The event catalogue: one marshmallow schema per event type and version.

This is the contract between services: producers validate before writing the outbox,
consumers validate before handling. A change of shape is a new version.
"""

from __future__ import annotations

from enum import StrEnum

from marshmallow import EXCLUDE, Schema, fields, validate


class EventType(StrEnum):
    NETWORK_CREATED = "network.created"
    NETWORK_UPDATED = "network.updated"
    STRUCTURE_CREATED = "structure.created"
    STRUCTURE_UPDATED = "structure.updated"
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_DEACTIVATED = "user.deactivated"
    USER_INVITED = "user.invited"
    USER_PASSWORD_RESET_REQUESTED = "user.password_reset_requested"
    USER_SESSIONS_REVOKED = "user.sessions_revoked"
    EXPERIENCE_SUBMITTED = "experience.submitted"
    EXPERIENCE_PUBLISHED = "experience.published"
    EXPERIENCE_REJECTED = "experience.rejected"
    EXPERIENCE_REASSIGNED = "experience.reassigned"
    EXPERIENCE_REORIENTATION_REQUESTED = "experience.reorientation_requested"
    EXPERIENCE_REORIENTATION_DECLINED = "experience.reorientation_declined"
    EXPERIENCE_RESPONSE_SUBMITTED = "experience.response_submitted"
    EXPERIENCE_ANSWERED = "experience.answered"
    EXPERIENCE_EVALUATED = "experience.evaluated"
    IMPROVEMENT_ACTION_CREATED = "improvement_action.created"
    IMPROVEMENT_ACTION_UPDATED = "improvement_action.updated"
    IMPROVEMENT_ACTION_DELETED = "improvement_action.deleted"
    MODERATION_APPROVED = "moderation.approved"
    MODERATION_REJECTED = "moderation.rejected"
    MODERATION_REROUTED = "moderation.rerouted"
    MODERATION_REORIENTATION_DECLINED = "moderation.reorientation_declined"
    DIAGNOSTIC_COMPLETED = "diagnostic.completed"


class Payload(Schema):
    class Meta:
        unknown = EXCLUDE  # a newer producer may add fields; consumers ignore them


Id = fields.String  # ids are strings on the wire


class NetworkV1(Payload):
    id = Id(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    requires_validation = fields.Boolean(required=True)
    target_delay_days = fields.Integer(required=True)


class StructureV1(Payload):
    id = Id(required=True)
    network_id = Id(required=True)
    parent_id = Id(allow_none=True, load_default=None)
    name = fields.String(required=True)
    postal_code = fields.String(allow_none=True, load_default=None)
    city = fields.String(allow_none=True, load_default=None)
    channels = fields.List(fields.String(), load_default=list)
    active = fields.Boolean(load_default=True)


class UserV1(Payload):
    id = Id(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    profile = fields.String(required=True)
    missions = fields.List(fields.String(), load_default=list)
    network_id = Id(allow_none=True, load_default=None)
    structure_ids = fields.List(Id(), load_default=list)
    notification_frequency = fields.String(required=True)
    active = fields.Boolean(required=True)
    # False while an invited account has no password yet: its address is unproven (a typo in
    # the invitation would send experiences to a stranger), so it gets only its invitation.
    # Events from before the field: True, as they were treated.
    activated = fields.Boolean(load_default=True)


class UserLinkV1(Payload):
    """An invitation or a password reset: the notifier mails the single-use link."""

    user_id = Id(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    token = fields.String(required=True)
    expires_at = fields.DateTime(required=True)


class UserSessionsRevokedV1(Payload):
    """Sessions that ended (logout, new password, deactivation, fewer rights, a refresh token
    used twice): every service refuses their access tokens (`sid` claim) at once."""

    user_id = Id(required=True)
    session_ids = fields.List(Id(validate=validate.Length(min=1, max=60)), required=True)
    reason = fields.String(required=True)


class ExperienceSubmittedV1(Payload):
    id = Id(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    structure_hint = fields.String(required=True)
    postal_code = fields.String(required=True)
    channel = fields.String(required=True)
    occurred_on = fields.Date(required=True)
    feeling = fields.String(required=True)
    author_name = fields.String(required=True)
    submitted_at = fields.DateTime(required=True)


class ExperiencePublishedV1(Payload):
    id = Id(required=True)
    title = fields.String(required=True)
    structure_id = Id(required=True)
    network_id = Id(required=True)
    published_at = fields.DateTime(required=True)
    edited = fields.Boolean(load_default=False)
    # Only the notifier reads these two; they never reach a public answer.
    author_email = fields.String(required=True)
    author_name = fields.String(required=True)


class ExperienceRejectedV1(Payload):
    id = Id(required=True)
    title = fields.String(required=True)
    reason = fields.String(required=True)
    comment = fields.String(allow_none=True, load_default=None)
    author_email = fields.String(required=True)
    author_name = fields.String(required=True)


class ExperienceReassignedV1(Payload):
    id = Id(required=True)
    title = fields.String(required=True)
    from_structure_id = Id(required=True)
    structure_id = Id(required=True)
    network_id = Id(required=True)
    by_user_id = Id(allow_none=True, load_default=None)
    # "reassign" (the structure, to a child) or "reroute" (moderation accepted a re-orientation
    # request); None in events written before it was said.
    kind = fields.String(allow_none=True, load_default=None)


class ExperienceReorientationDeclinedV1(Payload):
    id = Id(required=True)
    title = fields.String(required=True)
    structure_id = Id(required=True)
    network_id = Id(required=True)
    comment = fields.String(required=True)


class ExperienceReorientationRequestedV1(Payload):
    id = Id(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    structure_id = Id(required=True)
    network_id = Id(required=True)
    reason = fields.String(required=True)
    requested_by = Id(allow_none=True, load_default=None)


class ExperienceResponseSubmittedV1(Payload):
    id = Id(required=True)
    title = fields.String(required=True)
    structure_id = Id(required=True)
    network_id = Id(required=True)
    submitted_by = Id(allow_none=True, load_default=None)
    drafted_by = Id(allow_none=True, load_default=None)  # who wrote the text as it stands


class ExperienceAnsweredV1(Payload):
    id = Id(required=True)
    title = fields.String(required=True)
    structure_id = Id(required=True)
    network_id = Id(required=True)
    answered_at = fields.DateTime(required=True)
    author_email = fields.String(required=True)
    author_name = fields.String(required=True)
    evaluation_token = fields.String(required=True)
    # Who wrote, sent and validated the response (None where no validation took place, and in
    # events written before they were carried).
    drafted_by = Id(allow_none=True, load_default=None)
    submitted_by = Id(allow_none=True, load_default=None)
    validated_by = Id(allow_none=True, load_default=None)


class ExperienceEvaluatedV1(Payload):
    id = Id(required=True)
    structure_id = Id(required=True)
    useful = fields.Boolean(required=True)
    feeling_after = fields.String(required=True)
    title = fields.String(load_default="")  # moderated; "" in events written before
    feeling = fields.String(allow_none=True, load_default=None)  # the usager's, before the answer


class ImprovementActionCreatedV1(Payload):
    id = Id(required=True)
    structure_id = Id(required=True)
    title = fields.String(required=True)
    experience_ids = fields.List(Id(), required=True)


class ImprovementActionDeletedV1(Payload):
    id = Id(required=True)
    structure_id = Id(required=True)


class ModerationApprovedV1(Payload):
    case_id = Id(required=True)
    experience_id = Id(required=True)
    structure_id = Id(required=True)
    network_id = Id(required=True)
    body = fields.String(required=True)
    edited = fields.Boolean(required=True)
    moderator_id = Id(allow_none=True, load_default=None)
    # The other public fields as moderated (None only in events written before they were).
    title = fields.String(allow_none=True, load_default=None)
    author_name = fields.String(allow_none=True, load_default=None)
    structure_hint = fields.String(allow_none=True, load_default=None)
    # Every field was published as the moderator left it, masks included.
    edited_fields = fields.List(fields.String(), load_default=list)


class ModerationRejectedV1(Payload):
    case_id = Id(required=True)
    experience_id = Id(required=True)
    reason = fields.String(required=True)
    comment = fields.String(allow_none=True, load_default=None)
    moderator_id = Id(allow_none=True, load_default=None)


class ModerationReroutedV1(Payload):
    case_id = Id(required=True)
    experience_id = Id(required=True)
    structure_id = Id(required=True)
    network_id = Id(required=True)
    comment = fields.String(allow_none=True, load_default=None)
    moderator_id = Id(allow_none=True, load_default=None)


class ModerationReorientationDeclinedV1(Payload):
    case_id = Id(required=True)
    experience_id = Id(required=True)
    comment = fields.String(required=True)
    moderator_id = Id(allow_none=True, load_default=None)


class DiagnosticCompletedV1(Payload):
    id = Id(required=True)
    structure_id = Id(required=True)
    network_id = Id(allow_none=True, load_default=None)
    questionnaire_version = fields.String(required=True)
    overall_score = fields.Float(allow_none=True, load_default=None)
    completed_at = fields.DateTime(required=True)


E = EventType
CATALOGUE: dict[tuple[str, int], type[Payload]] = {
    (E.NETWORK_CREATED, 1): NetworkV1,
    (E.NETWORK_UPDATED, 1): NetworkV1,
    (E.STRUCTURE_CREATED, 1): StructureV1,
    (E.STRUCTURE_UPDATED, 1): StructureV1,
    (E.USER_CREATED, 1): UserV1,
    (E.USER_UPDATED, 1): UserV1,
    (E.USER_DEACTIVATED, 1): UserV1,
    (E.USER_INVITED, 1): UserLinkV1,
    (E.USER_PASSWORD_RESET_REQUESTED, 1): UserLinkV1,
    (E.USER_SESSIONS_REVOKED, 1): UserSessionsRevokedV1,
    (E.EXPERIENCE_SUBMITTED, 1): ExperienceSubmittedV1,
    (E.EXPERIENCE_PUBLISHED, 1): ExperiencePublishedV1,
    (E.EXPERIENCE_REJECTED, 1): ExperienceRejectedV1,
    (E.EXPERIENCE_REASSIGNED, 1): ExperienceReassignedV1,
    (E.EXPERIENCE_REORIENTATION_REQUESTED, 1): ExperienceReorientationRequestedV1,
    (E.EXPERIENCE_REORIENTATION_DECLINED, 1): ExperienceReorientationDeclinedV1,
    (E.EXPERIENCE_RESPONSE_SUBMITTED, 1): ExperienceResponseSubmittedV1,
    (E.EXPERIENCE_ANSWERED, 1): ExperienceAnsweredV1,
    (E.EXPERIENCE_EVALUATED, 1): ExperienceEvaluatedV1,
    (E.IMPROVEMENT_ACTION_CREATED, 1): ImprovementActionCreatedV1,
    (E.IMPROVEMENT_ACTION_UPDATED, 1): ImprovementActionCreatedV1,  # the action as it now is
    (E.IMPROVEMENT_ACTION_DELETED, 1): ImprovementActionDeletedV1,
    (E.MODERATION_APPROVED, 1): ModerationApprovedV1,
    (E.MODERATION_REJECTED, 1): ModerationRejectedV1,
    (E.MODERATION_REROUTED, 1): ModerationReroutedV1,
    (E.MODERATION_REORIENTATION_DECLINED, 1): ModerationReorientationDeclinedV1,
    (E.DIAGNOSTIC_COMPLETED, 1): DiagnosticCompletedV1,
}

# Payload fields that carry a secret (a single-use link's token), by type and version: once the
# broker has confirmed such an event, the relay blanks them in the outbox (docs/security.md).
SECRET_FIELDS: dict[tuple[str, int], frozenset[str]] = {
    (E.USER_INVITED, 1): frozenset({"token"}),
    (E.USER_PASSWORD_RESET_REQUESTED, 1): frozenset({"token"}),
    (E.EXPERIENCE_ANSWERED, 1): frozenset({"evaluation_token"}),
}

# Used by the chassis tests only; never published by a service.
TEST_EVENT = "test.happened"


class TestHappenedV1(Payload):
    n = fields.Integer(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=200))


CATALOGUE[(TEST_EVENT, 1)] = TestHappenedV1
