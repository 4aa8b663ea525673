"""Shared steps of the write path: visibility, locking, versions, announcements."""

from functools import partial

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cms.errors import Conflict, NotFound, PermissionDenied
from cms.models import Handover, Item
from cms.permissions import is_hr_admin, roles_of
from cms.signals import handover_event

__all__ = [
    "announce",
    "lock_handover",
    "lock_item",
    "require_open",
    "require_role",
    "require_visible",
]


def require_visible(actor, handover: Handover) -> set[str]:
    """The actor's roles on the handover; NotFound when they may not see it, so
    its existence does not leak."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise NotFound()
    roles = roles_of(actor, handover)
    if not roles and not actor.has_perm("cms.view_handover", handover):
        raise NotFound()
    return roles


def require_role(actor, handover: Handover, *allowed: str) -> str:
    """The first of ``allowed`` the actor holds; PermissionDenied otherwise."""
    roles = require_visible(actor, handover)
    for role in allowed:
        if role in roles:
            return role
    raise PermissionDenied()


def require_hr(actor) -> None:
    if actor is None or not is_hr_admin(actor):
        raise PermissionDenied(_("Only HR can do this."))


def require_open(handover: Handover, *states: str) -> None:
    allowed = states or (Handover.State.IN_PROGRESS,)
    if handover.state not in allowed:
        raise Conflict(
            _("This handover is %(state)s: this action is not possible now.")
            % {"state": handover.get_state_display().lower()}
        )


def lock_handover(handover_id: int) -> Handover:
    try:
        return Handover.objects.select_for_update().get(pk=handover_id)
    except Handover.DoesNotExist as error:
        raise NotFound() from error


def lock_item(item_id: int) -> Item:
    try:
        return (
            Item.objects.select_for_update(of=("self",))
            .select_related("handover")
            .get(pk=item_id)
        )
    except Item.DoesNotExist as error:
        raise NotFound() from error


def announce(handover: Handover, event: str, *, actor=None, item=None, details=None):
    """Tell receivers after the transaction commits (never about a rollback)."""
    transaction.on_commit(
        partial(
            handover_event.send,
            sender=Handover,
            handover_id=handover.pk,
            event=event,
            actor_id=getattr(actor, "pk", None),
            item_id=getattr(item, "pk", None),
            details=details or {},
        )
    )
