"""PATCH /items/{id}/ is a JSON Merge Patch (RFC 7396) of the item's data:
nested objects merge, null removes, untouched fields keep their value and who
set it; bad bodies are refused naming the field, and nothing changes."""

import json
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cms import services
from cms.models import Item, ItemVersion
from tests.fixtures.handovers import client_list, item_of

API = "/api/v1"


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def synced_item(handover, successor, **fields) -> Item:
    """A record a connector put in, as the sync engine writes it: its fields
    under ``data`` and each field's provenance ``data.<name>`` from the sync."""
    at = timezone.now().isoformat()
    return Item.objects.create(
        handover=handover,
        block_id=f"jira-issues:{uuid.uuid4().hex[:20]}",
        section_title="Clients and deals",
        position=50,
        kind="connector_list",
        label=fields.get("description", "An issue"),
        definition={"connector": "jira", "record_kind": "issue", "label": "Issues"},
        data={"external_id": "D-1", "record_kind": "issue", "data": dict(fields)},
        provenance={
            f"data.{name}": {"source": "sync", "connector": "jira", "at": at}
            for name in fields
        },
        filled_by_role="leaver",
        confirmed_by_role="successor",
        assignee=successor,
    )


@pytest.fixture
def deal(sales_handover, people):
    return synced_item(
        sales_handover,
        people["successor"],
        description="Fix invoice export",
        location="Shanghai",
        progress_percent=40,
    )


def _patch(client, item, body, content_type="application/json"):
    return client.patch(
        f"{API}/items/{item.pk}/", json.dumps(body), content_type=content_type
    )


def test_a_nested_patch_keeps_the_synced_fields_and_their_provenance(deal, people):
    leaver = as_user(people["sales"])

    response = _patch(
        leaver, deal, {"version": 1, "data": {"data": {"next_step": "x"}}}
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["data"]["data"] == {
        "description": "Fix invoice export",
        "location": "Shanghai",
        "progress_percent": 40,
        "next_step": "x",
    }
    assert body["data"]["external_id"] == "D-1"
    assert body["provenance"]["data.next_step"]["source"] == "person"
    for synced in ("description", "location", "progress_percent"):
        assert body["provenance"][f"data.{synced}"]["source"] == "sync"
    assert "data" not in body["provenance"]
    version = ItemVersion.objects.get(item=deal, number=2)
    assert version.changes == {"data.next_step": [None, "x"]}


def test_null_removes_a_key_and_marks_only_that_key_as_typed(deal, people):
    leaver = as_user(people["sales"])

    response = _patch(
        leaver,
        deal,
        {"version": 1, "data": {"data": {"location": None, "progress_percent": 50}}},
        content_type="application/merge-patch+json",
    )

    assert response.status_code == 200, response.json()
    data = response.json()["data"]["data"]
    assert data == {"description": "Fix invoice export", "progress_percent": 50}
    provenance = response.json()["provenance"]
    assert provenance["data.location"]["source"] == "person"
    assert provenance["data.progress_percent"]["source"] == "person"
    assert provenance["data.description"]["source"] == "sync"


def test_nested_objects_of_a_kind_merge(sales_handover, people):
    item = client_list(sales_handover)
    leaver = as_user(people["sales"])
    first = _patch(
        leaver,
        item,
        {"version": 1, "data": {"contact_person": {"name": "Mr Li", "phone": "1"}}},
    )
    assert first.status_code == 200, first.json()

    second = _patch(
        leaver, item, {"version": 2, "data": {"contact_person": {"phone": "2"}}}
    )

    assert second.status_code == 200, second.json()
    contact = second.json()["data"]["contact_person"]
    assert contact["name"] == "Mr Li"
    assert contact["phone"] == "2"


def test_a_null_answer_to_a_question_clears_it_without_removing_it(
    sales_handover, people
):
    question = item_of(sales_handover, "Did you promise any client a discount?")
    leaver = as_user(people["sales"])
    first = _patch(leaver, question, {"version": 1, "data": {"value": True}})
    assert first.status_code == 200

    response = _patch(leaver, question, {"version": 2, "data": {"value": None}})

    assert response.status_code == 200, response.json()
    assert response.json()["data"] == {"value": None}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (["not", "an", "object"], "data"),
        ("garbage", "data"),
        ({"data": "garbage"}, "data"),
        ({"data": None}, "data"),
        ({"data": {"progress_percent": "lots"}}, "data.progress_percent"),
        ({"data": {"surprise": 1}}, "data.surprise"),
        ({"record_kind": "spaceship"}, "record_kind"),
        ({"surprise": 1}, "surprise"),
    ],
    ids=[
        "array",
        "text",
        "nested text",
        "required removed",
        "nested type",
        "nested unknown",
        "enum",
        "unknown",
    ],
)
def test_a_bad_patch_is_refused_naming_the_field_and_changes_nothing(
    deal, people, data, field
):
    leaver = as_user(people["sales"])

    response = _patch(leaver, deal, {"version": 1, "data": data})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"], body
    deal.refresh_from_db()
    assert deal.version == 1
    assert deal.data["data"]["description"] == "Fix invoice export"


def test_a_body_that_is_not_an_object_or_not_json_is_refused(deal, people):
    leaver = as_user(people["sales"])

    not_an_object = _patch(leaver, deal, [1, 2])
    not_json = leaver.patch(
        f"{API}/items/{deal.pk}/", "{nope", content_type="application/json"
    )

    assert not_an_object.status_code == 400
    assert not_json.status_code == 400
    deal.refresh_from_db()
    assert deal.version == 1


def test_errors_are_translated(deal, people):
    leaver = as_user(people["sales"])

    response = leaver.patch(
        f"{API}/items/{deal.pk}/",
        json.dumps({"version": 1, "data": ["x"]}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert response.status_code == 400
    assert response.json()["errors"]["data"] != ["Send the item's fields as an object."]


def test_the_participant_form_path_still_saves_full_values(deal, people):
    """The participant pages send every field of the form (blank ones as null)."""
    item = services.item_update(
        actor=people["sales"],
        item=deal,
        version=1,
        data={
            "data": {
                "description": "Fix invoice export",
                "location": "Shanghai",
                "progress_percent": 40,
                "next_step": None,
            }
        },
    )
    assert item.version == 1  # nothing changed

    item = services.item_update(
        actor=people["sales"],
        item=deal,
        version=1,
        data={
            "data": {
                "description": "Fix invoice export",
                "location": "Beijing",
                "progress_percent": 40,
            }
        },
    )

    assert item.data["data"]["location"] == "Beijing"
    assert item.provenance["data.location"]["source"] == "person"
    assert item.provenance["data.description"]["source"] == "sync"


def test_the_schema_documents_merge_patch(db, api_client):
    schema = api_client.get(f"{API}/schema/?format=json").json()

    patch = schema["paths"]["/api/v1/items/{id}/"]["patch"]

    assert set(patch["requestBody"]["content"]) >= {
        "application/json",
        "application/merge-patch+json",
    }
    assert "RFC 7396" in patch["description"]
    assert "null" in patch["description"]
