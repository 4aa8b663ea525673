"""A person's edit never aborts a sync: the leaver saves an item of the block
while it re-syncs, on another connection. The sync waits for the person's row
lock, then keeps the person's value and offers the upstream one beside it."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from cms import services
from cms.models import Item
from connectors.models import BlockSync, ConnectorConfig, SyncRun
from tests.connectors.helpers import connector_template, start_handover, sync

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("wagtail_roots_restored"),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="Row locks and a second connection need PostgreSQL; SQLite locks "
        "the whole database and the in-memory test database has one connection.",
    ),
]


def _deals():
    crm = ConnectorConfig.objects.get(slug="crm")
    return crm, crm.settings["records"]["sales@baton.example"]["deal"]


def _wait_until(condition, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _sync_is_waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_an_edit_during_a_resync_keeps_the_persons_value_and_the_run_succeeds(
    people,
):
    template = connector_template(
        "crm", "deal", mapping=[("customer", "company"), ("last_quote", "quote")]
    )
    handover = start_handover(people, template)
    item = Item.objects.get(handover=handover, data__external_id="D-1001")
    crm, rows = _deals()
    rows[0]["fields"]["quote"] = "CNY 999 from the CRM"
    crm.save()

    saved = threading.Event()
    release = threading.Event()
    failures = []

    def person():
        try:
            with transaction.atomic():
                services.item_update(
                    actor=people["sales"],
                    item=item.pk,
                    version=item.version,
                    data={"data": {**item.data["data"], "last_quote": "CNY 700 typed"}},
                )
                saved.set()
                # Hold the row lock while the sync reaches the same item.
                release.wait(30)
        except Exception as error:  # noqa: BLE001 — reported below
            failures.append(error)
            saved.set()
        finally:
            connections.close_all()

    results = []

    def resync():
        try:
            results.append(sync(handover))
        except Exception as error:  # noqa: BLE001 — reported below
            failures.append(error)
        finally:
            connections.close_all()

    editor = threading.Thread(target=person)
    editor.start()
    assert saved.wait(30)
    syncer = threading.Thread(target=resync)
    syncer.start()
    # The sync blocks on the item the person holds: then let the person commit.
    waited = _wait_until(_sync_is_waiting_on_a_lock)
    release.set()
    editor.join(30)
    syncer.join(60)

    assert waited
    assert failures == []
    run = results[0]
    assert run.state == SyncRun.State.OK
    item.refresh_from_db()
    assert item.data["data"]["last_quote"] == "CNY 700 typed"
    assert item.provenance["upstream"]["last_quote"]["value"] == "CNY 999 from the CRM"
    assert list(item.versions.order_by("number").values_list("number", "action")) == [
        (1, "sync.created"),
        (2, "update"),
    ]
    status = BlockSync.objects.get(handover=handover, block_id=run.block_id)
    assert (status.state, status.error) == (BlockSync.State.OK, "")
    assert run.conflicts == 1
