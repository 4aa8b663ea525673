"""How a run ends: the log, the block's status and the audit trail when it
applied everything; the error on both, and a retry when one may help, when it
failed. Only the run that still holds the block's lease may say how the block
stands."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cms.models import ParticipantRole
from cms.services.audit import audit_record
from cms.services.common import announce
from cms.services.signing import NO_REQUEST

from ..models import BlockSync, SyncRun
from ..sdk.base import ConnectorError
from .apply import BatchContext, Counts
from .runs import SYNC_ACTOR_ROLE, LeaseLost, RetryLater, retry_delay

__all__ = ["role_of_actor", "run_fail", "run_finish"]

logger = logging.getLogger(__name__)


def _audit_run(handover, run, block, counts, *, actor, role, meta=NO_REQUEST):
    if not (counts.created or counts.updated or counts.resolved or counts.conflicts):
        return
    audit_record(
        handover=handover,
        actor=actor,
        role=role,
        action="connector.synced",
        obj=handover,
        details={
            "connector": block.slug,
            "block_id": block.block_id,
            "run": run.pk,
            "resumed_from": run.resumed_from_id,
            "trigger": run.trigger,
            "created": counts.created,
            "updated": counts.updated,
            "resolved": counts.resolved,
            "kept_aside": counts.conflicts,
            "skipped": counts.skipped,
        },
        ip_address=meta.ip_address,
    )
    announce(
        handover,
        "connector.synced",
        actor=actor,
        details={"block_id": block.block_id, "run": run.pk},
    )


def _chain_counts(run: SyncRun, counts: Counts) -> Counts:
    """What the whole chain of resumed runs changed (for the audit trail)."""
    total = Counts(**counts.as_run_fields())
    previous_pk = run.resumed_from_id
    while previous_pk is not None:
        previous = SyncRun.objects.get(pk=previous_pk)
        total.created += previous.created
        total.updated += previous.updated
        total.resolved += previous.resolved
        total.conflicts += previous.conflicts
        previous_pk = previous.resumed_from_id
    return total


def run_finish(
    *,
    context: BatchContext,
    status_pk: int,
    counts: Counts,
    actor=None,
    role=SYNC_ACTOR_ROLE,
    meta=NO_REQUEST,
) -> SyncRun:
    """Close a run that applied everything: the log, the block, the audit."""
    run = context.run
    with transaction.atomic():
        locked = BlockSync.objects.select_for_update().get(pk=status_pk)
        if locked.run_id != run.pk:
            raise LeaseLost()
        now = timezone.now()
        run.finished_at = now
        run.state = SyncRun.State.PARTIAL if counts.skipped else SyncRun.State.OK
        for name, value in counts.as_run_fields().items():
            setattr(run, name, value)
        run.errors = [*run.errors, *context.errors]
        run.heartbeat_at = now
        run.save()
        locked.state = BlockSync.State.OK
        locked.error = ""
        locked.request_id = ""
        locked.retry_at = None
        locked.attempt = 0
        locked.lease_expires_at = None
        locked.progress_done = run.done
        locked.progress_total = run.total
        locked.last_success_at = now
        locked.last_finished_at = now
        locked.save()
        _audit_run(
            context.handover,
            run,
            context.block,
            _chain_counts(run, counts),
            actor=actor,
            role=role,
            meta=meta,
        )
    return run


def run_fail(
    status: BlockSync,
    run: SyncRun,
    error: ConnectorError,
    *,
    retry: bool,
    counts: Counts | None = None,
    errors=(),
):
    """Close a run that failed; raises RetryLater when ``retry``."""
    now = timezone.now()
    run.finished_at = now
    run.state = SyncRun.State.FAILED
    if counts is not None:
        for name, value in counts.as_run_fields().items():
            setattr(run, name, value)
    run.request_id = getattr(error, "request_id", None) or ""
    run.errors = [
        *run.errors,
        *errors,
        {
            "message": str(getattr(error, "message", error)),
            "request_id": run.request_id,
        },
    ]
    fields = ["finished_at", "state", "request_id", "errors"]
    if counts is not None:
        fields += list(counts.as_run_fields())
    SyncRun.objects.filter(pk=run.pk).update(
        **{name: getattr(run, name) for name in fields}
    )
    status.state = BlockSync.State.FAILED
    status.error = str(getattr(error, "message", error))
    status.request_id = getattr(error, "request_id", None) or ""
    status.last_finished_at = now
    status.lease_expires_at = None
    status.retry_at = (
        now + timedelta(seconds=retry_delay(run.attempt)) if retry else None
    )
    # Only the run holding the block may say how the block stands.
    BlockSync.objects.filter(pk=status.pk).filter(
        Q(run=run) | Q(run__isnull=True)
    ).update(
        state=status.state,
        error=status.error,
        request_id=status.request_id,
        last_finished_at=now,
        lease_expires_at=None,
        retry_at=status.retry_at,
    )
    logger.warning(
        "Connector %s failed for handover %s block %s: %s",
        run.connector_id,
        run.handover_id,
        run.block_id,
        status.error,
    )
    if retry:
        raise RetryLater(error)
    _announce_failure(status, run)
    return run


def _announce_failure(status: BlockSync, run: SyncRun) -> None:
    """HR and IT hear that a block stopped filling: once, not again while it
    keeps failing."""
    previous = (
        SyncRun.objects.filter(
            handover_id=run.handover_id,
            block_id=run.block_id,
            finished_at__isnull=False,
        )
        .exclude(pk=run.pk)
        .order_by("-finished_at", "-pk")
        .values_list("state", flat=True)
        .first()
    )
    if previous == SyncRun.State.FAILED:
        return
    announce(
        status.handover,
        "connector.sync_failed",
        details={
            "block_id": run.block_id,
            "run": run.pk,
            "block": status.label or run.block_id,
            "system": status.connector.name
            if status.connector
            else status.connector_slug,
            "error": status.error,
        },
    )


def role_of_actor(actor, roles=()) -> str:
    if actor is None:
        return SYNC_ACTOR_ROLE
    if ParticipantRole.LEAVER in roles:
        return ParticipantRole.LEAVER
    return ParticipantRole.HR
