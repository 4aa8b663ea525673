"""The signed HR webhook ``POST /api/v1/intake/resignations/``: a signed
``employee.resigned`` event starts (or proposes) the handover, says so, and is
kept; duplicates, replays, bad signatures, unknown employees and malformed
bodies are refused as HR and the HR system would expect."""

import json
import time

import hypothesis
import pytest
import schemathesis
import yaml
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cms.models import Employee, Handover, ResignationEvent
from connectors.intake.webhook import intake_signature

SECRET = "hr-webhook-s3cret"
URL = "/api/v1/intake/resignations/"


@pytest.fixture
def webhook(settings, demo):
    settings.BATON_INTAKE_WEBHOOK_SECRET = SECRET
    settings.BATON_INTAKE_WEBHOOK_MODE = "start"
    return settings


def event(event_id="hr-2026-00042", **changes):
    payload = {
        "event": "employee.resigned",
        "id": event_id,
        "employee": {"number": "E0005"},
        "resignation_date": "2026-12-01",
        "last_working_day": "2026-12-31",
        "reason": "Moving to Chengdu",
    }
    payload.update(changes)
    return payload


def signed(payload, *, secret=SECRET, timestamp=None, body=None):
    body = body if body is not None else json.dumps(payload).encode()
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    return body, {
        "HTTP_X_BATON_TIMESTAMP": timestamp,
        "HTTP_X_BATON_SIGNATURE": intake_signature(secret, timestamp, body),
    }


def post(body, headers):
    return Client().post(URL, body, content_type="application/json", **headers)


def sales():
    return Employee.objects.get(employee_number="E0005")


# Started, proposed, duplicate -------------------------------------------------------


def test_a_signed_event_starts_the_handover_and_says_so(webhook, people):
    response = post(*signed(event()))

    assert response.status_code == 202, response.content
    body = response.json()
    handover = Handover.objects.get(employee=sales())
    assert body["status"] == "started"
    assert body["handover"] == handover.pk
    assert handover.number in body["message"]
    assert handover.last_working_day.isoformat() == "2026-12-31"
    received = ResignationEvent.objects.get(pk=body["event"])
    assert (received.source, received.external_id) == ("webhook", "hr-2026-00042")
    assert received.state == ResignationEvent.State.STARTED
    assert received.reason == "Moving to Chengdu"
    started = handover.audit_events.get(action="handover.started")
    assert started.details["source"] == "webhook"
    assert started.details["event"] == received.pk


def test_in_propose_mode_the_event_waits_for_hr(webhook, people):
    webhook.BATON_INTAKE_WEBHOOK_MODE = "propose"

    response = post(*signed(event(employee={"email": "sales@baton.example"})))

    assert response.status_code == 202
    assert response.json()["status"] == "proposed"
    assert response.json()["handover"] is None
    assert not Handover.objects.filter(employee=sales()).exists()
    assert ResignationEvent.objects.get().state == ResignationEvent.State.PROPOSED


def test_the_same_event_again_changes_nothing_and_says_duplicate(webhook, people):
    first = post(*signed(event())).json()

    again = post(*signed(event(), timestamp=int(time.time()) + 1))

    assert again.status_code == 202
    assert again.json()["status"] == "duplicate"
    assert again.json()["event"] == first["event"]
    assert again.json()["handover"] == first["handover"]
    assert "already received" in again.json()["message"]
    assert Handover.objects.filter(employee=sales()).count() == 1
    assert ResignationEvent.objects.get().duplicates == 1


def test_a_replayed_request_is_refused_and_counts_for_nothing(webhook, people):
    body, headers = signed(event())
    post(body, headers)

    replay = post(body, headers)

    assert replay.status_code == 401
    assert replay.json()["code"] == "not_authenticated"
    assert ResignationEvent.objects.get().duplicates == 0


# Refused events (kept for HR) -------------------------------------------------------


def test_an_unknown_employee_is_refused_with_the_reason_and_kept(webhook, people):
    response = post(*signed(event(employee={"email": "nobody@baton.example"})))

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "refused"
    assert body["refusal_code"] == "unknown_employee"
    assert "nobody@baton.example" in body["message"]
    kept = ResignationEvent.objects.get()
    assert kept.state == ResignationEvent.State.REFUSED
    assert kept.employee is None
    assert not Handover.objects.filter(employee=sales()).exists()


def test_a_last_working_day_before_the_resignation_is_refused(webhook, people):
    response = post(*signed(event(last_working_day="2026-11-01")))

    assert response.json()["status"] == "refused"
    assert response.json()["refusal_code"] == "last_day_before_resignation"
    assert not Handover.objects.filter(employee=sales()).exists()


