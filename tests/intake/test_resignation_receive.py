"""A resignation event starts a handover by itself, or proposes it to HR: once
per event, audited with its source, and refused with a reason when it cannot
start."""

import datetime
import threading

import pytest
from django.db import connection, connections

from cms.errors import Conflict, InvalidInput, PermissionDenied
from cms.models import (
    AuditEvent,
    Employee,
    Handover,
    ParticipantRole,
    ResignationEvent,
    StartRule,
)
from cms.permissions import is_hr_admin
from cms.services import (
    EmployeeLookup,
    intake_user,
    proposal_dismiss,
    proposal_start,
    resignation_receive,
    resignation_record_malformed,
)

from .conftest import LAST_DAY, notice, template


def _apply(marks):
    def decorate(test):
        for mark in marks:
            test = mark(test)
        return test

    return decorate


def _started_audit(handover):
    return AuditEvent.objects.get(handover=handover, action="handover.started")


def test_a_start_event_starts_the_handover_and_audits_its_source(
    sales, people, mailoutbox, django_capture_on_commit_callbacks
):
    # when the HR system reports Chen Fang's resignation
    with django_capture_on_commit_callbacks(execute=True):
        outcome = resignation_receive(notice=notice(external_id="hr-1"), mode="start")

    # then her handover is in progress, started by the intake account
    assert outcome.status == "started"
    handover = outcome.handover
    assert handover.state == Handover.State.IN_PROGRESS
    assert handover.employee == sales
    assert handover.last_working_day == LAST_DAY
    assert handover.created_by == intake_user()
    assert outcome.message == f"Handover {handover.number} started for Chen Fang."
    # and the audit trail says where it came from
    assert _started_audit(handover).details == {
        "source": "webhook",
        "event": outcome.event.pk,
    }
    # and the event is kept as started
    event = ResignationEvent.objects.get(external_id="hr-1")
    assert event.state == ResignationEvent.State.STARTED
    assert event.handover == handover
    assert event.plan["template"] == template("sales").pk
    # and the leaver is told
    assert any(message.to == [people["sales"].email] for message in mailoutbox)


def test_the_intake_account_is_an_hr_admin_who_cannot_sign_in(db, settings):
    settings.BATON_INTAKE_USER = "hr-robot"

    user = intake_user()

    assert user.username == "hr-robot"
    assert user.is_active
    assert not user.has_usable_password()
    assert is_hr_admin(user)
    assert intake_user() == user


def test_a_propose_event_waits_for_hr(sales, people):
    outcome = resignation_receive(notice=notice(), mode="propose")

    assert outcome.status == "proposed"
    assert outcome.handover is None
    assert not Handover.objects.filter(employee=sales).exists()
    assert outcome.event.state == ResignationEvent.State.PROPOSED
    assert outcome.event.plan["successors"] == [people["successor"].pk]
    assert outcome.message == "The handover for Chen Fang is proposed to HR for review."


def test_a_duplicate_event_changes_nothing_and_says_so(sales):
    first = resignation_receive(notice=notice(external_id="hr-7"), mode="start")

    again = resignation_receive(
        notice=notice(external_id="hr-7", last_working_day=datetime.date(2027, 1, 9)),
        mode="start",
    )

    assert again.status == "duplicate"
    assert again.event.pk == first.event.pk
    assert again.handover == first.handover
    assert again.message.startswith("This event was already received on ")
    assert again.message.endswith("(Handover started): nothing changed.")
    assert ResignationEvent.objects.count() == 1
    assert Handover.objects.filter(employee=sales).count() == 1
    event = ResignationEvent.objects.get()
    assert event.duplicates == 1
    assert event.last_working_day == LAST_DAY


def test_the_same_id_from_another_source_is_another_event(sales):
    resignation_receive(notice=notice(external_id="42"), mode="propose")

    outcome = resignation_receive(
        notice=notice(
            external_id="42",
            source=ResignationEvent.Source.FEISHU,
            connector_slug="feishu",
        ),
        mode="propose",
    )

    assert outcome.status == "proposed"
    assert ResignationEvent.objects.count() == 2


