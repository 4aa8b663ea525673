"""The LDAP connector through the whole background path against a real slapd:
start fills the block, an outage is retried without losing anything, and the
next run after the server is back completes."""

import pytest

from cms.models import Item
from connectors import tasks
from connectors.models import BlockSync, ConnectorConfig, SyncRun
from tests.connectors.helpers import connector_template, start_handover

pytestmark = [pytest.mark.django_db, pytest.mark.ldap]


@pytest.fixture
def directory(running_slapd, people):
    config = ConnectorConfig(
        type="ldap",
        name="Company directory",
        slug="directory",
        settings={
            key: value
            for key, value in running_slapd.settings(timeout=2).items()
            if key != "match_by"
        },
    )
    config.set_secrets(running_slapd.secrets())
    config.save()
    return config


def groups(handover):
    return sorted(
        Item.objects.filter(handover=handover, kind="connector_list").values_list(
            "label", flat=True
        )
    )


def test_groups_fill_the_block_and_survive_an_outage(
    directory, running_slapd, people, django_capture_on_commit_callbacks, monkeypatch
):
    template = connector_template("directory", "group")
    with django_capture_on_commit_callbacks(execute=True):
        handover = start_handover(people, template)

    filled = groups(handover)
    assert "crm-admins" in filled and "sales-team" in filled
    item = Item.objects.get(handover=handover, label="crm-admins")
    assert item.data["data"]["role_permission"] == "crm-admins"
    status = BlockSync.objects.get(handover=handover)
    assert status.state == BlockSync.State.OK

    # The directory goes down: the run fails, a retry is scheduled, nothing is lost.
    scheduled = []
    monkeypatch.setattr(
        tasks.sync_block_task,
        "schedule",
        lambda args, delay: scheduled.append((args, delay)),
    )
    running_slapd.stop()
    tasks.sync_block_task.call_local(handover.pk, status.block_id, "periodic", 0)

    status.refresh_from_db()
    assert status.state == BlockSync.State.FAILED
    assert status.retry_at is not None
    assert status.error.startswith("Could not connect to the directory server at ")
    assert [args[2:4] for args, _delay in scheduled] == [("retry", 1)]
    assert groups(handover) == filled

    # It comes back: the retry completes and creates nothing twice.
    running_slapd.start()
    tasks.sync_block_task.call_local(*scheduled[0][0])

    status.refresh_from_db()
    assert status.state == BlockSync.State.OK
    assert groups(handover) == filled
    last = SyncRun.objects.filter(handover=handover).first()
    # The seed's group without a cn is skipped and reported, the rest imported.
    assert (last.trigger, last.state, last.created, last.skipped) == (
        "retry",
        "partial",
        0,
        1,
    )


def test_wrong_password_is_reported_on_the_block_and_not_retried(
    directory, people, django_capture_on_commit_callbacks, monkeypatch
):
    directory.set_secrets({"bind_password": "wrong-password"})
    directory.save()
    scheduled = []
    monkeypatch.setattr(
        tasks.sync_block_task, "schedule", lambda args, delay: scheduled.append(args)
    )
    template = connector_template("directory", "account")
    with django_capture_on_commit_callbacks(execute=True):
        handover = start_handover(people, template)

    status = BlockSync.objects.get(handover=handover)
    assert status.state == BlockSync.State.FAILED
    assert status.error == "The directory refused the bind DN or password."
    assert "wrong-password" not in status.error
    assert status.retry_at is None
    assert scheduled == []
