"""The handover API as a client meets it: the whole flow, stale writes, wrong
passwords, illegal transitions, filters, query counts, files."""

import datetime
import itertools
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cms import services
from cms.demo.content import item as template_item
from cms.demo.content import localise
from cms.models import (
    Attachment,
    Certificate,
    ChecklistTemplatePage,
    Comment,
    Employee,
    Handover,
    Signature,
    TemplateIndexPage,
)
from tests.fixtures.handovers import PASSWORD, complete_handover, item_of

API = "/api/v1"


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def footprint(handover: Handover) -> dict:
    """Everything a refused request must leave as it was."""
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


def pdf(name="proof.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 proof", content_type="application/pdf")


def all_items(client, handover_id) -> list[dict]:
    response = client.get(f"{API}/handovers/{handover_id}/items/?page_size=100")
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_happy_path_through_the_api_alone(people, django_capture_on_commit_callbacks):
    clients = {
        role: as_user(people[username])
        for role, username in [
            ("leaver", "sales"),
            ("successor", "successor"),
            ("manager", "manager"),
            ("hr", "hr"),
            ("it", "it"),
        ]
    }
    leaver, successor = clients["leaver"], clients["successor"]

    # HR starts the handover for sales.
    started = clients["hr"].post(
        f"{API}/handovers/",
        {
            "employee": Employee.objects.get(user=people["sales"]).pk,
            "template": ChecklistTemplatePage.objects.get(
                slug="sales", locale__language_code="en"
            ).pk,
            "successors": [people["successor"].pk],
            "manager": people["manager"].pk,
            "it_users": [people["it"].pk],
            "resignation_date": "2026-12-01",
            "last_working_day": "2026-12-31",
        },
        format="json",
    )
    assert started.status_code == 201, started.json()
    handover_id = started.json()["id"]
    assert started.json()["state"] == "in_progress"
    assert leaver.get(f"{API}/handovers/{handover_id}/").json()["my_roles"] == [
        "leaver"
    ]

    # Each filler fills, uploads and submits what they fill.
    for item in all_items(leaver, handover_id):
        client = clients[item["filled_by_role"]]
        url = f"{API}/items/{item['id']}/"
        version = item["version"]
        if item["kind"] == "field":
            changes = {"value": True}
        elif item["label"] == "Key client list":
            changes = {"customer": "ACME Ltd."}
        else:
            changes = {}
        if changes:
            response = client.patch(
                url, {"version": version, "data": changes}, format="json"
            )
            assert response.status_code == 200, response.json()
            version = response.json()["version"]
        if item["label"] == "Key client list":
            uploaded = client.post(f"{url}attachments/", {"file": pdf()})
            assert uploaded.status_code == 201, uploaded.json()
            version += 1
        submitted = client.post(f"{url}submit/", {"version": version}, format="json")
        assert submitted.status_code == 200, submitted.json()
        assert submitted.json()["state"] == "submitted"

    # The successor returns one item with a question; the leaver answers it,
    # resolves it and submits again.
    orders = next(
        item
        for item in all_items(successor, handover_id)
        if item["label"] == "Open orders and quotes"
    )
    returned = successor.post(
        f"{API}/items/{orders['id']}/return/",
        {
            "version": orders["version"],
            "password": PASSWORD,
            "reason": "Which quote did ACME get?",
        },
        format="json",
    )
    assert returned.status_code == 200, returned.json()
    assert returned.json()["state"] == "returned"
    assert returned.json()["open_questions"] == 1
    comments = leaver.get(f"{API}/items/{orders['id']}/comments/").json()["results"]
    question = next(comment for comment in comments if comment["is_open"])
    answer = leaver.post(
        f"{API}/items/{orders['id']}/comments/",
        {"body": "Quote Q-17, 5% off until March.", "question": question["id"]},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["question"] == question["id"]
    resolved = leaver.post(f"{API}/comments/{question['id']}/resolve/")
    assert resolved.status_code == 200
    assert resolved.json()["is_open"] is False
    resubmitted = leaver.post(
        f"{API}/items/{orders['id']}/submit/",
        {"version": returned.json()["version"]},
        format="json",
    )
    assert resubmitted.status_code == 200, resubmitted.json()

    # The successor accepts everything they confirm in one batch; the other
    # confirmers accept theirs.
    items = all_items(successor, handover_id)
    mine = [item for item in items if item["can_confirm"]]
    assert {item["confirmed_by_role"] for item in mine} == {"successor"}
    batch = successor.post(
        f"{API}/items/accept/",
        {
            "items": [{"id": item["id"], "version": item["version"]} for item in mine],
            "password": PASSWORD,
            "remarks": "",
        },
        format="json",
        HTTP_USER_AGENT="baton-test-client",
    )
    assert batch.status_code == 200, batch.json()
    assert {item["state"] for item in batch.json()["items"]} == {"accepted"}
    for item in items:
        if item["confirmed_by_role"] == "successor":
            continue
        accepted = clients[item["confirmed_by_role"]].post(
            f"{API}/items/{item['id']}/accept/",
            {"version": item["version"], "password": PASSWORD},
            format="json",
        )
        assert accepted.status_code == 200, accepted.json()

    # The leaver declares; the handover goes to review; the manager approves.
    declared = leaver.post(
        f"{API}/handovers/{handover_id}/declare/",
        {"password": PASSWORD, "statement": "All handed over."},
        format="json",
    )
    assert declared.status_code == 200, declared.json()
    assert declared.json()["state"] == "in_review"
    assert declared.json()["blockers"] == []
    with django_capture_on_commit_callbacks(execute=True):  # issues the certificate
        approved = clients["manager"].post(
            f"{API}/handovers/{handover_id}/approve/",
            {"password": PASSWORD},
            format="json",
        )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["state"] == "completed"
    assert [s["decision"] for s in approved.json()["signatures"]] == [
        "declare",
        "approve",
    ]

    audit = clients["hr"].get(f"{API}/handovers/{handover_id}/audit/?page_size=100")
    assert audit.status_code == 200
    assert audit.json()["chain_valid"] is True
    events = audit.json()["results"]
    assert [event["sequence"] for event in events] == list(range(1, len(events) + 1))
    assert events[0]["action"] == "handover.started"
    assert "handover.completed" in [event["action"] for event in events]
    assert all(
        later["previous_hash"] == earlier["hash"]
        for earlier, later in itertools.pairwise(events)
    )
    # Signatures record where the request came from.
    batch_signature = Signature.objects.filter(
        item_id=mine[0]["id"], decision="accept"
    ).get()
    assert batch_signature.ip_address == "127.0.0.1"
    assert batch_signature.user_agent == "baton-test-client"
    certificate = leaver.get(f"{API}/handovers/{handover_id}/certificate/")
    assert certificate.status_code == 200
    assert certificate["Content-Type"] == "application/pdf"
    assert certificate.getvalue().startswith(b"%PDF")
    code = leaver.get(f"{API}/handovers/{handover_id}/").json()["certificate"]["code"]
    assert code == Certificate.objects.get(handover_id=handover_id).code
    client_list = next(
        item
        for item in all_items(successor, handover_id)
        if item["label"] == "Key client list"
    )
    assert client_list["data"]["customer"] == "ACME Ltd."
    assert client_list["attachments"][0]["filename"] == "proof.pdf"
    assert client_list["signatures"][0]["stale"] is False


def test_stale_patch_gets_409_with_the_current_item_and_changes_nothing(
    sales_handover, people
):
    item = item_of(sales_handover, "Key client list")
    leaver = as_user(people["sales"])
    first = leaver.patch(
        f"{API}/items/{item.pk}/",
        {"version": 1, "data": {"customer": "ACME"}},
        format="json",
    )
    assert first.status_code == 200
    before = footprint(sales_handover)

    stale = leaver.patch(
        f"{API}/items/{item.pk}/",
        {"version": 1, "data": {"customer": "Globex"}},
        format="json",
    )

    assert stale.status_code == 409
    body = stale.json()
    assert body["code"] == "conflict"
    assert "version" in body["detail"]
    assert body["current"]["version"] == 2
    assert body["current"]["data"]["customer"] == "ACME"
    assert footprint(sales_handover) == before


def test_wrong_password_on_accept_is_400_and_changes_nothing(sales_handover, people):
    item = item_of(sales_handover, "Key client list")
    services.item_submit(actor=people["sales"], item=item, version=1)
    before = footprint(sales_handover)

    response = as_user(people["successor"]).post(
        f"{API}/items/{item.pk}/accept/",
        {"version": 2, "password": "not my password"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"]["password"]
    # Nothing changed but the audit trail, which records the failed attempt.
    after = footprint(sales_handover)
    assert after.pop("audit_events") == before.pop("audit_events") + 1
    assert after == before
    assert sales_handover.audit_events.latest("sequence").action == ("signature.failed")


def _accept_a_pending_item(handover, people):
    item = item_of(handover, "Key client list")
    return people["successor"], f"items/{item.pk}/accept/", {"version": 1}


def _approve_in_progress(handover, people):
    return people["manager"], f"handovers/{handover.pk}/approve/", {}


def _reopen_completed(handover, people):
    complete_handover(handover, people)
    return people["manager"], f"handovers/{handover.pk}/reopen/", {"reason": "Why"}


@pytest.mark.parametrize(
    "attempt",
    [_accept_a_pending_item, _approve_in_progress, _reopen_completed],
    ids=["accept a pending item", "approve in progress", "reopen completed"],
)
def test_illegal_transitions_are_409_and_change_nothing(
    sales_handover, people, attempt
):
    actor, path, body = attempt(sales_handover, people)
    before = footprint(sales_handover)

    response = as_user(actor).post(
        f"{API}/{path}", {"password": PASSWORD, **body}, format="json"
    )

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "conflict"
    assert response.json()["detail"]
    assert footprint(sales_handover) == before


def test_list_filters_search_and_pagination(sales_handover, people):
    hr = as_user(people["hr"])
    successor = as_user(people["successor"])
    sales_employee = sales_handover.employee

    everything = hr.get(f"{API}/handovers/").json()
    assert everything["count"] == 2  # the demo's for dev, and this one
    first_page = hr.get(f"{API}/handovers/?page_size=1&ordering=number").json()
    assert first_page["count"] == 2
    assert len(first_page["results"]) == 1
    assert first_page["next"]
    second_page = hr.get(first_page["next"]).json()
    assert second_page["results"][0]["id"] != first_page["results"][0]["id"]

    by_employee = hr.get(f"{API}/handovers/?employee={sales_employee.pk}").json()
    assert [h["id"] for h in by_employee["results"]] == [sales_handover.pk]
    by_number = hr.get(f"{API}/handovers/?search={sales_handover.number}").json()
    assert [h["id"] for h in by_number["results"]] == [sales_handover.pk]
    by_name = hr.get(f"{API}/handovers/?search=Chen Fang").json()
    assert [h["id"] for h in by_name["results"]] == [sales_handover.pk]
    assert hr.get(f"{API}/handovers/?state=completed").json()["count"] == 0
    assert hr.get(f"{API}/handovers/?state=in_progress").json()["count"] == 2

    as_leaver = as_user(people["sales"]).get(f"{API}/handovers/?role=leaver").json()
    assert [h["id"] for h in as_leaver["results"]] == [sales_handover.pk]
    assert successor.get(f"{API}/handovers/?role=successor").json()["count"] == 2
    assert successor.get(f"{API}/handovers/?role=leaver").json()["count"] == 0
    listed = successor.get(f"{API}/handovers/").json()["results"]
    assert {tuple(h["my_roles"]) for h in listed} == {("successor",)}
    assert all(h["progress"]["total"] > 0 for h in listed)


def _template_with_tasks(count: int) -> ChecklistTemplatePage:
    index = TemplateIndexPage.objects.get(locale__language_code="en")
    tasks = [
        {
            "type": "task",
            "id": str(uuid.uuid4()),
            "value": localise(template_item("task", f"Task {number}")[1], "en"),
        }
        for number in range(count)
    ]
    template = ChecklistTemplatePage(
        title=f"{count} tasks",
        slug=f"tasks-{count}",
        body=[
            {
                "type": "section",
                "id": str(uuid.uuid4()),
                "value": {"title": "Work", "description": "", "items": tasks},
            }
        ],
    )
    index.add_child(instance=template)
    template.save_revision().publish()
    return ChecklistTemplatePage.objects.get(pk=template.pk)


def _busy_handover(count, people, user_factory) -> Handover:
    """A handover of ``count`` items, each with an attachment, a signature (a
    return) and a question."""
    user = user_factory(username=f"leaver{count}")
    user.save()
    employee = Employee.objects.create(
        employee_number=f"T{count:04d}",
        name=f"Leaver {count}",
        user=user,
        manager=Employee.objects.get(user=people["manager"]),
    )
    handover = services.handover_start(
        actor=people["hr"],
        employee=employee,
        template=_template_with_tasks(count),
        last_working_day=datetime.date(2026, 12, 31),
        successors=[people["successor"]],
    )
    for item in handover.items.all():
        services.attachment_add(actor=user, item=item, uploaded_file=pdf())
        services.item_submit(actor=user, item=item, version=2)
        services.item_return(
            actor=people["successor"],
            item=item,
            version=3,
            reason="Which one?",
            password=PASSWORD,
        )
    return handover


def test_the_item_list_costs_the_same_queries_for_5_and_50_items(people, user_factory):
    small = _busy_handover(5, people, user_factory)
    large = _busy_handover(50, people, user_factory)
    client = as_user(people["successor"])

    with CaptureQueriesContext(connection) as small_queries:
        small_page = client.get(f"{API}/handovers/{small.pk}/items/?page_size=100")
    with CaptureQueriesContext(connection) as large_queries:
        large_page = client.get(f"{API}/handovers/{large.pk}/items/?page_size=100")

    assert small_page.json()["count"] == 5
    assert large_page.json()["count"] == 50
    for item in large_page.json()["results"]:
        assert len(item["attachments"]) == 1
        assert len(item["signatures"]) == 1
        assert item["signatures"][0]["stale"] is False
        assert item["open_questions"] == 1
        assert item["can_confirm"] is False
    assert len(large_queries) == len(small_queries)


def test_a_disallowed_file_type_is_refused_with_a_message(sales_handover, people):
    item = item_of(sales_handover, "Key client list")
    before = footprint(sales_handover)

    response = as_user(people["sales"]).post(
        f"{API}/items/{item.pk}/attachments/",
        {"file": SimpleUploadedFile("run.exe", b"MZ\x90\x00")},
    )

    assert response.status_code == 400
    assert "cannot be attached" in response.json()["errors"]["file"][0]
    assert footprint(sales_handover) == before


def test_attachment_download_for_participants_only(sales_handover, people, stranger):
    item = item_of(sales_handover, "Key client list")
    uploaded = as_user(people["sales"]).post(
        f"{API}/items/{item.pk}/attachments/", {"file": pdf("clients.pdf")}
    )
    url = uploaded.json()["download_url"]

    download = as_user(people["successor"]).get(url)
    refused = as_user(stranger).get(url)
    missing = as_user(stranger).get(f"{API}/attachments/999999/download/")

    assert download.status_code == 200
    assert download.getvalue() == b"%PDF-1.4 proof"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "clients.pdf" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert refused.status_code == 404
    assert refused.json() == missing.json()


def test_certificate_is_404_with_a_message_until_there_is_one(sales_handover, people):
    response = as_user(people["manager"]).get(
        f"{API}/handovers/{sales_handover.pk}/certificate/"
    )

    assert response.status_code == 404
    assert "no certificate yet" in response.json()["detail"]


def test_employees_hr_sees_all_others_see_their_handovers(sales_handover, people):
    hr_list = as_user(people["hr"]).get(f"{API}/employees/?page_size=100").json()
    dev_list = as_user(people["dev"]).get(f"{API}/employees/").json()
    successor_list = as_user(people["successor"]).get(f"{API}/employees/").json()
    sales_dept = as_user(people["hr"]).get(f"{API}/employees/?department=sales")

    assert hr_list["count"] == Employee.objects.count()
    assert [e["name"] for e in dev_list["results"]] == ["Liu Lei"]
    assert {e["name"] for e in successor_list["results"]} == {
        "Chen Fang",
        "Liu Lei",
        "Yang Jing",
    }
    assert {e["name"] for e in sales_dept.json()["results"]} == {
        "Chen Fang",
        "Yang Jing",
        "Zhang Wei",
    }
    sales_employee = sales_handover.employee
    detail = as_user(people["successor"]).get(f"{API}/employees/{sales_employee.pk}/")
    assert [h["number"] for h in detail.json()["handovers"]] == [sales_handover.number]
    hidden = as_user(people["dev"]).get(f"{API}/employees/{sales_employee.pk}/")
    assert hidden.status_code == 404


def test_a_stale_item_refuses_the_whole_batch_and_shows_current_items(
    sales_handover, people
):
    client_list = item_of(sales_handover, "Key client list")
    orders = item_of(sales_handover, "Open orders and quotes")
    for item in (client_list, orders):
        services.item_submit(actor=people["sales"], item=item, version=1)
    before = footprint(sales_handover)

    response = as_user(people["successor"]).post(
        f"{API}/items/accept/",
        {
            "items": [
                {"id": client_list.pk, "version": 2},
                {"id": orders.pk, "version": 1},  # stale
            ],
            "password": PASSWORD,
        },
        format="json",
    )

    assert response.status_code == 409
    assert [item["id"] for item in response.json()["current"]] == [
        client_list.pk,
        orders.pk,
    ]
    assert {item["state"] for item in response.json()["current"]} == {"submitted"}
    assert footprint(sales_handover) == before


def test_not_applicable_then_accepted_and_reassigned(sales_handover, people):
    orders = item_of(sales_handover, "Open orders and quotes")
    manager = as_user(people["manager"])

    unassigned = manager.post(
        f"{API}/items/{orders.pk}/assign/", {"successor": None}, format="json"
    )
    assert unassigned.status_code == 200, unassigned.json()
    assert unassigned.json()["assignee"] is None
    reassigned = manager.post(
        f"{API}/items/{orders.pk}/assign/",
        {"successor": people["successor"].pk},
        format="json",
    )
    assert reassigned.json()["assignee"]["username"] == "successor"

    marked = as_user(people["sales"]).post(
        f"{API}/items/{orders.pk}/not-applicable/",
        {"version": reassigned.json()["version"], "reason": "No open orders."},
        format="json",
    )
    assert marked.status_code == 200, marked.json()
    assert marked.json()["not_applicable_reason"] == "No open orders."
    assert marked.json()["can_fill"] is False
    seen_by_successor = as_user(people["successor"]).get(f"{API}/items/{orders.pk}/")
    assert seen_by_successor.json()["can_confirm"] is True

    accepted = as_user(people["successor"]).post(
        f"{API}/items/{orders.pk}/accept/",
        {"version": marked.json()["version"], "password": PASSWORD},
        format="json",
    )
    assert accepted.json()["state"] == "not_applicable"


def test_hr_adds_and_removes_a_participant_managers_add_successors_only(
    sales_handover, people, user_factory
):
    newcomer = user_factory(username="newcomer")
    newcomer.save()
    url = f"{API}/handovers/{sales_handover.pk}/participants/"

    refused = as_user(people["manager"]).post(
        url, {"user": newcomer.pk, "role": "it"}, format="json"
    )
    added = as_user(people["hr"]).post(
        url, {"user": newcomer.pk, "role": "it"}, format="json"
    )
    newcomer_sees = as_user(newcomer).get(f"{API}/handovers/{sales_handover.pk}/")
    removed = as_user(people["hr"]).delete(
        url, {"user": newcomer.pk, "role": "it"}, format="json"
    )
    newcomer_sees_after = as_user(newcomer).get(f"{API}/handovers/{sales_handover.pk}/")

    assert refused.status_code == 403
    assert "successors" in refused.json()["detail"]
    assert added.status_code == 201
    assert newcomer_sees.json()["my_roles"] == ["it"]
    assert removed.status_code == 204
    assert newcomer_sees_after.status_code == 404
