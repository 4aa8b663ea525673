"""The sync engine through the built-in sample connector: background fill at
start, idempotent upserts, provenance, resolved upstream, retries, status."""

import pytest
from django.db import connection

from cms import services
from cms.models import Item, ItemVersion
from connectors.models import BlockSync, ConnectorConfig, SyncedRecord, SyncRun
from connectors.sdk.base import ConnectorError
from tests.connectors.helpers import crm_block, deals, set_deals, sync

pytestmark = pytest.mark.django_db


def test_starting_a_handover_fills_its_connector_block_in_the_background(started):
    items = deals(started)

    assert [item.label for item in items] == [
        "Huaxin Logistics — fleet tracking renewal",
        "Minghe Foods — warehouse sensors pilot",
    ]
    assert items[0].data["data"]["customer"] == "Huaxin Logistics"
    assert items[0].data["data"]["contact_person"] == {
        "name": "Zhou Lan",
        "phone": "+86 21 5555 0101",
    }
    assert items[0].assignee.username == "successor"
    assert items[0].due_date.isoformat() == "2026-12-26"
    status = crm_block(started)
    assert status.state == BlockSync.State.OK
    assert status.last_success_at is not None
    run = SyncRun.objects.get(handover=started, connector__slug="crm")
    assert (run.trigger, run.state, run.seen, run.created) == ("start", "ok", 2, 2)


def test_running_twice_creates_no_duplicates(started):
    run = sync(started)

    assert len(deals(started)) == 2
    assert (
        SyncedRecord.objects.filter(handover=started, connector__slug="crm").count()
        == 2
    )
    assert (run.created, run.updated, run.resolved) == (0, 0, 0)


def test_upstream_changes_update_untouched_fields(started):
    rows = ConnectorConfig.objects.get(slug="crm").settings["records"][
        "sales@baton.example"
    ]["deal"]
    rows[0]["fields"]["quote"] = "CNY 450,000 / year, revised 2026-11-20"
    set_deals(rows)

    run = sync(started)

    item = deals(started)[0]
    assert run.updated == 1
    assert item.data["data"]["last_quote"] == "CNY 450,000 / year, revised 2026-11-20"
    version = item.versions.order_by("-number").first()
    assert version.action == "sync.updated"
    assert version.changes["data.last_quote"][0] == (
        "CNY 480,000 / year, sent 2026-10-12"
    )


def test_a_value_a_person_typed_is_never_overwritten(started, people):
    item = deals(started)[0]
    typed = {**item.data["data"], "last_quote": "CNY 430,000 agreed by phone"}
    services.item_update(
        actor=people["sales"], item=item, version=item.version, data={"data": typed}
    )
    rows = ConnectorConfig.objects.get(slug="crm").settings["records"][
        "sales@baton.example"
    ]["deal"]
    rows[0]["fields"]["quote"] = "CNY 450,000 in the CRM"
    set_deals(rows)

    run = sync(started)

    item.refresh_from_db()
    assert item.data["data"]["last_quote"] == "CNY 430,000 agreed by phone"
    assert item.provenance["upstream"]["last_quote"]["value"] == (
        "CNY 450,000 in the CRM"
    )
    assert run.conflicts == 1

    # The person takes the upstream value.
    services.item_take_upstream(
        actor=people["sales"], item=item, version=item.version, field="last_quote"
    )
    item.refresh_from_db()
    assert item.data["data"]["last_quote"] == "CNY 450,000 in the CRM"
    assert "upstream" not in item.provenance


def test_an_ignored_upstream_value_stays_away_until_it_changes(started, people):
    item = deals(started)[0]
    typed = {**item.data["data"], "last_quote": "typed"}
    services.item_update(
        actor=people["sales"], item=item, version=item.version, data={"data": typed}
    )
    rows = ConnectorConfig.objects.get(slug="crm").settings["records"][
        "sales@baton.example"
    ]["deal"]
    rows[0]["fields"]["quote"] = "from the CRM"
    set_deals(rows)
    sync(started)
    item.refresh_from_db()

    services.item_ignore_upstream(
        actor=people["sales"], item=item, version=item.version, field="last_quote"
    )
    sync(started)
    item.refresh_from_db()
    assert item.data["data"]["last_quote"] == "typed"
    assert "upstream" not in item.provenance

    rows[0]["fields"]["quote"] = "changed again in the CRM"
    set_deals(rows)
    sync(started)
    item.refresh_from_db()
    assert item.provenance["upstream"]["last_quote"]["value"] == (
        "changed again in the CRM"
    )


def test_a_submitted_item_is_not_changed_under_its_submission(started, people):
    item = deals(started)[0]
    services.item_submit(actor=people["sales"], item=item, version=item.version)
    rows = ConnectorConfig.objects.get(slug="crm").settings["records"][
        "sales@baton.example"
    ]["deal"]
    rows[0]["fields"]["notes"] = "Changed in the CRM after submission."
    set_deals(rows)

    sync(started)

    item.refresh_from_db()
    assert item.state == Item.State.SUBMITTED
    assert item.data["data"]["relationship_notes"].startswith("Renewal due")
    assert item.provenance["upstream"]["relationship_notes"]["value"] == (
        "Changed in the CRM after submission."
    )


