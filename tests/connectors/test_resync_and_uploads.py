"""Periodic re-sync picks exactly the blocks that are due, at a constant query
cost; spreadsheet blocks wait for an upload and say so on the page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cms.models import Employee
from connectors.models import BlockSync, ConnectorConfig
from connectors.services import resync_due
from tests.connectors.helpers import connector_template, start_handover
from tests.fixtures.handovers import PASSWORD

pytestmark = pytest.mark.django_db


def _blocks(count, people, user_factory):
    """``count`` handovers on the demo CRM, each with one block last synced 2 h ago."""
    template = connector_template("crm", "deal")
    statuses = []
    for number in range(count):
        user = user_factory(username=f"leaver-{count}-{number}")
        user.save()
        Employee.objects.create(
            employee_number=f"R{count}{number:03d}", name=f"Leaver {number}", user=user
        )
        people_with_leaver = {**people, f"leaver-{count}-{number}": user}
        handover = start_handover(
            people_with_leaver, template, f"leaver-{count}-{number}"
        )
        block_id = handover.template_revision.as_object().body[0].value["items"][0].id
        statuses.append(
            BlockSync.objects.create(
                handover=handover,
                block_id=block_id,
                connector=ConnectorConfig.objects.get(slug="crm"),
                connector_slug="crm",
                state=BlockSync.State.OK,
                last_finished_at=timezone.now() - timedelta(hours=2),
            )
        )
    return statuses


def test_only_blocks_past_their_interval_are_queued(people, user_factory):
    due, fresh, retrying = _blocks(3, people, user_factory)
    BlockSync.objects.filter(pk=fresh.pk).update(last_finished_at=timezone.now())
    BlockSync.objects.filter(pk=retrying.pk).update(
        state=BlockSync.State.FAILED, retry_at=timezone.now() + timedelta(minutes=5)
    )

    queued = resync_due()

    assert queued == 1
    states = dict(BlockSync.objects.values_list("pk", "state"))
    assert states[due.pk] == BlockSync.State.QUEUED
    assert states[fresh.pk] == BlockSync.State.OK
    assert states[retrying.pk] == BlockSync.State.FAILED
    # A second tick queues nothing twice.
    assert resync_due() == 0


def test_a_disabled_connector_or_interval_zero_is_not_resynced(people, user_factory):
    _blocks(1, people, user_factory)
    ConnectorConfig.objects.filter(slug="crm").update(sync_interval_minutes=0)

    assert resync_due() == 0


def _tick_queries(count, people, user_factory):
    _blocks(count, people, user_factory)
    BlockSync.objects.update(last_finished_at=timezone.now())  # nothing due
    with CaptureQueriesContext(connection) as queries:
        resync_due()
    return len(queries)


def test_a_tick_costs_the_same_queries_for_1_and_6_open_handovers(people, user_factory):
    assert _tick_queries(1, people, user_factory) == _tick_queries(
        6, people, user_factory
    )


def page(client, handover):
    url = reverse("participant:detail", args=[handover.pk])
    return client.get(url).content.decode()


def test_a_spreadsheet_block_waits_for_an_upload_and_links_to_it(
    client, people, django_capture_on_commit_callbacks
):
    ConnectorConfig.objects.get_or_create(
        slug="client-sheet", defaults={"type": "spreadsheet", "name": "Client list"}
    )
    template = connector_template("client-sheet", "client", label="Your clients")
    with django_capture_on_commit_callbacks(execute=True):
        handover = start_handover(people, template)
    status = BlockSync.objects.get(handover=handover)
    assert status.state == BlockSync.State.WAITING

    assert client.login(username="sales", password=PASSWORD)
    html = client.get(
        reverse("participant:detail", args=[handover.pk])
    ).content.decode()

    assert "Waiting for an upload" in html
    assert (
        reverse("connectors:spreadsheet_upload", args=[handover.pk, status.block_id])
        in html
    )
    client.logout()
    assert client.login(username="successor", password=PASSWORD)
    html = client.get(
        reverse("participant:detail", args=[handover.pk])
    ).content.decode()
    assert "Import a spreadsheet" not in html


def test_a_required_block_not_filled_yet_stops_the_review(
    people, django_capture_on_commit_callbacks
):
    from cms.services import handover_blockers

    ConnectorConfig.objects.get_or_create(
        slug="client-sheet", defaults={"type": "spreadsheet", "name": "Client list"}
    )
    template = connector_template("client-sheet", "client", label="Your clients")
    with django_capture_on_commit_callbacks(execute=True):
        handover = start_handover(people, template)

    assert "“Your clients” waits for its spreadsheet to be imported." in (
        handover_blockers(handover)
    )
    BlockSync.objects.filter(handover=handover).update(
        state=BlockSync.State.FAILED, error="The CRM is down."
    )
    assert (
        "“Your clients” is not filled from its connector yet (Failed: The CRM is "
        "down.)." in handover_blockers(handover)
    )
