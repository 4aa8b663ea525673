"""Access handover: inventory, decisions, dry run, execution, verification.

- **Inventory.** Connectors that can both discover and revoke are asked for the
  leaver's accounts and group memberships; each becomes an ``AccessGrant`` and an
  ``account`` item of the handover (section "Access"), filled by IT and
  confirmed by the manager like any item. Its ``action`` field is the decision:
  revoke, transfer to the successor, or keep (with a reason and an end date).
  HR or IT add grants by hand for systems with no connector.
- **Plan.** When the decision is accepted, the changes are planned: suspend the
  account / remove the membership at the end of the last working day (company
  time zone), add the successor to transferred groups at once, act on kept
  access at its end date. ``access_dry_run`` lists exactly what will change.
- **Run.** A periodic job runs what is due (IT can "revoke now"); each change is
  read back and marked verified or failed; failures wait in IT's queue. Systems
  without a connector get an IT task with the instructions, closed by IT with a
  signature.
- **Never destructive by default.** Suspend → buffer → delete only when an admin
  asks, per system, under a count threshold. A suspended account can be
  restored within the buffer.
- **Residual access.** Former employees' accounts are re-checked at departure
  +1 and +30 days; anything still active is reported and IT is alerted.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from checklist_blocks.registry import get_kind, item_data
from cms.errors import Conflict, InvalidInput, NotFound
from cms.models import Handover, Item, ItemVersion, ParticipantRole
from cms.services.audit import audit_record
from cms.services.common import ACCESS, announce, require_not_leaver
from cms.services.signing import NO_REQUEST, reauthenticate

from .models import AccessAction, AccessGrant, ConnectorConfig, ResidualAccess
from .permissions import can_manage_connectors
from .sync import employee_ref
from .types.base import DISCOVER, REVOKE, ConnectorError, EmployeeRef

__all__ = [
    "access_action_complete",
    "access_action_retry",
    "access_actions_cancel",
    "access_actions_run_now",
    "access_delete",
    "access_dry_run",
    "access_grant_add",
    "access_plan",
    "access_residual_check",
    "access_restore",
    "access_revoke_now",
    "access_run_due",
    "access_scan",
]

logger = logging.getLogger(__name__)

ACCESS_SECTION = "access"
Op = AccessAction.Operation


def _require_manager(actor):
    if not can_manage_connectors(actor):
        raise NotFound()


def access_connectors():
    return [
        config
        for config in ConnectorConfig.objects.filter(enabled=True)
        if config.can(DISCOVER, REVOKE)
    ]


# Inventory ---------------------------------------------------------------------------


def _account_definition(label: str) -> dict:
    block = get_kind("account").block
    value = block.to_python(
        {
            "label": label,
            "help_text": str(
                _("Decide: revoke, transfer to the successor, or keep (say why).")
            ),
            "required": True,
            "filled_by": ParticipantRole.IT,
            "confirmed_by": ParticipantRole.MANAGER,
            "evidence": "none",
            "due_offset_days": 0,
        }
    )
    return block.get_prep_value(value)


def _grant_item(handover: Handover, grant: AccessGrant, position: int) -> Item:
    label = (
        gettext("Account %(account)s in %(system)s")
        if grant.kind == AccessGrant.Kind.ACCOUNT
        else gettext("Membership of %(group)s in %(system)s")
    ) % {
        "account": grant.account_label or grant.account_id,
        "group": grant.group_label or grant.group_id,
        "system": grant.system,
    }
    if grant.sole_owner:
        label += " " + gettext("(only member: transfer it, or it is orphaned)")
    definition = _account_definition(label[:255])
    data = item_data("account", definition)
    data.update(
        {
            "system": grant.system[:255],
            "account_id": (grant.account_label or grant.account_id)[:255],
            "role_permission": (grant.group_label or "")[:255],
            "action": grant.decision or AccessGrant.Decision.REVOKE,
        }
    )
    key = f"{grant.connector_id}:{grant.account_id}:{grant.group_id}"
    if grant.connector_id is None:
        # Access recorded by hand has no connector to tell systems apart: the
        # same account name in two systems is two grants, two items.
        key = f"manual:{grant.system.casefold()}:{grant.account_id}:{grant.group_id}"
    digest = hashlib.sha256(key.encode()).hexdigest()
    return Item(
        handover=handover,
        block_id=f"{ACCESS_SECTION}:{digest[:40]}",
        section_block_id=ACCESS_SECTION,
        section_title=gettext("Access and accounts"),
        position=position,
        kind="account",
        label=label[:255],
        definition=definition,
        data=data,
        required=True,
        filled_by_role=ParticipantRole.IT,
        confirmed_by_role=ParticipantRole.MANAGER,
        evidence="none",
        due_date=handover.last_working_day,
    )


def _default_decision(kind, sole_owner) -> str:
    if kind == AccessGrant.Kind.MEMBERSHIP and sole_owner:
        return AccessGrant.Decision.TRANSFER
    return AccessGrant.Decision.REVOKE


def access_scan(handover: Handover) -> int:
    """Ask every connector that can revoke for the leaver's access; record new
    grants (and their items). Returns how many grants were added."""
    employee = handover.employee
    ref = employee_ref(employee)
    added = 0
    position = 10_000 + handover.items.count()
    with translation.override(handover.language):
        for config in access_connectors():
            client = config.client()
            try:
                accounts = [
                    r
                    for r in client.discover(employee=ref, record_kind="account")
                    if not r.error
                ]
                groups = [
                    r
                    for r in client.discover(employee=ref, record_kind="group")
                    if not r.error
                ]
            except ConnectorError as error:
                logger.warning("Access scan of %s failed: %s", config.slug, error)
                continue
            finally:
                client.close()
            if not accounts:
                continue
            account = accounts[0]
            found = [
                (
                    AccessGrant.Kind.ACCOUNT,
                    account.external_id,
                    account.title,
                    "",
                    "",
                    False,
                )
                for account in accounts
            ] + [
                (
                    AccessGrant.Kind.MEMBERSHIP,
                    account.external_id,
                    account.title,
                    group.external_id,
                    group.title,
                    bool(group.fields.get("sole_member")),
                )
                for group in groups
            ]
            with transaction.atomic():
                for (
                    kind,
                    account_id,
                    account_label,
                    group_id,
                    group_label,
                    sole,
                ) in found:
                    grant, created = AccessGrant.objects.get_or_create(
                        handover=handover,
                        connector=config,
                        account_id=account_id,
                        group_id=group_id,
                        defaults={
                            "system": config.name,
                            "kind": kind,
                            "account_label": account_label[:255],
                            "group_label": group_label[:255],
                            "sole_owner": sole,
                            "decision": _default_decision(kind, sole),
                        },
                    )
                    AccessGrant.objects.filter(pk=grant.pk).update(
                        refreshed_at=timezone.now(), sole_owner=sole
                    )
                    if created:
                        position += 1
                        item = _grant_item(handover, grant, position)
                        item.save()
                        ItemVersion.objects.create(
                            item=item,
                            number=1,
                            action="access.discovered",
                            changes={"grant": [None, grant.pk]},
                            state=item.state,
                        )
                        grant.item = item
                        grant.save(update_fields=["item"])
                        added += 1
                if added:
                    audit_record(
                        handover=handover,
                        actor=None,
                        role="system",
                        action="access.inventoried",
                        obj=handover,
                        details={"connector": config.slug, "grants": added},
                    )
    return added


@transaction.atomic
def access_grant_add(
    *, actor, handover, system: str, account: str, group: str = "", instructions: str
) -> AccessGrant:
    """HR or IT records access in a system with no connector."""
    _require_manager(actor)
    if handover.state not in Handover.OPEN_STATES:
        raise Conflict(_("The handover is closed."))
    errors = {}
    if not system.strip():
        errors["system"] = [gettext("Name the system.")]
    if not account.strip():
        errors["account"] = [gettext("Name the account.")]
    if not instructions.strip():
        errors["instructions"] = [
            gettext("Write what IT must do in that system, step by step.")
        ]
    if errors:
        raise InvalidInput(_("The access was not added."), fields=errors)
    # One add at a time per handover, so a double submit finds the first.
    list(Handover.objects.select_for_update().filter(pk=handover.pk).values("pk"))
    already = AccessGrant.objects.filter(
        handover=handover,
        connector=None,
        system__iexact=system.strip(),
        account_id=account.strip(),
        group_id=group.strip(),
    )
    if already.exists():
        raise Conflict(_("This access is already recorded on this handover."))
    grant = AccessGrant.objects.create(
        handover=handover,
        connector=None,
        system=system.strip(),
        kind=AccessGrant.Kind.MEMBERSHIP if group.strip() else AccessGrant.Kind.ACCOUNT,
        account_id=account.strip(),
        account_label=account.strip(),
        group_id=group.strip(),
        group_label=group.strip(),
        decision=AccessGrant.Decision.REVOKE,
        instructions=instructions.strip(),
    )
    with translation.override(handover.language):
        item = _grant_item(handover, grant, 10_000 + handover.items.count() + 1)
    item.save()
    ItemVersion.objects.create(
        item=item,
        number=1,
        actor=actor,
        action="access.added",
        changes={"grant": [None, grant.pk]},
        state=item.state,
    )
    grant.item = item
    grant.save(update_fields=["item"])
    audit_record(
        handover=handover,
        actor=actor,
        role=ParticipantRole.IT,
        action="access.added",
        obj=item,
        details={"system": grant.system, "account": grant.account_id},
    )
    return grant


def _it_audit(on: AccessGrant, actor, event: str, **details) -> None:
    """IT's own steps on a grant, in the handover's audit trail."""
    audit_record(
        handover=on.handover,
        actor=actor,
        role=ParticipantRole.IT,
        action=event,
        obj=on.item or on.handover,
        details=details,
    )


# Planning ----------------------------------------------------------------------------


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


def _describe(grant: AccessGrant, operation: str, successor=None) -> str:
    values = {
        "system": grant.system,
        "account": grant.account_label or grant.account_id,
        "group": grant.group_label or grant.group_id,
        "successor": successor.get_full_name() or successor.get_username()
        if successor
        else "",
    }
    texts = {
        Op.SUSPEND: _("%(system)s: suspend the account %(account)s."),
        Op.RESTORE: _("%(system)s: restore the account %(account)s."),
        Op.DELETE: _("%(system)s: delete the account %(account)s for good."),
        Op.REMOVE_MEMBER: _("%(system)s: remove %(account)s from %(group)s."),
        Op.ADD_MEMBER: _("%(system)s: add %(successor)s to %(group)s."),
        Op.MANUAL: _("%(system)s (by hand): revoke %(account)s %(group)s."),
    }
    return str(texts[operation]) % values


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
            description=_describe(grant, operation, target),
            target_user=target,
            scheduled_for=when,
            requested_by=approved_by,
        )
        for operation, when, target in _planned_operations(
            grant, handover, successor, now
        )
    ]
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
        _send_due()


def access_dry_run(handover: Handover) -> list[dict]:
    """Exactly what will change, per system, before anything runs: the planned
    changes, and what the current (not yet confirmed) decisions would plan."""
    now = timezone.now()
    rows = []
    planned_grants = set()
    for action in handover.access_actions.select_related("grant").exclude(
        state=AccessAction.State.CANCELLED
    ):
        planned_grants.add(action.grant_id)
        rows.append(
            {
                "system": action.grant.system,
                "change": action.description,
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
                    "change": _describe(grant, operation, target),
                    "at": when,
                    "state": str(_("Waits for the decision to be confirmed")),
                    "confirmed": False,
                }
            )
    return sorted(rows, key=lambda row: (row["system"], row["at"], row["change"]))


# Running ---------------------------------------------------------------------------


def _send_due():
    from .tasks import access_run_due_task

    transaction.on_commit(lambda: access_run_due_task())


def access_run_due(*, now=None, handover=None) -> int:
    """Run every planned change that is due; returns how many ran."""
    now = now or timezone.now()
    due = AccessAction.objects.filter(
        state=AccessAction.State.PLANNED, scheduled_for__lte=now
    ).exclude(operation=Op.MANUAL)
    if handover is not None:
        due = due.filter(handover=handover)
    ran = 0
    for action_id in list(due.values_list("pk", flat=True)):
        ran += _run_action(action_id) is not None
    return ran


def _run_action(action_id: int) -> AccessAction | None:
    with transaction.atomic():
        action = (
            AccessAction.objects.select_for_update(of=("self",))
            .select_related("grant", "connector", "handover", "target_user")
            .filter(pk=action_id, state=AccessAction.State.PLANNED)
            .first()
        )
        if action is None:
            return None
        action.state = AccessAction.State.RUNNING
        action.attempts += 1
        action.save(update_fields=["state", "attempts"])
    with translation.override(action.handover.language):
        return _execute(action)


def _call(client, action: AccessAction):
    grant = action.grant
    if action.operation == Op.SUSPEND:
        return client.suspend_account(account_id=grant.account_id)
    if action.operation == Op.RESTORE:
        return client.restore_account(account_id=grant.account_id)
    if action.operation == Op.DELETE:
        return client.delete_account(account_id=grant.account_id)
    if action.operation == Op.REMOVE_MEMBER:
        return client.remove_member(
            group_id=grant.group_id, account_id=grant.account_id
        )
    if action.operation == Op.ADD_MEMBER:
        return client.add_member(
            group_id=grant.group_id, person=_user_ref(action.target_user)
        )
    raise ValueError(action.operation)


def _user_ref(user) -> EmployeeRef:
    from cms.models import Employee

    employee = Employee.objects.filter(user=user).first()
    if employee is not None:
        return employee_ref(employee)
    return EmployeeRef(email=user.email, username=user.get_username())


def _verified(client, action: AccessAction) -> bool:
    grant = action.grant
    if action.operation == Op.ADD_MEMBER:
        # The successor's membership: read their own account's groups.
        ref = _user_ref(action.target_user)
        accounts = [
            record
            for record in client.discover(employee=ref, record_kind="account")
            if not record.error
        ]
        return any(
            grant.group_id in client.access_state(account_id=record.external_id).groups
            for record in accounts
        )
    state = client.access_state(account_id=grant.account_id)
    if action.operation == Op.SUSPEND:
        return not state.exists or not state.active
    if action.operation == Op.RESTORE:
        return state.exists and state.active
    if action.operation == Op.DELETE:
        return not state.exists
    if action.operation == Op.REMOVE_MEMBER:
        return grant.group_id not in state.groups
    return False


GRANT_STATES = {
    Op.SUSPEND: AccessGrant.State.SUSPENDED,
    Op.RESTORE: AccessGrant.State.ACTIVE,
    Op.DELETE: AccessGrant.State.DELETED,
    Op.REMOVE_MEMBER: AccessGrant.State.REMOVED,
}


def _execute(action: AccessAction) -> AccessAction:
    client = action.connector.client()
    result = None
    try:
        result = _call(client, action)
        if not _verified(client, action):
            raise ConnectorError(
                _(
                    "The change was accepted, but reading it back shows it did "
                    "not happen."
                ),
                request_id=result.request_id if result else None,
                retryable=False,
            )
    except ConnectorError as error:
        return _finish(action, ok=False, result=result, error=error)
    finally:
        client.close()
    return _finish(action, ok=True, result=result)


def _finish(action, *, ok, result=None, error=None, actor=None):
    now = timezone.now()
    with transaction.atomic():
        action.state = AccessAction.State.VERIFIED if ok else AccessAction.State.FAILED
        action.finished_at = now
        action.response = result.response if result else {}
        action.request_id = (
            (result.request_id if result else None)
            or (error.request_id if error else None)
            or ""
        )
        action.error = str(error.message) if error else ""
        action.done_by = actor
        action.save()
        grant = action.grant
        if ok and action.operation in GRANT_STATES:
            grant.state = GRANT_STATES[action.operation]
            if action.operation == Op.SUSPEND:
                grant.suspended_at = now
            grant.save(update_fields=["state", "suspended_at"])
        if ok and action.operation == Op.MANUAL:
            grant.state = AccessGrant.State.REMOVED
            grant.save(update_fields=["state"])
        audit_record(
            handover=action.handover,
            actor=actor,
            role=ParticipantRole.IT if actor else "system",
            action=f"access.{action.operation}" + ("" if ok else ".failed"),
            obj=grant.item or action.handover,
            details={
                "asked": action.description,
                "answer": action.response,
                "request_id": action.request_id,
                "error": action.error,
                "approved_by": action.requested_by_id,
                "verified": ok,
            },
        )
        if not ok:
            announce(
                action.handover,
                "access.failed",
                details={"action": action.pk, "error": action.error},
            )
    if not ok:
        logger.warning("Access change %s failed: %s", action.pk, action.error)
    return action


# IT's controls --------------------------------------------------------------------


@transaction.atomic
def access_revoke_now(*, actor, handover) -> int:
    """IT brings the handover's planned changes forward to now."""
    _require_manager(actor)
    count = handover.access_actions.filter(
        state=AccessAction.State.PLANNED, scheduled_for__gt=timezone.now()
    ).update(scheduled_for=timezone.now())
    audit_record(
        handover=handover,
        actor=actor,
        role=ParticipantRole.IT,
        action="access.revoke_now",
        obj=handover,
        details={"changes": count},
    )
    _send_due()
    return count


