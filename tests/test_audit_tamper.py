"""Tamper evidence without gaps: whatever someone with access to the database
does to the audit trail, ``verify_audit`` names it, because each chain's length
and head, and periodically the whole trail, are anchored in checkpoints the
server signs. On PostgreSQL the tables also refuse TRUNCATE.

The attacker here is a database superuser who switches the append-only
triggers off for the session (``session_replication_role = replica``) but does
not have the server's signing key."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test.utils import CaptureQueriesContext

from cms import services
from cms.models import (
    AuditChainCheckpoint,
    AuditDatabaseCheckpoint,
    AuditEvent,
    Handover,
)
from cms.services.audit import (
    audit_checkpoint_create,
    audit_record,
    audit_verify,
    chain_checkpoint_payload,
    chain_verify,
    event_hash,
)
from cms.services.signing import server_verify
from cms.tasks import write_audit_checkpoint
from tests.fixtures.handovers import PASSWORD

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL only"
)


def _tamper(*statements):
    """Edit the tables behind Baton's back, with the triggers switched off for
    the session, as a database superuser can."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _check_constraints_now(cursor)
            cursor.execute("SET session_replication_role = replica")
        for sql, params in statements:
            cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def _check_constraints_now(cursor):
    """The test's own transaction still holds deferred foreign-key checks of
    the rows it wrote, and PostgreSQL truncates no table with pending checks:
    run them now, as a commit would."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _accept_client_list(handover, people):
    item = handover.items.get(label="Key client list")
    services.item_update(
        actor=people["sales"],
        item=item,
        version=1,
        data={"customer": "ACME", "relationship_notes": "五年老客户"},
    )
    services.item_submit(actor=people["sales"], item=item, version=2)
    services.item_accept(
        actor=people["successor"], item=item, version=3, password=PASSWORD
    )


@pytest.fixture
def trail(sales_handover, people):
    """The sales handover with a few events in its chain."""
    _accept_client_list(sales_handover, people)
    return sales_handover


def _events(handover):
    return list(AuditEvent.objects.filter(handover=handover).order_by("sequence"))


def _broken(*args) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit", *args)
    return str(caught.value)


def test_each_event_moves_its_chains_signed_checkpoint(trail, capsys):
    events = _events(trail)
    checkpoint = AuditChainCheckpoint.objects.get(handover=trail)

    assert (checkpoint.length, checkpoint.head_hash) == (
        len(events),
        events[-1].hash,
    )
    assert server_verify(
        chain_checkpoint_payload(
            handover_id=trail.pk, length=len(events), head_hash=events[-1].hash
        ),
        checkpoint.signature,
    )
    call_command("verify_audit")
    assert "all intact" in capsys.readouterr().out


def test_an_altered_event_is_named(trail):
    victim = _events(trail)[2]
    _tamper(
        (
            "UPDATE cms_auditevent SET details = '{\"forged\": true}' WHERE id = %s",
            [victim.pk],
        )
    )

    message = _broken("--handover", trail.number)

    assert (
        f"{trail.number}: event #3 (id {victim.pk}, {victim.action}) was altered"
        in (message)
    )


def test_an_event_deleted_from_the_middle_is_named(trail):
    victim = _events(trail)[1]
    _tamper(("DELETE FROM cms_auditevent WHERE id = %s", [victim.pk]))

    message = _broken()

    assert (
        f"{trail.number}: event #2 was deleted from the middle of the chain." in message
    )


def test_a_deleted_tail_is_noticed_and_stays_noticed(trail, people):
    events = _events(trail)
    _tamper(("DELETE FROM cms_auditevent WHERE id = %s", [events[-1].pk]))
    # Before checkpoints, the chain that is left verified as intact.
    assert chain_verify(trail.pk) is None

    message = _broken()

    length = len(events)
    assert (
        f"{trail.number}: the chain ends at event #{length - 1}, its signed "
        f"checkpoint at #{length}: event #{length} was deleted from its end."
    ) in message

    # Work goes on; the next event continues from the signed head, so the hole
    # stays in the chain for the auditor to see.
    services.comment_add(
        actor=people["successor"],
        item=trail.items.get(label="Key client list"),
        body="Who else knows ACME?",
        is_question=True,
    )
    assert (
        f"{trail.number}: event #{length} was deleted from the middle of the chain."
        in _broken()
    )


def test_a_whole_chain_deleted_is_named(trail):
    length = len(_events(trail))
    _tamper(("DELETE FROM cms_auditevent WHERE handover_id = %s", [trail.pk]))

    message = _broken()

    assert (
        f"{trail.number}: it has no audit events, but its signed checkpoint counts "
        f"{length}: its whole chain was deleted."
    ) in message


def test_a_whole_chain_deleted_with_its_checkpoint_is_named(trail):
    _tamper(
        ("DELETE FROM cms_auditevent WHERE handover_id = %s", [trail.pk]),
        ("DELETE FROM cms_auditchaincheckpoint WHERE handover_id = %s", [trail.pk]),
    )

    message = _broken("--handover", str(trail.pk))

    assert f"{trail.number}: it has no audit events, though every handover" in message


def test_rechaining_without_the_signing_key_is_noticed(trail):
    """Edit an event, then compute every hash after it again: the chain is
    consistent once more, but its head is not the one the server signed."""
    write_audit_checkpoint()
    newest = AuditDatabaseCheckpoint.objects.latest("pk")
    events = _events(trail)
    events[2].details = {"forged": True}
    previous = events[1].hash
    statements = []
    for event in events[2:]:
        event.previous_hash = previous
        event.hash = previous = event_hash(event)
        statements.append(
            (
                "UPDATE cms_auditevent SET details = %s, previous_hash = %s, "
                "hash = %s WHERE id = %s",
                [json.dumps(event.details), event.previous_hash, event.hash, event.pk],
            )
        )
    _tamper(*statements)
    assert chain_verify(trail.pk) is None

    message = _broken()

    assert (
        f"{trail.number}: event #{len(events)} is not the head the server signed: "
        "the chain was rewritten and its hashes computed again."
    ) in message
    assert (
        f"whole database: database checkpoint #{newest.pk} of " in message
        and "does not match the chain heads found: events were replaced." in message
    )


def test_a_checkpoint_forged_without_the_key_does_not_verify(trail):
    events = _events(trail)
    _tamper(
        ("DELETE FROM cms_auditevent WHERE id = %s", [events[-1].pk]),
        (
            "UPDATE cms_auditchaincheckpoint SET length = %s, head_hash = %s "
            "WHERE handover_id = %s",
            [len(events) - 1, events[-2].hash, trail.pk],
        ),
    )

    message = _broken()

    assert f"{trail.number}: its signed checkpoint (length {len(events) - 1}) " in (
        message
    )
    assert "does not verify" in message


@postgresql_only
def test_database_refuses_to_truncate_or_roll_back_the_trail(trail):
    checkpoint = AuditChainCheckpoint.objects.get(handover=trail)
    audit_checkpoint_create()

    for table in (
        "cms_handover",
        "cms_auditevent",
        "cms_auditchaincheckpoint",
        "cms_auditdatabasecheckpoint",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            _check_constraints_now(cursor)
            cursor.execute(f"TRUNCATE {table} CASCADE")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditChainCheckpoint.objects.filter(pk=checkpoint.pk).update(
            length=checkpoint.length - 1
        )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditChainCheckpoint.objects.filter(pk=checkpoint.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditDatabaseCheckpoint.objects.update(events=0)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditDatabaseCheckpoint.objects.all().delete()

    assert AuditEvent.objects.filter(handover=trail).count() == checkpoint.length
    call_command("verify_audit")


@postgresql_only
def test_manage_py_flush_is_refused_outside_test_databases(trail, settings):
    settings.BATON_AUDIT_FLUSH_ALLOWED = False

    with pytest.raises(CommandError, match="couldn't be flushed"):
        call_command("flush", interactive=False, verbosity=0)

    assert AuditEvent.objects.filter(handover=trail).exists()


def test_a_truncated_trail_is_noticed(trail):
    """The issue's case: TRUNCATE cms_auditevent CASCADE, done as an attacker
    would (the triggers off), used to leave "0 chain(s), 0 event(s): all
    intact" while handovers exist."""
    write_audit_checkpoint()
    newest = AuditDatabaseCheckpoint.objects.latest("pk")
    handovers = list(Handover.objects.order_by("number"))
    truncate = (
        "TRUNCATE {} CASCADE"
        if connection.vendor == "postgresql"
        else ("DELETE FROM {}")
    )
    _tamper((truncate.format("cms_auditevent"), []))

    message = _broken()

    for handover in handovers:
        assert f"{handover.number}: it has no audit events, but its signed " in message
    assert (
        f"whole database: database checkpoint #{newest.pk} of " in message
        and f"counted {newest.events} events in {newest.chains} chains; of those, "
        "0 events in 0 chains remain"
        in message
    )

    # Even with the chain checkpoints emptied as well, the database checkpoint
    # still counts what was there.
    _tamper((truncate.format("cms_auditchaincheckpoint"), []))
    message = _broken()
    assert f"counted {newest.events} events in {newest.chains} chains" in message
    for handover in handovers:
        assert f"{handover.number}: it has no audit events, though every" in message


