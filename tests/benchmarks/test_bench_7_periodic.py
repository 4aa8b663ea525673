"""7. The periodic jobs over the open handovers: the daily tick of the due-soon /
overdue reminders (who gets a digest; their digest tasks written to the real
queue) and one tick of the connector re-sync scheduling, against a raw query
selecting the same due rows. Run on the company as seeded, and with every one
of its handovers open (a stress case, rolled back) to show that the query count
does not grow. Then the digest tasks' own work (7c): one task's batch of
people, and every batch one after another."""

from contextlib import contextmanager
from datetime import timedelta

from django.core import mail
from django.db import connection
from huey.contrib.djhuey import HUEY

from cms.models import Handover
from cms.notifications import (
    DUE_SOON_DAYS,
    due_reminder_recipients,
    due_reminders_send,
)
from cms.tasks import DIGESTS_PER_TASK, queue_due_reminders
from connectors.services import resync_due

from .harness import (
    Result,
    count_queries,
    record,
    repeat,
    rolled_back,
    timed,
    timed_in_rollback,
)

RAW_DUE_ITEMS = """
SELECT i.id, i.handover_id, i.label, i.due_date, i.state, i.filled_by_role,
       i.confirmed_by_role, i.assignee_id
FROM cms_item i JOIN cms_handover h ON h.id = i.handover_id
WHERE h.state = 'in_progress' AND i.due_date <= %s
  AND i.state NOT IN ('accepted', 'not_applicable')
ORDER BY i.due_date, i.handover_id, i.position
"""
RAW_DUE_SYNCS = """
SELECT b.id, b.handover_id, b.block_id FROM connectors_blocksync b
JOIN cms_handover h ON h.id = b.handover_id
JOIN connectors_connectorconfig c ON c.id = b.connector_id
WHERE c.enabled AND c.sync_interval_minutes > 0
  AND h.state IN ('draft', 'in_progress', 'in_review')
  AND b.state NOT IN ('queued', 'syncing')
  AND (b.retry_at IS NULL OR b.retry_at <= %s)
  AND (b.last_finished_at < %s - c.sync_interval_minutes * interval '1 minute'
       OR (b.last_finished_at IS NULL AND b.state = 'failed' AND b.retry_at IS NULL))
"""


def _all_open():
    Handover.objects.exclude(state=Handover.State.IN_PROGRESS).update(
        state=Handover.State.IN_PROGRESS
    )
    return True


def _raw(sql, *params):
    """The query alone, on the benchmark's own connection (so that it sees the
    stress case's uncommitted changes)."""

    def run(_state=None):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run


@contextmanager
def real_queue():
    """Tasks go to huey's configured storage (its SQLite file, or Redis) instead
    of running in the test process; whatever was queued is dropped after."""
    HUEY.immediate = False
    HUEY.flush()
    try:
        yield
    finally:
        HUEY.flush()
        HUEY.immediate = True


def _digests(today):
    """7c: what the digest tasks do, measured where the workers run them."""
    recipients = due_reminder_recipients(today=today)
    batches = [
        recipients[start : start + DIGESTS_PER_TASK]
        for start in range(0, len(recipients), DIGESTS_PER_TASK)
    ]

    def one_batch(_state=None):
        mail.outbox = []
        return due_reminders_send(today=today, user_ids=batches[0])

    def every_batch(_state=None):
        mail.outbox = []
        return sum(due_reminders_send(today=today, user_ids=batch) for batch in batches)

    sent = every_batch()
    record(
        Result(
            number="7c",
            name=f"Due digests, one task ({len(batches[0])} people)",
            subject=timed(one_batch, times=repeat(5), warmup=1),
            queries=count_queries(one_batch),
            target="(work of the queued tasks)",
            extra={
                "people": len(recipients),
                "tasks": len(batches),
                "emails": sent,
                "all tasks one after another ms": round(
                    timed(every_batch, times=repeat(3), warmup=0).median_ms
                ),
            },
        )
    )


def test_periodic_jobs(scale):
    with real_queue():
        _periodic_jobs(scale)
    _digests(scale.today)


def _periodic_jobs(scale):
    today, now = scale.today, scale.now
    horizon = today + timedelta(days=DUE_SOON_DAYS)
    open_now = Handover.objects.filter(state__in=Handover.OPEN_STATES).count()

    def reminders(_state=None):
        queued = queue_due_reminders(today=today)
        HUEY.flush()  # measured too: under a millisecond for a few tasks
        return queued

    def tick(_state=None):
        return resync_due(now=now)

    due_items = _raw(RAW_DUE_ITEMS, horizon)
    due_syncs = _raw(RAW_DUE_SYNCS, now, now)
    cases = (
        ("7a", "Due reminders tick", reminders, due_items, "raw query of due items"),
        ("7b", "Re-sync tick", tick, due_syncs, "raw query of the due blocks"),
    )
    for number, name, job, baseline, baseline_name in cases:
        seeded_queries = count_queries(job)
        stressed_queries = count_queries(job, setup=_all_open)
        subject = timed_in_rollback(job, times=repeat(5))
        stressed = timed_in_rollback(job, times=repeat(3), setup=_all_open)
        with rolled_back():
            count = len(baseline())
            sent = job()
            _all_open()
            count_all = len(baseline())
            with_all_open = job()
        result = record(
            Result(
                number=f"{number}",
                name=f"{name}, {open_now} open handovers (as seeded)",
                subject=subject,
                queries=seeded_queries,
                baseline_name=baseline_name,
                baseline=timed(baseline, times=repeat(5)),
                baseline_queries=1,
                target="≤ 1 s, queries constant",
                extra={"due_rows": count, "sent_or_queued": sent},
            )
        )
        result.met = subject.median_ms <= 1000 and seeded_queries == stressed_queries
        stress = record(
            Result(
                number=f"{number}+",
                name=f"{name}, all {scale.spec.handovers} handovers open",
                subject=stressed,
                queries=stressed_queries,
                baseline_name=baseline_name,
                baseline=timed_in_rollback(baseline, times=repeat(3), setup=_all_open),
                baseline_queries=1,
                target="≤ 1 s, queries constant",
                extra={"due_rows": count_all, "sent_or_queued": with_all_open},
            )
        )
        stress.met = stressed.median_ms <= 1000 and seeded_queries == stressed_queries
    # The rolled-back stress runs left dead row versions behind: clean them up
    # so that the next run plans and scans as this one did.
    with connection.cursor() as cursor:
        for table in ("cms_handover", "connectors_blocksync"):
            cursor.execute(f"VACUUM ANALYZE {table}")
