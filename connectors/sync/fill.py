"""A connector block filled from its connector: the body of the huey task."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from cms.models import Handover, ParticipantRole

from ..models import BlockSync, SyncRun
from ..sdk.base import DISCOVER, ConnectorError, MisconfiguredError
from .apply import BatchContext
from .blocks import block_sync_for, employee_ref, find_block
from .heartbeat import Heartbeat
from .outcome import run_fail, run_finish
from .runs import (
    SYNC_ACTOR_ROLE,
    LeaseLost,
    UnexpectedError,
    run_claim,
    run_execute,
)

__all__ = ["run_block_sync"]

logger = logging.getLogger(__name__)


def run_block_sync(
    *, handover_id: int, block_id: str, trigger: str, attempt: int = 0, actor=None
) -> SyncRun | None:
    """Fetch the block's records from its connector and upsert them in batches.

    Raises RetryLater when the failure is worth retrying (the huey task
    schedules the retry) and BlockBusy when a live run holds the block. Returns
    the run, or None when there is nothing to do (handover closed, connector
    gone or disabled, or the block was given to another run)."""
    handover = Handover.objects.select_related(
        "employee__user", "template_revision"
    ).get(pk=handover_id)
    # Statuses and errors are read by the handover's people: their language.
    with translation.override(handover.language):
        return _run_block_sync(handover, block_id, trigger, attempt, actor)


def _refuse(status: BlockSync, message: str) -> None:
    status.state = BlockSync.State.FAILED
    status.error = message
    status.retry_at = None
    status.last_finished_at = timezone.now()
    status.save(update_fields=["state", "error", "retry_at", "last_finished_at"])


def _run_block_sync(handover, block_id, trigger, attempt, actor):
    block = find_block(handover, block_id)
    status = block_sync_for(handover, block)
    config = block.connector
    if handover.state not in Handover.OPEN_STATES:
        return None
    if config is None:
        _refuse(
            status,
            gettext("No connector “%(slug)s” is configured.") % {"slug": block.slug},
        )
        return None
    if not config.enabled:
        _refuse(
            status,
            gettext("The connector “%(name)s” is disabled.") % {"name": config.name},
        )
        return None
    try:
        type_class = config.type_class
    except LookupError as error:
        run, _resumed = run_claim(
            status=status, handover=handover, block=block, trigger=trigger
        )
        return run_fail(status, run, MisconfiguredError(str(error)), retry=False)
    if not type_class.can(DISCOVER):
        status.state = BlockSync.State.WAITING
        status.save(update_fields=["state"])
        return None

    run, resumed = run_claim(
        status=status,
        handover=handover,
        block=block,
        trigger=trigger,
        attempt=attempt,
        actor=actor,
    )
    try:
        client = config.client()
    except Exception as error:  # noqa: BLE001 — unreadable secrets or bad settings
        return run_fail(status, run, MisconfiguredError(str(error)), retry=False)
    context = BatchContext(
        handover=handover,
        block=block,
        run=run,
        chain_started_at=run.chain_started_at,
        resuming=resumed is not None,
        default_mappings=client.default_mappings,
    )
    retryable = attempt < settings.BATON_SYNC_MAX_RETRIES
    try:
        with Heartbeat(run, status.pk) as heartbeat:
            records = client.discover(
                employee=employee_ref(handover.employee), record_kind=block.record_kind
            )
            heartbeat.touch()
            counts = run_execute(
                context,
                status.pk,
                heartbeat.track(records),
                total=len(records) if hasattr(records, "__len__") else 0,
                complete=True,
            )
        return run_finish(
            context=context,
            status_pk=status.pk,
            counts=counts,
            actor=actor,
            role=ParticipantRole.HR if actor is not None else SYNC_ACTOR_ROLE,
        )
    except LeaseLost:
        # The tick gave the block to another run; that one says how it went.
        logger.warning(
            "Sync run %s lost the lease of block %s of handover %s.",
            run.pk,
            block_id,
            handover.pk,
        )
        return None
    except ConnectorError as error:
        return run_fail(
            status,
            run,
            error,
            retry=error.retryable and retryable,
            errors=context.errors,
        )
    except Exception as error:
        logger.exception(
            "Sync run %s of handover %s block %s failed.", run.pk, handover.pk, block_id
        )
        return run_fail(
            status,
            run,
            UnexpectedError(
                gettext("The sync stopped on an unexpected error (%(error)s).")
                % {"error": type(error).__name__}
            ),
            retry=retryable,
            errors=context.errors,
        )
    finally:
        client.close()