@pytest.mark.parametrize(
    "lookup",
    [
        EmployeeLookup(email="SALES@baton.example"),
        EmployeeLookup(directory_id="uid=sales"),
        EmployeeLookup(number="E0005"),
    ],
)
def test_the_employee_is_found_by_number_email_or_directory_id(sales, lookup):
    Employee.objects.filter(pk=sales.pk).update(directory_id="uid=sales")

    outcome = resignation_receive(notice=notice(employee=lookup), mode="propose")

    assert outcome.event.employee == sales


def _refused(outcome, code):
    assert outcome.status == "refused"
    assert outcome.handover is None
    event = ResignationEvent.objects.get(pk=outcome.event.pk)
    assert event.state == ResignationEvent.State.REFUSED
    assert event.refusal_code == code
    assert event.refusal == outcome.message
    return outcome.message


def test_an_unknown_employee_is_refused_and_kept(db):
    outcome = resignation_receive(notice=notice(number="E9999"), mode="start")

    assert _refused(outcome, "unknown_employee") == (
        "No employee matches employee number “E9999”."
    )
    assert outcome.event.employee_ref == {"number": "E9999"}
    assert not Handover.objects.exists()


def test_a_missing_last_working_day_is_refused(sales):
    outcome = resignation_receive(notice=notice(last_working_day=None), mode="start")

    assert _refused(outcome, "dates_missing") == "The last working day is missing."


def test_a_last_working_day_before_the_resignation_is_refused(sales):
    outcome = resignation_receive(
        notice=notice(
            resignation_date=datetime.date(2026, 12, 10),
            last_working_day=datetime.date(2026, 12, 9),
        ),
        mode="start",
    )

    assert _refused(outcome, "last_day_before_resignation") == (
        "The last working day (Dec. 9, 2026) is before the resignation date "
        "(Dec. 10, 2026)."
    )


def test_an_employee_with_an_open_handover_is_refused(people):
    # the demo has a handover open for dev
    outcome = resignation_receive(notice=notice(number="E0006"), mode="start")

    assert _refused(outcome, "already_open") == "Liu Lei already has an open handover."
    assert Handover.objects.filter(employee__employee_number="E0006").count() == 1


def test_a_template_of_another_language_is_refused(sales):
    outcome = resignation_receive(
        notice=notice(template_id=template("sales").pk, language="zh-hans"),
        mode="start",
    )

    assert _refused(outcome, "template_locale") == (
        "Template “Sales handover” is in English, but this handover is to be in "
        "Simplified Chinese."
    )


def test_an_unknown_template_is_refused(sales):
    outcome = resignation_receive(notice=notice(template_id=987654), mode="start")

    assert _refused(outcome, "no_template") == "There is no template 987654."


def test_nobody_to_take_over_is_refused(sales):
    StartRule.objects.create(
        name="Backups",
        language="en",
        successor_policy=StartRule.SuccessorPolicy.TEAM_BACKUP,
    )

    outcome = resignation_receive(notice=notice(), mode="start")

    assert _refused(outcome, "no_successor").startswith("No designated backup")


def test_an_employee_without_account_is_refused(db, people):
    Employee.objects.create(employee_number="E0100", name="Zhou Xin")

    outcome = resignation_receive(notice=notice(number="E0100"), mode="start")

    assert _refused(outcome, "no_user_account").startswith(
        "Zhou Xin has no user account, so they could not fill the handover."
    )


def test_an_event_naming_nobody_is_malformed(db):
    outcome = resignation_receive(
        notice=notice(employee=EmployeeLookup()), mode="start"
    )

    assert _refused(outcome, "malformed") == "The event names no employee."


def test_a_payload_a_caller_could_not_read_is_kept_once(db):
    payload = {"event": "employee.resigned", "employee": "?"}

    first = resignation_record_malformed(
        source="webhook", payload=payload, problem="The employee is missing."
    )
    again = resignation_record_malformed(
        source="webhook", payload=payload, problem="The employee is missing."
    )

    assert _refused(first, "malformed") == "The employee is missing."
    assert again.status == "duplicate"
    assert ResignationEvent.objects.get().duplicates == 1


def test_a_rule_sets_the_due_dates(sales, rule_factory):
    rule_factory("Early", due_offset_days=5)

    outcome = resignation_receive(notice=notice(), mode="start")

    due_dates = set(outcome.handover.items.values_list("due_date", flat=True))
    assert due_dates == {datetime.date(2026, 12, 26)}