@transaction.atomic
def access_action_retry(*, actor, action: AccessAction) -> AccessAction:
    _require_manager(actor)
    action = AccessAction.objects.select_for_update().get(pk=action.pk)
    if action.state != AccessAction.State.FAILED:
        raise Conflict(_("Only a failed change can be run again."))
    action.state = AccessAction.State.PLANNED
    action.scheduled_for = min(action.scheduled_for, timezone.now())
    action.save(update_fields=["state", "scheduled_for"])
    _it_audit(action.grant, actor, "access.retried", action=action.pk)
    _send_due()
    return action


def access_action_complete(
    *, actor, action: AccessAction, password: str, note: str = "", meta=NO_REQUEST
) -> AccessAction:
    """IT closes a by-hand change, signing with their password."""
    _require_manager(actor)
    # An IT admin who leaves does not sign off the changes to their own access.
    require_not_leaver(actor, action.handover, ACCESS)
    if action.operation != Op.MANUAL or action.state != AccessAction.State.PLANNED:
        raise Conflict(_("Only a planned by-hand change can be closed this way."))
    method = reauthenticate(
        user=actor,
        credentials={"password": password},
        meta=meta,
        handover=action.handover,
    )
    from .types.base import TransferResult

    return _finish(
        action,
        ok=True,
        result=TransferResult(response={"note": note, "signed_with": method}),
        actor=actor,
    )


