"""Segregation of duties: the departing employee hands over and nothing else.

Nobody confirms, approves, reviews or runs their own handover, whatever roles
they were given; an HR admin's own handover is started and run by another HR
admin. The refusals of every action by the leaver in every other role are in
the permission matrices (tests/test_permission_matrix*.py); here: who may be
named in which role, what the HR admin who leaves sees, and that everyone else
still does their part."""

import datetime
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.test import APIClient

from cms import services
from cms.errors import PermissionDenied
from cms.models import (
    AuditEvent,
    ChecklistTemplatePage,
    Employee,
    Handover,
    Item,
    Participant,
    ParticipantRole,
)
from cms.permissions import can_confirm, roles_of
from connectors.access import services as access
from connectors.models import AccessAction
from tests.fixtures.handovers import (
    PASSWORD,
    bring_to_review,
    client_list,
    give_leaver_role,
    item_of,
)

API = "/api/v1"
START_URL = "/admin/handovers/start/"
OWN_START = "Another HR admin must start and run your handover."
OWN_MANAGE = "You cannot manage your own handover: another HR admin must run it."
User = get_user_model()


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _sales_template():
    return ChecklistTemplatePage.objects.get(slug="sales", locale__language_code="en")


def _start_body(people, leaver="sales", **overrides):
    return {
        "employee": Employee.objects.get(user=people[leaver]).pk,
        "template": _sales_template().pk,
        "successors": [people["successor"].pk],
        "manager": people["manager"].pk,
        "it_users": [people["it"].pk],
        "last_working_day": "2026-12-31",
        **overrides,
    }


def _text(response) -> str:
    return unescape(response.content.decode())


def _field_html(response, name: str) -> str:
    """The rendered admin form field called ``name``, with its errors."""
    html = _text(response)
    field_input = html.index(f'name="{name}"')
    return html[html.rindex("data-field-wrapper", 0, field_input) : field_input]


# Naming people -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("successor", "The departing employee cannot be their own successor."),
        (
            "manager",
            "The departing employee cannot take part in their own handover as manager.",
        ),
        (
            "it",
            "The departing employee cannot take part in their own handover as "
            "IT / asset admin.",
        ),
        (
            "hr",
            "The departing employee cannot take part in their own handover as HR.",
        ),
    ],
)
def test_the_leaver_cannot_be_added_in_another_role(
    role, message, sales_handover, people
):
    events = sales_handover.audit_events.count()

    response = as_user(people["hr"]).post(
        f"{API}/handovers/{sales_handover.pk}/participants/",
        {"user": people["sales"].pk, "role": role},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"]["user"] == [message]
    assert set(
        Participant.objects.filter(
            handover=sales_handover, user=people["sales"]
        ).values_list("role", flat=True)
    ) == {"leaver"}
    assert sales_handover.audit_events.count() == events


def test_the_leaver_cannot_replace_someone_in_another_role(sales_handover, people):
    response = as_user(people["hr"]).post(
        f"{API}/handovers/{sales_handover.pk}/participants/replace/",
        {
            "user": people["manager"].pk,
            "replacement": people["sales"].pk,
            "role": "manager",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"]["replacement"] == [
        "The departing employee cannot take part in their own handover as manager."
    ]
    assert Participant.objects.filter(
        handover=sales_handover, user=people["manager"], role="manager"
    ).exists()


def test_someone_else_is_still_added_and_replaced(sales_handover, people, member):
    hr = as_user(people["hr"])

    added = hr.post(
        f"{API}/handovers/{sales_handover.pk}/participants/",
        {"user": member.pk, "role": "it"},
        format="json",
    )
    replaced = hr.post(
        f"{API}/handovers/{sales_handover.pk}/participants/replace/",
        {
            "user": people["manager"].pk,
            "replacement": people["dev"].pk,
            "role": "manager",
        },
        format="json",
    )

    assert added.status_code == 201
    assert replaced.status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"manager": "sales"},
            "manager",
            "The departing employee cannot take part in their own handover as manager.",
        ),
        (
            {"it_users": ["sales"]},
            "it_users",
            "The departing employee cannot take part in their own handover as "
            "IT / asset admin.",
        ),
        (
            {"successors": ["sales"]},
            "successors",
            "The departing employee cannot be their own successor.",
        ),
    ],
)
def test_a_handover_does_not_start_with_the_leaver_in_another_role(
    overrides, field, message, people
):
    body = _start_body(people)
    for key, value in overrides.items():
        body[key] = (
            [people[name].pk for name in value]
            if isinstance(value, list)
            else people[value].pk
        )

    response = as_user(people["hr"]).post(f"{API}/handovers/", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][field] == [message]
    assert not Handover.objects.filter(employee__user=people["sales"]).exists()


