"""Feishu resignation approvals start handovers: through the event
subscription (verified with the app's token, signed and encrypted with its
encrypt key, v1 and v2 events) and, for events that never came, through the
poll; each approval once, with the dates and reason its form's mapped fields
hold. Against the fake open platform in the published shapes."""

import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cms.models import Employee, Handover, ResignationEvent
from connectors.intake.approvals import approvals_poll, approvals_poll_due
from connectors.models import ConnectorConfig
from connectors.tasks import intake_approvals_poll_task
from tests.fixtures.handovers import PASSWORD

from .fake_feishu import APP_SECRET
from .fake_intake import (
    FEISHU_APPROVAL,
    FEISHU_ENCRYPT_KEY,
    FEISHU_TOKEN,
    FeishuIntakeFake,
    FeishuUser,
    feishu_resignation,
)

URL = "/api/v1/intake/feishu/feishu-hr/"


@pytest.fixture
def feishu(httpserver):
    fake = FeishuIntakeFake(httpserver).install()
    fake.add_person(FeishuUser("ou_sales", "Chen Fang", email="sales@baton.example"))
    fake.add_person(FeishuUser("ou_dev", "Liu Lei", email="", employee_no="E0006"))
    return fake


@pytest.fixture
def connector(feishu, demo):
    config = ConnectorConfig(
        type="feishu",
        slug="feishu-hr",
        name="Feishu",
        settings=feishu.settings(
            resignation_approval_code=FEISHU_APPROVAL, intake_mode="start"
        ),
    )
    config.set_secrets(
        {
            "app_secret": APP_SECRET,
            "event_verification_token": FEISHU_TOKEN,
            "event_encrypt_key": FEISHU_ENCRYPT_KEY,
        }
    )
    config.save()
    return config


def push(payload, *, encrypt_key=FEISHU_ENCRYPT_KEY, sign_key=None):
    body, headers = FeishuIntakeFake.push(
        payload, encrypt_key=encrypt_key, sign_key=sign_key
    )
    return Client().post(URL, body, content_type="application/json", **headers)


def sales():
    return Employee.objects.get(employee_number="E0005")


# The event subscription -------------------------------------------------------------


def test_the_url_verification_challenge_is_answered(connector):
    response = push(
        {
            "challenge": "ajls384kdjx98XX",
            "token": FEISHU_TOKEN,
            "type": "url_verification",
        }
    )

    assert response.status_code == 200
    assert response.json() == {"challenge": "ajls384kdjx98XX"}


def test_an_approved_resignation_starts_the_handover_with_the_form_s_dates(
    connector, feishu, people, django_capture_on_commit_callbacks
):
    instance = feishu.add(feishu_resignation("RES-0001"))

    with django_capture_on_commit_callbacks(execute=True):
        response = push(feishu.event_v1(instance))

    assert response.status_code == 200
    assert response.json() == {"msg": "success"}
    handover = Handover.objects.get(employee=sales())
    assert handover.last_working_day == datetime.date(2026, 12, 31)
    assert handover.resignation_date == datetime.date(2026, 12, 1)
    received = ResignationEvent.objects.get()
    assert (received.source, received.connector_slug, received.external_id) == (
        "feishu",
        "feishu-hr",
        "RES-0001",
    )
    assert received.state == ResignationEvent.State.STARTED
    assert received.reason == "Moving to Chengdu"
    assert received.payload["approval_name"] == "离职申请"
    started = handover.audit_events.get(action="handover.started")
    assert started.details == {
        "source": "feishu",
        "event": received.pk,
        "connector": "feishu-hr",
    }


