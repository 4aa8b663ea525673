"""What every part of access handover shares: who may act, which connectors
take part, and IT's steps in the handover's audit trail."""

from __future__ import annotations

from cms.errors import NotFound
from cms.models import ParticipantRole
from cms.services.audit import audit_record

from ..models import ConnectorConfig
from ..permissions import can_manage_connectors
from ..sdk.base import DISCOVER, REVOKE
from .models import AccessAction, AccessGrant

__all__ = ["Op", "access_connectors", "it_audit", "require_manager"]

Op = AccessAction.Operation


def require_manager(actor):
    """Access is IT's and HR's business: anyone else sees nothing at all."""
    if not can_manage_connectors(actor):
        raise NotFound()


def access_connectors():
    """The enabled connectors that can both find the leaver's access and
    revoke it: the only ones access handover asks."""
    return [
        config
        for config in ConnectorConfig.objects.filter(enabled=True)
        # The demo's messengers answer nothing here: they only print.
        if config.can(DISCOVER, REVOKE) and not config.settings.get("demo")
    ]


def it_audit(on: AccessGrant, actor, event: str, **details) -> None:
    """IT's own steps on a grant, in the handover's audit trail."""
    audit_record(
        handover=on.handover,
        actor=actor,
        role=ParticipantRole.IT,
        action=event,
        obj=on.item or on.handover,
        details=details,
    )
