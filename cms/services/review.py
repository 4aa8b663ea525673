"""Progress, the final declaration, moving to review, cancelling; what a
declaration or an approval signs. Each action has its check
(``handover_declare_check``…), asked by the service and by the handover page.
The manager's decisions (approve, reopen) are in ``approval``."""

from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.errors import Conflict, InvalidInput
from cms.hooks import handover_blockers as hooked_blockers
from cms.models import (
    Comment,
    Handover,
    ParticipantRole,
    Signature,
)

from .audit import audit_record
from .common import (
    FILLABLE_STATES,
    MANAGE,
    Refusal,
    announce,
    leaver_refusal,
    lock_handover,
    open_refusal,
    require,
    role_refusal,
)
from .roles import missing_role_message, missing_roles
from .signing import (
    NO_REQUEST,
    reauthenticate,
    records_failed_signatures,
    signature_create,
)
from .visibility import field_answers, item_is_visible, visible_items

__all__ = [
    "APPROVAL_INTENT",
    "DECLARATION_INTENT",
    "SECTION_APPROVAL_INTENT",
    "field_answers",
    "handover_advance",
    "handover_blockers",
    "handover_cancel",
    "handover_cancel_check",
    "handover_content",
    "handover_declare",
    "handover_declare_check",
    "item_is_visible",
]

DECLARATION_INTENT = _(
    "I declare that this handover is complete and truthful: everything I held is "
    "listed above and has been handed over."
)
APPROVAL_INTENT = _(
    "As the manager I approve this handover as complete, as shown above."
)
SECTION_APPROVAL_INTENT = _("As the manager I approve this section as shown above.")


# Progress ---------------------------------------------------------------------------


def handover_blockers(handover: Handover, items=None) -> list[str]:
    """What stands between the handover and review, in words for people."""
    visible = visible_items(items if items is not None else handover.items.all())
    blockers = []
    present_roles = {participant.role for participant in handover.participants.all()}
    for role, count in missing_roles(visible, present_roles).items():
        blockers.append(missing_role_message(role, count))
    unassigned = [
        item
        for item in visible
        if item.confirmed_by_role == ParticipantRole.SUCCESSOR
        and not item.assignee_id
        and not item.is_done
    ]
    if unassigned:
        blockers.append(
            gettext("%(count)d item(s) have no successor yet.")
            % {"count": len(unassigned)}
        )
    open_items = [item for item in visible if item.required and not item.is_done]
    if open_items:
        blockers.append(
            gettext("%(count)d required item(s) are not accepted yet.")
            % {"count": len(open_items)}
        )
    if Comment.objects.filter(
        item__handover=handover, is_question=True, resolved_at__isnull=True
    ).exists():
        blockers.append(gettext("Some questions are still open."))
    if not handover.signatures.filter(decision=Signature.Decision.DECLARE).exists():
        blockers.append(
            gettext("The departing employee has not signed the final declaration.")
        )
    # What other apps know is missing (e.g. a required block not filled yet by
    # its connector).
    blockers += hooked_blockers(handover)
    return blockers


def handover_content(handover: Handover, *, section_block_id: str = "") -> dict:
    """What a declaration or approval signs: every item's content and state."""
    from .items import item_content

    items = handover.items.prefetch_related("attachments").select_related("handover")
    if section_block_id:
        items = items.filter(section_block_id=section_block_id)
    return {
        "handover": handover.number,
        "revision": handover.template_revision_id,
        "section": section_block_id,
        "items": [
            {**item_content(item), "state": item.state, "assignee": item.assignee_id}
            for item in items
        ],
    }


def _handover_signature(
    *,
    actor,
    handover,
    role,
    decision,
    intent,
    remarks,
    method,
    meta,
    section_block_id="",
):
    return signature_create(
        actor=actor,
        role=role,
        handover=handover,
        section_block_id=section_block_id,
        decision=decision,
        intent=intent,
        remarks=remarks,
        method=method,
        meta=meta,
        content=handover_content(handover, section_block_id=section_block_id),
    )


# Checks ----------------------------------------------------------------------
#
# ``roles``: the actor's roles on the handover, when the caller has them (and so
# knows the actor sees it); otherwise the check reads them.


