"""Background fill and re-sync (huey). Task names are part of queued messages:
never rename a task that may have messages waiting."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from .models import BlockSync
from .services import resync_due
from .sync import RetryLater, retry_delay, run_block_sync
from .writeback import transfer_run

logger = logging.getLogger(__name__)

__all__ = ["resync_connectors", "sync_block_task", "transfer_task"]


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
    """Every minute: queue the blocks whose connector's interval has passed."""
    queued = resync_due()
    if queued:
        logger.info("Queued %d connector re-sync(s).", queued)
    return queued


@db_task(context=False)
def transfer_task(transfer_id):
    """Run one write-back (retries are scheduled by the write-back itself)."""
    transfer = transfer_run(transfer_id)
    return transfer.state if transfer is not None else None
