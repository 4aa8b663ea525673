"""Background fill and re-sync (huey). Task names are part of queued messages:
never rename a task that may have messages waiting."""

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, lock_task

from .intake.tasks import (  # noqa: F401
    intake_approval_task,
    intake_approvals_poll_task,
)
from .models import BlockSync
from .services import resync_due
from .sync import BlockBusy, RetryLater, retry_delay, run_block_sync
from .upload_tasks import upload_import_task  # noqa: F401
from .writeback import transfer_run

logger = logging.getLogger(__name__)

__all__ = [
    "access_refresh_task",
    "access_residual_task",
    "access_run_due_task",
    "access_scan_task",
    "access_tick",
    "directory_sync_task",
    "resync_connectors",
    "sync_block_task",
    "transfer_task",
    "webhook_deliveries_purge_task",
]


@db_task(context=False)
def sync_block_task(handover_id, block_id, trigger, attempt=0, generation=None):
    """Fill one connector block of one handover. Upstream failures that may
    pass are retried with exponential backoff; the block shows when."""
    if generation is not None:
        current = (
            BlockSync.objects.filter(handover_id=handover_id, block_id=block_id)
            .values_list("generation", flat=True)
            .first()
        )
        if current is not None and current != generation:
            # A newer request for this block was queued after this one.
            return None
    try:
        run = run_block_sync(
            handover_id=handover_id, block_id=block_id, trigger=trigger, attempt=attempt
        )
    except BlockBusy as busy:
        # Another run holds the block: run after its lease, whatever it does.
        delay = max(1, int((busy.lease_expires_at - timezone.now()).total_seconds()))
        sync_block_task.schedule(
            args=(handover_id, block_id, trigger, attempt, generation), delay=delay
        )
        return None
    except RetryLater:
        delay = retry_delay(attempt)
        logger.info(
            "Retrying connector block %s of handover %s in %d s (attempt %d).",
            block_id,
            handover_id,
            delay,
            attempt + 1,
        )
        sync_block_task.schedule(
            args=(handover_id, block_id, "retry", attempt + 1, generation), delay=delay
        )
        return None
    return run.pk if run is not None else None


@db_periodic_task(crontab(minute="*"))
@lock_task("baton-connectors-resync")
def resync_connectors():
    """Every minute: interrupt and retry the runs whose worker died, then queue
    the blocks whose connector's interval has passed."""
    queued = resync_due()
    if queued:
        logger.info("Queued %d connector re-sync(s).", queued)
    return queued


@db_task(context=False)
def transfer_task(transfer_id):
    """Run one write-back (retries are scheduled by the write-back itself)."""
    transfer = transfer_run(transfer_id)
    return transfer.state if transfer is not None else None


@db_task(context=False)
def access_scan_task(handover_id):
    """Inventory the leaver's access in every connector that can revoke."""
    from cms.models import Handover

    from .access.inventory import access_scan

    handover = Handover.objects.select_related("employee__user").get(pk=handover_id)
    return access_scan(handover)


@db_task(context=False)
@lock_task("baton-access-run")
def access_run_due_task():
    from .access.running import access_run_due

    return access_run_due()


@db_periodic_task(crontab(minute="*"))
def access_tick():
    """Every minute: run the access changes that are due (revocations at the
    end of the last working day, kept access at its end date)."""
    from huey.exceptions import TaskLockedException

    from .access.running import access_run_due

    try:
        with HUEY.lock_task("baton-access-run"):
            return access_run_due()
    except TaskLockedException:
        return 0


@db_periodic_task(crontab(hour="7", minute="30"))
@lock_task("baton-access-residual")
def access_residual_task():
    """Daily: former employees' accounts still active upstream; alert IT."""
    from .access.residual import access_residual_check
    from .notifications import residual_alert

    findings = [finding for finding in access_residual_check() if finding.active]
    if findings:
        residual_alert(findings)
    return len(findings)


@db_periodic_task(crontab(hour="6", minute="45"))
@lock_task("baton-access-refresh")
def access_refresh_task():
    """Daily: refresh the access inventory of open handovers (new accounts or
    groups found upstream become items too)."""
    from cms.models import Handover

    from .access.services import access_connectors, access_scan

    if not access_connectors():
        return 0
    added = 0
    for handover in Handover.objects.filter(
        state__in=Handover.OPEN_STATES
    ).select_related("employee__user"):
        added += access_scan(handover)
    return added


@db_periodic_task(crontab(minute="17"))
@lock_task("baton-webhook-purge")
def webhook_deliveries_purge_task():
    """Hourly: forget webhook signatures too old to be replayed anyway."""
    from .webhooks import webhook_deliveries_purge

    return webhook_deliveries_purge()


@db_periodic_task(crontab(minute="*"))
@lock_task("baton-directory-sync")
def directory_sync_task():
    """Every minute: keep employees in step with the directory connectors whose
    re-sync interval passed, and report their leavers to intake."""
    from .directory import directory_sync_due

    runs = directory_sync_due()
    if runs:
        logger.info("Ran %d directory sync(s).", len(runs))
    return len(runs)
