"""IT's controls: bring changes forward, retry or cancel them, close by-hand
changes with a signature, restore within the buffer, and delete suspended
accounts — only when an admin asks, per system, under a count threshold."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.errors import Conflict, InvalidInput
from cms.models import ParticipantRole
from cms.services.audit import audit_record
from cms.services.common import ACCESS, require_not_leaver
from cms.services.signing import NO_REQUEST, reauthenticate

from ..models import ConnectorConfig
from .common import Op, it_audit, require_manager
from .models import AccessAction, AccessGrant
from .planning import describe_change
from .running import finish_action, send_due

__all__ = [
    "access_action_complete",
    "access_action_retry",
    "access_actions_cancel",
    "access_actions_run_now",
    "access_delete",
    "access_restore",
    "access_revoke_now",
]


@transaction.atomic
def access_revoke_now(*, actor, handover) -> int:
    """IT brings the handover's planned changes forward to now."""
    require_manager(actor)
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
    send_due()
    return count


@transaction.atomic
def access_action_retry(*, actor, action: AccessAction) -> AccessAction:
    require_manager(actor)
    action = AccessAction.objects.select_for_update().get(pk=action.pk)
    if action.state != AccessAction.State.FAILED:
        raise Conflict(_("Only a failed change can be run again."))
    action.state = AccessAction.State.PLANNED
    action.scheduled_for = min(action.scheduled_for, timezone.now())
    action.save(update_fields=["state", "scheduled_for"])
    it_audit(action.grant, actor, "access.retried", action=action.pk)
    send_due()
    return action


def access_action_complete(
    *, actor, action: AccessAction, password: str, note: str = "", meta=NO_REQUEST
) -> AccessAction:
    """IT closes a by-hand change, signing with their password."""
    require_manager(actor)
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
    from ..sdk.base import TransferResult

    return finish_action(
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
    require_manager(actor)
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
        description=describe_change(grant, Op.RESTORE),
        scheduled_for=timezone.now(),
        requested_by=actor,
    )
    it_audit(grant, actor, "access.restore_requested", grant=grant.pk)
    send_due()
    return action


@transaction.atomic
def access_delete(
    *, actor, connector: ConnectorConfig, grant_ids
) -> list[AccessAction]:
    """Delete suspended accounts for good — only when an admin asks, for one
    system at a time, after the buffer, and never more than the threshold."""
    require_manager(actor)
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
                description=describe_change(grant, Op.DELETE),
                scheduled_for=now,
                requested_by=actor,
            )
        )
        it_audit(grant, actor, "access.delete_requested", grant=grant.pk)
    send_due()
    return actions


@transaction.atomic
def access_actions_run_now(*, actor, action_ids) -> int:
    """IT's batch action: bring planned changes forward, retry failed ones."""
    require_manager(actor)
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
        it_audit(action.grant, actor, "access.run_now", action=action.pk)
    if actions:
        send_due()
    return len(actions)


@transaction.atomic
def access_actions_cancel(*, actor, action_ids) -> int:
    """IT's batch action: cancel planned changes (e.g. the leaver stays)."""
    require_manager(actor)
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
        it_audit(action.grant, actor, "access.cancelled", action=action.pk)
    return len(actions)