def handover_declare_check(
    *, actor, handover: Handover, roles=None, declared=None
) -> Refusal | None:
    """May ``actor`` sign the final declaration now? The leaver, once, while
    the handover is in progress (whether everything they fill is submitted is
    said when they sign). ``declared``: whether it is signed already, when the
    caller knows (else one query)."""
    refusal = role_refusal(
        actor, handover, {ParticipantRole.LEAVER}, roles=roles
    ) or open_refusal(handover)
    if refusal:
        return refusal
    if declared is None:
        declared = handover.signatures.filter(
            decision=Signature.Decision.DECLARE
        ).exists()
    if declared:
        return Refusal(
            partial(Conflict, _("You have already signed the final declaration."))
        )
    return None


def handover_cancel_check(*, actor, handover: Handover, roles=None) -> Refusal | None:
    """May ``actor`` cancel ``handover`` now (HR, while it is open)?"""
    return (
        leaver_refusal(actor, handover, MANAGE)
        or role_refusal(actor, handover, {ParticipantRole.HR}, roles=roles)
        or open_refusal(handover, *Handover.OPEN_STATES)
    )


@records_failed_signatures
@transaction.atomic
def handover_declare(
    *, actor, handover, password="", statement="", meta=NO_REQUEST, credentials=None
) -> Signature:
    """The leaver's final declaration, once everything they fill is submitted."""
    handover = lock_handover(getattr(handover, "pk", handover))
    require(handover_declare_check(actor=actor, handover=handover))
    method = reauthenticate(
        user=actor,
        credentials=credentials or {"password": password},
        meta=meta,
        handover=handover,
    )
    items = list(handover.items.all())
    answers = field_answers(items)
    unfinished = [
        item
        for item in items
        if item.filled_by_role == ParticipantRole.LEAVER
        and item_is_visible(item, answers)
        and item.state in FILLABLE_STATES
        and item.required
    ]
    if unfinished:
        raise Conflict(
            _("Submit every item you fill before signing: %(count)d still open.")
            % {"count": len(unfinished)}
        )
    signature = _handover_signature(
        actor=actor,
        handover=handover,
        role=ParticipantRole.LEAVER,
        decision=Signature.Decision.DECLARE,
        intent=DECLARATION_INTENT,
        remarks=(statement or "").strip(),
        method=method,
        meta=meta,
    )
    audit_record(
        handover=handover,
        actor=actor,
        role=ParticipantRole.LEAVER,
        action="handover.declared",
        obj=handover,
        details={"signature": signature.pk, "content_hash": signature.content_hash},
        ip_address=meta.ip_address,
    )
    announce(handover, "handover.declared", actor=actor)
    handover_advance(handover=handover)
    return signature


def handover_advance(*, handover) -> Handover:
    """Move an in-progress handover to review once nothing blocks it."""
    handover = lock_handover(handover.pk)
    if handover.state != Handover.State.IN_PROGRESS or handover_blockers(handover):
        return handover
    handover.state = Handover.State.IN_REVIEW
    handover.review_started_at = timezone.now()
    handover.save(update_fields=["state", "review_started_at", "updated_at"])
    audit_record(
        handover=handover,
        actor=None,
        role="",
        action="handover.in_review",
        obj=handover,
    )
    announce(handover, "handover.in_review")
    return handover


@transaction.atomic
def handover_cancel(*, actor, handover, reason: str, meta=NO_REQUEST) -> Handover:
    handover = lock_handover(getattr(handover, "pk", handover))
    require(handover_cancel_check(actor=actor, handover=handover))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("Say why the handover is cancelled.")]})
    handover.state = Handover.State.CANCELLED
    handover.cancelled_at = timezone.now()
    handover.cancel_reason = reason
    handover.save(
        update_fields=["state", "cancelled_at", "cancel_reason", "updated_at"]
    )
    audit_record(
        handover=handover,
        actor=actor,
        role=ParticipantRole.HR,
        action="handover.cancelled",
        obj=handover,
        details={"reason": reason},
        ip_address=meta.ip_address,
    )
    announce(handover, "handover.cancelled", actor=actor)
    return handover
