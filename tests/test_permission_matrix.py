"""Who may do what through the API, on the sales handover.

Rows are actions, columns the requester's relation to the handover. A refusal
changes nothing; someone who may not see the handover gets the same 404 as for
an id that does not exist, never a 403 that would leak it.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from rest_framework.test import APIClient

from cms import services
from cms.models import Attachment, Comment, Handover
from tests.fixtures.handovers import (
    PASSWORD,
    action_registry,
    client_list,
    submitted_client_list,
)

ROLES = ("leaver", "successor", "manager", "hr", "it", "stranger", "other")

# "other" takes part in another handover (dev's, from the demo) but not this one.
EXPECTED = {
    #                       leaver successor manager hr   it  stranger other
    "view handover":       (200,   200,      200,    200, 200, 404,    404),
    "list items":          (200,   200,      200,    200, 200, 404,    404),
    "fill an item":        (200,   403,      403,    403, 403, 404,    404),
    "submit":              (200,   403,      403,    403, 403, 404,    404),
    "accept":              (403,   200,      403,    403, 403, 404,    404),
    "return":              (403,   200,      403,    403, 403, 404,    404),
    "comment":             (201,   201,      201,    201, 201, 404,    404),
    "download attachment": (200,   200,      200,    200, 200, 404,    404),
    "declare":             (200,   403,      403,    403, 403, 404,    404),
    "approve a section":   (403,   403,      200,    403, 403, 404,    404),
    "cancel":              (403,   403,      403,    200, 403, 404,    404),
    "add participant":     (403,   403,      201,    201, 403, 404,    404),
    "audit":               (200,   200,      200,    200, 200, 404,    404),
}  # fmt: skip

NOT_FOUND = {"code": "not_found", "detail": "Not found."}


# Each action prepares what it needs and returns (method, path, body).
ACTIONS, prepares = action_registry()


@prepares("view handover")
def _view(handover, people, newcomer):
    return "get", f"handovers/{handover.pk}/", None


@prepares("list items")
def _list_items(handover, people, newcomer):
    return "get", f"handovers/{handover.pk}/items/", None


@prepares("fill an item")
def _fill(handover, people, newcomer):
    item = client_list(handover)
    return "patch", f"items/{item.pk}/", {"version": 1, "data": {"customer": "ACME"}}


@prepares("submit")
def _submit(handover, people, newcomer):
    return "post", f"items/{client_list(handover).pk}/submit/", {"version": 1}


@prepares("accept")
def _accept(handover, people, newcomer):
    item = submitted_client_list(handover, people)
    return "post", f"items/{item.pk}/accept/", {"version": 2, "password": PASSWORD}


@prepares("return")
def _return(handover, people, newcomer):
    item = submitted_client_list(handover, people)
    body = {"version": 2, "password": PASSWORD, "reason": "Which contact at ACME?"}
    return "post", f"items/{item.pk}/return/", body


@prepares("comment")
def _comment(handover, people, newcomer):
    body = {"body": "Who signs for ACME?", "is_question": True}
    return "post", f"items/{client_list(handover).pk}/comments/", body


@prepares("download attachment")
def _download(handover, people, newcomer):
    attachment = services.attachment_add(
        actor=people["sales"],
        item=client_list(handover),
        uploaded_file=SimpleUploadedFile("clients.pdf", b"%PDF-1.4 clients"),
    )
    return "get", f"attachments/{attachment.pk}/download/", None


@prepares("declare")
def _declare(handover, people, newcomer):
    for item in handover.items.filter(filled_by_role="leaver"):
        if item.kind == "field":
            item = services.item_update(
                actor=people["sales"], item=item, version=1, data={"value": True}
            )
        services.item_submit(actor=people["sales"], item=item, version=item.version)
    return "post", f"handovers/{handover.pk}/declare/", {"password": PASSWORD}


@prepares("approve a section")
def _approve_section(handover, people, newcomer):
    section = client_list(handover).section_block_id
    body = {"password": PASSWORD, "section": section}
    return "post", f"handovers/{handover.pk}/approve/", body


@prepares("cancel")
def _cancel(handover, people, newcomer):
    body = {"reason": "The resignation was withdrawn."}
    return "post", f"handovers/{handover.pk}/cancel/", body


@prepares("add participant")
def _add_participant(handover, people, newcomer):
    body = {"user": newcomer.pk, "role": "successor"}
    return "post", f"handovers/{handover.pk}/participants/", body


@prepares("audit")
def _audit(handover, people, newcomer):
    return "get", f"handovers/{handover.pk}/audit/", None


def footprint(handover: Handover) -> dict:
    handover.refresh_from_db()
    return {
        "state": handover.state,
        "items": list(
            handover.items.order_by("pk").values_list(
                "pk", "state", "version", "data", "assignee_id"
            )
        ),
        "participants": sorted(handover.participants.values_list("user_id", "role")),
        "signatures": handover.signatures.count(),
        "comments": Comment.objects.filter(item__handover=handover).count(),
        "attachments": Attachment.objects.filter(item__handover=handover).count(),
        "audit_events": handover.audit_events.count(),
    }


@pytest.mark.parametrize("action", list(EXPECTED))
def test_permission_matrix(action, sales_handover, people, stranger, user_factory):
    newcomer = user_factory(username="newcomer")
    newcomer.save()
    users = {
        "leaver": people["sales"],
        "successor": people["successor"],
        "manager": people["manager"],
        "hr": people["hr"],
        "it": people["it"],
        "stranger": stranger,
        "other": people["dev"],
    }
    method, path, body = ACTIONS[action](sales_handover, people, newcomer)

    statuses, changed_on_refusal, bad_refusals = {}, [], []
    for role in ROLES:
        # Each role starts from the same state: its request is rolled back.
        with transaction.atomic():
            before = footprint(sales_handover)
            client = APIClient()
            client.force_authenticate(users[role])
            response = getattr(client, method)(f"/api/v1/{path}", body, format="json")
            statuses[role] = response.status_code
            if response.status_code >= 400:
                if footprint(sales_handover) != before:
                    changed_on_refusal.append(role)
                refusal = response.json()
                if response.status_code == 404 and refusal != NOT_FOUND:
                    bad_refusals.append((role, refusal))
                if response.status_code == 403 and not refusal.get("detail"):
                    bad_refusals.append((role, refusal))
            transaction.set_rollback(True)

    assert statuses == dict(zip(ROLES, EXPECTED[action], strict=True))
    assert changed_on_refusal == []
    assert bad_refusals == []
