"""Shared steps of the write path: checks and their refusals, visibility,
locking, versions, announcements.

Every action on a handover has one check, next to its service (Wagtail's
actions in ``wagtail.actions`` are the model): ``item_update_check``,
``handover_approve_check``… A check answers "may this actor do this now?":
``None`` when they may, else a ``Refusal`` that says why. The service raises
it (``require``) before it writes; pages, serializers and presenters ask the
same check to decide which buttons to offer, instead of repeating its rules."""

from functools import partial

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cms.errors import BatonError, Conflict, InvalidInput, NotFound, PermissionDenied
from cms.models import Employee, Handover, Item, ParticipantRole
from cms.permissions import (
    can_confirm,
    can_fill,
    is_departing_employee,
    is_hr_admin,
    is_own_handover,
    roles_of,
)
from cms.signals import handover_event

__all__ = [
    "FILLABLE_STATES",
    "LATEST",
    "Refusal",
    "announce",
    "confirm_refusal",
    "fill_refusal",
    "leaver_refusal",
    "lock_handover",
    "lock_item",
    "open_refusal",
    "require",
    "require_not_leaver",
    "require_open",
    "require_role",
    "require_visible",
    "role_refusal",
    "state_refusal",
    "version_refusal",
]

# An item is filled (changed, submitted, marked not applicable, given files)
# while it is in one of these states: before its first submission, and after
# its confirmer returned it. Everyone reads them from here.
FILLABLE_STATES = frozenset({Item.State.PENDING, Item.State.RETURNED})

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


class Refusal:
    """Why an actor may not do something now. Its error is built only when it
    is raised or shown: a page asks checks for every item it lists, and for
    most of them only leaves a button out."""

    __slots__ = ("_error",)

    def __init__(self, error):
        # A callable returning the error: an error class, a ``partial``…
        self._error = error

    def error(self) -> BatonError:
        return self._error()

    @property
    def message(self) -> str:
        return str(self.error().message)

    def __repr__(self):
        return f"<Refusal: {self.message}>"


def require(refusal: Refusal | None) -> None:
    """Raise what a check refused with; nothing when it allowed the action."""
    if refusal is not None:
        raise refusal.error()


class _Latest:
    def __repr__(self):
        return "LATEST"


# The version a check compares with when the caller names none: the item as it
# is now (a page deciding which forms to show has no older version in hand).
LATEST = _Latest()


def require_visible(actor, handover: Handover) -> set[str]:
    """The actor's roles on the handover; NotFound when they may not see it, so
    its existence does not leak."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise NotFound()
    roles = roles_of(actor, handover)
    if not roles and not actor.has_perm("cms.view_handover", handover):
        raise NotFound()
    return roles


def role_refusal(actor, handover: Handover, allowed, *, roles=None) -> Refusal | None:
    """``require_role`` as a check. ``roles``: the actor's roles when the
    caller has them (and so knows the actor sees the handover)."""
    if roles is None:
        try:
            roles = require_visible(actor, handover)
        except NotFound:
            return Refusal(NotFound)
    if roles.isdisjoint(allowed):
        return Refusal(PermissionDenied)
    return None


def require_role(actor, handover: Handover, *allowed: str) -> str:
    """The first of ``allowed`` the actor holds; PermissionDenied otherwise."""
    roles = require_visible(actor, handover)
    require(role_refusal(actor, handover, allowed, roles=roles))
    return next(role for role in allowed if role in roles)


def leaver_refusal(
    actor, handover: Handover | Employee, duty: str, *, field: str = ""
) -> Refusal | None:
    """The one segregation-of-duties check: the departing employee never
    starts, confirms, approves, reviews, reopens or manages their own handover
    (``handover``, or the employee one is about to start for), whatever roles
    they hold. PermissionDenied with the reason (also next to ``field`` when a
    form field is what made it so)."""
    if isinstance(handover, Employee):
        leaving = is_departing_employee(actor, handover)
    else:
        leaving = is_own_handover(actor, handover)
    if not leaving:
        return None
    reason = _OWN_HANDOVER_REASONS[duty]
    return Refusal(
        partial(PermissionDenied, reason, fields={field: [reason]} if field else None)
    )


def require_not_leaver(
    actor, handover: Handover | Employee, duty: str, *, field: str = ""
) -> None:
    """``leaver_refusal``, raised."""
    require(leaver_refusal(actor, handover, duty, field=field))


def require_hr(actor) -> None:
    if actor is None or not is_hr_admin(actor):
        raise PermissionDenied(_("Only HR can do this."))


def open_refusal(handover: Handover, *states: str) -> Refusal | None:
    """Conflict unless the handover is in one of ``states`` (default: in
    progress)."""
    if handover.state in (states or (Handover.State.IN_PROGRESS,)):
        return None

    def error():
        return Conflict(
            _("This handover is %(state)s: this action is not possible now.")
            % {"state": handover.get_state_display().lower()}
        )

    return Refusal(error)


def require_open(handover: Handover, *states: str) -> None:
    require(open_refusal(handover, *states))


# Rules about one item --------------------------------------------------------


def fill_refusal(actor, item: Item) -> Refusal | None:
    """PermissionDenied unless the actor holds the role that fills ``item``."""
    if can_fill(actor, item):
        return None

    def error():
        return PermissionDenied(
            _("This item is filled by the %(role)s.")
            % {"role": ParticipantRole(item.filled_by_role).label.lower()}
        )

    return Refusal(error)


def confirm_refusal(actor, item: Item) -> Refusal | None:
    """PermissionDenied unless the actor confirms ``item``."""
    if can_confirm(actor, item):
        return None

    def error():
        return PermissionDenied(
            _("This item is confirmed by its %(role)s.")
            % {"role": ParticipantRole(item.confirmed_by_role).label.lower()}
        )

    return Refusal(error)


def state_refusal(item: Item, states, message) -> Refusal | None:
    """Conflict with ``message`` unless the item is in one of ``states``."""
    return None if item.state in states else Refusal(partial(Conflict, message))


def version_refusal(item: Item, version) -> Refusal | None:
    """Conflict when ``version`` (what the actor last saw) is not the item's
    version now; ``LATEST``: the actor looks at the item as it is."""
    if version is LATEST:
        return None
    try:
        version = int(version)
    except (TypeError, ValueError):
        return Refusal(
            partial(
                InvalidInput,
                _("The item version is missing."),
                fields={"version": [_("Send the version you last saw.")]},
            )
        )
    if item.version == version:
        return None

    def error():
        return Conflict(
            _(
                "Someone changed this item since you opened it (you had version "
                "%(yours)d, it is now %(current)d). Review the current content and "
                "try again."
            )
            % {"yours": version, "current": item.version},
            extra={"current_version": item.version},
        )

    return Refusal(error)


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
