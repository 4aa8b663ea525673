"""Connectors through the REST API: configs with write-only secrets, the sync
log, block status, upstream changes, and signed webhooks."""

import json
import time

import pytest
from rest_framework.test import APIClient

from connectors.api.webhooks import webhook_signature
from connectors.models import BlockSync, ConnectorConfig, SyncRun
from tests.connectors.helpers import crm_block, deals, set_deals, sync

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "whsec-test-0123456789"


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_hr_creates_a_connector_and_never_sees_its_secret_again(people):
    client = as_user(people["hr"])

    created = client.post(
        "/api/v1/connectors/",
        {
            "type": "sample",
            "name": "Finance sample",
            "slug": "finance",
            "settings": {"records": {}},
            "secrets": {"webhook_secret": "very-secret-value"},
        },
        format="json",
    )

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["secret_names"] == ["webhook_secret"]
    assert "very-secret-value" not in json.dumps(body)
    listed = client.get("/api/v1/connectors/?search=finance").json()
    assert "finance" in [row["slug"] for row in listed["results"]]
    assert "very-secret-value" not in json.dumps(listed)


def test_bad_settings_are_refused_with_a_precise_error_and_nothing_saved(people):
    client = as_user(people["hr"])

    response = client.post(
        "/api/v1/connectors/",
        {
            "type": "sample",
            "name": "Broken",
            "slug": "broken",
            "settings": {"records": [], "colour": "blue"},
            "secrets": {"password": "x"},
        },
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "The setting “records” must be of type object." in errors["settings"]
    assert any("Unknown setting “colour”" in text for text in errors["settings"])
    assert errors["secrets"] == [
        "Unknown secret “password”. Known secrets: webhook_secret."
    ]
    assert not ConnectorConfig.objects.filter(slug="broken").exists()


def test_connectors_are_hidden_from_everyone_but_hr_and_it(people):
    assert as_user(people["sales"]).get("/api/v1/connectors/").status_code == 404
    assert as_user(people["it"]).get("/api/v1/connectors/").status_code == 200
    crm = ConnectorConfig.objects.get(slug="crm")
    assert (
        as_user(people["successor"]).get(f"/api/v1/connectors/{crm.pk}/").status_code
        == 404
    )
    assert APIClient().get("/api/v1/connectors/").status_code == 401


def test_test_connection_reports_the_result(people):
    crm = ConnectorConfig.objects.get(slug="crm")

    response = as_user(people["it"]).post(f"/api/v1/connectors/{crm.pk}/test/")

    assert response.json() == {
        "ok": True,
        "message": "2 sample record(s) for 1 employee(s).",
    }
    crm.refresh_from_db()
    assert crm.last_test_ok is True


def test_block_status_and_the_sync_log(started, people):
    status = as_user(people["sales"]).get(f"/api/v1/handovers/{started.pk}/syncs/")

    assert status.status_code == 200
    blocks = {block["connector"]: block for block in status.json()}
    assert (blocks["crm"]["state"], blocks["crm"]["state_label"]) == (
        "ok",
        "Up to date",
    )
    runs = as_user(people["hr"]).get(
        f"/api/v1/sync-runs/?handover={started.pk}&connector=crm"
    )
    assert [(run["trigger"], run["created"]) for run in runs.json()["results"]] == [
        ("start", 2)
    ]
    assert as_user(people["sales"]).get("/api/v1/sync-runs/").status_code == 404


def test_a_stranger_cannot_see_block_status(started, stranger):
    response = as_user(stranger).get(f"/api/v1/handovers/{started.pk}/syncs/")

    assert response.status_code == 404


def test_hr_queues_a_resync_and_the_leaver_may_not(
    started, people, django_capture_on_commit_callbacks
):
    block_id = crm_block(started).block_id
    url = f"/api/v1/handovers/{started.pk}/syncs/{block_id}/run/"

    assert as_user(people["sales"]).post(url).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(people["hr"]).post(url)

    assert response.status_code == 202
    assert SyncRun.objects.filter(handover=started, trigger="manual").count() == 1


def test_take_an_upstream_change_through_the_api(started, people):
    item = deals(started)[0]
    client = as_user(people["sales"])
    typed = {**item.data["data"], "last_quote": "typed by me"}
    patched = client.patch(
        f"/api/v1/items/{item.pk}/",
        {"version": item.version, "data": {"data": typed}},
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    rows = ConnectorConfig.objects.get(slug="crm").settings["records"][
        "sales@baton.example"
    ]["deal"]
    rows[0]["fields"]["quote"] = "from the CRM"
    set_deals(rows)
    sync(started)
    item.refresh_from_db()

    stale = client.post(
        f"/api/v1/items/{item.pk}/upstream/take/",
        {"version": item.version - 1, "field": "last_quote"},
        format="json",
    )
    taken = client.post(
        f"/api/v1/items/{item.pk}/upstream/take/",
        {"version": item.version, "field": "last_quote"},
        format="json",
    )

    assert stale.status_code == 409
    assert taken.status_code == 200
    assert taken.json()["data"]["data"]["last_quote"] == "from the CRM"
    assert taken.json()["upstream"] == {}


def _signed(body: bytes, *, secret=WEBHOOK_SECRET, timestamp=None):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "HTTP_X_BATON_TIMESTAMP": timestamp,
        "HTTP_X_BATON_SIGNATURE": webhook_signature(secret, timestamp, body),
    }


@pytest.fixture
def hooked(started):
    crm = ConnectorConfig.objects.get(slug="crm")
    crm.set_secrets({"webhook_secret": WEBHOOK_SECRET})
    crm.save()
    return started


def post_hook(body: bytes, **headers):
    return APIClient().post(
        "/api/v1/hooks/crm/", body, content_type="application/json", **headers
    )


def test_a_signed_webhook_resyncs_the_employees_handover(
    hooked, django_capture_on_commit_callbacks
):
    rows = ConnectorConfig.objects.get(slug="crm").settings["records"][
        "sales@baton.example"
    ]["deal"]
    rows.append({"id": "D-2000", "title": "New from the CRM", "fields": {}})
    set_deals(rows)
    body = json.dumps({"employees": [{"email": "sales@baton.example"}]}).encode()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_hook(body, **_signed(body))

    assert response.status_code == 202
    assert response.json() == {"queued": 1}
    assert [item.label for item in deals(hooked)][-1] == "New from the CRM"
    assert SyncRun.objects.filter(trigger="webhook").count() == 1


def test_a_webhook_for_someone_else_queues_nothing(hooked):
    body = json.dumps({"employees": [{"email": "nobody@baton.example"}]}).encode()

    response = post_hook(body, **_signed(body))

    assert response.json() == {"queued": 0}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("unsigned", "Sign the request"),
        ("wrong secret", "The signature does not match."),
        ("old", "older than 300 seconds"),
        ("tampered", "The signature does not match."),
    ],
)
def test_bad_webhooks_are_refused_with_401(hooked, case, expected):
    body = b'{"employees": []}'
    headers = {
        "unsigned": {},
        "wrong secret": _signed(body, secret="not-the-secret"),
        "old": _signed(body, timestamp=int(time.time()) - 301),
        "tampered": _signed(b'{"employees": [{}]}'),
    }[case]

    response = post_hook(body, **headers)

    assert response.status_code == 401
    assert expected in response.json()["detail"]
    assert set(
        BlockSync.objects.filter(handover=hooked).values_list("state", flat=True)
    ) == {BlockSync.State.OK, BlockSync.State.WAITING}


def test_a_replayed_webhook_is_refused(hooked):
    body = b"{}"
    headers = _signed(body)

    first = post_hook(body, **headers)
    again = post_hook(body, **headers)

    assert first.status_code == 202
    assert again.status_code == 401
    assert again.json()["detail"] == "This request was already received."


def test_webhooks_for_unknown_connectors_are_404(db):
    response = post_hook(b"{}", **_signed(b"{}"))

    assert response.status_code == 404
