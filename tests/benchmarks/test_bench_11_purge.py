"""11. The nightly purge over the scale company: the item list of a 500-item
handover (as benchmark 1, through the API) while a purge run erases the
finished handovers in batches of 500 in another connection, against the same
list with nothing else running.

The purge runs five years after the seed's day, so every finished handover is
due in every class; it is limited to the first ``BENCH_PURGE_HANDOVERS``
finished handovers (1,000 by default: two batches per class, 16 in all) so the
benchmark takes minutes, not an hour. Everything it writes is rolled back: the
run's batches are savepoints inside one transaction here, not transactions of
their own, so locks are held longer than in a real night (readers do not wait
for them in PostgreSQL either way) and the per-batch commits are not
measured. Nothing is asserted on time: the row reports the ratio of the p95."""

import os
import threading
import time

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.db.models import Subquery
from django.test import Client
from django.utils import timezone

from cms.models import Handover, Participant
from cms.services.retention import due as due_module
from cms.services.retention import retention_run
from cms.services.retention import run as run_module

from .harness import Result, Stats, record, repeat, timed

API = "/api/v1"
PAGE_SIZE = 500
HANDOVERS = int(os.environ.get("BENCH_PURGE_HANDOVERS", "1000"))
BATCH_SIZE = 500


class _Rollback(Exception):
    pass


def _purge_in_background(now, outcome: dict) -> threading.Thread:
    first = Subquery(
        due_module.finished_and_not_held().order_by("pk").values("pk")[:HANDOVERS]
    )
    listed = run_module.due_queryset

    def limited(policy, *, today):
        return listed(policy, today=today).filter(pk__in=first)

    def work():
        started = time.perf_counter()
        try:
            with transaction.atomic():
                run = retention_run(dry_run=False, batch_size=BATCH_SIZE, now=now)
                outcome["counts"] = run.counts
                outcome["errors"] = run.errors
                raise _Rollback
        except _Rollback:
            pass
        finally:
            outcome["seconds"] = time.perf_counter() - started
            connection.close()

    run_module.due_queryset = limited
    thread = threading.Thread(target=work, name="purge")
    thread.start()
    outcome["restore"] = lambda: setattr(run_module, "due_queryset", listed)
    return thread


def test_item_list_during_a_purge_run(scale, token_for):
    handover = Handover.objects.get(template__slug=scale.template_slugs["items-500"])
    successor = (
        Participant.objects.filter(handover=handover, role="successor")
        .select_related("user")
        .first()
        .user
    )
    client = Client(HTTP_AUTHORIZATION=f"Token {token_for(successor)}")
    url = f"{API}/handovers/{handover.pk}/items/?page_size={PAGE_SIZE}"

    def item_list():
        response = client.get(url)
        assert response.status_code == 200

    idle = timed(item_list, times=repeat(40))

    outcome = {}
    now = timezone.now() + relativedelta(years=5)
    thread = _purge_in_background(now, outcome)
    seconds = []
    try:
        while thread.is_alive():
            started = time.perf_counter()
            item_list()
            seconds.append(time.perf_counter() - started)
        thread.join()
    finally:
        outcome["restore"]()
    during = Stats.of(seconds) if seconds else None

    counts = outcome.get("counts", {})
    batches = sum(summary.get("batches", 0) for summary in counts.values())
    rows = sum(summary.get("rows", 0) for summary in counts.values())
    purged = max(
        (summary.get("handovers", 0) for summary in counts.values()), default=0
    )
    result = record(
        Result(
            number="11",
            name=(
                f"Item list, 500 items, during a purge run "
                f"({purged:,} handovers, {batches} batches)"
            ),
            subject=during,
            queries=None,
            baseline_name="same list, idle",
            baseline=idle,
            target="p95 ≤ 2x idle p95",
            extra={
                "purge_seconds": round(outcome.get("seconds", 0), 1),
                "purge_rows": rows,
                "purge_errors": len(outcome.get("errors", [])),
                "requests_during": len(seconds),
            },
        )
    )
    if during is not None:
        result.met = during.p95_ms <= 2 * idle.p95_ms