def _buffer_ends(grant: AccessGrant):
    return grant.suspended_at + timedelta(days=settings.BATON_ACCESS_BUFFER_DAYS)


@transaction.atomic
def access_restore(*, actor, grant: AccessGrant) -> AccessAction:
    """Reverse a suspension within the buffer period."""
    _require_manager(actor)
    grant = AccessGrant.objects.select_for_update().get(pk=grant.pk)
    # Nor do they give themselves back what their handover took away.
    require_not_leaver(actor, grant.handover, ACCESS)
    if grant.state != AccessGrant.State.SUSPENDED or grant.suspended_at is None:
        raise Conflict(_("Only a suspended account can be restored."))
    if timezone.now() > _buffer_ends(grant):
        raise Conflict(_("The buffer period is over: the account cannot be restored."))
    action = AccessAction.objects.create(
        grant=grant,
        handover=grant.handover,
        connector=grant.connector,
        operation=Op.RESTORE,
        description=_describe(grant, Op.RESTORE),
        scheduled_for=timezone.now(),
        requested_by=actor,
    )
    _it_audit(grant, actor, "access.restore_requested", grant=grant.pk)
    _send_due()
    return action


@transaction.atomic
def access_delete(
    *, actor, connector: ConnectorConfig, grant_ids
) -> list[AccessAction]:
    """Delete suspended accounts for good — only when an admin asks, for one
    system at a time, after the buffer, and never more than the threshold."""
    _require_manager(actor)
    grant_ids = list(grant_ids)
    limit = settings.BATON_ACCESS_DELETE_THRESHOLD
    if len(grant_ids) > limit:
        raise Conflict(
            _(
                "Refused: %(count)d accounts at once is more than the limit of "
                "%(limit)d. Delete them in smaller batches."
            )
            % {"count": len(grant_ids), "limit": limit}
        )
    grants = list(
        AccessGrant.objects.select_for_update().filter(
            pk__in=grant_ids, connector=connector, kind=AccessGrant.Kind.ACCOUNT
        )
    )
    if len(grants) != len(set(grant_ids)):
        raise InvalidInput(_("Some of these are not accounts of this system."))
    now = timezone.now()
    for grant in grants:
        if grant.state != AccessGrant.State.SUSPENDED:
            raise Conflict(
                _("%(account)s is not suspended: suspend it first.")
                % {"account": grant.account_label or grant.account_id}
            )
        if now < _buffer_ends(grant):
            raise Conflict(
                _("%(account)s is still in its buffer period (until %(date)s).")
                % {
                    "account": grant.account_label or grant.account_id,
                    "date": timezone.localtime(_buffer_ends(grant)).date(),
                }
            )
    actions = []
    for grant in grants:
        actions.append(
            AccessAction.objects.create(
                grant=grant,
                handover=grant.handover,
                connector=connector,
                operation=Op.DELETE,
                description=_describe(grant, Op.DELETE),
                scheduled_for=now,
                requested_by=actor,
            )
        )
        _it_audit(grant, actor, "access.delete_requested", grant=grant.pk)
    _send_due()
    return actions


