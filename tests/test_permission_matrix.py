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
    bring_to_review,
    client_list,
    give_leaver_role,
    item_of,
    resolved_upstream_item,
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


# The leaver in every other role ------------------------------------------------
#
# Segregation of duties: the departing employee never confirms, approves, reviews
# or runs their own handover, whatever roles they hold. Columns: `sales` leaving
# and also holding the role named (rows written around the services, as data
# from before the rule would be), and an HR admin (`hr`) leaving, whose HR
# rights do not reach their own handover. Every cell is refused with the reason,
# changes nothing and records no audit event.

LEAVER_AS = ("successor", "manager", "it", "hr", "hr admin")

# The leaver's item that each column's role confirms.
CONFIRMED_BY = {
    "successor": "Key client list",
    "manager": "Pending approvals",
    "it": "Customer group admin rights",
    "hr": "Badge and keys",
    "hr admin": "Badge and keys",
}

CONFIRM = "You cannot confirm items of your own handover."
APPROVE = "You cannot approve your own handover."
REOPEN = "You cannot reopen your own handover."
ASSIGN = "You cannot assign items of your own handover."
MANAGE = "You cannot manage your own handover: another HR admin must run it."

LEAVER_REFUSALS = {
    "accept": CONFIRM,
    "return": CONFIRM,
    "accept several": CONFIRM,
    "accept resolved upstream": CONFIRM,
    "approve a section": APPROVE,
    "approve": APPROVE,
    "reopen": REOPEN,
    "assign an item": ASSIGN,
    "cancel": MANAGE,
    "add participant": MANAGE,
    "remove participant": MANAGE,
    "replace participant": MANAGE,
}

LEAVER_ACTIONS, leaver_prepares = action_registry()


def _submitted(handover, column):
    """The leaver's item their column's role confirms, submitted by them."""
    item = item_of(handover, CONFIRMED_BY[column])
    return services.item_submit(
        actor=handover.employee.user, item=item, version=item.version
    )


@leaver_prepares("accept")
def _leaver_accept(handover, column, people, newcomer):
    item = _submitted(handover, column)
    body = {"version": item.version, "password": PASSWORD}
    return "post", f"items/{item.pk}/accept/", body


@leaver_prepares("return")
def _leaver_return(handover, column, people, newcomer):
    item = _submitted(handover, column)
    body = {"version": item.version, "password": PASSWORD, "reason": "Which one?"}
    return "post", f"items/{item.pk}/return/", body


@leaver_prepares("accept several")
def _leaver_accept_several(handover, column, people, newcomer):
    first = _submitted(handover, column)
    second = services.item_submit(
        actor=handover.employee.user,
        item=item_of(handover, "Paper files in the cabinet"),
        version=1,
    )
    entries = [{"id": item.pk, "version": item.version} for item in (first, second)]
    return "post", "items/accept/", {"items": entries, "password": PASSWORD}


@leaver_prepares("accept resolved upstream")
def _leaver_accept_resolved(handover, column, people, newcomer):
    item = resolved_upstream_item(handover, role=_role(column))
    body = {"version": item.version, "password": PASSWORD}
    return "post", f"items/{item.pk}/accept/", body


@leaver_prepares("approve a section")
def _leaver_approve_section(handover, column, people, newcomer):
    section = item_of(handover, CONFIRMED_BY[column]).section_block_id
    body = {"password": PASSWORD, "section": section}
    return "post", f"handovers/{handover.pk}/approve/", body


@leaver_prepares("approve")
def _leaver_approve(handover, column, people, newcomer):
    bring_to_review(handover)
    return "post", f"handovers/{handover.pk}/approve/", {"password": PASSWORD}


@leaver_prepares("reopen")
def _leaver_reopen(handover, column, people, newcomer):
    bring_to_review(handover)
    body = {"reason": "The client list misses Globex."}
    return "post", f"handovers/{handover.pk}/reopen/", body


@leaver_prepares("assign an item")
def _leaver_assign(handover, column, people, newcomer):
    services.participant_add(
        actor=people["hrhead"], handover=handover, user=newcomer, role="successor"
    )
    item = client_list(handover)
    body = {"successor": newcomer.pk, "version": item.version}
    return "post", f"items/{item.pk}/assign/", body


@leaver_prepares("cancel")
def _leaver_cancel(handover, column, people, newcomer):
    body = {"reason": "The resignation was withdrawn."}
    return "post", f"handovers/{handover.pk}/cancel/", body


@leaver_prepares("add participant")
def _leaver_add_participant(handover, column, people, newcomer):
    body = {"user": newcomer.pk, "role": "successor"}
    return "post", f"handovers/{handover.pk}/participants/", body


@leaver_prepares("remove participant")
def _leaver_remove_participant(handover, column, people, newcomer):
    body = {"user": people["successor"].pk, "role": "successor"}
    return "delete", f"handovers/{handover.pk}/participants/", body


@leaver_prepares("replace participant")
def _leaver_replace_participant(handover, column, people, newcomer):
    body = {
        "user": people["successor"].pk,
        "replacement": newcomer.pk,
        "role": "successor",
    }
    return "post", f"handovers/{handover.pk}/participants/replace/", body


def _role(column: str) -> str:
    return "hr" if column == "hr admin" else column


@pytest.mark.parametrize("action", list(LEAVER_REFUSALS))
def test_the_leaver_in_every_other_role_is_refused(
    action, sales_handover, hr_leaver_handover, people, user_factory
):
    newcomer = user_factory(username="newcomer")
    newcomer.save()
    outcomes, changed_on_refusal = {}, []
    for column in LEAVER_AS:
        # Each column starts from the same state: its request is rolled back.
        with transaction.atomic():
            if column == "hr admin":
                handover, leaver = hr_leaver_handover, people["hr"]
            else:
                handover = sales_handover
                leaver = give_leaver_role(handover, column)
            handover = Handover.objects.get(pk=handover.pk)
            method, path, body = LEAVER_ACTIONS[action](
                handover, column, people, newcomer
            )
            before = footprint(handover)
            client = APIClient()
            client.force_authenticate(leaver)
            response = getattr(client, method)(f"/api/v1/{path}", body, format="json")
            detail = response.json().get("detail") if response.content else None
            outcomes[column] = (response.status_code, detail)
            if footprint(handover) != before:
                changed_on_refusal.append(column)
            transaction.set_rollback(True)

    refused = (403, LEAVER_REFUSALS[action])
    assert outcomes == dict.fromkeys(LEAVER_AS, refused)
    assert changed_on_refusal == []
