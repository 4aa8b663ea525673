"""Runs whose worker died: found by their lapsed lease on the minute tick,
shown as interrupted with the reason, and retried with the usual backoff."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone, translation

from cms.models import Handover

from ..models import BlockSync, SyncRun, UploadImport
from .bulk import bulk_update_rows
from .runs import interrupt, retry_delay

__all__ = ["Retry", "sync_recover_stranded"]

logger = logging.getLogger(__name__)


class Retry(NamedTuple):
    handover_id: int
    block_id: str
    attempt: int
    generation: int
    delay: int


def sync_recover_stranded(*, now=None) -> list[Retry]:
    """Interrupt the runs whose lease passed (their worker died) and return the
    retries to schedule. A constant number of queries, whatever the count."""
    now = now or timezone.now()
    stranded = list(
        BlockSync.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(run__isnull=False, lease_expires_at__lt=now)
        .select_related("run", "handover")
    )
    if not stranded:
        return []
    runs, retries, upload_errors = [], [], {}
    for status in stranded:
        run = status.run
        with translation.override(status.handover.language):
            reason = (
                interrupt(run, now)
                if run.state == SyncRun.State.RUNNING
                else str(status.error)
            )
        runs.append(run)
        status.lease_expires_at = None
        if status.state != BlockSync.State.SYNCING:
            continue  # queued again meanwhile: that task runs (and resumes) it
        status.state = BlockSync.State.FAILED
        status.error = reason
        status.last_finished_at = now
        status.retry_at = None
        if run.trigger == SyncRun.Trigger.UPLOAD:
            upload_errors[run.pk] = reason
        elif (
            status.handover.state in Handover.OPEN_STATES
            and status.attempt < settings.BATON_SYNC_MAX_RETRIES
        ):
            delay = retry_delay(status.attempt)
            status.retry_at = now + timedelta(seconds=delay)
            retries.append(
                Retry(
                    status.handover_id,
                    status.block_id,
                    status.attempt + 1,
                    status.generation,
                    delay,
                )
            )
    bulk_update_rows(
        SyncRun,
        [run for run in runs if run.state == SyncRun.State.INTERRUPTED],
        ["state", "finished_at", "errors"],
    )
    bulk_update_rows(
        BlockSync,
        stranded,
        ["state", "error", "last_finished_at", "retry_at", "lease_expires_at"],
    )
    if upload_errors:
        # An upload has no upstream to read again: its person imports it again.
        uploads = list(
            UploadImport.objects.filter(
                run__in=upload_errors,
                state__in=(UploadImport.State.QUEUED, UploadImport.State.RUNNING),
            ).only("pk", "run_id")
        )
        for upload in uploads:
            upload.state = UploadImport.State.FAILED
            upload.error = upload_errors[upload.run_id]
            upload.finished_at = now
        bulk_update_rows(UploadImport, uploads, ["state", "error", "finished_at"])
    for run in runs:
        logger.warning(
            "Sync run %s of handover %s block %s was interrupted (worker %s).",
            run.pk,
            run.handover_id,
            run.block_id,
            run.worker,
        )
    return retries
