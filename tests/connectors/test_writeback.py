"""Write-backs: previewed before acceptance, run after it, audited with the
upstream answer, verified by reading back; failures wait in IT's queue."""

import pytest
from django.urls import reverse

from cms import services
from connectors import tasks, writeback
from connectors.models import ConnectorConfig, Transfer
from connectors.sdk.base import ConnectorError, TransferPending
from connectors.types.sample import SampleConnector
from tests.connectors.helpers import admin_user, deals
from tests.fixtures.handovers import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def transferring(started):
    ConnectorConfig.objects.filter(slug="crm").update(transfer_on_accept=True)
    return started


def crm_records():
    return ConnectorConfig.objects.get(slug="crm").settings["records"]


def submit(item, people):
    return services.item_submit(actor=people["sales"], item=item, version=item.version)


def accept(item, people, capture):
    with capture(execute=True):
        return services.item_accept(
            actor=people["successor"],
            item=item,
            version=item.version,
            password=PASSWORD,
        )


def page(client, handover):
    url = reverse("participant:detail", args=[handover.pk])
    return client.get(url).content.decode()


def test_the_successor_sees_what_accepting_will_change(client, people, transferring):
    assert client.login(username="successor", password=PASSWORD)

    html = page(client, transferring)

    assert "On acceptance:" in html
    assert (
        "Move deal “Huaxin Logistics — fleet tracking renewal” (D-1001) from "
        "sales@baton.example to successor@baton.example in the sample records."
    ) in html


def test_accepting_transfers_the_record_and_verifies_it(
    people, transferring, django_capture_on_commit_callbacks, client
):
    item = submit(deals(transferring)[0], people)
    assert not Transfer.objects.exists()  # submitting changes nothing upstream

    accept(item, people, django_capture_on_commit_callbacks)

    transfer = Transfer.objects.get(item=item)
    assert transfer.state == Transfer.State.DONE
    assert transfer.response == {"moved": "D-1001", "to": "successor@baton.example"}
    records = crm_records()
    assert [row["id"] for row in records["successor@baton.example"]["deal"]] == [
        "D-1001"
    ]
    assert [row["id"] for row in records["sales@baton.example"]["deal"]] == ["D-1002"]
    item.refresh_from_db()
    assert item.provenance["transfer"]["state"] == "done"
    event = transferring.audit_events.get(action="connector.transferred")
    assert event.details["verified"] is True
    assert event.details["response"]["moved"] == "D-1001"
    assert event.details["approved_by"] == people["successor"].pk
    assert client.login(username="sales", password=PASSWORD)
    assert "Transferred upstream:" in page(client, transferring)


def test_nothing_is_written_back_when_the_connector_does_not_ask_for_it(
    people, started, django_capture_on_commit_callbacks
):
    ConnectorConfig.objects.filter(slug="crm").update(transfer_on_accept=False)
    item = submit(deals(started)[0], people)

    accept(item, people, django_capture_on_commit_callbacks)

    assert not Transfer.objects.exists()
    assert [row["id"] for row in crm_records()["sales@baton.example"]["deal"]] == [
        "D-1001",
        "D-1002",
    ]


