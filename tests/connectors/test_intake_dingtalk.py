"""DingTalk resignation approvals start handovers: through the HTTP event
subscription (``msg_signature`` and AES as DingTalk's callback crypto does,
answered with the encrypted "success" DingTalk expects) and, for events that
never came, through the poll; each approval once. Against the fake DingTalk
in the published shapes."""

import datetime
import json

import pytest
from django.test import Client

from cms.models import Employee, Handover, ResignationEvent
from connectors.intake.approvals import approvals_poll, approvals_poll_due
from connectors.intake.crypto import dingtalk_decrypt, dingtalk_signature
from connectors.models import ConnectorConfig

from .fake_dingtalk import APP_KEY, APP_SECRET
from .fake_intake import (
    DINGTALK_AES_KEY,
    DINGTALK_PROCESS,
    DINGTALK_TOKEN,
    DingTalkIntakeFake,
    dingtalk_resignation,
)

URL = "/api/v1/intake/dingtalk/dingtalk-hr/"
SAM = "0431281562"


@pytest.fixture
def dingtalk(httpserver):
    fake = DingTalkIntakeFake(httpserver).install()
    fake.users = [
        {
            "userid": SAM,
            "name": "Chen Fang",
            "email": "",
            "org_email": "sales@baton.example",
            "job_number": "",
        },
        {
            "userid": "dev01",
            "name": "Liu Lei",
            "email": "",
            "org_email": "",
            "job_number": "E0006",
        },
    ]
    return fake


@pytest.fixture
def connector(dingtalk, demo):
    config = ConnectorConfig(
        type="dingtalk",
        slug="dingtalk-hr",
        name="DingTalk",
        settings=dingtalk.settings(
            resignation_approval_code=DINGTALK_PROCESS, intake_mode="start"
        ),
    )
    config.set_secrets(
        {
            "app_secret": APP_SECRET,
            "callback_token": DINGTALK_TOKEN,
            "callback_aes_key": DINGTALK_AES_KEY,
        }
    )
    config.save()
    return config


def push(payload, **keys):
    query, body = DingTalkIntakeFake.push(payload, **keys)
    return Client().post(f"{URL}?{query}", body, content_type="application/json")


def sales():
    return Employee.objects.get(employee_number="E0005")


def test_the_check_url_event_is_answered_with_the_encrypted_success(connector):
    response = push({"EventType": "check_url"})

    assert response.status_code == 200
    answer = response.json()
    assert answer["msg_signature"] == dingtalk_signature(
        DINGTALK_TOKEN, answer["timeStamp"], answer["nonce"], answer["encrypt"]
    )
    assert dingtalk_decrypt(DINGTALK_AES_KEY, APP_KEY, answer["encrypt"]) == b"success"


def test_an_agreed_resignation_starts_the_handover_with_the_form_s_dates(
    connector, dingtalk, people, django_capture_on_commit_callbacks
):
    instance = dingtalk.add(dingtalk_resignation("proc-inst-0001"))

    with django_capture_on_commit_callbacks(execute=True):
        response = push(dingtalk.event(instance))

    assert response.status_code == 200
    handover = Handover.objects.get(employee=sales())
    assert handover.last_working_day == datetime.date(2026, 12, 31)
    received = ResignationEvent.objects.get()
    assert (received.source, received.connector_slug, received.external_id) == (
        "dingtalk",
        "dingtalk-hr",
        "proc-inst-0001",
    )
    assert received.state == ResignationEvent.State.STARTED
    assert received.resignation_date == datetime.date(2026, 12, 1)
    assert received.reason == "Moving to Chengdu"
    assert received.employee_ref == {
        "email": "sales@baton.example",
        "directory_id": SAM,
    }


@pytest.mark.parametrize(
    "keys",
    [
        {"token": "guessed"},
        {"aes_key": "x" * 43},
        {"owner": "ding-other-corp"},
    ],
    ids=["wrong token", "wrong aes key", "for another app"],
)
def test_an_event_not_signed_and_encrypted_for_the_app_is_401(
    connector, dingtalk, people, django_capture_on_commit_callbacks, keys
):
    instance = dingtalk.add(dingtalk_resignation("proc-inst-0002"))

    with django_capture_on_commit_callbacks(execute=True):
        response = push(dingtalk.event(instance), **keys)

    assert response.status_code == 401
    assert not ResignationEvent.objects.exists()


def test_an_unsigned_request_is_401(connector, people):
    response = Client().post(
        URL, json.dumps({"encrypt": "abc"}), content_type="application/json"
    )

    assert response.status_code == 401


@pytest.mark.parametrize(
    "result, process_code, kind",
    [
        ("refuse", DINGTALK_PROCESS, "finish"),
        ("", DINGTALK_PROCESS, "terminate"),
        ("agree", "PROC-LEAVE-9", "finish"),
    ],
)
def test_other_events_are_acknowledged_and_ignored(
    connector,
    dingtalk,
    people,
    django_capture_on_commit_callbacks,
    result,
    process_code,
    kind,
):
    instance = dingtalk.add(dingtalk_resignation("proc-inst-0003"))

    with django_capture_on_commit_callbacks(execute=True):
        response = push(
            dingtalk.event(
                instance, result=result, process_code=process_code, kind=kind
            )
        )

    assert response.status_code == 200
    assert not ResignationEvent.objects.exists()


