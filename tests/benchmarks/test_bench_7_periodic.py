"""7. The periodic jobs over the open handovers: the daily due-soon / overdue
reminders (digests rendered, sent to the test mail outbox) and one tick of the
connector re-sync scheduling, against a raw query selecting the same due rows.
Run on the company as seeded, and with every one of its handovers open (a
stress case, rolled back) to show that the query count does not grow."""

from datetime import timedelta

from django.core import mail
from django.db import connection

from cms.models import Handover
from cms.notifications import DUE_SOON_DAYS, due_reminders_send
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


def test_periodic_jobs(scale):
    today, now = scale.today, scale.now
    horizon = today + timedelta(days=DUE_SOON_DAYS)
    open_now = Handover.objects.filter(state__in=Handover.OPEN_STATES).count()

    def reminders(_state=None):
        mail.outbox = []
        sent = due_reminders_send(today=today)
        return sent

    def tick(_state=None):
        return resync_due(now=now)

    due_items = _raw(RAW_DUE_ITEMS, horizon)
    due_syncs = _raw(RAW_DUE_SYNCS, now, now)
    cases = (
        ("7a", "Due reminders", reminders, due_items, "raw query of the due items"),
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
