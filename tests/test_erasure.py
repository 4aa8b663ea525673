# Chinese text uses full-width punctuation on purpose.
# ruff: noqa: RUF001
"""Erasure by data class and for one person: the personal data goes, every
proof stays — ``verify_audit``, each signature, the certificate checks and the
verify page pass afterwards; the trail written before erasable events existed
is converted and still verifies."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.core import serializers
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Q
from django.db.utils import DatabaseError
from django.urls import reverse
from django.utils import timezone

from cms import services
from cms.backup.checks import certificate_problems
from cms.models import (
    Attachment,
    AuditEvent,
    Certificate,
    Comment,
    Delivery,
    Employee,
    Item,
    ItemVersion,
    Notification,
    Signature,
)
from cms.models.handovers import private_storage
from cms.services.audit import GENESIS_HASH, content_hash, event_hash
from cms.services.audit.chain import chain_checkpoint_sign
from cms.services.audit.conversion import CONVERTED_ACTION
from cms.services.erasure import (
    ERASED_ACTION,
    DataClass,
    ErasureRefused,
    erase,
    erase_person,
    pseudonym_label,
)
from cms.services.signing import (
    RequestMeta,
    server_sign,
    signature_original_verify,
    signature_payload,
    signature_verify,
)
from connectors.models import ConnectorConfig, SyncedRecord
from tests.fixtures.handovers import PASSWORD, fill_everything, item_of

NOTES = "五年老客户，王总的私人手机 138-0000-1111"
QUESTION = "Does Mr Wang still prefer calls at home?"
ANSWER = "Yes, after 8 pm on his private number"
REMARKS = "Met them on Friday at Fang's flat"
IP = "203.0.113.77"
USER_AGENT = "ErasureTestBrowser/1.0"
UPSTREAM_EMAIL = "wang@acme.example"
META = RequestMeta(ip_address=IP, user_agent=USER_AGENT)
ATTACHMENT = "wang-contacts.pdf"
SECRETS = [
    NOTES,
    QUESTION,
    ANSWER,
    REMARKS,
    IP,
    USER_AGENT,
    UPSTREAM_EMAIL,
    ATTACHMENT,
]

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)


def _complete(handover, people):
    client = item_of(handover, "Key client list")
    services.item_update(
        actor=people["sales"],
        item=client,
        version=1,
        data={"customer": "ACME", "relationship_notes": NOTES},
        meta=META,
    )
    services.attachment_add(
        actor=people["sales"],
        item=client,
        uploaded_file=SimpleUploadedFile(
            ATTACHMENT, b"%PDF-1.4 Wang's numbers", content_type="application/pdf"
        ),
        meta=META,
    )
    question = services.comment_add(
        actor=people["successor"],
        item=client,
        body=QUESTION,
        is_question=True,
        meta=META,
    )
    services.comment_add(
        actor=people["sales"], item=client, body=ANSWER, question=question, meta=META
    )
    services.comment_resolve(actor=people["successor"], comment=question, meta=META)
    fill_everything(handover, people)
    services.handover_declare(
        actor=people["sales"], handover=handover, password=PASSWORD, meta=META
    )
    confirmers = {
        "successor": people["successor"],
        "it": people["it"],
        "hr": people["hr"],
        "manager": people["manager"],
    }
    for item in handover.items.order_by("position"):
        item.refresh_from_db()
        services.item_accept(
            actor=confirmers[item.confirmed_by_role],
            item=item,
            version=item.version,
            password=PASSWORD,
            remarks=REMARKS if item.pk == client.pk else "",
            meta=META,
        )
    services.handover_approve(
        actor=people["manager"], handover=handover, password=PASSWORD, meta=META
    )
    handover.refresh_from_db()


def _connector_and_notification_rows(handover, people):
    connector = ConnectorConfig.objects.create(
        type="memory", name="Erasure CRM", slug="erasure-crm"
    )
    item = Item.objects.create(
        handover=handover,
        block_id="crm-clients:acme",
        position=90,
        kind="connector_list",
        label="ACME",
        definition={"connector": "crm", "record_kind": "client"},
        data={"external_id": "acme", "data": {"contact": UPSTREAM_EMAIL}},
        state=Item.State.ACCEPTED,
        filled_by_role="leaver",
        confirmed_by_role="successor",
    )
    SyncedRecord.objects.create(
        handover=handover,
        connector=connector,
        external_id="acme",
        block_id="crm-clients",
        item=item,
        upstream={"contact": UPSTREAM_EMAIL},
        last_seen_at=timezone.now(),
    )
    delivery = Delivery.objects.create(
        recipient=people["sales"],
        handover=handover,
        channel="email",
        state=Delivery.State.SENT,
        subject=f"Your handover {handover.number}",
    )
    Notification.objects.create(
        recipient=people["sales"],
        handover=handover,
        event="handover.completed",
        details={"actor": QUESTION},
        language="en",
        delivery=delivery,
    )


@pytest.fixture
def finished(sales_handover, people, django_capture_on_commit_callbacks):
    """A completed handover with item content, a question, an attachment,
    remarks, IP addresses and user agents, a connector record, notifications
    and its certificate."""
    with django_capture_on_commit_callbacks(execute=True):
        _complete(sales_handover, people)
    _connector_and_notification_rows(sales_handover, people)
    return sales_handover


def _dump(handover) -> str:
    """Every row erasure works on, as text."""
    querysets = [
        Item.objects.filter(handover=handover),
        ItemVersion.objects.filter(item__handover=handover),
        Comment.objects.filter(item__handover=handover),
        Attachment.objects.filter(item__handover=handover),
        Signature.objects.filter(handover=handover),
        AuditEvent.objects.filter(handover=handover),
        Certificate.objects.filter(handover=handover),
        SyncedRecord.objects.filter(handover=handover),
        Delivery.objects.filter(handover=handover),
        Notification.objects.filter(handover=handover),
    ]
    return "\n".join(
        serializers.serialize("json", queryset, ensure_ascii=False)
        for queryset in querysets
    )


def _files(handover) -> list[str]:
    names = list(
        Attachment.objects.filter(item__handover=handover).values_list(
            "file", flat=True
        )
    )
    return [*names, Certificate.objects.get(handover=handover).pdf.name]


def _all_signatures_verify(handover) -> bool:
    signatures = Signature.objects.filter(handover=handover).select_related(
        "handover", "item"
    )
    return all(signature_verify(signature) for signature in signatures)


def test_erasing_every_class_removes_the_personal_data_and_keeps_every_proof(
    finished, people, client, django_capture_on_commit_callbacks
):
    files = _files(finished)
    before = _dump(finished)
    assert [secret for secret in SECRETS if secret not in before] == []
    assert all(private_storage.exists(name) for name in files)

    with django_capture_on_commit_callbacks(execute=True):
        changed = {
            data_class: erase(
                data_class, [finished.pk], actor=people["hr"], policy="Test policy"
            )
            for data_class in DataClass
        }

    assert all(changed.values()), changed
    after = _dump(finished)
    assert [secret for secret in SECRETS if secret in after] == []
    assert not any(private_storage.exists(name) for name in files)
    assert not Delivery.objects.filter(handover=finished).exists()
    assert not Notification.objects.filter(handover=finished).exists()
    participants = {people[name].username for name in ("sales", "successor")}
    events = AuditEvent.objects.filter(handover=finished)
    assert not events.filter(actor_name__in=participants).exists()
    successor_event = events.filter(actor_id=people["successor"].pk).first()
    assert pseudonym_label(successor_event.actor_name) == "Successor #1"
    # What the hashes cover stays: the trail, every signature, the certificate.
    call_command("verify_audit")
    assert _all_signatures_verify(finished)
    certificate = Certificate.objects.get(handover=finished)
    assert certificate_problems(certificate) == []
    response = client.get(reverse("reports:verify", args=[certificate.code]))
    assert response.status_code == 200
    assert certificate.pdf_sha256 in response.content.decode()
    assert "deleted its copy of this PDF" in response.content.decode()
    # One erasure event per class, without personal data.
    erasures = events.filter(action=ERASED_ACTION)
    assert sorted(erasures.values_list("details__class", flat=True)) == sorted(
        DataClass.values
    )
    assert all(
        set(details) == {"class", "count", "policy", "scope"}
        for details in erasures.values_list("details", flat=True)
    )

    with django_capture_on_commit_callbacks(execute=True):
        again = [
            erase(data_class, [finished.pk], actor=people["hr"])
            for data_class in DataClass
        ]

    assert again == [0] * len(DataClass)
    assert events.filter(action=ERASED_ACTION).count() == len(DataClass)


def test_an_open_handover_is_refused(sales_handover, people):
    client = item_of(sales_handover, "Key client list")
    services.item_update(
        actor=people["sales"],
        item=client,
        version=1,
        data={"customer": "ACME", "relationship_notes": NOTES},
    )

    with pytest.raises(ErasureRefused, match=sales_handover.number):
        erase(DataClass.HANDOVER_CONTENT, [sales_handover.pk], actor=people["hr"])

    client.refresh_from_db()
    assert client.data["relationship_notes"] == NOTES
    assert not sales_handover.audit_events.filter(action=ERASED_ACTION).exists()


def test_erase_person_anonymises_them_and_keeps_what_must_be_kept(
    finished, people, client, django_capture_on_commit_callbacks
):
    employee = finished.employee
    user = employee.user
    name, username = employee.name, user.username
    certificate = Certificate.objects.get(handover=finished)
    keep = {
        "certificates": "Labour Contract Law Art. 50: two years",
        "handover_content": "Labour Contract Law Art. 50: two years",
    }

    with django_capture_on_commit_callbacks(execute=True):
        counts = erase_person(
            employee, actor=people["hr"], reason="PIPL Art. 47 request", keep=keep
        )

    employee.refresh_from_db()
    user.refresh_from_db()
    assert pseudonym_label(employee.name) == "Leaver"
    assert employee.name != name
    assert (employee.work_email, employee.work_phone) == ("", "")
    assert employee.employee_number == f"erased-{employee.pk}"
    assert user.username != username
    assert (user.email, user.first_name, user.last_name) == ("", "", "")
    assert not user.is_active
    assert not user.has_usable_password()
    assert set(counts) == {
        *(set(DataClass.values) - set(keep)),
        "person_record",
    }
    assert counts["comments"] >= 2  # the question and the remarks
    after = _dump(finished)
    assert QUESTION not in after
    assert REMARKS not in after
    assert IP not in after
    # The kept classes are untouched.
    assert NOTES in after
    assert private_storage.exists(certificate.pdf.name)
    certificate.refresh_from_db()
    assert certificate.pdf_erased_at is None
    call_command("verify_audit")
    assert _all_signatures_verify(finished)
    assert certificate_problems(certificate) == []
    response = client.get(reverse("reports:verify", args=[certificate.code]))
    assert response.status_code == 200
    assert response.context["initials"] == "—"


def test_erase_person_takes_only_their_own_rows_from_others_handovers(finished, people):
    successor = people["successor"]
    employee = Employee.objects.get(user=successor)
    events = finished.audit_events.all()
    leaver_events = events.filter(actor_id=people["sales"].pk)
    leaver_names = set(leaver_events.values_list("actor_name", flat=True))

    erase_person(employee, actor=people["hr"], reason="PIPL Art. 47", keep={})

    comments = Comment.objects.filter(item__handover=finished)
    assert not comments.filter(body=QUESTION).exists()  # the successor's
    assert comments.filter(body=ANSWER).exists()  # the leaver's
    assert not Signature.objects.filter(remarks=REMARKS).exists()
    assert not events.filter(actor_id=successor.pk, erased_at__isnull=True).exists()
    assert {
        pseudonym_label(name)
        for name in events.filter(actor_id=successor.pk).values_list(
            "actor_name", flat=True
        )
    } == {"Successor #1"}
    assert set(leaver_events.values_list("actor_name", flat=True)) == leaver_names
    assert not leaver_events.filter(erased_at__isnull=False).exists()
    assert item_of(finished, "Key client list").data["relationship_notes"] == NOTES
    call_command("verify_audit")
    assert _all_signatures_verify(finished)


def test_erase_person_with_an_open_handover_is_refused(sales_handover, people):
    employee = sales_handover.employee

    with pytest.raises(ErasureRefused):
        erase_person(employee, actor=people["hr"], reason="request", keep={})

    employee.refresh_from_db()
    assert not employee.name.startswith("pseudonym.")


def _sql(*statements):
    """Write behind Baton's back with the triggers off, as the old code's rows
    or a superuser's edit would be."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET session_replication_role = replica")
        for sql, params in statements:
            cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def _to_format_1(handover):
    """The handover's trail, certificate and signatures as Baton wrote them
    before 0016: the certificate names the format-1 head as its root hash."""
    statements = []
    previous = GENESIS_HASH
    certificate = Certificate.objects.get(handover=handover)
    events = list(AuditEvent.objects.filter(handover=handover).order_by("sequence"))
    for event in events:
        event.format, event.erasure_salt, event.erasable_hash = 1, "", ""
        event.previous_hash = previous
        if event.action == "certificate.issued":
            event.after_hash = content_hash(
                {
                    "code": certificate.code,
                    "root_hash": certificate.root_hash,
                    "pdf_sha256": certificate.pdf_sha256,
                }
            )
        old_hash = event.hash
        event.hash = previous = event_hash(event)
        if old_hash == certificate.root_hash:
            certificate.root_hash = event.hash
        statements.append(
            (
                "UPDATE cms_auditevent SET format = 1, erasure_salt = '', "
                "erasable_hash = '', previous_hash = %s, hash = %s, after_hash = %s "
                "WHERE id = %s",
                [event.previous_hash, event.hash, event.after_hash, event.pk],
            )
        )
    statements.append(
        (
            "UPDATE cms_certificate SET root_hash = %s WHERE id = %s",
            [certificate.root_hash, certificate.pk],
        )
    )
    fields = chain_checkpoint_sign(
        handover_id=handover.pk, length=len(events), head_hash=previous
    )
    statements.append(
        (
            "UPDATE cms_auditchaincheckpoint SET head_hash = %s, signature = %s "
            "WHERE handover_id = %s",
            [previous, fields["signature"], handover.pk],
        )
    )
    for signature in Signature.objects.filter(handover=handover).select_related(
        "handover", "item"
    ):
        signature.format = 1
        signed, _key_id = server_sign(signature_payload(signature, record_format=1))
        statements.append(
            (
                "UPDATE cms_signature SET format = 1, erasure_salt = '', "
                "erasable_hash = '', server_signature = %s WHERE id = %s",
                [signed, signature.pk],
            )
        )
    _sql(*statements)
    return previous, len(events)