def test_an_event_saying_agree_for_a_refused_instance_starts_nothing(
    connector, dingtalk, people, django_capture_on_commit_callbacks
):
    instance = dingtalk.add(dingtalk_resignation("proc-inst-0004", result="refuse"))

    with django_capture_on_commit_callbacks(execute=True):
        push(dingtalk.event(instance, result="agree"))

    assert not ResignationEvent.objects.exists()


def test_the_employee_field_names_who_resigns(
    connector, dingtalk, people, django_capture_on_commit_callbacks
):
    connector.settings["resignation_field_employee"] = "离职人员"
    connector.save()
    instance = dingtalk.add(
        dingtalk_resignation(
            "proc-inst-0005",
            extra=[
                {
                    "componentType": "InnerContactField",
                    "id": "InnerContactField-1",
                    "name": "离职人员",
                    "value": "Liu Lei",
                    "extValue": json.dumps([{"name": "Liu Lei", "emplId": "dev01"}]),
                }
            ],
        )
    )

    with django_capture_on_commit_callbacks(execute=True):
        push(dingtalk.event(instance))

    assert ResignationEvent.objects.get().employee.employee_number == "E0006"


def test_an_approval_whose_event_never_came_is_found_by_the_poll(
    connector, dingtalk, people
):
    dingtalk.add(dingtalk_resignation("proc-inst-0006"))
    dingtalk.add(
        dingtalk_resignation("proc-inst-0007", originator="dev01", status="RUNNING")
    )

    result = approvals_poll(connector=connector)

    assert (result.listed, result.received) == (1, 1)
    assert Handover.objects.get(employee=sales()).resignation_events.exists()


def test_the_same_approval_by_event_and_by_poll_is_one_handover(
    connector, dingtalk, people, django_capture_on_commit_callbacks
):
    instance = dingtalk.add(dingtalk_resignation("proc-inst-0008"))
    approvals_poll(connector=connector)

    with django_capture_on_commit_callbacks(execute=True):
        push(dingtalk.event(instance))

    assert Handover.objects.filter(employee=sales()).count() == 1
    assert ResignationEvent.objects.get().duplicates == 1


def test_a_failing_connector_does_not_stop_the_others_poll(connector, dingtalk, people):
    broken = ConnectorConfig(
        type="dingtalk",
        slug="dingtalk-old",
        name="DingTalk (old app)",
        settings={
            **dingtalk.settings(resignation_approval_code=DINGTALK_PROCESS),
            "app_key": "not-this-app",
        },
    )
    broken.set_secrets({"app_secret": "nope"})
    broken.save()
    dingtalk.add(dingtalk_resignation("proc-inst-0009"))

    results = approvals_poll_due()

    assert isinstance(results["dingtalk-old"], str)
    assert results["dingtalk-hr"].received == 1
    assert Handover.objects.filter(employee=sales()).exists()


def test_list_people_reads_the_address_book(dingtalk, connector):
    dingtalk.departments = [
        {"dept_id": 2, "name": "销售部", "parent_id": 1},
        {"dept_id": 3, "name": "大客户组", "parent_id": 2},
    ]
    dingtalk.members = {
        1: [{"userid": "boss", "name": "Wang Min", "title": "CEO"}],
        2: [
            {
                "userid": "mgr",
                "name": "Zhang Wei",
                "org_email": "manager@baton.example",
            },
        ],
        3: [
            {
                "userid": SAM,
                "name": "Chen Fang",
                "org_email": "sales@baton.example",
                "job_number": "E0005",
                "title": "Key account manager",
                "manager_userid": "mgr",
                "mobile": "13800000005",
                "active": True,
            },
            {"userid": "mgr", "name": "Zhang Wei"},
        ],
    }
    client = connector.client()

    people = {person.directory_id: person for person in client.list_people()}

    assert set(people) == {"boss", "mgr", SAM}
    chen = people[SAM]
    assert (chen.email, chen.employee_number, chen.position) == (
        "sales@baton.example",
        "E0005",
        "Key account manager",
    )
    assert (chen.department_code, chen.department_name) == ("3", "大客户组")
    assert chen.manager_directory_id == "mgr"
    assert people["mgr"].department_name == "销售部"
    assert people["boss"].department_code == ""


def test_a_last_working_day_that_is_no_date_is_refused_saying_what_it_held(
    connector, dingtalk, people, django_capture_on_commit_callbacks
):
    instance = dingtalk.add(dingtalk_resignation("proc-inst-0010", last_day="下周五"))

    with django_capture_on_commit_callbacks(execute=True):
        push(dingtalk.event(instance))

    refused = ResignationEvent.objects.get()
    assert refused.state == ResignationEvent.State.REFUSED
    assert refused.refusal_code == "dates_missing"
    problem = refused.payload["problems"]["resignation_field_last_working_day"]
    assert "最后工作日" in problem and "下周五" in problem
    assert not Handover.objects.filter(employee=sales()).exists()
