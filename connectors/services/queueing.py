"""Queueing connector work: at start, by hand, on the periodic tick (which
also recovers runs whose worker died) and for webhooks."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.errors import Conflict, InvalidInput, NotFound
from cms.models import Handover
from cms.services.common import require_hr, require_open
from cms.services.signing import NO_REQUEST

from ..models import BlockSync, ConnectorConfig, MatchBy
from ..sdk.base import DISCOVER
from ..sync import UPLOAD, block_sync_for, connector_blocks, sync_recover_stranded

__all__ = [
    "handover_fill_queue",
    "handover_started_receiver",
    "resync_due",
    "sync_queue",
    "webhook_queue",
]


# Queueing ------------------------------------------------------------------------


def _can(config: ConnectorConfig | None, capability: str) -> bool:
    return config is not None and config.can(capability)


def _enqueue(status: BlockSync, trigger: str) -> bool:
    """Mark the block queued and send one task after commit; False when a task
    for it is already waiting."""
    from ..tasks import sync_block_task

    updated = (
        BlockSync.objects.filter(pk=status.pk)
        .exclude(state=BlockSync.State.QUEUED, queued_at__isnull=False)
        .update(
            state=BlockSync.State.QUEUED,
            queued_at=timezone.now(),
            retry_at=None,
            generation=F("generation") + 1,
        )
    )
    if not updated:
        return False
    generation = BlockSync.objects.values_list("generation", flat=True).get(
        pk=status.pk
    )
    handover_id, block_id = status.handover_id, status.block_id
    transaction.on_commit(
        lambda: sync_block_task(handover_id, block_id, trigger, 0, generation)
    )
    return True


def _enqueue_many(statuses, trigger: str) -> int:
    """``_enqueue`` for many blocks in a fixed number of queries: mark them
    queued in one UPDATE, then send their tasks after commit."""
    from ..tasks import sync_block_task

    pks = list(statuses.values_list("pk", flat=True))
    if not pks:
        return 0
    now = timezone.now()
    BlockSync.objects.filter(pk__in=pks).exclude(
        state=BlockSync.State.QUEUED, queued_at__isnull=False
    ).update(
        state=BlockSync.State.QUEUED,
        queued_at=now,
        retry_at=None,
        generation=F("generation") + 1,
    )
    queued = list(
        BlockSync.objects.filter(pk__in=pks, queued_at=now).values_list(
            "handover_id", "block_id", "generation"
        )
    )

    def send():
        for handover_id, block_id, generation in queued:
            sync_block_task(handover_id, block_id, trigger, 0, generation)

    transaction.on_commit(send)
    return len(queued)


def handover_fill_queue(handover: Handover, *, trigger="start") -> int:
    """One task per connector block of the handover; returns how many were queued."""
    queued = 0
    for block in connector_blocks(handover):
        status = block_sync_for(handover, block)
        config = block.connector
        if _can(config, DISCOVER) and config.enabled:
            queued += _enqueue(status, trigger)
            continue
        if _can(config, UPLOAD) and config.enabled:
            if status.last_success_at is not None:
                continue  # already imported
            state, error = BlockSync.State.WAITING, ""
        elif config is None:
            state = BlockSync.State.FAILED
            error = gettext("No connector “%(slug)s” is configured.") % {
                "slug": block.slug
            }
        elif not config.enabled:
            state = BlockSync.State.FAILED
            error = gettext("The connector “%(name)s” is disabled.") % {
                "name": config.name
            }
        else:
            state = BlockSync.State.FAILED
            error = gettext("The connector “%(name)s” cannot list records.") % {
                "name": config.name
            }
        BlockSync.objects.filter(pk=status.pk).update(state=state, error=error)
    return queued


def handover_started_receiver(sender, *, handover_id, **kwargs):
    """``cms.signals.handover_started`` (after commit): queue the background fill."""
    handover = Handover.objects.select_related("template_revision").get(pk=handover_id)
    with transaction.atomic():
        handover_fill_queue(handover)
    from ..access.common import access_connectors
    from ..tasks import access_scan_task

    if access_connectors():
        access_scan_task(handover_id)


def sync_queue(*, actor, handover, block_id: str, meta=NO_REQUEST) -> BlockSync:
    """HR asks for a re-sync of one block now."""
    require_hr(actor)
    handover = Handover.objects.select_related("template_revision").get(
        pk=getattr(handover, "pk", handover)
    )
    require_open(handover, *Handover.OPEN_STATES)
    for block in connector_blocks(handover):
        if block.block_id == block_id:
            if not (_can(block.connector, DISCOVER) and block.connector.enabled):
                raise Conflict(_("This block's connector cannot be synced now."))
            status = block_sync_for(handover, block)
            _enqueue(status, "manual")
            status.refresh_from_db()
            return status
    raise NotFound(_("This handover has no such connector block."))


def _retry_stranded(now) -> None:
    """Runs whose lease passed (their worker died) are interrupted; their
    blocks are retried with the usual backoff."""
    from ..tasks import sync_block_task

    with transaction.atomic():
        retries = sync_recover_stranded(now=now)

        def send():
            for retry in retries:
                sync_block_task.schedule(
                    args=(
                        retry.handover_id,
                        retry.block_id,
                        "retry",
                        retry.attempt,
                        retry.generation,
                    ),
                    delay=retry.delay,
                )

        if retries:
            transaction.on_commit(send)


def _resend_stale_queued(now) -> None:
    """A block queued long ago whose task never ran (lost with a worker or
    never sent) gets its task again, same generation: if the first one still
    runs, the lease lets only one of them work and the other finds it done."""
    from ..tasks import sync_block_task

    stale = BlockSync.objects.filter(
        state=BlockSync.State.QUEUED,
        queued_at__lt=now - timedelta(seconds=settings.BATON_SYNC_QUEUED_STALE_SECONDS),
        handover__state__in=Handover.OPEN_STATES,
    )
    with transaction.atomic():
        rows = list(
            stale.select_for_update(of=("self",), skip_locked=True).values_list(
                "pk", "handover_id", "block_id", "generation"
            )
        )
        if not rows:
            return
        BlockSync.objects.filter(pk__in=[row[0] for row in rows]).update(queued_at=now)

        def send():
            for _pk, handover_id, block_id, generation in rows:
                sync_block_task(handover_id, block_id, "periodic", 0, generation)

        transaction.on_commit(send)


def resync_due(*, now=None) -> int:
    """Retry the runs whose worker died, send again tasks that were lost, then
    queue every block of an open handover whose connector's interval has
    passed since its last run. A constant number of queries, whatever the size."""
    now = now or timezone.now()
    _retry_stranded(now)
    _resend_stale_queued(now)
    due = Q()
    intervals = list(
        ConnectorConfig.objects.filter(
            enabled=True, sync_interval_minutes__gt=0
        ).values_list("pk", "type", "sync_interval_minutes")
    )
    any_due = False
    for pk, type_slug, minutes in intervals:
        if not ConnectorConfig(pk=pk, type=type_slug).can(DISCOVER):
            continue
        any_due = True
        due |= Q(connector_id=pk) & (
            Q(last_finished_at__lt=now - timedelta(minutes=minutes))
            | Q(
                last_finished_at__isnull=True,
                state=BlockSync.State.FAILED,
                retry_at__isnull=True,
            )
        )
    if not any_due:
        return 0
    statuses = (
        BlockSync.objects.filter(due, handover__state__in=Handover.OPEN_STATES)
        .exclude(state__in=(BlockSync.State.QUEUED, BlockSync.State.SYNCING))
        .exclude(retry_at__gt=now)
    )
    with transaction.atomic():
        return _enqueue_many(statuses, "periodic")


WEBHOOK_MATCH_KEYS = {
    MatchBy.EMAIL: "employee__work_email__iexact",
    MatchBy.EMPLOYEE_NUMBER: "employee__employee_number",
    MatchBy.DIRECTORY_ID: "employee__directory_id",
    MatchBy.USERNAME: "employee__user__username",
}


def webhook_queue(*, config: ConnectorConfig, payload: dict) -> int:
    """An accepted webhook event: re-sync the blocks it concerns. The event may
    name employees (``employees``: list of {email|employee_number|directory_id|
    username}); without one every open handover using the connector re-syncs."""
    statuses = BlockSync.objects.filter(
        connector=config, handover__state__in=Handover.OPEN_STATES
    )
    people = payload.get("employees")
    if people is not None:
        if not isinstance(people, list) or not all(isinstance(p, dict) for p in people):
            raise InvalidInput(
                fields={
                    "employees": [_('Send a list of objects, e.g. [{"email": …}].')]
                }
            )
        who = Q()
        for person in people:
            for key, lookup in WEBHOOK_MATCH_KEYS.items():
                value = person.get(key)
                if isinstance(value, str) and value.strip():
                    who |= Q(**{lookup: value.strip()})
        if not who:
            return 0
        handovers = Handover.objects.filter(who).values("pk")
        statuses = statuses.filter(handover__in=handovers)
    queued = 0
    with transaction.atomic():
        for status in statuses.only("pk", "handover_id", "block_id"):
            queued += _enqueue(status, "webhook")
    return queued