def test_a_record_gone_upstream_is_resolved_not_deleted(started):
    rows = ConnectorConfig.objects.get(slug="crm").settings["records"][
        "sales@baton.example"
    ]["deal"]
    set_deals(rows[1:])

    run = sync(started)

    gone = deals(started)[0]
    assert run.resolved == 1
    assert gone.state == Item.State.NOT_APPLICABLE
    assert gone.not_applicable_reason == "Resolved upstream in CRM (sample)."
    assert gone.provenance["resolved_upstream"]["previous_state"] == "pending"

    set_deals(rows)
    sync(started)
    gone.refresh_from_db()
    assert gone.state == Item.State.PENDING
    assert "resolved_upstream" not in gone.provenance
    assert len(deals(started)) == 2


def test_malformed_records_are_skipped_and_reported_the_rest_imported(started):
    rows = ConnectorConfig.objects.get(slug="crm").settings["records"][
        "sales@baton.example"
    ]["deal"]
    rows.append({"title": "No id at all", "fields": {"company": "Nobody"}})
    rows.append(
        {"id": "D-BAD", "title": "Wrong shape", "fields": {"company": {"a": 1}}}
    )
    rows.append({"id": "D-1003", "title": "Good one", "fields": {"company": "Acme"}})
    set_deals(rows)

    run = sync(started)

    assert run.state == SyncRun.State.PARTIAL
    assert (run.created, run.skipped) == (1, 2)
    messages = {error["external_id"]: error["message"] for error in run.errors}
    assert messages[""] == "The record has no id."
    assert "customer" in messages["D-BAD"]
    assert [item.label for item in deals(started)][-1] == "Good one"


class Outage(Exception):
    pass


def test_an_upstream_failure_is_retried_with_backoff_and_loses_nothing(
    started, monkeypatch, settings
):
    settings.BATON_SYNC_RETRY_BASE_SECONDS = 30
    from connectors.types.sample import SampleConnector

    def down(self, **kwargs):
        raise ConnectorError("The CRM did not answer.", request_id="req-42")

    monkeypatch.setattr(SampleConnector, "discover", down)
    scheduled = []
    from connectors import tasks

    monkeypatch.setattr(
        tasks.sync_block_task,
        "schedule",
        lambda args, delay: scheduled.append((args, delay)),
    )
    status = crm_block(started)

    tasks.sync_block_task.call_local(started.pk, status.block_id, "periodic", 2)

    status.refresh_from_db()
    assert status.state == BlockSync.State.FAILED
    assert status.error == "The CRM did not answer."
    assert status.request_id == "req-42"
    assert status.retry_at is not None
    assert scheduled == [((started.pk, status.block_id, "retry", 3, None), 120)]
    assert len(deals(started)) == 2
    run = SyncRun.objects.filter(handover=started).first()
    assert run.state == SyncRun.State.FAILED
    assert run.errors[-1] == {
        "message": "The CRM did not answer.",
        "request_id": "req-42",
    }


def test_wrong_configuration_is_not_retried(started, monkeypatch):
    from connectors.sdk.base import MisconfiguredError
    from connectors.types.sample import SampleConnector

    def refused(self, **kwargs):
        raise MisconfiguredError("The CRM refused the token.")

    monkeypatch.setattr(SampleConnector, "discover", refused)

    run = sync(started)

    status = crm_block(started)
    assert run.state == SyncRun.State.FAILED
    assert (status.state, status.retry_at) == (BlockSync.State.FAILED, None)
    assert status.error == "The CRM refused the token."


def test_secrets_are_encrypted_at_rest(db):
    crm = ConnectorConfig.objects.create(type="sample", name="CRM", slug="crm2")
    crm.set_secrets({"webhook_secret": "s3cret-value-123"})
    crm.save()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secrets_ciphertext, CAST(settings AS text)"
            " FROM connectors_connectorconfig WHERE id = %s",
            [crm.pk],
        )
        stored = " ".join(cursor.fetchone())
    assert "s3cret-value-123" not in stored
    assert ConnectorConfig.objects.get(pk=crm.pk).get_secrets() == {
        "webhook_secret": "s3cret-value-123"
    }


def test_key_rotation_keeps_secrets_readable(db, settings):
    from cryptography.fernet import Fernet

    from connectors.crypto import rotate_token

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.BATON_SECRETS_KEYS = old
    crm = ConnectorConfig.objects.create(type="sample", name="CRM", slug="crm3")
    crm.set_secrets({"token": "abc"})
    crm.save()

    settings.BATON_SECRETS_KEYS = f"{new},{old}"
    rotated = rotate_token(crm.secrets_ciphertext)
    settings.BATON_SECRETS_KEYS = new

    assert Fernet(new.encode()).decrypt(rotated.encode())
    crm.secrets_ciphertext = rotated
    assert crm.get_secrets() == {"token": "abc"}


def test_every_sync_change_is_versioned_and_audited(started):
    versions = ItemVersion.objects.filter(item__in=deals(started))

    assert sorted(versions.values_list("action", flat=True)) == [
        "sync.created",
        "sync.created",
    ]
    event = started.audit_events.get(
        action="connector.synced", details__connector="crm"
    )
    assert event.details["created"] == 2
