"""Runs: a lease on the block, and batches that commit with progress (how a run
ends is ``outcome``).

A run claims its block for ``BATON_SYNC_LEASE_SECONDS``: the block points at
the run and says until when the lease lasts. The run extends the lease after
every committed batch and, from a heartbeat thread, while it waits on the
upstream system (types fetch inside one ``discover()`` call Baton cannot step
into). The thread stops beating once the run has pulled no record for
``BATON_SYNC_STALL_SECONDS``, so a worker wedged on a socket loses its lease
like a dead one. The periodic tick (``sync_recover_stranded``) interrupts the
runs whose lease passed and has them retried; the retry resumes the chain."""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext

from ..models import BlockSync, SyncRun, UploadImport
from ..sdk.base import ConnectorError
from .apply import BatchContext, Counts, apply_batch, resolve_missing_batch
from .blocks import BlockInfo

__all__ = [
    "WORKER",
    "BlockBusy",
    "LeaseLost",
    "RetryLater",
    "beat",
    "interrupt",
    "retry_delay",
    "run_claim",
    "run_execute",
]

SYNC_ACTOR_ROLE = "system"
WORKER = f"{socket.gethostname()}:{os.getpid()}"[:255]


def lease_seconds() -> int:
    return settings.BATON_SYNC_LEASE_SECONDS


def batch_size() -> int:
    return max(1, settings.BATON_SYNC_BATCH_SIZE)


def retry_delay(attempt: int) -> int:
    base = settings.BATON_SYNC_RETRY_BASE_SECONDS
    return min(base * 2**attempt, settings.BATON_SYNC_RETRY_MAX_SECONDS)


class RetryLater(Exception):
    """A run failed in a way that trying again may fix."""

    def __init__(self, error: ConnectorError):
        super().__init__(str(error))
        self.error = error


class BlockBusy(Exception):
    """Another live run holds the block's lease; try again after it."""

    def __init__(self, lease_expires_at):
        super().__init__(str(lease_expires_at))
        self.lease_expires_at = lease_expires_at


class LeaseLost(Exception):
    """The tick gave this run's block to another run: stop writing."""


class UnexpectedError(ConnectorError):
    """Anything a run did not expect: shown on the block, retried."""


# Claiming -----------------------------------------------------------------------


def _chain_start(previous: SyncRun | None, started_at):
    """When the first run of a chain of resumed runs started."""
    first = previous
    while first is not None and first.resumed_from_id is not None:
        first = SyncRun.objects.only("pk", "started_at", "resumed_from_id").get(
            pk=first.resumed_from_id
        )
    return first.started_at if first is not None else started_at


def _resumable(previous: SyncRun | None) -> bool:
    """A run that ended half-way (its batches committed) is continued."""
    return (
        previous is not None
        and previous.state in (SyncRun.State.INTERRUPTED, SyncRun.State.FAILED)
        and previous.done > 0
    )


def run_claim(
    *, status: BlockSync, handover, block: BlockInfo, trigger, attempt=0, actor=None
) -> tuple[SyncRun, SyncRun | None]:
    """Start a run holding the block's lease; BlockBusy when a live run has it.
    Returns the run and the run it resumes (or None)."""
    with transaction.atomic():
        locked = (
            BlockSync.objects.select_for_update(of=("self",))
            .select_related("run")
            .get(pk=status.pk)
        )
        now = timezone.now()
        previous = locked.run
        if previous is not None and locked.lease_expires_at is not None:
            if locked.lease_expires_at > now:
                raise BlockBusy(locked.lease_expires_at)
            # The worker died and the tick has not noticed yet: say so here.
            if previous.state == SyncRun.State.RUNNING:
                interrupt(previous, now)
                previous.save(update_fields=["state", "finished_at", "errors"])
        resumed = previous if _resumable(previous) else None
        run = SyncRun.objects.create(
            connector=block.connector,
            handover=handover,
            block_id=block.block_id,
            trigger=trigger,
            attempt=attempt,
            started_at=now,
            actor=actor,
            worker=WORKER,
            heartbeat_at=now,
            resumed_from=resumed,
        )
        run.chain_started_at = _chain_start(resumed, now)
        locked.state = BlockSync.State.SYNCING
        locked.run = run
        locked.lease_expires_at = now + timedelta(seconds=lease_seconds())
        locked.last_started_at = now
        locked.attempt = attempt
        locked.progress_done = 0
        locked.progress_total = 0
        locked.save(
            update_fields=[
                "state",
                "run",
                "lease_expires_at",
                "last_started_at",
                "attempt",
                "progress_done",
                "progress_total",
            ]
        )
    status.refresh_from_db()
    return run, resumed


# Batches ------------------------------------------------------------------------


def _batches(records, size: int):
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def beat(run: SyncRun, status_pk: int, *, done=None, total=None, counts=None):
    """Extend the lease (and record progress); LeaseLost when the block has
    been given to another run."""
    now = timezone.now()
    block_fields = {"lease_expires_at": now + timedelta(seconds=lease_seconds())}
    run_fields = {"heartbeat_at": now}
    if done is not None:
        block_fields.update(progress_done=done, progress_total=total)
        run_fields.update(done=done, total=total)
    if counts is not None:
        run_fields.update(counts.as_run_fields())
    if not BlockSync.objects.filter(pk=status_pk, run=run).update(**block_fields):
        raise LeaseLost()
    SyncRun.objects.filter(pk=run.pk).update(**run_fields)


def run_execute(
    context: BatchContext,
    status_pk: int,
    records,
    *,
    total: int = 0,
    complete: bool = True,
    upload: UploadImport | None = None,
    progress=None,
) -> Counts:
    """Apply ``records`` (any iterable, read lazily) in batches, each its own
    transaction that also extends the lease and records "n of N"; then, when
    the list was ``complete``, resolve upstream what it no longer holds."""
    counts = Counts()
    size = batch_size()
    done = 0
    run = context.run
    for batch in _batches(records, size):
        with transaction.atomic():
            apply_batch(context, batch, counts)
            done += len(batch)
            beat(run, status_pk, done=done, total=max(total, done), counts=counts)
            if upload is not None:
                UploadImport.objects.filter(pk=upload.pk).update(rows_done=done)
        if progress is not None:
            progress()
    # Decided once the whole list has been seen, never from a partial batch.
    while complete:
        with transaction.atomic():
            resolved = resolve_missing_batch(context, counts, size)
            beat(run, status_pk, done=done, total=max(total, done), counts=counts)
        if resolved < size:
            break
    run.done, run.total = done, max(total, done)
    return counts


# Interrupted runs ------------------------------------------------------------------


def interrupt(run: SyncRun, now) -> str:
    """Mark ``run`` interrupted (its worker stopped); returns the reason."""
    since = run.heartbeat_at or run.started_at
    reason = gettext(
        "The worker stopped during the run (no heartbeat since %(when)s)."
    ) % {"when": formats.date_format(timezone.localtime(since), "Y-m-d H:i:s")}
    run.state = SyncRun.State.INTERRUPTED
    run.finished_at = now
    run.errors = [*run.errors, {"message": reason, "worker": run.worker}]
    return reason
