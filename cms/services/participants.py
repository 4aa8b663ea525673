"""Managing a handover's participants. A successor's open work follows the
successor changes: it moves to whoever takes over, audited, one item version
each. Each action has its check (``participant_add_check``…), asked by the
service and by the pages."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.errors import Conflict, InvalidInput, PermissionDenied
from cms.models import Handover, Item, ItemVersion, Participant, ParticipantRole
from cms.names import person_name
from cms.permissions import grant_role, is_own_handover, revoke_role

from .audit import audit_record
from .common import (
    MANAGE,
    Refusal,
    announce,
    leaver_refusal,
    lock_handover,
    open_refusal,
    require,
    require_role,
    role_refusal,
)
from .roles import role_name
from .signing import NO_REQUEST

__all__ = [
    "ASSIGNING_ROLES",
    "participant_add",
    "participant_add_check",
    "participant_remove",
    "participant_remove_check",
    "participant_replace",
]

# Who adds successors and splits the successor items between them.
ASSIGNING_ROLES = frozenset({ParticipantRole.HR, ParticipantRole.MANAGER})


def participant_add_check(*, actor, handover, roles=None) -> Refusal | None:
    """May ``actor`` add people to ``handover`` now (HR in any role, the
    manager successors)? ``roles``: the actor's roles, when the caller has
    them."""
    return (
        leaver_refusal(actor, handover, MANAGE)
        or role_refusal(actor, handover, ASSIGNING_ROLES, roles=roles)
        or open_refusal(handover, *Handover.OPEN_STATES)
    )


def participant_remove_check(*, actor, handover, roles=None) -> Refusal | None:
    """May ``actor`` remove or replace people on ``handover`` now (HR)?"""
    return (
        leaver_refusal(actor, handover, MANAGE)
        or role_refusal(actor, handover, {ParticipantRole.HR}, roles=roles)
        or open_refusal(handover, *Handover.OPEN_STATES)
    )


def _name(user) -> str:
    return person_name(user)


def _open_successor_items(handover, *, assignee):
    """Successor items not accepted or not applicable yet, of ``assignee``
    (``None``: those nobody has), locked."""
    return list(
        handover.items.select_for_update(of=("self",))
        .filter(confirmed_by_role=ParticipantRole.SUCCESSOR, assignee=assignee)
        .exclude(state__in=Item.DONE_STATES)
        .order_by("position", "pk")
    )


def _reassign(*, actor, role, handover, items, to_user, action, meta) -> None:
    """Give ``items`` to ``to_user`` (or nobody): one version per item, one
    audit event for the move, in a fixed number of queries whatever the count."""
    if not items:
        return
    new_id = getattr(to_user, "pk", None)
    now = timezone.now()
    versions = []
    moved = []
    for item in items:
        previous = item.assignee_id
        item.assignee_id = new_id
        item.version += 1
        item.updated_at = now  # bulk_update skips auto_now
        versions.append(
            ItemVersion(
                item=item,
                number=item.version,
                actor=actor,
                action=action,
                changes={"assignee": [previous, new_id]},
                state=item.state,
            )
        )
        moved.append(item.block_id)
    Item.objects.bulk_update(items, ["assignee", "version", "updated_at"])
    ItemVersion.objects.bulk_create(versions)
    audit_record(
        handover=handover,
        actor=actor,
        role=role,
        action="items.reassigned",
        obj=handover,
        details={"to": new_id, "items": moved, "reason": action},
        ip_address=meta.ip_address,
    )


def _successor_ids(handover) -> list[int]:
    return list(
        Participant.objects.filter(
            handover=handover, role=ParticipantRole.SUCCESSOR
        ).values_list("user_id", flat=True)
    )


def _check_new(handover, *, user, role, acting_role, field="user") -> None:
    if acting_role == ParticipantRole.MANAGER and role != ParticipantRole.SUCCESSOR:
        raise PermissionDenied(_("Managers can add successors only."))
    if role not in ParticipantRole.values:
        raise InvalidInput(fields={"role": [_("Unknown role.")]})
    if role == ParticipantRole.LEAVER:
        raise InvalidInput(
            fields={"role": [_("A handover has exactly one departing employee.")]}
        )
    if is_own_handover(user, handover):
        # Segregation of duties: the leaver hands over; taking over, confirming
        # or running their own handover is someone else's.
        if role == ParticipantRole.SUCCESSOR:
            message = _("The departing employee cannot be their own successor.")
        else:
            message = _(
                "The departing employee cannot take part in their own handover "
                "as %(role)s."
            ) % {"role": role_name(role)}
        raise InvalidInput(fields={field: [message]})
    if Participant.objects.filter(handover=handover, user=user, role=role).exists():
        raise Conflict(
            _("%(name)s already has this role on the handover.") % {"name": _name(user)}
        )


def _create(*, actor, acting_role, handover, user, role, meta) -> Participant:
    participant = Participant.objects.create(handover=handover, user=user, role=role)
    grant_role(handover=handover, user=user, role=role)
    audit_record(
        handover=handover,
        actor=actor,
        role=acting_role,
        action="participant.added",
        obj=participant,
        after={"user": user.pk, "role": role},
        ip_address=meta.ip_address,
    )
    announce(
        handover,
        "participant.added",
        actor=actor,
        details={"user_id": user.pk, "role": role},
    )
    return participant


def _delete(*, actor, acting_role, handover, participant, meta) -> None:
    user, role = participant.user, participant.role
    audit_record(
        handover=handover,
        actor=actor,
        role=acting_role,
        action="participant.removed",
        obj=participant,
        before={"user": user.pk, "role": role},
        ip_address=meta.ip_address,
    )
    participant.delete()
    revoke_role(handover=handover, user=user, role=role)
    announce(
        handover,
        "participant.removed",
        actor=actor,
        details={"user_id": user.pk, "role": role},
    )


@transaction.atomic
def participant_add(
    *, actor, handover, user, role: str, meta=NO_REQUEST
) -> Participant:
    """Add someone in a role. A successor who is now the only one takes every
    successor item nobody has."""
    handover = lock_handover(getattr(handover, "pk", handover))
    require(participant_add_check(actor=actor, handover=handover))
    acting_role = require_role(
        actor, handover, ParticipantRole.HR, ParticipantRole.MANAGER
    )
    _check_new(handover, user=user, role=role, acting_role=acting_role)
    participant = _create(
        actor=actor,
        acting_role=acting_role,
        handover=handover,
        user=user,
        role=role,
        meta=meta,
    )
    if role == ParticipantRole.SUCCESSOR and _successor_ids(handover) == [user.pk]:
        _reassign(
            actor=actor,
            role=acting_role,
            handover=handover,
            items=_open_successor_items(handover, assignee=None),
            to_user=user,
            action="assign",
            meta=meta,
        )
    return participant


@transaction.atomic
def participant_remove(*, actor, handover, user, role: str, meta=NO_REQUEST) -> None:
    """Take a role away. A removed successor's open items go to the remaining
    successor when exactly one remains, else to nobody (a blocker says so);
    what they accepted stays theirs."""
    handover = lock_handover(getattr(handover, "pk", handover))
    require(participant_remove_check(actor=actor, handover=handover))
    acting_role = ParticipantRole.HR
    if role == ParticipantRole.LEAVER:
        raise InvalidInput(
            fields={"role": [_("The departing employee cannot be removed.")]}
        )
    participant = (
        Participant.objects.select_related("user")
        .filter(handover=handover, user=user, role=role)
        .first()
    )
    if participant is None:
        return
    _delete(
        actor=actor,
        acting_role=acting_role,
        handover=handover,
        participant=participant,
        meta=meta,
    )
    if role == ParticipantRole.SUCCESSOR:
        remaining = _successor_ids(handover)
        heir = None
        if len(remaining) == 1:
            heir = Participant.objects.get(
                handover=handover, role=ParticipantRole.SUCCESSOR
            ).user
        _reassign(
            actor=actor,
            role=acting_role,
            handover=handover,
            items=_open_successor_items(handover, assignee=user),
            to_user=heir,
            action="assign" if heir else "unassign",
            meta=meta,
        )


@transaction.atomic
def participant_replace(
    *,
    actor,
    handover,
    user,
    replacement,
    role: str = ParticipantRole.SUCCESSOR,
    meta=NO_REQUEST,
) -> Participant:
    """Swap ``user`` for ``replacement`` in ``role`` in one step (HR): the
    replacement gets the role and, for a successor, every item of ``user`` not
    accepted yet."""
    handover = lock_handover(getattr(handover, "pk", handover))
    require(participant_remove_check(actor=actor, handover=handover))
    acting_role = ParticipantRole.HR
    if role == ParticipantRole.LEAVER:
        raise InvalidInput(
            fields={"role": [_("The departing employee cannot be replaced.")]}
        )
    current = (
        Participant.objects.select_related("user")
        .filter(handover=handover, user=user, role=role)
        .first()
    )
    if current is None:
        raise InvalidInput(
            fields={
                "user": [
                    _("%(name)s does not have this role on the handover.")
                    % {"name": _name(user)}
                ]
            }
        )
    _check_new(
        handover,
        user=replacement,
        role=role,
        acting_role=acting_role,
        field="replacement",
    )
    _delete(
        actor=actor,
        acting_role=acting_role,
        handover=handover,
        participant=current,
        meta=meta,
    )
    participant = _create(
        actor=actor,
        acting_role=acting_role,
        handover=handover,
        user=replacement,
        role=role,
        meta=meta,
    )
    if role == ParticipantRole.SUCCESSOR:
        items = _open_successor_items(handover, assignee=user)
        if _successor_ids(handover) == [replacement.pk]:
            # The only successor now: what nobody had is theirs too.
            items += _open_successor_items(handover, assignee=None)
        _reassign(
            actor=actor,
            role=acting_role,
            handover=handover,
            items=items,
            to_user=replacement,
            action="assign",
            meta=meta,
        )
    return participant
