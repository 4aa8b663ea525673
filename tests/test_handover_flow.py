"""The whole life of a handover through the service functions."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cms import services
from cms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cms.models import AuditEvent, Handover, Item, Signature
from cms.services.audit import chain_verify
from tests.fixtures.handovers import PASSWORD, confirm_everything, fill_everything


def test_start_materialises_items_from_the_pinned_revision(sales_handover, people):
    handover = sales_handover
    template = handover.template

    assert handover.state == Handover.State.IN_PROGRESS
    assert handover.template_revision_id == template.live_revision_id
    assert handover.number.startswith("HO-")
    labels = list(handover.items.values_list("label", flat=True))
    assert "Key client list" in labels
    assert "Deals from the CRM" not in labels  # filled by its connector later
    client_list = handover.items.get(label="Key client list")
    assert client_list.due_date == datetime.date(2026, 12, 26)  # 5 days before
    assert client_list.assignee == people["successor"]
    assert {p.role for p in handover.participants.all()} == {
        "leaver",
        "successor",
        "manager",
        "it",
        "hr",
    }


def test_republishing_the_template_never_changes_a_running_handover(sales_handover):
    template = sales_handover.template
    template.title = "Sales handover v2"
    stream = template.body.raw_data
    stream[0]["value"]["items"][0]["value"]["label"] = "Renamed clients"
    template.body = stream
    template.save_revision().publish()
    template.refresh_from_db()

    labels = list(sales_handover.items.values_list("label", flat=True))
    assert "Key client list" in labels
    assert "Renamed clients" not in labels
    assert sales_handover.template_revision_id != template.live_revision_id


def test_happy_path_to_completion(sales_handover, people):
    handover = sales_handover
    fill_everything(handover, people)
    services.handover_declare(
        actor=people["sales"], handover=handover, password=PASSWORD
    )
    confirm_everything(handover, people)

    handover.refresh_from_db()
    assert handover.state == Handover.State.IN_REVIEW
    services.handover_approve(
        actor=people["manager"], handover=handover, password=PASSWORD
    )

    handover.refresh_from_db()
    assert handover.state == Handover.State.COMPLETED
    assert chain_verify(handover.pk) is None
    actions = list(
        AuditEvent.objects.filter(handover=handover).values_list("action", flat=True)
    )
    assert actions[0] == "handover.started"
    assert actions[-1] == "handover.completed"


def test_stale_version_is_refused_and_changes_nothing(sales_handover, people):
    item = sales_handover.items.get(label="Key client list")
    services.item_update(
        actor=people["sales"], item=item, version=1, data={"customer": "ACME"}
    )

    with pytest.raises(Conflict) as caught:
        services.item_update(
            actor=people["sales"], item=item, version=1, data={"customer": "Globex"}
        )

    item.refresh_from_db()
    assert item.data["customer"] == "ACME"
    assert caught.value.extra["current_version"] == 2


def test_successor_cannot_fill_and_stranger_gets_not_found(
    sales_handover, people, stranger
):
    item = sales_handover.items.get(label="Key client list")

    with pytest.raises(PermissionDenied):
        services.item_update(
            actor=people["successor"], item=item, version=1, data={"customer": "x"}
        )
    with pytest.raises(NotFound):
        services.item_update(
            actor=stranger, item=item, version=1, data={"customer": "x"}
        )


def test_accept_needs_the_password_and_a_submitted_item(sales_handover, people):
    item = sales_handover.items.get(label="Key client list")
    with pytest.raises(Conflict):
        services.item_accept(
            actor=people["successor"], item=item, version=1, password=PASSWORD
        )
    services.item_submit(actor=people["sales"], item=item, version=1)

    with pytest.raises(InvalidInput):
        services.item_accept(
            actor=people["successor"], item=item, version=2, password="wrong"
        )

    item.refresh_from_db()
    assert item.state == Item.State.SUBMITTED
    assert not Signature.objects.filter(item=item).exists()


def test_return_opens_a_question_that_blocks_acceptance(sales_handover, people):
    item = sales_handover.items.get(label="Key client list")
    services.item_submit(actor=people["sales"], item=item, version=1)
    services.item_return(
        actor=people["successor"],
        item=item,
        version=2,
        reason="Which quote did ACME get?",
        password=PASSWORD,
    )
    item.refresh_from_db()
    services.item_submit(actor=people["sales"], item=item, version=item.version)
    item.refresh_from_db()

    with pytest.raises(Conflict, match="open question"):
        services.item_accept(
            actor=people["successor"],
            item=item,
            version=item.version,
            password=PASSWORD,
        )

    question = item.comments.get(is_question=True)
    services.comment_add(
        actor=people["sales"], item=item, body="Quote Q-17, 95 折", question=question
    )
    services.comment_resolve(actor=people["successor"], comment=question)
    services.item_accept(
        actor=people["successor"], item=item, version=item.version, password=PASSWORD
    )
    item.refresh_from_db()
    assert item.state == Item.State.ACCEPTED


def test_attachment_with_a_lying_extension_is_refused(sales_handover, people):
    item = sales_handover.items.get(label="Key client list")

    with pytest.raises(InvalidInput):
        services.attachment_add(
            actor=people["sales"],
            item=item,
            uploaded_file=SimpleUploadedFile(
                "clients.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
            ),
        )
    with pytest.raises(InvalidInput):
        services.attachment_add(
            actor=people["sales"],
            item=item,
            uploaded_file=SimpleUploadedFile(
                "run.exe", b"MZ", content_type="application/octet-stream"
            ),
        )
    assert not item.attachments.exists()
