"""The background fill through a real huey consumer on Redis: the task is
queued in Redis by this process and run by `manage.py run_huey` in another."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from huey import RedisHuey

from connectors import tasks
from connectors.models import BlockSync, ConnectorConfig, SyncedRecord, SyncRun
from connectors.services import resync_due
from connectors.tasks import sync_block_task
from tests.connectors.helpers import connector_template, start_handover
from tests.connectors.servers import stop_process

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("wagtail_roots_restored"),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="The consumer is another process: an in-memory SQLite test "
        "database is out of its reach.",
    ),
]

REDIS_URL = "redis://127.0.0.1:6379/15"
ROOT = Path(__file__).resolve().parents[2]


def _redis_available() -> bool:
    import redis

    try:
        return redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError:
        return False


def _start_consumer(name, **extra_env):
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}",
        "REDIS_URL": REDIS_URL,
        "HUEY_NAME": name,
        "HUEY_IMMEDIATE": "0",
        **extra_env,
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "2", "--quiet"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _require_redis():
    if not _redis_available():
        if os.environ.get("BATON_REQUIRE_SERVERS"):
            pytest.fail(f"Redis is not answering at {REDIS_URL}.")
        pytest.skip(f"Redis is not answering at {REDIS_URL}.")


@pytest.fixture
def consumer():
    _require_redis()
    name = f"baton-test-{uuid.uuid4().hex[:8]}"
    process = _start_consumer(name)
    queue = RedisHuey(name, url=REDIS_URL)
    # This process only queues: it needs the task's name, not its code.
    queue._registry.register(sync_block_task.task_class)
    try:
        yield queue
    finally:
        stop_process(process)
        queue.flush()


@pytest.fixture
def no_fill_on_start():
    """This process runs tasks in-process: keep it from filling the block
    itself when the handover starts, so only the consumer does."""
    from cms.signals import handover_started

    handover_started.disconnect(dispatch_uid="connectors-handover-fill")
    yield
    from connectors.services import handover_started_receiver

    handover_started.connect(
        handover_started_receiver, dispatch_uid="connectors-handover-fill"
    )


def test_a_real_consumer_fills_the_block_from_redis(consumer, people, no_fill_on_start):
    template = connector_template(
        "crm",
        "deal",
        mapping=[("customer", "company"), ("last_quote", "quote")],
    )
    handover = start_handover(people, template)
    status = BlockSync.objects.get_or_create(
        handover=handover,
        block_id=handover.template_revision.as_object().body[0].value["items"][0].id,
        defaults={"connector_slug": "crm", "state": BlockSync.State.QUEUED},
    )[0]
    BlockSync.objects.filter(pk=status.pk).update(state=BlockSync.State.QUEUED)

    consumer.enqueue(sync_block_task.s(handover.pk, status.block_id, "start", 0, None))

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status.refresh_from_db()
        if status.state in (BlockSync.State.OK, BlockSync.State.FAILED):
            break
        time.sleep(0.2)
    assert status.state == BlockSync.State.OK, status.error
    run = SyncRun.objects.get(handover=handover)
    assert (run.trigger, run.created) == ("start", 2)
    assert sorted(
        handover.items.filter(kind="connector_list").values_list(
            "data__data__customer", flat=True
        )
    ) == ["Huaxin Logistics", "Minghe Foods"]


def _wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_a_consumer_killed_mid_run_is_interrupted_retried_and_resumed(
    people, no_fill_on_start, monkeypatch
):
    """kill -9 of the consumer while a block fills 10,000 records: the tick
    finds the run by its lapsed lease, the sync log says interrupted, the retry
    on a restarted consumer resumes and every record exists exactly once."""
    _require_redis()
    crm = ConnectorConfig.objects.get(slug="crm")
    crm.settings["records"]["sales@baton.example"]["deal"] = [
        {
            "id": f"D-{number:05d}",
            "title": f"Deal {number}",
            "fields": {"company": f"Company {number}", "quote": "CNY 1"},
        }
        for number in range(10_000)
    ]
    crm.save()
    template = connector_template(
        "crm", "deal", mapping=[("customer", "company"), ("last_quote", "quote")]
    )
    handover = start_handover(people, template)
    block_id = handover.template_revision.as_object().body[0].value["items"][0].id
    status = BlockSync.objects.get_or_create(
        handover=handover,
        block_id=block_id,
        defaults={"connector_slug": "crm", "state": BlockSync.State.QUEUED},
    )[0]
    name = f"baton-test-{uuid.uuid4().hex[:8]}"
    queue = RedisHuey(name, url=REDIS_URL)
    queue._registry.register(sync_block_task.task_class)
    # A short lease, so the test waits seconds, not minutes, for the tick.
    short = {"BATON_SYNC_LEASE_SECONDS": "2", "BATON_SYNC_BATCH_SIZE": "250"}
    first = _start_consumer(name, **short)
    second = None
    try:
        queue.enqueue(sync_block_task.s(handover.pk, block_id, "start", 0, None))

        def mid_run():
            status.refresh_from_db()
            return 0 < status.progress_done < status.progress_total

        assert _wait_for(mid_run, 90), (status.state, status.error)
        stop_process(first, kill=True)
        status.refresh_from_db()
        applied_before = status.progress_done
        assert status.state == BlockSync.State.SYNCING

        # Nothing beats any more: the lease lapses, the tick interrupts the run.
        assert _wait_for(
            lambda: BlockSync.objects.filter(
                pk=status.pk, lease_expires_at__lt=timezone.now()
            ).exists(),
            10,
        )
        monkeypatch.setattr(
            tasks.sync_block_task,
            "schedule",
            # The retry goes to the consumer's queue (the tick runs here).
            lambda args, delay: queue.enqueue(sync_block_task.s(*args)),
        )
        resync_due()
        status.refresh_from_db()
        assert status.state == BlockSync.State.FAILED
        assert status.error.startswith("The worker stopped during the run")

        second = _start_consumer(name, **short)
        assert _wait_for(
            lambda: BlockSync.objects.filter(
                pk=status.pk, state=BlockSync.State.OK
            ).exists(),
            90,
        )
    finally:
        stop_process(first, kill=True)
        stop_process(second)
        queue.flush()

    runs = list(SyncRun.objects.filter(handover=handover).order_by("started_at"))
    assert [run.state for run in runs] == [
        SyncRun.State.INTERRUPTED,
        SyncRun.State.OK,
    ]
    interrupted, resumed = runs
    assert resumed.resumed_from == interrupted
    assert resumed.trigger == "retry"
    assert interrupted.created + resumed.created == 10_000
    assert resumed.created <= 10_000 - applied_before
    records = SyncedRecord.objects.filter(handover=handover)
    assert records.count() == 10_000
    assert records.values("external_id").distinct().count() == 10_000
    assert handover.items.filter(kind="connector_list").count() == 10_000