def test_hr_starts_a_proposal_in_one_click(sales, people):
    proposed = resignation_receive(notice=notice(), mode="propose").event

    outcome = proposal_start(actor=people["hr"], event=proposed)

    assert outcome.status == "started"
    event = ResignationEvent.objects.get(pk=proposed.pk)
    assert event.state == ResignationEvent.State.STARTED
    assert event.decided_by == people["hr"]
    assert event.handover.created_by == people["hr"]
    assert _started_audit(event.handover).details == {
        "source": "webhook",
        "event": event.pk,
    }


def test_hr_changes_a_proposal_before_starting_it(sales, people):
    proposed = resignation_receive(notice=notice(), mode="propose").event

    outcome = proposal_start(
        actor=people["hr"],
        event=proposed,
        template=template("general"),
        successors=[people["hrhead"]],
        last_working_day=datetime.date(2027, 1, 15),
    )

    handover = outcome.handover
    assert handover.template == template("general")
    assert handover.last_working_day == datetime.date(2027, 1, 15)
    assert list(
        handover.participants.filter(role=ParticipantRole.SUCCESSOR).values_list(
            "user", flat=True
        )
    ) == [people["hrhead"].pk]


def test_a_proposal_that_cannot_start_stays_proposed(sales, people):
    proposed = resignation_receive(notice=notice(), mode="propose").event

    with pytest.raises(InvalidInput) as refused:
        proposal_start(actor=people["hr"], event=proposed, successors=[people["sales"]])

    assert refused.value.fields["successors"] == [
        "The departing employee cannot be their own successor."
    ]
    assert ResignationEvent.objects.get(pk=proposed.pk).state == "proposed"


def test_hr_dismisses_a_proposal(sales, people):
    proposed = resignation_receive(notice=notice(), mode="propose").event

    event = proposal_dismiss(actor=people["hr"], event=proposed, reason="Withdrawn")

    assert event.state == ResignationEvent.State.DISMISSED
    assert event.decision_note == "Withdrawn"
    assert not Handover.objects.filter(employee=sales).exists()
    with pytest.raises(Conflict):
        proposal_start(actor=people["hr"], event=event)


def test_only_hr_decides_proposals(sales, people):
    proposed = resignation_receive(notice=notice(), mode="propose").event

    with pytest.raises(PermissionDenied):
        proposal_start(actor=people["manager"], event=proposed)
    with pytest.raises(PermissionDenied):
        proposal_dismiss(actor=people["successor"], event=proposed, reason="")


def test_a_started_event_is_not_started_again(sales, people):
    started = resignation_receive(notice=notice(), mode="start").event

    with pytest.raises(Conflict):
        proposal_start(actor=people["hr"], event=started)


def _at_once(*notices):
    """Receive the notices on two connections at the same moment."""
    barrier = threading.Barrier(len(notices))
    outcomes, failures = [], []

    def receive(one):
        try:
            barrier.wait(10)
            outcomes.append(resignation_receive(notice=one, mode="start"))
        except Exception as error:  # noqa: BLE001 — reported below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=receive, args=(one,)) for one in notices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    return sorted(outcome.status for outcome in outcomes)


_RACE = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("wagtail_roots_restored"),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="Two connections at once need PostgreSQL.",
    ),
]


@_apply(_RACE)
def test_the_same_event_twice_at_once_makes_one_event_and_one_handover(people):
    same = notice(external_id="race-1")

    statuses = _at_once(same, same)

    assert statuses == ["duplicate", "started"]
    event = ResignationEvent.objects.get()
    assert event.duplicates == 1
    assert Handover.objects.filter(employee__employee_number="E0005").count() == 1


@_apply(_RACE)
def test_two_events_for_one_employee_at_once_start_one_handover(people):
    statuses = _at_once(notice(external_id="a"), notice(external_id="b"))

    assert statuses == ["refused", "started"]
    assert ResignationEvent.objects.get(state="refused").refusal_code == (
        "already_open"
    )
    assert Handover.objects.filter(employee__employee_number="E0005").count() == 1