@transaction.atomic
def access_actions_run_now(*, actor, action_ids) -> int:
    """IT's batch action: bring planned changes forward, retry failed ones."""
    _require_manager(actor)
    now = timezone.now()
    actions = list(
        AccessAction.objects.select_for_update()
        .filter(pk__in=list(action_ids))
        .exclude(operation=Op.MANUAL)
        .filter(state__in=(AccessAction.State.PLANNED, AccessAction.State.FAILED))
    )
    for action in actions:
        action.state = AccessAction.State.PLANNED
        action.scheduled_for = min(action.scheduled_for, now)
        action.save(update_fields=["state", "scheduled_for"])
        _it_audit(action.grant, actor, "access.run_now", action=action.pk)
    if actions:
        _send_due()
    return len(actions)


@transaction.atomic
def access_actions_cancel(*, actor, action_ids) -> int:
    """IT's batch action: cancel planned changes (e.g. the leaver stays)."""
    _require_manager(actor)
    actions = list(
        AccessAction.objects.select_for_update(of=("self",))
        .select_related("handover__employee")
        .filter(
            pk__in=list(action_ids),
            state__in=(AccessAction.State.PLANNED, AccessAction.State.FAILED),
        )
    )
    for action in actions:
        # Nor do they call off the changes to their own access.
        require_not_leaver(actor, action.handover, ACCESS)
    for action in actions:
        action.state = AccessAction.State.CANCELLED
        action.save(update_fields=["state"])
        _it_audit(action.grant, actor, "access.cancelled", action=action.pk)
    return len(actions)