def test_the_periodic_checkpoint_counts_every_chain_and_links_to_the_last(trail):
    # As huey runs it every hour (here in-process).
    write_audit_checkpoint()
    first = AuditDatabaseCheckpoint.objects.latest("pk")
    write_audit_checkpoint()
    second = AuditDatabaseCheckpoint.objects.latest("pk")

    assert (first.chains, first.events) == (
        Handover.objects.count(),
        AuditEvent.objects.count(),
    )
    assert second.previous_hash == first.hash
    report = audit_verify()
    assert report.intact
    assert report.database_checkpoint == second


def test_a_deleted_database_checkpoint_is_noticed(trail):
    first, second, third = (audit_checkpoint_create() for _ in range(3))
    _tamper(("DELETE FROM cms_auditdatabasecheckpoint WHERE id = %s", [second.pk]))

    message = _broken()

    assert (
        f"whole database: database checkpoint #{third.pk} does not follow "
        f"#{first.pk}: a checkpoint between them was deleted or altered."
    ) in message


def test_writing_an_event_costs_the_same_queries_on_a_short_and_a_long_chain(
    trail, people
):
    def record():
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            audit_record(
                handover=trail,
                actor=people["hr"],
                role="hr",
                action="handover.noted",
                obj=trail,
            )
        return len(queries)

    short = record()
    for _ in range(20):
        record()

    assert record() == short == 3


def test_a_lost_checkpoint_stays_lost_until_someone_anchors_the_chain(trail, people):
    """Work goes on, but the server does not vouch for a chain that lost its
    checkpoint (its tail may have gone with it) until someone deliberately
    anchors it, as for trails written before checkpoints existed."""
    _tamper(("DELETE FROM cms_auditchaincheckpoint WHERE handover_id = %s", [trail.pk]))
    services.comment_add(
        actor=people["successor"],
        item=trail.items.get(label="Key client list"),
        body="Who else knows ACME?",
        is_question=True,
    )
    events = _events(trail)
    assert chain_verify(trail.pk) is None
    assert (
        f"{trail.number}: its chain, up to event #{len(events)}, has no signed "
        "checkpoint" in _broken("--handover", trail.number)
    )

    call_command("audit_checkpoint", "--backfill")

    checkpoint = AuditChainCheckpoint.objects.get(handover=trail)
    assert (checkpoint.length, checkpoint.head_hash) == (len(events), events[-1].hash)
    assert audit_verify().intact
