"""Confirming items: accept, accept with remarks, return — signatures.
Each action has its check (``item_accept_check``…), asked by the service and
by every screen that offers the action."""

from functools import partial

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cms.errors import Conflict, InvalidInput
from cms.models import Comment, Item, ParticipantRole, Signature

from .common import (
    CONFIRM,
    LATEST,
    Refusal,
    announce,
    confirm_refusal,
    leaver_refusal,
    open_refusal,
    require,
    state_refusal,
    version_refusal,
)
from .items import _audit, _bump, _snapshot, _visible_item, item_content
from .review import handover_advance
from .signing import (
    NO_REQUEST,
    reauthenticate,
    records_failed_signatures,
    signature_create,
)
from .visibility import shown_refusal

__all__ = [
    "INTENT",
    "RESOLVED_INTENT",
    "item_accept",
    "item_accept_check",
    "item_confirm_refusal",
    "item_return",
    "item_return_check",
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


# Checks ----------------------------------------------------------------------
#
# ``visible``: whether the item's condition shows it, when the caller knows
# (a page that listed it); otherwise the check reads the answers (one query).


def item_confirm_refusal(actor, item: Item) -> Refusal | None:
    """Whether ``actor`` is the one who confirms ``item`` (never the leaver on
    their own handover): asked before a signer is asked for their password."""
    return leaver_refusal(actor, item.handover, CONFIRM) or confirm_refusal(actor, item)


def item_accept_check(
    *, actor, item: Item, visible=None, version=LATEST
) -> Refusal | None:
    """May ``actor`` accept ``item`` now? What the handover page and the API
    call "can confirm". An open question on the item still stops the
    acceptance itself, with its own message."""
    return (
        item_confirm_refusal(actor, item)
        or open_refusal(item.handover)
        or shown_refusal(item, visible=visible)
        or version_refusal(item, version)
        or _acceptable_refusal(item)
    )


def _acceptable_refusal(item: Item) -> Refusal | None:
    if item.state == Item.State.SUBMITTED or resolved_upstream_unsigned(item):
        return None
    return Refusal(partial(Conflict, _("Only a submitted item can be accepted.")))


def item_return_check(
    *, actor, item: Item, visible=None, version=LATEST
) -> Refusal | None:
    """May ``actor`` return ``item`` with a question now?"""
    return (
        item_confirm_refusal(actor, item)
        or open_refusal(item.handover)
        or shown_refusal(item, visible=visible)
        or version_refusal(item, version)
        or state_refusal(
            item, {Item.State.SUBMITTED}, _("Only a submitted item can be returned.")
        )
    )


def _accept_one(*, actor, item, version, remarks, method, meta) -> Item:
    require(item_accept_check(actor=actor, item=item, version=version))
    role = item.confirmed_by_role
    resolved = resolved_upstream_unsigned(item)
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
    require(item_confirm_refusal(actor, item))
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
        require(item_confirm_refusal(actor, item))
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
    require(item_return_check(actor=actor, item=item, version=version))
    role = item.confirmed_by_role
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("Say what is missing or unclear.")]})
    method = reauthenticate(
        user=actor,
        credentials=credentials or {"password": password},
        meta=meta,
        handover=item.handover,
    )
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
