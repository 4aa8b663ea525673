"""Every role a template needs has someone: starting fills a missing role from
its group or is refused naming it; blockers name a role still missing."""

import datetime
import uuid
from html import unescape

import pytest
from rest_framework.test import APIClient

from cms import services
from cms.models import ChecklistTemplatePage, Employee, Item, Participant
from cms.services import handover_blockers
from tests.fixtures.handovers import PASSWORD

API = "/api/v1"


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _sales_template():
    return ChecklistTemplatePage.objects.get(slug="sales", locale__language_code="en")


def _start_body(people, **overrides):
    return {
        "employee": Employee.objects.get(user=people["sales"]).pk,
        "template": _sales_template().pk,
        "successors": [people["successor"].pk],
        "last_working_day": "2026-12-31",
        **overrides,
    }


def _it_items(handover) -> int:
    """Visible items not done yet that IT fills or confirms."""
    return sum(
        1
        for item in services.visible_items(handover.items.all())
        if not item.is_done and "it" in (item.filled_by_role, item.confirmed_by_role)
    )


def test_started_without_it_people_the_it_group_takes_part(people):
    response = as_user(people["hr"]).post(
        f"{API}/handovers/", _start_body(people), format="json"
    )

    assert response.status_code == 201, response.json()
    roles = {
        (p["user"]["username"], p["role"]) for p in response.json()["participants"]
    }
    assert ("it", "it") in roles
    assert not any("No IT" in blocker for blocker in response.json()["blockers"])


def test_without_a_group_to_fill_it_the_start_is_refused_naming_the_role(
    people, settings
):
    settings.BATON_ROLE_GROUPS = {}

    response = as_user(people["hr"]).post(
        f"{API}/handovers/", _start_body(people), format="json"
    )

    assert response.status_code == 400
    message = response.json()["errors"]["it_users"][0]
    assert message.startswith("Name someone as IT / asset admin: ")
    assert "item(s) of this template are filled or confirmed by one" in message
    assert not Participant.objects.filter(user=people["sales"]).exists()


def test_the_admin_form_shows_the_missing_role_on_its_field(client, people, settings):
    settings.BATON_ROLE_GROUPS = {}
    assert client.login(username="hr", password=PASSWORD)

    response = client.post(
        "/admin/handovers/start/",
        {
            "employee": Employee.objects.get(user=people["sales"]).pk,
            "template": _sales_template().pk,
            "successors": [people["successor"].pk],
            "manager": people["manager"].pk,
            "last_working_day": "2026-12-31",
        },
    )

    assert response.status_code == 400
    html = unescape(response.content.decode())
    field = html[: html.index('name="it_users"')]
    assert "IT / asset admin" in field[field.rindex("data-field-wrapper") :]


@pytest.fixture
def without_it(people):
    handover = services.handover_start(
        actor=people["hr"],
        employee=Employee.objects.get(user=people["sales"]),
        template=_sales_template(),
        last_working_day=datetime.date(2026, 12, 31),
        successors=[people["successor"]],
        manager=people["manager"],
        it_users=[people["it"]],
    )
    services.participant_remove(
        actor=people["hr"], handover=handover, user=people["it"], role="it"
    )
    return handover


def test_blockers_name_the_missing_role_and_the_items_waiting(without_it, people):
    waiting = _it_items(without_it)

    blockers = handover_blockers(without_it)

    assert blockers[0] == (
        f"No IT / asset admin on this handover: {waiting} item(s) wait for one."
    )
    detail = as_user(people["hr"]).get(f"{API}/handovers/{without_it.pk}/").json()
    assert detail["blockers"][0] == blockers[0]


def test_items_a_connector_adds_later_count_too(without_it):
    waiting = _it_items(without_it)
    Item.objects.create(
        handover=without_it,
        block_id=f"access:{uuid.uuid4().hex[:20]}",
        position=10_000,
        kind="account",
        label="Account sales in LDAP",
        filled_by_role="it",
        confirmed_by_role="manager",
    )

    blockers = handover_blockers(without_it)

    assert blockers[0] == (
        f"No IT / asset admin on this handover: {waiting + 1} item(s) wait for one."
    )


def test_adding_someone_in_the_role_clears_the_blocker(without_it, people):
    services.participant_add(
        actor=people["hr"], handover=without_it, user=people["it"], role="it"
    )

    assert not any("No IT" in blocker for blocker in handover_blockers(without_it))
