"""Costs that must not grow with the data: the same number of queries for a
small and a large case (``make bench`` measures the times; nothing here does).

Also covered elsewhere: the item list (tests/test_api_handovers.py), the due
reminders (tests/test_notifications.py), an idle re-sync tick
(tests/connectors/test_resync_and_uploads.py)."""

import datetime
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from cms import selectors, services
from cms.demo import scale
from cms.models import (
    ChecklistTemplatePage,
    Employee,
    Handover,
    TemplateIndexPage,
)
from connectors.models import BlockSync, ConnectorConfig
from connectors.services import resync_due
from tests.connectors.helpers import connector_template, start_handover

SPEC = scale.ScaleSpec(seed=11)


def _queries(run) -> int:
    with CaptureQueriesContext(connection) as queries:
        run()
    return len(queries)


def _template(people, blocks: int):
    index = TemplateIndexPage.objects.get(locale__language_code="en")
    return scale.publish_template(
        index,
        slug=f"queries-{blocks}",
        title=f"{blocks} blocks",
        body=scale.template_body(SPEC, f"queries-{blocks}", blocks),
        author=people["hrhead"],
    )


def _start(people, template, username):
    return services.handover_start(
        actor=people["hr"],
        employee=Employee.objects.get(user=people[username]),
        template=template,
        last_working_day=datetime.date(2026, 12, 31),
        successors=[people["successor"]],
        manager=people["manager"],
        it_users=[people["it"]],
    )


def _leaver(people, user_factory, username):
    user = user_factory(username=username)
    Employee.objects.create(employee_number=username, name=username, user=user)
    people[username] = user
    return username


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite caps a statement's parameters (999): Django splits the "
    "100-item insert into batches there; PostgreSQL takes it in one.",
)
def test_starting_a_handover_costs_the_same_queries_for_10_and_100_blocks(
    people, user_factory
):
    small, large = _template(people, 10), _template(people, 100)
    first, second, third, fourth = (
        _leaver(people, user_factory, name) for name in ("l1", "l2", "l3", "l4")
    )
    # Caches warmed (content types, permissions, each revision's items).
    _start(people, small, third)
    _start(people, large, fourth)

    def start(template, username):
        # As a view does: the template as the request names it.
        _start(people, ChecklistTemplatePage.objects.get(pk=template.pk), username)

    with_10 = _queries(lambda: start(small, first))
    with_100 = _queries(lambda: start(large, second))

    assert Handover.objects.get(employee__user=people[second]).items.count() == 100
    assert with_10 == with_100


def _my_handovers(people, user_factory, count):
    template = _template(people, 12)
    for number in range(count):
        _start(people, template, _leaver(people, user_factory, f"m{count}-{number}"))


@pytest.mark.parametrize("surface", ["api", "page"])
def test_my_handovers_cost_the_same_queries_for_1_and_6_handovers(
    people, user_factory, surface
):
    client = APIClient()
    client.force_login(people["successor"])
    url = "/api/v1/handovers/" if surface == "api" else "/en/handovers/"

    def read():
        response = client.get(url)
        assert response.status_code == 200

    _my_handovers(people, user_factory, 1)
    with_1 = _queries(read)
    before = selectors.handovers_for_user(user=people["successor"]).count()
    _my_handovers(people, user_factory, 5)
    with_6 = _queries(read)

    if surface == "api":
        assert client.get(url).json()["count"] == before + 5
    assert with_1 == with_6


def test_progress_of_many_handovers_matches_each_handovers_progress(
    sales_handover, people
):
    laptop = sales_handover.items.get(kind="field", definition__key="has_laptop")
    services.item_update(
        actor=people["sales"],
        item=laptop,
        version=laptop.version,
        data={"value": False},
    )
    first = sales_handover.items.exclude(kind="field").order_by("position").first()
    services.item_submit(actor=people["sales"], item=first, version=first.version)

    progress = selectors.handovers_progress(handover_ids=[sales_handover.pk])

    assert progress[sales_handover.pk] == selectors.handover_progress(
        handover=sales_handover
    )
    assert progress[sales_handover.pk]["submitted"] == 1


def _due_blocks(people, user_factory, count):
    template = connector_template("crm", "deal")
    for number in range(count):
        username = _leaver(people, user_factory, f"r{count}-{number}")
        handover = start_handover(people, template, username=username)
        BlockSync.objects.create(
            handover=handover,
            block_id=f"due-{number}",
            connector=ConnectorConfig.objects.get(slug="crm"),
            connector_slug="crm",
            record_kind="deal",
            state=BlockSync.State.OK,
            last_finished_at=timezone.now() - timedelta(hours=3),
        )


def test_a_re_sync_tick_costs_the_same_queries_for_1_and_5_due_blocks(
    people, user_factory
):
    _due_blocks(people, user_factory, 1)
    with_1 = _queries(resync_due)
    BlockSync.objects.update(last_finished_at=timezone.now() - timedelta(hours=3))
    BlockSync.objects.update(state=BlockSync.State.OK)
    _due_blocks(people, user_factory, 4)
    due = BlockSync.objects.count()
    with_5 = _queries(lambda: resync_due())

    assert due == 5
    assert BlockSync.objects.filter(state=BlockSync.State.QUEUED).count() == 5
    assert with_1 == with_5


def test_a_template_read_costs_the_same_queries_for_10_and_100_blocks(people):
    client = APIClient()
    client.force_login(people["successor"])
    small, large = _template(people, 10), _template(people, 100)

    def read(template):
        response = client.get(f"/api/v1/templates/{template.pk}/")
        assert response.status_code == 200
        return response

    # The first read of a revision also reads its body, which the cache keeps
    # (and the site's root paths, which Wagtail caches): compare warm reads.
    read(small)
    assert len(read(large).json()["body"]) == 10  # sections of ten items
    assert _queries(lambda: read(small)) == _queries(lambda: read(large))