def _run_migration_conversion():
    migration = importlib.import_module("cms.migrations.0016_erasable_audit")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.schema_editor(atomic=False) as editor:
        migration.convert(apps, editor)


def test_the_migration_converts_a_format_1_trail_that_then_verifies_and_erases(
    finished, people, django_capture_on_commit_callbacks
):
    old_head, length = _to_format_1(finished)
    assert set(finished.audit_events.values_list("format", flat=True)) == {1}
    call_command("verify_audit", "--handover", str(finished.pk))  # the old path
    assert _all_signatures_verify(finished)

    _run_migration_conversion()

    events = list(finished.audit_events.order_by("sequence"))
    assert {event.format for event in events} == {2}
    marker = events[-1]
    assert marker.action == CONVERTED_ACTION
    assert marker.details["previous_head"] == old_head
    assert finished.audit_checkpoint.length == length + 1 == marker.sequence
    call_command("verify_audit", "--handover", str(finished.pk))
    signatures = Signature.objects.filter(handover=finished).select_related(
        "handover", "item"
    )
    assert {signature.format for signature in signatures} == {2}
    assert all(signature_original_verify(signature) for signature in signatures)
    assert _all_signatures_verify(finished)
    assert certificate_problems(Certificate.objects.get(handover=finished)) == []

    with django_capture_on_commit_callbacks(execute=True):
        erase(DataClass.AUDIT_EVENTS, [finished.pk], actor=people["hr"])
        erase(DataClass.COMMENTS, [finished.pk], actor=people["hr"])

    call_command("verify_audit", "--handover", str(finished.pk))
    assert _all_signatures_verify(finished)
    assert REMARKS not in _dump(finished)


