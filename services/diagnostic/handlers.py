"""Diagnostic's event handlers: one function per consumed event type.

The replica of identity's structures: their network and parent decide who may see a
diagnostic; their channels are those a new diagnostic starts with."""

from services.chassis import replica
from services.chassis.revocation import with_revocation
from services.diagnostic.models import Structure

HANDLERS: dict = with_revocation(replica.handlers(structure=Structure, touched="updated_at"))
