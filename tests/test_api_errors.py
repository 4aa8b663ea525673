"""Bad input never makes a server error, and every error is the API's JSON:
ids out of range in a path, a query or a body, the same manual grant twice,
a connector's settings sent as null, URLs no route matches, oversized bodies;
and the schema says what the API answers."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework import exceptions
from rest_framework.test import APIClient

from cms.api.errors import exception_handler
from connectors.models import AccessGrant, ConnectorConfig

API = "/api/v1"
HUGE = "36893488147419103233"  # 2^65 + 1: past any database integer
TOO_BIG = str(2**63)  # one past the largest bigint


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    if code is not None:
        assert body["code"] == code
    return body


@pytest.fixture
def schema(db):
    response = APIClient().get(f"{API}/schema/", {"format": "json"})
    return json.loads(response.content)


# Ids ---------------------------------------------------------------------------


PATHS_WITH_IDS = [
    "templates/{id}/",
    "handovers/{id}/",
    "handovers/{id}/items/",
    "handovers/{id}/audit/",
    "handovers/{id}/access/",
    "items/{id}/",
    "items/{id}/comments/",
    "access-changes/{id}/",
    "access-grants/{id}/",
    "connectors/{id}/",
    "employees/{id}/",
]


def test_a_path_id_out_of_range_is_a_json_404(people):
    hr = as_user(people["hr"])

    for path in PATHS_WITH_IDS:
        for bad_id in [HUGE, TOO_BIG, "0", "abc", "-1", "١٢"]:
            assert_error(hr.get(f"{API}/{path.format(id=bad_id)}"), 404, "not_found")


def test_the_largest_id_is_still_an_id(people):
    response = as_user(people["hr"]).get(f"{API}/handovers/{2**63 - 1}/")

    assert_error(response, 404, "not_found")


QUERY_IDS = [
    ("handovers/", "employee"),
    ("access-changes/", "handover"),
    ("access-grants/", "handover"),
    ("sync-runs/", "handover"),
    ("write-backs/", "handover"),
]


def test_a_query_id_out_of_range_is_refused_naming_it(people):
    hr = as_user(people["hr"])

    for path, field in QUERY_IDS:
        for bad_id in [HUGE, "0", "1.5", "1e3", "abc"]:
            body = assert_error(hr.get(f"{API}/{path}", {field: bad_id}), 400)
            assert list(body["errors"]) == [field]


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "yesterday"]
)
def test_a_time_the_database_cannot_hold_is_refused_naming_it(people, when):
    response = as_user(people["it"]).get(f"{API}/sync-runs/", {"started_after": when})

    assert list(assert_error(response, 400, "invalid")["errors"]) == ["started_after"]


def test_a_time_with_a_far_offset_filters_in_utc(people):
    response = as_user(people["it"]).get(
        f"{API}/sync-runs/", {"started_after": "0115-08-07T17:16:12-20:50"}
    )

    assert response.status_code == 200, response.content


def test_a_query_id_in_range_filters(people, sales_handover):
    response = as_user(people["hr"]).get(
        f"{API}/handovers/", {"employee": sales_handover.employee_id}
    )

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [sales_handover.pk]


def test_body_ids_out_of_range_are_refused_naming_the_field(people, sales_handover):
    hr = as_user(people["hr"])

    started = hr.post(
        f"{API}/handovers/",
        {"employee": int(HUGE), "template": 0, "last_working_day": "2027-01-31"},
        format="json",
    )
    batch = hr.post(
        f"{API}/items/accept/",
        {"items": [{"id": int(HUGE), "version": 1}], "password": "x"},
        format="json",
    )
    run_now = hr.post(
        f"{API}/access-changes/run-now/", {"ids": [int(HUGE), "7"]}, format="json"
    )
    participant = hr.post(
        f"{API}/handovers/{sales_handover.pk}/participants/",
        {"user": True, "role": "successor"},
        format="json",
    )

    assert set(assert_error(started, 400, "invalid")["errors"]) >= {
        "employee",
        "template",
    }
    # A list's errors are keyed by the position of each bad element.
    assert assert_error(batch, 400, "invalid")["errors"]["items"] == {
        "0": {"id": ["A valid id is a whole number from 1 to 9223372036854775807."]}
    }
    assert list(assert_error(run_now, 400, "invalid")["errors"]["ids"]) == ["0"]
    assert list(assert_error(participant, 400, "invalid")["errors"]) == ["user"]


# The four server errors found by hand ------------------------------------------


def test_delete_on_a_grant_is_not_allowed_and_says_so_in_json(people, sales_handover):
    grant = AccessGrant.objects.create(
        handover=sales_handover,
        system="Door badges",
        kind=AccessGrant.Kind.ACCOUNT,
        account_id="sales",
    )
    it = as_user(people["it"])

    assert_error(it.delete(f"{API}/access-grants/0/"), 404, "not_found")
    assert_error(
        it.delete(f"{API}/access-grants/{grant.pk}/"), 405, "method_not_allowed"
    )
    assert AccessGrant.objects.filter(pk=grant.pk).exists()


def test_the_same_manual_grant_twice_is_a_conflict(people, sales_handover):
    hr = as_user(people["hr"])
    url = f"{API}/handovers/{sales_handover.pk}/access/"
    grant = {"system": "Door badges", "account": "sales", "instructions": "Disable"}

    first = hr.post(url, grant, format="json")
    again = hr.post(url, {**grant, "system": "door badges "}, format="json")
    elsewhere = hr.post(url, {**grant, "system": "Parking"}, format="json")

    assert first.status_code == 201, first.content
    assert first.json()["connector"] is None
    assert_error(again, 409, "conflict")
    assert elsewhere.status_code == 201, elsewhere.content
    assert sales_handover.access_grants.filter(connector=None).count() == 2


def test_a_manual_grant_longer_than_its_label_is_refused(people, sales_handover):
    response = as_user(people["hr"]).post(
        f"{API}/handovers/{sales_handover.pk}/access/",
        {"system": "VPN", "account": "a" * 256, "instructions": "Disable"},
        format="json",
    )

    assert list(assert_error(response, 400, "invalid")["errors"]) == ["account"]


@pytest.mark.parametrize("settings_value", ["null", "[]", '"text"'])
def test_connector_settings_that_are_not_an_object_are_refused(people, settings_value):
    connector = ConnectorConfig.objects.create(
        slug="crm-x", name="CRM", type="sample", settings={}
    )

    response = as_user(people["hr"]).patch(
        f"{API}/connectors/{connector.pk}/",
        {"settings": settings_value, "name": "CRM"},
        format="multipart",
    )

    assert list(assert_error(response, 400, "invalid")["errors"]) == ["settings"]
    connector.refresh_from_db()
    assert connector.settings == {}


def test_multipart_connector_settings_as_json_text_are_saved(people):
    connector = ConnectorConfig.objects.create(
        slug="crm-y", name="CRM", type="sample", settings={}
    )

    response = as_user(people["hr"]).patch(
        f"{API}/connectors/{connector.pk}/",
        {"settings": "{}", "name": "CRM renamed"},
        format="multipart",
    )

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "CRM renamed"


# What Django answers itself under /api/ ------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
def test_unknown_api_urls_are_json_404s(people, settings, debug):
    settings.DEBUG = debug
    hr = as_user(people["hr"])

    assert_error(hr.get(f"{API}/handovers/abc/"), 404, "not_found")
    assert_error(hr.get(f"{API}/no-such-thing/"), 404, "not_found")
    assert_error(APIClient().get("/api/v9/"), 404, "not_found")


def test_pages_outside_the_api_keep_their_html_404(db):
    response = APIClient().get("/en/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_an_oversized_body_is_a_json_413(people, sales_handover, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    response = as_user(people["hr"]).post(
        f"{API}/handovers/{sales_handover.pk}/cancel/",
        {"reason": "x" * 4096},
        format="json",
    )

    assert_error(response, 413, "too_large")


def test_an_oversized_form_is_a_json_413(people, sales_handover, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    item = sales_handover.items.first()

    response = as_user(people["hr"]).post(
        f"{API}/items/{item.pk}/comments/",
        {"body": "x" * 4096},
        format="multipart",
    )

    assert_error(response, 413, "too_large")


def test_other_refusals_are_json(people, sales_handover):
    hr = as_user(people["hr"])
    url = f"{API}/handovers/{sales_handover.pk}/cancel/"

    assert_error(APIClient().get(f"{API}/handovers/"), 401, "not_authenticated")
    assert_error(hr.put(url, {}, format="json"), 405, "method_not_allowed")
    assert_error(
        hr.post(url, "reason=x", content_type="text/plain"),
        415,
        "unsupported_media_type",
    )
    assert_error(
        hr.post(url, "{not json", content_type="application/json"), 400, "parse_error"
    )
    file_upload = hr.post(
        f"{API}/items/{sales_handover.items.first().pk}/attachments/",
        {"file": SimpleUploadedFile("a.txt", b"x")},
        format="json",
    )
    assert file_upload.status_code in (400, 415)
    assert_error(file_upload, file_upload.status_code)


def test_throttling_is_a_json_429():
    response = exception_handler(exceptions.Throttled(wait=30), {})

    assert response.status_code == 429
    assert response.data["code"] == "throttled"
    assert "30" in response.data["detail"]


# The schema tells the truth -----------------------------------------------------


def test_every_operation_documents_its_errors(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "429" in responses, (method, path)
            if {} not in operation.get("security", [{}]):
                assert {"401", "403", "404"} <= set(responses), (method, path)
            if method in ("post", "put", "patch"):
                assert {"400", "413", "415"} <= set(responses), (method, path)
            for status, response in responses.items():
                if status.startswith("4"):
                    content = response["content"]["application/json"]
                    assert content["schema"]["$ref"].startswith(
                        "#/components/schemas/"
                    ), (method, path, status)


def test_the_schema_types_what_is_returned(schema):
    components = schema["components"]["schemas"]
    paths = schema["paths"]

    assert components["AccessGrant"]["properties"]["connector"]["nullable"]
    errors = components["Error"]["properties"]["errors"]
    assert errors["type"] == "object"
    assert {"type": "object"} in errors["additionalProperties"]["anyOf"]
    run = paths["/api/v1/handovers/{handover_id}/syncs/{block_id}/run/"]["post"]
    assert "202" in run["responses"] and "200" not in run["responses"]
    retry = paths["/api/v1/write-backs/{id}/retry/"]["post"]
    assert "202" in retry["responses"] and "200" not in retry["responses"]
    handover_id = paths["/api/v1/handovers/{id}/"]["get"]["parameters"][0]
    assert handover_id["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 2**63 - 1,
    }
