"""The manager's decisions on a handover: approving a section or the whole
of it (which completes it), and reopening it from review. Each has its check,
asked by the service and by the handover page."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.errors import Conflict, InvalidInput
from cms.models import Employee, Handover, ParticipantRole, Signature

from .audit import audit_record
from .common import (
    APPROVE,
    REOPEN,
    Refusal,
    announce,
    leaver_refusal,
    lock_handover,
    open_refusal,
    require,
    role_refusal,
)
from .review import (
    APPROVAL_INTENT,
    SECTION_APPROVAL_INTENT,
    _handover_signature,
    handover_blockers,
)
from .signing import NO_REQUEST, reauthenticate, records_failed_signatures

__all__ = [
    "handover_approve",
    "handover_approve_check",
    "handover_reopen",
    "handover_reopen_check",
]


def _manager_refusal(actor, handover, duty, roles=None) -> Refusal | None:
    """The handover's manager, who is never its leaver."""
    return leaver_refusal(actor, handover, duty) or role_refusal(
        actor, handover, {ParticipantRole.MANAGER}, roles=roles
    )


def handover_approve_check(
    *, actor, handover: Handover, roles=None, section=False
) -> Refusal | None:
    """May ``actor`` approve ``handover`` now: its manager, a ``section`` while
    it is in progress or in review, the whole of it in review (what still
    blocks it is said when they sign)."""
    states = (Handover.State.IN_PROGRESS, Handover.State.IN_REVIEW)
    return _manager_refusal(actor, handover, APPROVE, roles) or open_refusal(
        handover, *(states if section else states[1:])
    )


def handover_reopen_check(*, actor, handover: Handover, roles=None) -> Refusal | None:
    """May ``actor`` send ``handover`` back from review to work (its manager)?"""
    return _manager_refusal(actor, handover, REOPEN, roles) or open_refusal(
        handover, Handover.State.IN_REVIEW
    )


@records_failed_signatures
@transaction.atomic
def handover_approve(
    *,
    actor,
    handover,
    password="",
    remarks="",
    section_block_id="",
    meta=NO_REQUEST,
    credentials=None,
):
    """The manager approves a section (a signature) or the whole handover, which
    completes it; the certificate follows."""
    handover = lock_handover(getattr(handover, "pk", handover))
    # Who may approve is asked before the password, what the handover's state
    # allows after it: a wrong password is said first.
    require(_manager_refusal(actor, handover, APPROVE))
    method = reauthenticate(
        user=actor,
        credentials=credentials or {"password": password},
        meta=meta,
        handover=handover,
    )
    section = bool(section_block_id)
    require(handover_approve_check(actor=actor, handover=handover, section=section))
    if section_block_id:
        if not handover.items.filter(section_block_id=section_block_id).exists():
            raise InvalidInput(fields={"section": [_("There is no such section.")]})
        signature = _handover_signature(
            actor=actor,
            handover=handover,
            role=ParticipantRole.MANAGER,
            decision=Signature.Decision.APPROVE,
            intent=SECTION_APPROVAL_INTENT,
            remarks=(remarks or "").strip(),
            method=method,
            meta=meta,
            section_block_id=section_block_id,
        )
        audit_record(
            handover=handover,
            actor=actor,
            role=ParticipantRole.MANAGER,
            action="section.approved",
            obj=handover,
            details={"section": section_block_id, "signature": signature.pk},
            ip_address=meta.ip_address,
        )
        announce(handover, "section.approved", actor=actor)
        return signature
    blockers = handover_blockers(handover)
    if blockers:
        raise Conflict(blockers[0], extra={"blockers": blockers})
    signature = _handover_signature(
        actor=actor,
        handover=handover,
        role=ParticipantRole.MANAGER,
        decision=Signature.Decision.APPROVE,
        intent=APPROVAL_INTENT,
        remarks=(remarks or "").strip(),
        method=method,
        meta=meta,
    )
    handover.state = Handover.State.COMPLETED
    handover.completed_at = timezone.now()
    handover.save(update_fields=["state", "completed_at", "updated_at"])
    Employee.objects.filter(
        pk=handover.employee_id, status=Employee.Status.ACTIVE
    ).update(status=Employee.Status.LEAVING)
    audit_record(
        handover=handover,
        actor=actor,
        role=ParticipantRole.MANAGER,
        action="handover.completed",
        obj=handover,
        details={"signature": signature.pk, "content_hash": signature.content_hash},
        ip_address=meta.ip_address,
    )
    announce(handover, "handover.completed", actor=actor)
    return signature


@transaction.atomic
def handover_reopen(*, actor, handover, reason: str, meta=NO_REQUEST) -> Handover:
    handover = lock_handover(getattr(handover, "pk", handover))
    require(handover_reopen_check(actor=actor, handover=handover))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("Say why the handover is reopened.")]})
    handover.state = Handover.State.IN_PROGRESS
    handover.save(update_fields=["state", "updated_at"])
    audit_record(
        handover=handover,
        actor=actor,
        role=ParticipantRole.MANAGER,
        action="handover.reopened",
        obj=handover,
        details={"reason": reason},
        ip_address=meta.ip_address,
    )
    announce(handover, "handover.reopened", actor=actor, details={"reason": reason})
    return handover
