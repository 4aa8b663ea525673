"""Confirming items: accept, accept with remarks, return, assign — signatures."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cms.errors import Conflict, InvalidInput, PermissionDenied
from cms.models import (
    Comment,
    Handover,
    Item,
    Participant,
    ParticipantRole,
    Signature,
)

from .common import ASSIGN, CONFIRM, announce, require_not_leaver, require_open
from .items import (
    _audit,
    _bump,
    _check_version,
    _confirm_role,
    _snapshot,
    _visible_item,
    item_content,
)
from .review import handover_advance
from .signing import (
    NO_REQUEST,
    reauthenticate,
    records_failed_signatures,
    signature_create,
)
from .visibility import require_shown

__all__ = [
    "INTENT",
    "RESOLVED_INTENT",
    "item_accept",
    "item_assign",
    "item_return",
    "items_accept",
    "resolved_upstream_unsigned",
]

INTENT = {
    Signature.Decision.ACCEPT: _(
        "I confirm that I have received this item exactly as shown and take it over."
    ),
    Signature.Decision.ACCEPT_WITH_REMARKS: _(
        "I confirm that I have received this item as shown, subject to my remarks."
    ),
    Signature.Decision.RETURN: _(
        "I return this item: it is not complete or not clear enough to take over."
    ),
}
RESOLVED_INTENT = _(
    "I confirm that this item was resolved in its source system as shown and that "
    "nothing of it is left to hand over."
)


# Confirming --------------------------------------------------------------------


def _sign(
    *, actor, role, item, decision, remarks, method, meta, intent=None
) -> Signature:
    return signature_create(
        actor=actor,
        role=role,
        handover=item.handover,
        item=item,
        decision=decision,
        intent=intent or INTENT[decision],
        remarks=remarks,
        method=method,
        meta=meta,
        content=item_content(item),
    )


ACCEPT_DECISIONS = Signature.ACCEPT_DECISIONS


def resolved_upstream_unsigned(item: Item) -> bool:
    """A connector resolved the item (it became not applicable when its record
    disappeared upstream) and nobody has signed for that yet."""
    resolved = (item.provenance or {}).get("resolved_upstream")
    if not resolved or item.state != Item.State.NOT_APPLICABLE:
        return False
    # An item accepted as "not applicable" before its record went away
    # upstream is already signed for.
    return not resolved.get("signature") and not any(
        signature.decision in ACCEPT_DECISIONS for signature in item.signature_list
    )


def _confirm_role_of(actor, item) -> str:
    """The role the actor confirms ``item`` in; never the leaver's own items."""
    require_not_leaver(actor, item.handover, CONFIRM)
    return _confirm_role(actor, item)


def _accept_one(*, actor, item, version, remarks, method, meta) -> Item:
    role = _confirm_role_of(actor, item)
    require_open(item.handover)
    require_shown(item)
    _check_version(item, version)
    resolved = resolved_upstream_unsigned(item)
    if item.state != Item.State.SUBMITTED and not resolved:
        raise Conflict(_("Only a submitted item can be accepted."))
    if item.comments.filter(is_question=True, resolved_at__isnull=True).exists():
        raise Conflict(_("An open question on this item must be resolved first."))
    decision = (
        Signature.Decision.ACCEPT_WITH_REMARKS if remarks else Signature.Decision.ACCEPT
    )
    before = _snapshot(item)
    signature = _sign(
        actor=actor,
        role=role,
        item=item,
        decision=decision,
        remarks=remarks,
        method=method,
        meta=meta,
        intent=RESOLVED_INTENT if resolved else None,
    )
    item.state = (
        Item.State.NOT_APPLICABLE if item.not_applicable_reason else Item.State.ACCEPTED
    )
    changes = {"state": [before["state"], item.state]}
    if resolved:
        # The signature confirms the resolution: the item stays not applicable
        # and says who signed for it.
        provenance = dict(item.provenance)
        provenance["resolved_upstream"] = {
            **provenance["resolved_upstream"],
            "signature": signature.pk,
        }
        item.provenance = provenance
        changes = {"resolved_upstream": ["unsigned", "signed"]}
    if role == ParticipantRole.SUCCESSOR and item.assignee_id is None:
        # A successor item nobody was given is taken over by whoever signs it.
        item.assignee = actor
        changes["assignee"] = [None, actor.pk]
    _bump(item, actor=actor, action="accept", changes=changes)
    _audit(
        item,
        actor=actor,
        role=role,
        action=f"item.{decision}",
        before=before,
        meta=meta,
        details={"signature": signature.pk, "content_hash": signature.content_hash},
    )
    announce(item.handover, "item.accepted", actor=actor, item=item)
    return item


