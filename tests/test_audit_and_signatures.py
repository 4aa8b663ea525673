"""The trail is provable: chained hashes, an append-only table, signatures bound
to exactly what was shown."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from cms import services
from cms.models import AuditEvent, Signature
from cms.selectors import signature_is_stale
from cms.services.audit import canonical_json, content_hash
from cms.services.signing import signature_verify
from tests.fixtures.handovers import PASSWORD

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)


def _accepted_item(handover, people):
    item = handover.items.get(label="Key client list")
    services.item_update(
        actor=people["sales"],
        item=item,
        version=1,
        data={"customer": "ACME", "relationship_notes": "五年老客户"},
    )
    services.item_submit(actor=people["sales"], item=item, version=2)
    return services.item_accept(
        actor=people["successor"],
        item=item,
        version=3,
        password=PASSWORD,
        remarks="Met them on Friday",
    )


def test_canonical_json_is_order_and_whitespace_independent():
    assert canonical_json({"b": 1, "a": "中"}) == '{"a":"中","b":1}'
    assert content_hash({"a": 1, "b": 2}) == content_hash({"b": 2, "a": 1})


def test_signature_binds_the_content_shown(sales_handover, people):
    item = _accepted_item(sales_handover, people)
    signature = Signature.objects.get(item=item)

    assert signature.decision == "accept_with_remarks"
    assert signature.signer == people["successor"]
    assert signature.content_hash == content_hash(services.item_content(item))
    assert signature.auth_method == "password"
    assert "received this item" in signature.intent_statement
    assert signature_verify(signature)
    forged = Signature.objects.get(pk=signature.pk)
    forged.remarks = "forged"
    assert not signature_verify(forged)
    assert not signature_is_stale(signature)


def test_changing_the_item_afterwards_makes_the_signature_stale(sales_handover, people):
    item = _accepted_item(sales_handover, people)
    signature = Signature.objects.get(item=item)
    # A later change (here by an administrator outside the flow) to what was signed:
    item.data = {**item.data, "customer": "Globex"}
    item.save()

    assert signature_is_stale(Signature.objects.get(pk=signature.pk))


def test_verify_audit_passes_on_an_intact_trail(sales_handover, people, capsys):
    _accepted_item(sales_handover, people)

    call_command("verify_audit", "--handover", str(sales_handover.pk))

    assert "all intact" in capsys.readouterr().out


@postgresql_only
def test_database_refuses_to_update_or_delete_audit_events(sales_handover):
    event = AuditEvent.objects.filter(handover=sales_handover).first()

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="handover.forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()

    assert AuditEvent.objects.get(pk=event.pk).action == "handover.started"


def _tamper(sql, params):
    """Edit the table behind Baton's back. On PostgreSQL that takes a database
    superuser, who can switch the append-only trigger off for the session."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_verify_audit_names_the_first_altered_event(sales_handover, people):
    _accepted_item(sales_handover, people)
    victim = AuditEvent.objects.filter(handover=sales_handover).order_by("sequence")[2]
    _tamper(
        "UPDATE cms_auditevent SET details = '{\"forged\": true}' WHERE id = %s",
        [victim.pk],
    )

    with pytest.raises(CommandError) as caught:
        call_command("verify_audit", "--handover", str(sales_handover.pk))

    assert f"event #{victim.sequence} (id {victim.pk}" in str(caught.value)


def test_verify_audit_notices_a_removed_event(sales_handover, people):
    _accepted_item(sales_handover, people)
    victim = AuditEvent.objects.filter(handover=sales_handover).order_by("sequence")[1]
    _tamper("DELETE FROM cms_auditevent WHERE id = %s", [victim.pk])

    with pytest.raises(CommandError, match="broken"):
        call_command("verify_audit")