def test_a_malformed_event_is_400_and_kept_when_its_id_can_be_read(webhook, people):
    response = post(
        *signed(event("hr-bad-1", last_working_day="31.12.2026", employee={}))
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"last_working_day", "employee"}
    kept = ResignationEvent.objects.get(external_id="hr-bad-1")
    assert kept.state == ResignationEvent.State.REFUSED
    assert kept.refusal_code == "malformed"
    assert "last_working_day" in kept.refusal


def test_a_body_that_is_no_event_at_all_is_400_and_not_kept(webhook, people):
    not_json = post(*signed(None, body=b"{not json"))
    no_id = post(*signed({"event": "employee.resigned"}))
    a_list = post(*signed([event()]))

    assert [not_json.status_code, no_id.status_code, a_list.status_code] == [
        400,
        400,
        400,
    ]
    assert no_id.json()["errors"]["id"]
    assert not ResignationEvent.objects.exists()


def test_another_event_type_is_malformed(webhook, people):
    response = post(*signed(event("hr-9", event="employee.hired")))

    assert response.status_code == 400
    assert "event" in response.json()["errors"]
    assert ResignationEvent.objects.get().refusal_code == "malformed"


# Signatures -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "no headers", "old", "future", "not a number", "body changed"],
)
def test_a_request_not_signed_right_is_401_and_nothing_is_kept(webhook, people, tamper):
    body, headers = signed(event())
    if tamper == "wrong secret":
        body, headers = signed(event(), secret="guess")
    elif tamper == "no headers":
        headers = {}
    elif tamper == "old":
        body, headers = signed(event(), timestamp=int(time.time()) - 301)
    elif tamper == "future":
        body, headers = signed(event(), timestamp=int(time.time()) + 301)
    elif tamper == "not a number":
        headers["HTTP_X_BATON_TIMESTAMP"] = "yesterday"
    elif tamper == "body changed":
        body = body.replace(b"E0005", b"E0006")

    response = post(body, headers)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["detail"]
    assert not ResignationEvent.objects.exists()
    assert not Handover.objects.filter(employee=sales()).exists()


def test_without_a_configured_secret_nothing_is_accepted(webhook, people):
    webhook.BATON_INTAKE_WEBHOOK_SECRET = ""

    response = post(*signed(event(), secret=""))

    assert response.status_code == 401
    assert "not set up" in response.json()["detail"]
    assert not ResignationEvent.objects.exists()


def test_a_body_over_the_limit_is_refused_before_anything_else(webhook, people):
    body, headers = signed(event(reason="x" * 70_000))

    response = post(body, headers)

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not ResignationEvent.objects.exists()


def test_refusals_are_translated(webhook, people):
    response = Client().post(
        URL,
        b"{}",
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert response.status_code == 401
    assert response.json()["detail"].startswith("请")


# The schema -------------------------------------------------------------------------


def test_the_webhook_is_documented_in_the_openapi_schema(db):
    schema = yaml.safe_load(
        Client(HTTP_HOST="127.0.0.1").get("/api/v1/schema/").content
    )

    operation = schema["paths"]["/api/v1/intake/resignations/"]["post"]
    headers = {
        parameter["name"]: parameter["required"]
        for parameter in operation["parameters"]
        if parameter["in"] == "header"
    }
    assert headers == {"X-Baton-Timestamp": True, "X-Baton-Signature": True}
    assert {"202", "400", "401", "413"} <= set(operation["responses"])
    request = operation["requestBody"]["content"]["application/json"]["schema"]
    body = schema["components"]["schemas"][request["$ref"].rsplit("/", 1)[1]]
    assert {"event", "id", "employee"} <= set(body["required"])
    assert "last_working_day" in body["properties"]


# Fuzzed ------------------------------------------------------------------------------

APP = get_wsgi_application()
INTAKE_SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/schema/", APP).include(
    path_regex="/intake/"
)
INTAKE_SCHEMA.config.phases.coverage.enabled = False


@pytest.fixture
def kept_connection(webhook):
    """The WSGI handler closes the database connection after each request; the
    test's transaction lives on it (as in tests/test_api_fuzz.py)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@INTAKE_SCHEMA.parametrize()
@hypothesis.settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_fuzzed_requests_without_a_valid_signature_are_refused_never_a_500(
    case, kept_connection
):
    """With the webhook set up (a secret configured), whatever schemathesis
    sends without the secret's signature is refused as unsigned (or too large),
    as the schema documents it, and nothing is recorded."""
    response = case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )

    if case.path == URL:
        assert response.status_code in (401, 413), response.text
        assert "not set up" not in response.text
    assert not ResignationEvent.objects.exists()