@records_failed_signatures
@transaction.atomic
def item_accept(
    *,
    actor,
    item,
    version,
    password="",
    remarks="",
    meta=NO_REQUEST,
    credentials=None,
) -> Item:
    """Accept (or accept with remarks): a signature over the content shown."""
    item, _roles = _visible_item(actor, item)
    _confirm_role_of(actor, item)
    method = reauthenticate(
        user=actor,
        credentials=credentials or {"password": password},
        meta=meta,
        handover=item.handover,
    )
    item = _accept_one(
        actor=actor,
        item=item,
        version=version,
        remarks=(remarks or "").strip(),
        method=method,
        meta=meta,
    )
    handover_advance(handover=item.handover)
    return item


@records_failed_signatures
@transaction.atomic
def items_accept(
    *,
    actor,
    items: list[tuple[int, int]],
    password="",
    remarks="",
    meta=NO_REQUEST,
    credentials=None,
) -> list[Item]:
    """Accept several items with one re-authentication; all or nothing."""
    if not items:
        raise InvalidInput(fields={"items": [_("Choose at least one item.")]})
    locked = []
    for item_id, version in items:
        item, _roles = _visible_item(actor, item_id)
        _confirm_role_of(actor, item)
        locked.append((item, version))
    method = reauthenticate(
        user=actor,
        credentials=credentials or {"password": password},
        meta=meta,
        handover=[item.handover for item, _version in locked],
    )
    accepted = [
        _accept_one(
            actor=actor,
            item=item,
            version=version,
            remarks=(remarks or "").strip(),
            method=method,
            meta=meta,
        )
        for item, version in locked
    ]
    for handover in {item.handover_id: item.handover for item in accepted}.values():
        handover_advance(handover=handover)
    return accepted


@records_failed_signatures
@transaction.atomic
def item_return(
    *,
    actor,
    item,
    version,
    reason: str,
    password="",
    meta=NO_REQUEST,
    credentials=None,
) -> Item:
    """Return with a question: a signature, and an open question on the item."""
    item, _roles = _visible_item(actor, item)
    role = _confirm_role_of(actor, item)
    require_open(item.handover)
    require_shown(item)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("Say what is missing or unclear.")]})
    method = reauthenticate(
        user=actor,
        credentials=credentials or {"password": password},
        meta=meta,
        handover=item.handover,
    )
    _check_version(item, version)
    if item.state != Item.State.SUBMITTED:
        raise Conflict(_("Only a submitted item can be returned."))
    before = _snapshot(item)
    signature = _sign(
        actor=actor,
        role=role,
        item=item,
        decision=Signature.Decision.RETURN,
        remarks=reason,
        method=method,
        meta=meta,
    )
    Comment.objects.create(item=item, author=actor, body=reason, is_question=True)
    item.state = Item.State.RETURNED
    _bump(
        item,
        actor=actor,
        action="return",
        changes={"state": [before["state"], "returned"]},
    )
    _audit(
        item,
        actor=actor,
        role=role,
        action="item.returned",
        before=before,
        meta=meta,
        details={"signature": signature.pk},
    )
    announce(
        item.handover,
        "item.returned",
        actor=actor,
        item=item,
        details={"reason": reason},
    )
    return item


@transaction.atomic
def item_assign(*, actor, item, successor, version=None, meta=NO_REQUEST) -> Item:
    """Give an item to one of the handover's successors (HR or the manager).
    With ``version``, a concurrent change to the item is refused (409)."""
    item, roles = _visible_item(actor, item)
    require_not_leaver(actor, item.handover, ASSIGN)
    if not roles & {ParticipantRole.HR, ParticipantRole.MANAGER}:
        raise PermissionDenied(_("Only HR or the manager can assign items."))
    require_open(item.handover, Handover.State.DRAFT, Handover.State.IN_PROGRESS)
    if version is not None:
        _check_version(item, version)
    if (
        successor is not None
        and not Participant.objects.filter(
            handover=item.handover, user=successor, role=ParticipantRole.SUCCESSOR
        ).exists()
    ):
        raise InvalidInput(
            fields={"successor": [_("Choose one of this handover's successors.")]}
        )
    before = _snapshot(item)
    previous = item.assignee_id
    item.assignee = successor
    _bump(
        item,
        actor=actor,
        action="assign",
        changes={"assignee": [previous, getattr(successor, "pk", None)]},
    )
    _audit(
        item,
        actor=actor,
        role=ParticipantRole.HR
        if ParticipantRole.HR in roles
        else ParticipantRole.MANAGER,
        action="item.assigned",
        before=before,
        meta=meta,
        details={"assignee": getattr(successor, "pk", None)},
    )
    announce(item.handover, "item.assigned", actor=actor, item=item)
    return item
