"""Running: a periodic job runs the changes that are due; each is read back
and marked verified or failed, and failures wait in IT's queue."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from cms.models import ParticipantRole
from cms.services.audit import audit_record
from cms.services.common import announce

from ..sdk.base import ConnectorError, EmployeeRef
from ..sync import employee_ref
from .common import Op
from .models import AccessAction, AccessGrant
from .wording import NOT_APPLIED, error_message

__all__ = ["GRANT_STATES", "access_run_due", "finish_action", "send_due"]

logger = logging.getLogger(__name__)


def send_due():
    """Run what is due once the caller's transaction commits, so the worker
    reads the changes it just planned."""
    from ..tasks import access_run_due_task

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
                gettext(NOT_APPLIED),
                request_id=result.request_id if result else None,
                retryable=False,
            )
    except ConnectorError as error:
        return finish_action(action, ok=False, result=result, error=error)
    finally:
        client.close()
    return finish_action(action, ok=True, result=result)


def _failure_details(action, error) -> dict:
    """What IT's message about a failed change says: the error as stored
    (the words of the language it was caught in, ``error_language``), and
    Baton's own words language-neutral so each reader gets them in theirs."""
    details = {
        "action": action.pk,
        "system": action.grant.system,
        "error": action.error,
        "error_language": translation.get_language(),
    }
    if error is not None and action.error == gettext(NOT_APPLIED):
        details["error_message"] = error_message(NOT_APPLIED)
    return details


def finish_action(action, *, ok, result=None, error=None, actor=None):
    """Record how a change ended — on the change, its grant and the audit
    trail — and tell IT when it failed."""
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
                item=grant.item,
                details=_failure_details(action, error),
            )
    if not ok:
        logger.warning("Access change %s failed: %s", action.pk, action.error)
    return action
