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
from huey import RedisHuey

from connectors.models import BlockSync, SyncRun
from connectors.tasks import sync_block_task
from tests.connectors.helpers import connector_template, start_handover

pytestmark = [
    pytest.mark.django_db(transaction=True),
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


@pytest.fixture
def consumer():
    if not _redis_available():
        if os.environ.get("BATON_REQUIRE_SERVERS"):
            pytest.fail(f"Redis is not answering at {REDIS_URL}.")
        pytest.skip(f"Redis is not answering at {REDIS_URL}.")
    name = f"baton-test-{uuid.uuid4().hex[:8]}"
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}",
        "REDIS_URL": REDIS_URL,
        "HUEY_NAME": name,
        "HUEY_IMMEDIATE": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "2", "--quiet"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    queue = RedisHuey(name, url=REDIS_URL)
    # This process only queues: it needs the task's name, not its code.
    queue._registry.register(sync_block_task.task_class)
    try:
        yield queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
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
