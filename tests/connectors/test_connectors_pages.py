"""What participants see of connectors: block status, upstream changes beside
what they typed (take or keep), records resolved upstream, "sync now"."""

import pytest
from django.urls import reverse

from cms import services
from connectors.models import BlockSync, ConnectorConfig
from tests.connectors.helpers import crm_block, deals, set_deals, sync
from tests.fixtures.handovers import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def page(client, handover):
    return client.get(
        reverse("participant:detail", args=[handover.pk])
    ).content.decode()


def test_the_page_shows_each_connector_blocks_status(client, people, started):
    html = page(login(client, people["sales"]), started)

    assert "Connected systems" in html
    assert "Deals from the CRM" in html
    assert "Up to date (synced " in html
    assert "Huaxin Logistics — fleet tracking renewal" in html
    assert "From a connected system" in html
    assert "Sync now" not in html  # HR only


def test_a_failed_block_says_why_and_when_it_retries(client, people, started):
    status = crm_block(started)
    status.state = BlockSync.State.FAILED
    status.error = "The CRM did not answer within 10 seconds."
    status.retry_at = status.last_success_at
    status.save()

    html = page(login(client, people["successor"]), started)

    assert "Failed: The CRM did not answer within 10 seconds." in html
    assert "Retrying at " in html


def _typed_then_changed_upstream(started, people):
    item = deals(started)[0]
    typed = {**item.data["data"], "last_quote": "typed by sales"}
    services.item_update(
        actor=people["sales"], item=item, version=item.version, data={"data": typed}
    )
    rows = ConnectorConfig.objects.get(slug="crm").settings["records"][
        "sales@baton.example"
    ]["deal"]
    rows[0]["fields"]["quote"] = "new quote in the CRM"
    set_deals(rows)
    sync(started)
    item.refresh_from_db()
    return item


def test_the_leaver_takes_the_upstream_value_from_the_page(client, people, started):
    item = _typed_then_changed_upstream(started, people)
    login(client, people["sales"])
    html = page(client, started)
    assert "Changed in the connected system" in html
    assert "typed by sales" in html and "new quote in the CRM" in html

    response = client.post(
        reverse("participant:item_upstream", args=[item.pk]),
        {"version": item.version, "field": "last_quote", "choice": "take"},
        follow=True,
    )

    assert "The upstream value replaced yours." in response.content.decode()
    item.refresh_from_db()
    assert item.data["data"]["last_quote"] == "new quote in the CRM"


def test_keeping_mine_dismisses_the_upstream_value(client, people, started):
    item = _typed_then_changed_upstream(started, people)
    login(client, people["sales"])

    client.post(
        reverse("participant:item_upstream", args=[item.pk]),
        {"version": item.version, "field": "last_quote", "choice": "ignore"},
    )

    item.refresh_from_db()
    assert item.data["data"]["last_quote"] == "typed by sales"
    assert "Changed in the connected system" not in page(client, started)


def test_a_stale_choice_is_refused_and_changes_nothing(client, people, started):
    item = _typed_then_changed_upstream(started, people)
    login(client, people["sales"])

    response = client.post(
        reverse("participant:item_upstream", args=[item.pk]),
        {"version": item.version - 1, "field": "last_quote", "choice": "take"},
    )

    assert response.status_code == 409
    item.refresh_from_db()
    assert item.data["data"]["last_quote"] == "typed by sales"


def test_a_record_resolved_upstream_is_labelled(client, people, started):
    rows = ConnectorConfig.objects.get(slug="crm").settings["records"][
        "sales@baton.example"
    ]["deal"]
    set_deals(rows[1:])
    sync(started)

    html = page(login(client, people["sales"]), started)

    assert "Resolved upstream" in html
    assert "Resolved upstream in CRM (sample)." in html


def test_hr_syncs_a_block_now_others_cannot(
    client, people, started, stranger, django_capture_on_commit_callbacks
):
    block_id = crm_block(started).block_id
    url = reverse("connectors:resync", args=[started.pk, block_id])

    client.force_login(stranger)
    assert client.post(url).status_code == 404
    login(client, people["sales"])
    refused = client.post(url, follow=True).content.decode()
    assert "Only HR can do this." in refused

    login(client, people["hr"])
    assert "Sync now" in page(client, started)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, follow=True).content.decode()
    assert "Queued: the block will be synced in the background." in done
    assert started.sync_runs.filter(trigger="manual").count() == 1


def test_the_live_fingerprint_changes_with_block_status(client, people, started):
    login(client, people["sales"])
    state_url = reverse("participant:state", args=[started.pk])
    before = client.get(state_url).json()["etag"]

    BlockSync.objects.filter(handover=started).update(state=BlockSync.State.SYNCING)

    assert client.get(state_url).json()["etag"] != before