def test_a_v2_event_without_encryption_is_verified_by_its_token(
    connector, feishu, people, django_capture_on_commit_callbacks
):
    connector.set_secrets(
        {"app_secret": APP_SECRET, "event_verification_token": FEISHU_TOKEN}
    )
    connector.settings["intake_mode"] = "propose"
    connector.save()
    instance = feishu.add(feishu_resignation("RES-0002"))

    with django_capture_on_commit_callbacks(execute=True):
        response = push(feishu.event_v2(instance), encrypt_key=None)

    assert response.status_code == 200
    assert ResignationEvent.objects.get().state == ResignationEvent.State.PROPOSED
    assert not Handover.objects.filter(employee=sales()).exists()


@pytest.mark.parametrize("forgery", ["signed with another key", "wrong token", "plain"])
def test_an_event_not_signed_as_feishu_signs_is_401_and_reads_nothing(
    connector, feishu, people, django_capture_on_commit_callbacks, forgery
):
    instance = feishu.add(feishu_resignation("RES-0003"))
    with django_capture_on_commit_callbacks(execute=True):
        if forgery == "signed with another key":
            response = push(feishu.event_v1(instance), sign_key="guessed-key")
        elif forgery == "wrong token":
            response = push(feishu.event_v1(instance, token="guessed-token"))
        else:
            response = push(feishu.event_v1(instance), encrypt_key=None)

    assert response.status_code == 401
    assert not ResignationEvent.objects.exists()
    assert not feishu.requests_to("/open-apis/approval/v4/instances/RES-0003")


@pytest.mark.parametrize(
    "status, approval_code",
    [
        ("PENDING", FEISHU_APPROVAL),
        ("REJECTED", FEISHU_APPROVAL),
        ("APPROVED", "LEAVE"),
    ],
)
def test_other_events_are_acknowledged_and_ignored(
    connector, feishu, people, django_capture_on_commit_callbacks, status, approval_code
):
    instance = feishu.add(feishu_resignation("RES-0004", status=status))
    instance.approval_code = approval_code

    with django_capture_on_commit_callbacks(execute=True):
        response = push(feishu.event_v1(instance))

    assert response.status_code == 200
    assert not ResignationEvent.objects.exists()


def test_an_event_that_lies_about_the_status_starts_nothing(
    connector, feishu, people, django_capture_on_commit_callbacks
):
    """The event is only a hint: the instance is read from Feishu."""
    instance = feishu.add(feishu_resignation("RES-0005", status="PENDING"))

    with django_capture_on_commit_callbacks(execute=True):
        push(feishu.event_v1(instance, status="APPROVED"))

    assert feishu.requests_to("/open-apis/approval/v4/instances/RES-0005")
    assert not ResignationEvent.objects.exists()


def test_an_unknown_connector_or_one_without_a_token_is_404(connector, people):
    connector.set_secrets({"app_secret": APP_SECRET})
    connector.save()

    missing = Client().post(
        "/api/v1/intake/feishu/nobody/", b"{}", content_type="application/json"
    )
    no_token = Client().post(URL, b"{}", content_type="application/json")

    assert (missing.status_code, no_token.status_code) == (404, 404)


# What the approval says -------------------------------------------------------------


def test_an_applicant_baton_does_not_know_is_refused_and_kept(
    connector, feishu, people, django_capture_on_commit_callbacks
):
    feishu.add_person(
        FeishuUser("ou_stranger", "Stranger", email="x@elsewhere.example")
    )
    instance = feishu.add(feishu_resignation("RES-0006", user="ou_stranger"))

    with django_capture_on_commit_callbacks(execute=True):
        push(feishu.event_v1(instance))

    refused = ResignationEvent.objects.get()
    assert refused.state == ResignationEvent.State.REFUSED
    assert refused.refusal_code == "unknown_employee"
    assert "x@elsewhere.example" in refused.refusal


def test_a_form_without_the_last_working_day_is_refused_with_the_reason(
    connector, feishu, people, django_capture_on_commit_callbacks
):
    instance = feishu.add(feishu_resignation("RES-0007"))
    instance.form = [
        widget for widget in instance.form if widget["name"] != "最后工作日"
    ]

    with django_capture_on_commit_callbacks(execute=True):
        push(feishu.event_v1(instance))

    refused = ResignationEvent.objects.get()
    assert refused.refusal_code == "dates_missing"
    assert "最后工作日" in json.dumps(refused.payload["problems"], ensure_ascii=False)
    assert not Handover.objects.filter(employee=sales()).exists()


