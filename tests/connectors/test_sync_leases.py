"""Sync runs are leases: a run whose worker died is found by the minute tick,
shown as interrupted with the reason and retried with the usual backoff; a live
run is left alone and a second run waits for it."""

import os
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms.models import Employee
from connectors import tasks
from connectors.models import BlockSync, SyncRun
from connectors.services import resync_due
from connectors.sync import BlockBusy, block_sync_for, connector_blocks
from connectors.sync.runs import run_claim
from tests.connectors.helpers import (
    connector_template,
    crm_block,
    start_handover,
    sync,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduled(monkeypatch):
    sent = []
    monkeypatch.setattr(
        tasks.sync_block_task,
        "schedule",
        lambda args, delay: sent.append((args, delay)),
    )
    return sent


def _strand(handover, *, attempt=0):
    """The block as a killed worker leaves it: syncing, its run running."""
    block = next(block for block in connector_blocks(handover) if block.slug == "crm")
    status = block_sync_for(handover, block)
    run, _resumed = run_claim(
        status=status, handover=handover, block=block, trigger="periodic"
    )
    BlockSync.objects.filter(pk=status.pk).update(attempt=attempt)
    return status, run


def _tick(now, capture):
    with capture(execute=True):
        return resync_due(now=now)


def test_a_run_records_its_worker_and_lease(started, settings):
    settings.BATON_SYNC_LEASE_SECONDS = 90
    status, run = _strand(started)

    status.refresh_from_db()
    assert run.worker.endswith(f":{os.getpid()}")
    assert run.heartbeat_at is not None
    assert status.state == BlockSync.State.SYNCING
    assert status.run == run
    assert status.lease_expires_at == run.started_at + timedelta(seconds=90)


def test_the_tick_interrupts_a_run_whose_lease_passed_and_retries_it(
    started, settings, scheduled, django_capture_on_commit_callbacks
):
    settings.BATON_SYNC_RETRY_BASE_SECONDS = 30
    status, run = _strand(started, attempt=1)
    later = timezone.now() + timedelta(seconds=settings.BATON_SYNC_LEASE_SECONDS + 1)

    _tick(later, django_capture_on_commit_callbacks)

    run.refresh_from_db()
    status.refresh_from_db()
    assert run.state == SyncRun.State.INTERRUPTED
    assert run.finished_at == later
    assert run.errors[-1]["message"].startswith(
        "The worker stopped during the run (no heartbeat since "
    )
    assert status.state == BlockSync.State.FAILED
    assert status.error == run.errors[-1]["message"]
    assert status.retry_at == later + timedelta(seconds=60)
    assert status.lease_expires_at is None
    assert scheduled == [
        ((started.pk, status.block_id, "retry", 2, status.generation), 60)
    ]


def test_a_live_run_is_left_alone(
    started, scheduled, django_capture_on_commit_callbacks
):
    status, run = _strand(started)

    _tick(timezone.now(), django_capture_on_commit_callbacks)

    run.refresh_from_db()
    status.refresh_from_db()
    assert run.state == SyncRun.State.RUNNING
    assert status.state == BlockSync.State.SYNCING
    assert scheduled == []


def test_a_second_run_waits_for_the_live_one(started):
    _strand(started)

    with pytest.raises(BlockBusy):
        sync(started)


def test_a_new_run_takes_over_a_dead_runs_block_and_says_so(started, settings):
    _status, dead = _strand(started)
    BlockSync.objects.filter(pk=_status.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )

    run = sync(started)

    dead.refresh_from_db()
    assert dead.state == SyncRun.State.INTERRUPTED
    assert run.state == SyncRun.State.OK
    assert crm_block(started).state == BlockSync.State.OK


def test_no_retry_after_the_last_attempt(
    started, settings, scheduled, django_capture_on_commit_callbacks
):
    status, _run = _strand(started, attempt=settings.BATON_SYNC_MAX_RETRIES)
    later = timezone.now() + timedelta(seconds=settings.BATON_SYNC_LEASE_SECONDS + 1)

    _tick(later, django_capture_on_commit_callbacks)

    status.refresh_from_db()
    assert (status.state, status.retry_at) == (BlockSync.State.FAILED, None)
    assert scheduled == []


def test_a_lost_queued_task_is_sent_again(
    started, settings, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        tasks, "sync_block_task", lambda *args: sent.append(args), raising=True
    )
    status = crm_block(started)
    long_ago = timezone.now() - timedelta(
        seconds=settings.BATON_SYNC_QUEUED_STALE_SECONDS + 60
    )
    BlockSync.objects.filter(pk=status.pk).update(
        state=BlockSync.State.QUEUED, queued_at=long_ago
    )

    _tick(timezone.now(), django_capture_on_commit_callbacks)

    assert sent == [(started.pk, status.block_id, "periodic", 0, status.generation)]
    status.refresh_from_db()
    assert status.queued_at > long_ago


def _handovers(count, people, user_factory):
    template = connector_template("crm", "deal")
    handovers = []
    for number in range(count):
        username = f"stranded-{number}"
        user = user_factory(username=username)
        Employee.objects.create(
            employee_number=f"S{number:03d}", name=f"Leaver {number}", user=user
        )
        handovers.append(start_handover({**people, username: user}, template, username))
    return handovers


def test_the_tick_costs_the_same_queries_for_1_and_3_stranded_runs(
    people, user_factory, settings, scheduled, django_capture_on_commit_callbacks
):
    handovers = _handovers(3, people, user_factory)
    later = timezone.now() + timedelta(seconds=settings.BATON_SYNC_LEASE_SECONDS + 1)

    _strand(handovers[0])
    with CaptureQueriesContext(connection) as one:
        _tick(later, django_capture_on_commit_callbacks)
    for handover in handovers:
        _strand(handover)
    with CaptureQueriesContext(connection) as three:
        _tick(later + timedelta(seconds=1), django_capture_on_commit_callbacks)

    assert len(scheduled) == 4
    assert len(one) == len(three)
    assert set(
        SyncRun.objects.filter(handover__in=handovers).values_list("state", flat=True)
    ) == {SyncRun.State.INTERRUPTED}
