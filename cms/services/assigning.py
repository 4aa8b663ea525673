"""Giving items to successors: HR or the manager names the successor who
confirms an item (or takes it back). ``item_assign_check`` is the rule the
service raises and the handover page offers the choice by."""

from functools import partial

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cms.errors import InvalidInput, PermissionDenied
from cms.models import Handover, Item, Participant, ParticipantRole
from cms.permissions import roles_of

from .common import (
    ASSIGN,
    LATEST,
    Refusal,
    announce,
    leaver_refusal,
    open_refusal,
    require,
    version_refusal,
)
from .items import _audit, _bump, _snapshot, _visible_item
from .participants import ASSIGNING_ROLES
from .signing import NO_REQUEST

__all__ = ["item_assign", "item_assign_check"]


def item_assign_check(
    *, actor, item: Item, roles=None, version=LATEST
) -> Refusal | None:
    """May ``actor`` give ``item`` to a successor (or take it back) now?
    ``roles``: the actor's roles on the handover, when the caller has them."""
    if roles is None:
        roles = roles_of(actor, item.handover)
    if roles.isdisjoint(ASSIGNING_ROLES):
        role = Refusal(
            partial(PermissionDenied, _("Only HR or the manager can assign items."))
        )
    else:
        role = None
    return (
        leaver_refusal(actor, item.handover, ASSIGN)
        or role
        or open_refusal(item.handover, Handover.State.DRAFT, Handover.State.IN_PROGRESS)
        or version_refusal(item, version)
    )


@transaction.atomic
def item_assign(*, actor, item, successor, version=None, meta=NO_REQUEST) -> Item:
    """Give an item to one of the handover's successors (HR or the manager).
    With ``version``, a concurrent change to the item is refused (409)."""
    item, roles = _visible_item(actor, item)
    require(
        item_assign_check(
            actor=actor,
            item=item,
            roles=roles,
            version=LATEST if version is None else version,
        )
    )
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