def test_the_employee_field_names_who_resigns_when_hr_files_for_them(
    connector, feishu, people, django_capture_on_commit_callbacks
):
    connector.settings["resignation_field_employee"] = "离职员工"
    connector.save()
    instance = feishu.add(
        feishu_resignation(
            "RES-0008",
            user="ou_sales",
            extra_form=[
                {
                    "id": "widget-who",
                    "name": "离职员工",
                    "type": "contact",
                    "value": ["ou_dev"],
                    "open_ids": ["ou_dev"],
                }
            ],
        )
    )

    with django_capture_on_commit_callbacks(execute=True):
        push(feishu.event_v1(instance))

    assert ResignationEvent.objects.get().employee.employee_number == "E0006"


def test_hr_maps_the_form_s_fields_in_the_admin_without_code(
    client, connector, feishu, people, django_capture_on_commit_callbacks
):
    assert client.login(username="hr", password=PASSWORD)
    edit = reverse(
        "wagtailsnippets_connectors_connectorconfig:edit", args=[connector.pk]
    )
    form = {
        "name": "Feishu",
        "slug": "feishu-hr",
        "enabled": "on",
        "match_by": "email",
        "sync_interval_minutes": "60",
        "setting_base_url": connector.settings["base_url"],
        "setting_app_id": connector.settings["app_id"],
        "setting_user_id_type": "open_id",
        "setting_default_currency": "CNY",
        "setting_resignation_approval_code": FEISHU_APPROVAL,
        "setting_resignation_field_last_working_day": "Last day",
        "setting_resignation_field_reason": "Why",
        "setting_intake_mode": "immediately",
    }

    refused = client.post(edit, form)
    form["setting_intake_mode"] = "start"
    saved = client.post(edit, form)

    assert refused.status_code == 200
    assert "Select a valid choice. immediately is not one of the available" in (
        refused.content.decode()
    )
    assert saved.status_code == 302, saved.content.decode()[:3000]
    connector.refresh_from_db()
    assert connector.get_secrets()["event_encrypt_key"] == FEISHU_ENCRYPT_KEY
    instance = feishu.add(
        feishu_resignation(
            "RES-0009",
            extra_form=[
                {
                    "id": "w-1",
                    "name": "Last day",
                    "type": "date",
                    "value": "2027-01-15T00:00:00+08:00",
                },
                {"id": "w-2", "name": "Why", "type": "input", "value": "Studies"},
            ],
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        push(feishu.event_v1(instance))
    received = ResignationEvent.objects.get()
    assert received.last_working_day == datetime.date(2027, 1, 15)
    assert received.reason == "Studies"


# The poll ---------------------------------------------------------------------------


def test_an_approval_whose_event_never_came_is_found_by_the_poll(
    connector, feishu, people
):
    feishu.add(feishu_resignation("RES-0010"))
    feishu.add(feishu_resignation("RES-0011", user="ou_dev", status="PENDING"))

    result = approvals_poll(connector=connector)

    assert (result.listed, result.received) == (2, 1)
    handover = Handover.objects.get(employee=sales())
    assert handover.resignation_events.get().external_id == "RES-0010"
    connector.refresh_from_db()
    assert connector.settings["resignation_polled_until"]


def test_the_same_approval_by_event_and_by_poll_is_one_handover(
    connector, feishu, people, django_capture_on_commit_callbacks
):
    instance = feishu.add(feishu_resignation("RES-0012"))
    with django_capture_on_commit_callbacks(execute=True):
        push(feishu.event_v1(instance))

    polled = approvals_poll(connector=connector)
    with django_capture_on_commit_callbacks(execute=True):
        push(feishu.event_v2(instance))

    assert (polled.known, polled.received) == (1, 0)
    assert Handover.objects.filter(employee=sales()).count() == 1
    received = ResignationEvent.objects.get()
    assert received.duplicates == 1


def test_the_poll_takes_only_approvals_decided_since_it_last_looked(
    connector, feishu, people
):
    feishu.add(feishu_resignation("RES-0013", minutes_ago=3 * 24 * 60))
    now = timezone.now()

    first = approvals_poll(connector=connector, now=now)
    feishu.add(feishu_resignation("RES-0014", user="ou_dev", minutes_ago=0))
    second = approvals_poll(
        connector=connector, now=now + datetime.timedelta(minutes=11)
    )

    assert first.received == 0  # decided before the first poll's day
    assert second.received == 1
    assert list(ResignationEvent.objects.values_list("external_id", flat=True)) == [
        "RES-0014"
    ]


def test_the_periodic_task_polls_connectors_whose_interval_passed(
    connector, feishu, people
):
    feishu.add(feishu_resignation("RES-0015"))
    ConnectorConfig.objects.filter(pk=connector.pk).update(
        settings={
            **connector.settings,
            "resignation_polled_until": (
                timezone.now() - datetime.timedelta(minutes=2)
            ).isoformat(),
        }
    )

    assert approvals_poll_due() == {}  # polled two minutes ago; every ten

    ConnectorConfig.objects.filter(pk=connector.pk).update(
        settings={**connector.settings, "resignation_polled_until": ""}
    )
    intake_approvals_poll_task()

    assert Handover.objects.filter(employee=sales()).exists()


def test_a_feishu_outage_leaves_the_watermark_for_the_next_poll(
    connector, feishu, people
):
    feishu.add(feishu_resignation("RES-0016"))
    feishu.approval_error = (502, None, None)

    results = approvals_poll_due()

    assert "feishu-hr" in results and isinstance(results["feishu-hr"], str)
    connector.refresh_from_db()
    assert not connector.settings.get("resignation_polled_until")
    feishu.approval_error = None
    approvals_poll_due()
    assert Handover.objects.filter(employee=sales()).exists()


# The directory ----------------------------------------------------------------------


def test_list_people_reads_contacts_department_by_department(feishu, connector):
    feishu.departments = [
        {"open_department_id": "od-sales", "department_id": "sales", "name": "Sales"},
        {"open_department_id": "od-rnd", "department_id": "rnd", "name": "R&D"},
    ]
    feishu.people.clear()
    feishu.add_person(
        FeishuUser(
            "ou_boss",
            "Zhang Wei",
            email="manager@baton.example",
            employee_no="E0002",
            department_ids=["od-sales", "od-rnd"],
            job_title="Director",
        )
    )
    feishu.add_person(
        FeishuUser(
            "ou_sales",
            "Chen Fang",
            email="sales@baton.example",
            employee_no="E0005",
            department_ids=["od-sales"],
            job_title="Key account manager",
            leader_user_id="ou_boss",
            mobile="+86 138 0000 0005",
        )
    )
    feishu.add_person(FeishuUser("ou_gone", "Gone", resigned=True))
    client = connector.client()

    people = {person.directory_id: person for person in client.list_people()}

    assert type(client).supports_directory is True
    # Set up for approvals, a connector creates no employees until asked to.
    assert not type(client).directory_sync_on(connector.settings)
    assert type(client).directory_sync_on({"directory_sync": True})
    assert set(people) == {"ou_boss", "ou_sales", "ou_gone"}
    chen = people["ou_sales"]
    assert (chen.name, chen.email, chen.employee_number) == (
        "Chen Fang",
        "sales@baton.example",
        "E0005",
    )
    assert (chen.department_code, chen.department_name) == ("sales", "Sales")
    assert (chen.position, chen.manager_directory_id) == (
        "Key account manager",
        "ou_boss",
    )
    assert chen.status == "active"
    assert people["ou_gone"].status == "disabled"