def test_a_failed_read_back_never_marks_the_item_transferred(
    people, transferring, django_capture_on_commit_callbacks, monkeypatch, client
):
    monkeypatch.setattr(SampleConnector, "verify_transfer", lambda self, **kw: False)
    item = submit(deals(transferring)[0], people)

    accept(item, people, django_capture_on_commit_callbacks)

    transfer = Transfer.objects.get(item=item)
    assert transfer.state == Transfer.State.FAILED
    assert "reading the record back still shows another owner" in transfer.error
    item.refresh_from_db()
    assert "transfer" not in item.provenance
    event = transferring.audit_events.get(action="connector.transfer_failed")
    assert event.details["verified"] is False

    # It waits in IT's queue, and runs again once the cause is fixed.
    assert client.login(username="it", password=PASSWORD)
    queue = client.get(reverse("write_backs:index") + "?state=failed")
    assert transfer.preview in queue.content.decode()
    monkeypatch.undo()
    retry_url = reverse("connectors_transfer_retry", args=[transfer.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url, follow=True)
    assert "Queued: the write-back runs again." in response.content.decode()
    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.DONE
    assert transfer.attempts == 2


def test_an_outage_is_retried_later(
    people, transferring, django_capture_on_commit_callbacks, monkeypatch
):
    def down(self, **kwargs):
        raise ConnectorError("The CRM did not answer.", request_id="r-9")

    monkeypatch.setattr(SampleConnector, "transfer", down)
    scheduled = []
    monkeypatch.setattr(
        tasks.transfer_task,
        "schedule",
        lambda args, delay: scheduled.append((args, delay)),
    )
    item = submit(deals(transferring)[0], people)

    accept(item, people, django_capture_on_commit_callbacks)

    transfer = Transfer.objects.get(item=item)
    assert transfer.state == Transfer.State.QUEUED
    assert (transfer.error, transfer.request_id) == ("The CRM did not answer.", "r-9")
    assert transfer.retry_at is not None
    assert scheduled == [((transfer.pk,), 30)]


def test_only_it_and_hr_see_the_queue_and_run_it_again(
    people, transferring, django_capture_on_commit_callbacks, monkeypatch, client
):
    monkeypatch.setattr(SampleConnector, "verify_transfer", lambda self, **kw: False)
    item = submit(deals(transferring)[0], people)
    accept(item, people, django_capture_on_commit_callbacks)
    transfer = Transfer.objects.get(item=item)

    admin_user(people["successor"])
    assert client.login(username="successor", password=PASSWORD)
    retry = client.post(reverse("connectors_transfer_retry", args=[transfer.pk]))

    assert retry.status_code == 404
    transfer.refresh_from_db()
    assert (transfer.state, transfer.attempts) == (Transfer.State.FAILED, 1)


def test_the_queue_through_the_api(
    people, transferring, django_capture_on_commit_callbacks, monkeypatch
):
    from rest_framework.test import APIClient

    monkeypatch.setattr(SampleConnector, "verify_transfer", lambda self, **kw: False)
    item = submit(deals(transferring)[0], people)
    accept(item, people, django_capture_on_commit_callbacks)
    api = APIClient()
    api.force_authenticate(people["it"])

    listed = api.get("/api/v1/write-backs/?state=failed").json()

    [row] = listed["results"]
    assert (row["external_id"], row["state"], row["connector"]) == (
        "D-1001",
        "failed",
        "crm",
    )
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        retried = api.post(f"/api/v1/write-backs/{row['id']}/retry/")
    assert retried.status_code == 202
    assert Transfer.objects.get(pk=row["id"]).state == Transfer.State.DONE
    again = api.post(f"/api/v1/write-backs/{row['id']}/retry/")
    assert again.status_code == 409
    outsider = APIClient()
    outsider.force_authenticate(people["successor"])
    assert outsider.get("/api/v1/write-backs/").status_code == 404


def test_a_change_the_system_still_holds_is_read_back_later_not_failed(
    people, transferring, django_capture_on_commit_callbacks, monkeypatch
):
    # WeCom gives a customer 24 hours to refuse: accepted upstream, not done yet.
    answers = iter([False, True])

    def verify(self, **kwargs):
        if not next(answers):
            raise TransferPending("The CRM is waiting for the client.", retry_after=900)
        return True

    monkeypatch.setattr(SampleConnector, "verify_transfer", verify)
    scheduled = []
    monkeypatch.setattr(
        tasks.transfer_task,
        "schedule",
        lambda args, delay: scheduled.append((args, delay)),
    )
    item = submit(deals(transferring)[0], people)

    accept(item, people, django_capture_on_commit_callbacks)

    transfer = Transfer.objects.get(item=item)
    assert transfer.state == Transfer.State.QUEUED
    assert transfer.error == "The CRM is waiting for the client."
    assert scheduled == [((transfer.pk,), 900)]
    assert transferring.audit_events.filter(
        action="connector.transfer_pending"
    ).exists()
    assert not transferring.audit_events.filter(
        action="connector.transfer_failed"
    ).exists()

    with django_capture_on_commit_callbacks(execute=True):
        tasks.transfer_task.call_local(transfer.pk)

    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.DONE
    item.refresh_from_db()
    assert item.provenance["transfer"]["state"] == "done"


def test_a_change_pending_for_ever_fails_in_the_end(
    people, transferring, django_capture_on_commit_callbacks, monkeypatch
):
    def verify(self, **kwargs):
        raise TransferPending("Still waiting.")

    monkeypatch.setattr(SampleConnector, "verify_transfer", verify)
    monkeypatch.setattr(tasks.transfer_task, "schedule", lambda args, delay: None)
    item = submit(deals(transferring)[0], people)
    accept(item, people, django_capture_on_commit_callbacks)
    transfer = Transfer.objects.get(item=item)
    Transfer.objects.filter(pk=transfer.pk).update(attempts=writeback.PENDING_CHECKS)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.transfer_task.call_local(transfer.pk)

    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.FAILED
    assert transfer.error == "Still waiting."
