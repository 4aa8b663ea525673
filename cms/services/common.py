"""Shared steps of the write path: visibility, locking, versions, announcements."""

from functools import partial

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cms.errors import Conflict, NotFound, PermissionDenied
from cms.models import Employee, Handover, Item
from cms.permissions import (
    is_departing_employee,
    is_hr_admin,
    is_own_handover,
    roles_of,
)
from cms.signals import handover_event

__all__ = [
    "announce",
    "lock_handover",
    "lock_item",
    "require_not_leaver",
    "require_open",
    "require_role",
    "require_visible",
]

# What the departing employee may not do on their own handover, and why they
# are told so (segregation of duties, asked through ``require_not_leaver``).
CONFIRM = "confirm"
APPROVE = "approve"
REOPEN = "reopen"
ASSIGN = "assign"
ACCESS = "access"
MANAGE = "manage"
START = "start"
_OWN_HANDOVER_REASONS = {
    CONFIRM: _("You cannot confirm items of your own handover."),
    APPROVE: _("You cannot approve your own handover."),
    REOPEN: _("You cannot reopen your own handover."),
    ASSIGN: _("You cannot assign items of your own handover."),
    ACCESS: _("Another IT admin must handle the access changes of your own handover."),
    MANAGE: _("You cannot manage your own handover: another HR admin must run it."),
    START: _("Another HR admin must start and run your handover."),
}


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


def require_not_leaver(
    actor, handover: Handover | Employee, duty: str, *, field: str = ""
) -> None:
    """The one segregation-of-duties check: the departing employee never
    starts, confirms, approves, reviews, reopens or manages their own handover
    (``handover``, or the employee one is about to start for), whatever roles
    they hold. PermissionDenied with the reason otherwise (also next to
    ``field`` when a form field is what made it so)."""
    if isinstance(handover, Employee):
        leaving = is_departing_employee(actor, handover)
    else:
        leaving = is_own_handover(actor, handover)
    if leaving:
        reason = _OWN_HANDOVER_REASONS[duty]
        raise PermissionDenied(reason, fields={field: [reason]} if field else None)


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