def test_a_tampered_format_1_chain_is_not_laundered_by_the_conversion(finished):
    _to_format_1(finished)
    first = finished.audit_events.order_by("sequence").first()
    _sql(
        (
            "UPDATE cms_auditevent SET actor_name = 'someone else' WHERE id = %s",
            [first.pk],
        )
    )

    _run_migration_conversion()

    assert set(finished.audit_events.values_list("format", flat=True)) == {1}
    with pytest.raises(Exception, match="altered"):
        call_command("verify_audit", "--handover", str(finished.pk))


@postgresql_only
def test_the_audit_table_takes_the_erasure_update_and_nothing_else(finished):
    event = finished.audit_events.exclude(actor_name="").order_by("sequence").first()
    rows = AuditEvent.objects.filter(pk=event.pk)
    erased = {
        "actor_name": "",
        "details": {},
        "ip_address": None,
        "erasure_salt": "",
        "erased_at": timezone.now(),
    }
    for forged in (
        {"action": "forged"},
        {**erased, "hash": "f" * 64},
        {**erased, "erasable_hash": "f" * 64},
        {**erased, "actor_name": "someone else"},
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            rows.update(**forged)
    with pytest.raises(DatabaseError), transaction.atomic():
        rows.delete()

    assert rows.update(**erased) == 1
    with pytest.raises(DatabaseError), transaction.atomic():
        rows.update(**{**erased, "erased_at": timezone.now() + datetime.timedelta(1)})
    call_command("verify_audit", "--handover", str(finished.pk))


def test_signature_metadata_is_blanked_without_touching_the_signature(finished, people):
    signatures = Signature.objects.filter(handover=finished)
    assert signatures.filter(ip_address=IP, user_agent=USER_AGENT).exists()

    erase(DataClass.SIGNATURE_METADATA, [finished.pk], actor=people["hr"])

    assert not signatures.filter(
        Q(ip_address__isnull=False) | ~Q(user_agent="")
    ).exists()
    assert signatures.filter(remarks=REMARKS).exists()
    assert _all_signatures_verify(finished)
