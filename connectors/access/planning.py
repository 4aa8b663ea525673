"""Planning: a confirmed decision becomes dated changes — suspend the account /
remove the membership at the end of the last working day (company time zone),
add the successor to transferred groups at once, act on kept access at its end
date. ``access_dry_run`` lists exactly what will change."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from cms.models import Handover, Item, ParticipantRole
from cms.services.audit import audit_record
from cms.services.common import announce

from .common import Op
from .models import AccessAction, AccessGrant
from .running import send_due
from .wording import change_message, describe_change

__all__ = [
    "access_dry_run",
    "access_plan",
    "describe_change",
    "plan_on_accept",
    "revoke_time",
]


def revoke_time(handover: Handover) -> datetime:
    """The end of the last working day, in the company's time zone."""
    hour, minute = (int(part) for part in settings.BATON_ACCESS_REVOKE_AT.split(":"))
    moment = datetime.combine(handover.last_working_day, time(hour, minute))
    return timezone.make_aware(moment, timezone.get_default_timezone())


def _successor(handover: Handover, item: Item | None):
    if item is not None and item.assignee_id:
        return item.assignee
    successors = [
        participant.user
        for participant in handover.participants.select_related("user")
        if participant.role == ParticipantRole.SUCCESSOR
    ]
    return successors[0] if successors else None


def _planned_operations(grant: AccessGrant, handover: Handover, successor, now):
    """(operation, when, target user) the grant's decision asks for."""
    at_revoke = revoke_time(handover)
    if grant.decision == AccessGrant.Decision.KEEP:
        if grant.keep_until is None:
            return []
        keep_end = timezone.make_aware(
            datetime.combine(grant.keep_until, time(23, 59)),
            timezone.get_default_timezone(),
        )
        at_revoke = keep_end
    if grant.connector_id is None:
        return [(Op.MANUAL, at_revoke, None)]
    if grant.kind == AccessGrant.Kind.ACCOUNT:
        return [(Op.SUSPEND, at_revoke, None)]
    operations = []
    if grant.decision == AccessGrant.Decision.TRANSFER and successor is not None:
        operations.append((Op.ADD_MEMBER, now, successor))
    operations.append((Op.REMOVE_MEMBER, at_revoke, None))
    return operations


def _decision_from_item(grant: AccessGrant):
    item = grant.item
    if item is None:
        return
    decision = (item.data or {}).get("action") or AccessGrant.Decision.REVOKE
    grant.decision = decision
    grant.keep_reason = (item.data or {}).get("keep_reason") or ""
    if decision == AccessGrant.Decision.KEEP and grant.keep_until is None:
        grant.keep_until = grant.handover.last_working_day + timedelta(
            days=settings.BATON_ACCESS_KEEP_DAYS
        )


def access_plan(grant: AccessGrant, *, approved_by=None) -> list[AccessAction]:
    """Plan the changes a confirmed decision asks for (replacing earlier plans
    that have not run)."""
    handover = grant.handover
    _decision_from_item(grant)
    grant.save(update_fields=["decision", "keep_reason", "keep_until"])
    grant.actions.filter(state=AccessAction.State.PLANNED).update(
        state=AccessAction.State.CANCELLED
    )
    now = timezone.now()
    successor = _successor(handover, grant.item)
    actions = [
        AccessAction.objects.create(
            grant=grant,
            handover=handover,
            connector=grant.connector,
            operation=operation,
            description=describe_change(grant, operation, target),
            target_user=target,
            scheduled_for=when,
            requested_by=approved_by,
        )
        for operation, when, target in _planned_operations(
            grant, handover, successor, now
        )
    ]
    if actions:
        # IT hears what changes and when, each person in their language:
        # ``changes`` is the handover's wording (what older readers show),
        # ``change_messages`` what the outbox words for each recipient.
        announce(
            handover,
            "access.planned",
            item=grant.item,
            details={
                "grant": grant.pk,
                "system": grant.system,
                "actions": [action.pk for action in actions],
                "changes": [action.description for action in actions],
                "change_messages": [
                    change_message(grant, action.operation, action.target_user)
                    for action in actions
                ],
                "at": min(action.scheduled_for for action in actions).isoformat(),
            },
        )
    audit_record(
        handover=handover,
        actor=approved_by,
        role=ParticipantRole.MANAGER if approved_by else "system",
        action="access.planned",
        obj=grant.item or handover,
        details={
            "grant": grant.pk,
            "decision": grant.decision,
            "changes": [
                {"change": action.description, "at": action.scheduled_for.isoformat()}
                for action in actions
            ],
        },
    )
    return actions


def plan_on_accept(sender, *, handover_id, event, item_id=None, actor_id=None, **kw):
    """``handover_event`` receiver: a confirmed access decision is planned."""
    if event != "item.accepted" or item_id is None:
        return
    grant = (
        AccessGrant.objects.select_related("handover", "item", "connector")
        .filter(item_id=item_id)
        .first()
    )
    if grant is None:
        return
    from django.contrib.auth import get_user_model

    approver = get_user_model().objects.filter(pk=actor_id).first()
    with transaction.atomic(), translation.override(grant.handover.language):
        actions = access_plan(grant, approved_by=approver)
    if any(action.scheduled_for <= timezone.now() for action in actions):
        send_due()


def access_dry_run(handover: Handover) -> list[dict]:
    """Exactly what will change, per system, before anything runs: the planned
    changes, and what the current (not yet confirmed) decisions would plan."""
    now = timezone.now()
    rows = []
    planned_grants = set()
    for action in handover.access_actions.select_related(
        "grant", "target_user"
    ).exclude(state=AccessAction.State.CANCELLED):
        planned_grants.add(action.grant_id)
        rows.append(
            {
                "system": action.grant.system,
                # In the reader's language, whatever the plan was written in.
                "change": action.describe(),
                "at": action.scheduled_for,
                "state": action.get_state_display(),
                "confirmed": True,
            }
        )
    for grant in handover.access_grants.select_related("item", "handover"):
        if grant.pk in planned_grants:
            continue
        _decision_from_item(grant)
        for operation, when, target in _planned_operations(
            grant, handover, _successor(handover, grant.item), now
        ):
            rows.append(
                {
                    "system": grant.system,
                    "change": describe_change(grant, operation, target),
                    "at": when,
                    "state": str(_("Waits for the decision to be confirmed")),
                    "confirmed": False,
                }
            )
    return sorted(rows, key=lambda row: (row["system"], row["at"], row["change"]))