# Residual access ------------------------------------------------------------------


def access_residual_check(*, today=None) -> list[ResidualAccess]:
    """Re-check former employees' accounts at each configured number of days
    after their last working day; report (and alert on) what is still active."""
    today = today or timezone.localdate()
    findings = []
    for days in settings.BATON_ACCESS_RESIDUAL_DAYS:
        day = today - timedelta(days=days)
        grants = (
            AccessGrant.objects.filter(
                kind=AccessGrant.Kind.ACCOUNT,
                connector__isnull=False,
                connector__enabled=True,
                handover__last_working_day__lte=day,
                handover__last_working_day__gte=day - timedelta(days=7),
            )
            .exclude(residual_findings__days_after=days)
            .exclude(decision=AccessGrant.Decision.KEEP, keep_until__gte=today)
            .select_related("connector", "handover")
        )
        for grant in grants:
            client = grant.connector.client()
            try:
                state = client.access_state(account_id=grant.account_id)
            except ConnectorError as error:
                logger.warning("Residual check of %s failed: %s", grant, error)
                continue
            finally:
                client.close()
            finding = ResidualAccess.objects.create(
                grant=grant,
                checked_at=timezone.now(),
                days_after=days,
                active=state.exists and state.active,
                groups=list(state.groups),
            )
            findings.append(finding)
            if finding.active:
                audit_record(
                    handover=grant.handover,
                    actor=None,
                    role="system",
                    action="access.residual",
                    obj=grant.item or grant.handover,
                    details={"grant": grant.pk, "days_after": days},
                )
                announce(
                    grant.handover,
                    "access.residual",
                    details={"grant": grant.pk, "days_after": days},
                )
    return findings