def test_the_it_group_default_leaves_out_the_leaver(people, user_factory):
    """`it` leaves: the IT group takes the IT role, without them."""
    body = _start_body(people, leaver="it", it_users=[])
    hr = as_user(people["hr"])

    alone = hr.post(f"{API}/handovers/", body, format="json")
    colleague = user_factory(username="it2")
    colleague.save()
    colleague.groups.add(Group.objects.get(name="IT"))
    started = hr.post(f"{API}/handovers/", body, format="json")

    assert alone.status_code == 400
    assert alone.json()["errors"]["it_users"][0].startswith(
        "Name someone as IT / asset admin: "
    )
    assert started.status_code == 201, started.json()
    it_people = {
        participant["user"]["username"]
        for participant in started.json()["participants"]
        if participant["role"] == "it"
    }
    assert it_people == {"it2"}


# An HR admin who leaves ------------------------------------------------------------


def test_an_hr_admin_cannot_start_their_own_handover(people):
    with pytest.raises(PermissionDenied) as refused:
        services.handover_start(
            actor=people["hr"],
            employee=Employee.objects.get(user=people["hr"]),
            template=_sales_template(),
            last_working_day=datetime.date(2026, 12, 31),
            successors=[people["successor"]],
            manager=people["manager"],
            it_users=[people["it"]],
        )

    assert str(refused.value.message) == OWN_START
    response = as_user(people["hr"]).post(
        f"{API}/handovers/", _start_body(people, leaver="hr"), format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == OWN_START
    assert not Handover.objects.filter(employee__user=people["hr"]).exists()


def test_the_admin_start_form_says_another_hr_admin_must_start_it(client, people):
    client.force_login(people["hr"])

    response = client.post(
        START_URL,
        {
            **_start_body(people, leaver="hr"),
            "resignation_date": "2026-12-01",
        },
    )

    assert response.status_code == 403
    assert OWN_START in _field_html(response, "employee")
    assert not Handover.objects.filter(employee__user=people["hr"]).exists()


def test_another_hr_admin_starts_it_and_the_leaver_is_only_the_leaver(
    hr_leaver_handover, people
):
    hr = people["hr"]

    assert roles_of(hr, hr_leaver_handover) == {ParticipantRole.LEAVER}
    assert set(
        hr_leaver_handover.participants.filter(user=hr).values_list("role", flat=True)
    ) == {"leaver"}
    mine = as_user(hr).get(f"{API}/handovers/{hr_leaver_handover.pk}/").json()
    assert mine["my_roles"] == ["leaver"]
    listed = as_user(hr).get(f"{API}/handovers/").json()["results"]
    roles = {row["number"]: row["my_roles"] for row in listed}
    assert roles[hr_leaver_handover.number] == ["leaver"]
    others = [number for number in roles if number != hr_leaver_handover.number]
    assert others and all(roles[number] == ["hr"] for number in others)


def test_the_hr_admin_who_leaves_fills_and_declares_their_own_handover(
    hr_leaver_handover, people
):
    hr = as_user(people["hr"])
    badge = item_of(hr_leaver_handover, "Badge and keys")

    submitted = hr.post(
        f"{API}/items/{badge.pk}/submit/", {"version": 1}, format="json"
    )
    shown = hr.get(f"{API}/items/{badge.pk}/").json()

    assert submitted.status_code == 200
    assert shown["can_confirm"] is False
    assert (
        as_user(people["hrhead"]).get(f"{API}/items/{badge.pk}/").json()["can_confirm"]
        is True
    )


def test_the_hr_admin_who_leaves_keeps_running_everyone_elses_handovers(
    sales_handover, people
):
    """`hr` is still HR on the sales handover while their own one runs."""
    services.handover_start(
        actor=people["hrhead"],
        employee=Employee.objects.get(user=people["hr"]),
        template=_sales_template(),
        last_working_day=datetime.date(2026, 12, 31),
        successors=[people["successor"]],
        manager=people["manager"],
        it_users=[people["it"]],
    )

    response = as_user(people["hr"]).post(
        f"{API}/handovers/{sales_handover.pk}/cancel/",
        {"reason": "The resignation was withdrawn."},
        format="json",
    )

    assert response.status_code == 200
    sales_handover.refresh_from_db()
    assert sales_handover.state == Handover.State.CANCELLED


def test_other_people_run_the_hr_admins_handover_to_the_end(hr_leaver_handover, people):
    """The positive path: HR (another HR admin), IT, the successor and the
    manager each do their part; the leaver fills and declares."""
    handover = bring_to_review(hr_leaver_handover)
    badge = item_of(handover, "Badge and keys")

    approved = as_user(people["manager"]).post(
        f"{API}/handovers/{handover.pk}/approve/",
        {"password": PASSWORD},
        format="json",
    )

    assert approved.status_code == 200, approved.json()
    assert approved.json()["state"] == "completed"
    assert badge.signatures.get(decision="accept").signer == people["hrhead"]


def test_the_admin_lists_the_hr_admins_own_handover_without_managing_it(
    client, hr_leaver_handover, sales_handover, people
):
    client.force_login(people["hr"])
    cancel_url = f"/admin/handovers/{hr_leaver_handover.pk}/cancel/"

    listed = _text(client.get("/admin/handovers/"))
    offered = client.get(cancel_url, follow=True)
    posted = client.post(cancel_url, {"reason": "I changed my mind."})

    assert hr_leaver_handover.number in listed
    assert cancel_url not in listed
    assert f"/admin/handovers/{sales_handover.pk}/cancel/" in listed
    assert OWN_MANAGE in _text(offered)
    assert posted.status_code == 403
    assert OWN_MANAGE in _text(posted)
    hr_leaver_handover.refresh_from_db()
    assert hr_leaver_handover.state == Handover.State.IN_PROGRESS
    assert not AuditEvent.objects.filter(
        handover=hr_leaver_handover, action="handover.cancelled"
    ).exists()


# Confirming -------------------------------------------------------------------------


def test_no_screen_offers_the_leaver_to_confirm_in_a_role_they_were_given(
    sales_handover, people, client
):
    give_leaver_role(sales_handover, "successor")
    item = services.item_submit(
        actor=people["sales"], item=client_list(sales_handover), version=1
    )

    as_leaver = as_user(people["sales"]).get(f"{API}/items/{item.pk}/").json()
    as_successor = as_user(people["successor"]).get(f"{API}/items/{item.pk}/").json()
    pages = {}
    for username in ("sales", "successor"):
        client.force_login(people[username])
        detail = reverse("participant:detail", args=[sales_handover.pk])
        pages[username] = _text(client.get(detail))
    decide_url = reverse("participant:item_decide", args=[item.pk])

    assert can_confirm(people["sales"], item) is False
    assert as_leaver["can_confirm"] is False
    assert as_successor["can_confirm"] is True
    assert decide_url not in pages["sales"]
    assert decide_url in pages["successor"]


# Access changes ---------------------------------------------------------------------


@pytest.fixture
def it_leaver_handover(people, user_factory, django_capture_on_commit_callbacks):
    """`it` leaves; `it2`, also in the IT group, is IT on the handover. A
    system without a connector holds the leaver's account: an IT task, planned
    once the manager confirms the decision."""
    colleague = user_factory(username="it2")
    colleague.save()
    colleague.groups.add(Group.objects.get(name="IT"))
    handover = services.handover_start(
        actor=people["hr"],
        employee=Employee.objects.get(user=people["it"]),
        template=_sales_template(),
        last_working_day=datetime.date(2026, 12, 31),
        successors=[people["successor"]],
        manager=people["manager"],
        it_users=[colleague],
    )
    grant = access.access_grant_add(
        actor=colleague,
        handover=handover,
        system="Finance portal",
        account="zhao.jun",
        instructions="Disable the user in Settings, then remove the token.",
    )
    item = services.item_submit(
        actor=colleague, item=Item.objects.get(pk=grant.item_id), version=1
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.item_accept(
            actor=people["manager"], item=item, version=item.version, password=PASSWORD
        )
    return AccessAction.objects.get(grant=grant)


def test_an_it_admin_who_leaves_does_not_close_or_cancel_their_own_access_changes(
    it_leaver_handover, people
):
    action = it_leaver_handover
    reason = "Another IT admin must handle the access changes of your own handover."

    with pytest.raises(PermissionDenied) as closing:
        access.access_action_complete(
            actor=people["it"], action=action, password=PASSWORD
        )
    with pytest.raises(PermissionDenied) as cancelling:
        access.access_actions_cancel(actor=people["it"], action_ids=[action.pk])

    assert str(closing.value.message) == reason
    assert str(cancelling.value.message) == reason
    action.refresh_from_db()
    assert action.state == AccessAction.State.PLANNED
    access.access_action_complete(
        actor=User.objects.get(username="it2"),
        action=action,
        password="correct horse battery",  # the user factory's
    )
    action.refresh_from_db()
    assert action.state == "verified"
