# ruff: noqa: RUF001 — the Chinese e-mail quotes Chinese punctuation as people see it
"""An item still open too long after its due date goes to the manager, later
to HR, as its template says: each step once, audited, in the reader's
language — and once even when two runs race."""

import datetime
import threading
import time

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.users.models import UserProfile

from cms import services, tasks
from cms.models import (
    AuditEvent,
    ChecklistTemplatePage,
    Employee,
    Escalation,
    Handover,
    Notification,
    NotificationSettings,
)
from cms.services import escalating
from cms.services.audit import audit_verify
from tests.fixtures.handovers import PASSWORD, item_of

# The sales handover's last working day is 31 December: these items of the
# sales template fall due five days before. "Promised discounts and
# commitments" falls due then too, but is hidden until the leaver answers yes
# to "Did you promise any client a discount?".
DUE = datetime.date(2026, 12, 26)
DUE_ON_THE_26TH = {
    "Key client list",
    "Open orders and quotes",
    "Did you promise any client a discount?",
    "Unreimbursed expenses",
}
HIDDEN = "Promised discounts and commitments"


def _day(days_overdue: int) -> datetime.date:
    return DUE + datetime.timedelta(days=days_overdue)


def _escalate(handover, days_overdue: int) -> int:
    """Run on the day the items due on the 26th are ``days_overdue``; how
    many steps ``handover`` took (the demo's own handovers escalate too)."""
    before = Escalation.objects.filter(handover=handover).count()
    services.escalations_run(today=_day(days_overdue))
    return Escalation.objects.filter(handover=handover).count() - before


def _escalated(handover, step=None) -> dict[str, list]:
    """Item label → the steps taken (with the days overdue then), in order."""
    rows = Escalation.objects.filter(handover=handover).order_by("pk")
    if step:
        rows = rows.filter(step=step)
    taken = {}
    for label, row_step, days in rows.values_list(
        "item__label", "step", "days_overdue"
    ):
        taken.setdefault(label, []).append((row_step, days))
    return taken


def _set_thresholds(slug, manager, hr):
    """What an editor publishes on the template's "Escalation of overdue
    items" panel (the live page row is what handovers read)."""
    ChecklistTemplatePage.objects.filter(slug=slug).update(
        escalate_to_manager_days=manager, escalate_to_hr_days=hr
    )


def _new_leaver(user_factory, number):
    user = user_factory(username=f"leaver{number}")
    user.save()
    Employee.objects.create(
        employee_number=f"E{number}", name=f"Leaver {number}", user=user
    )
    return user


def _start(people, leaver, slug="sales"):
    return services.handover_start(
        actor=people["hr"],
        employee=Employee.objects.get(user=leaver),
        template=ChecklistTemplatePage.objects.get(
            slug=slug, locale__language_code="en"
        ),
        last_working_day=datetime.date(2026, 12, 31),
        successors=[people["successor"]],
        manager=people["manager"],
        it_users=[people["it"]],
    )


# Thresholds ------------------------------------------------------------------------


def test_the_manager_is_told_two_days_after_the_due_date_not_one(sales_handover):
    assert sales_handover.state == Handover.State.IN_PROGRESS

    assert _escalate(sales_handover, 1) == 0
    assert _escalate(sales_handover, 2) == 4

    assert _escalated(sales_handover) == {
        label: [("manager", 2)] for label in DUE_ON_THE_26TH
    }


def test_hr_is_told_later_and_each_step_only_once(sales_handover):
    # Day by day: the items due on the 26th reach the manager on the 28th and
    # HR on the 31st; "Sales scripts" and "Pending approvals" (due on the
    # 28th) reach the manager on the 30th; "Paper files…" (the 29th) on the
    # 31st; the rest (due on the 31st) in January.
    made = {
        days: [_escalate(sales_handover, days) for _ in range(2)]
        for days in (1, 2, 3, 4, 5, 6)
    }

    assert made == {1: [0, 0], 2: [4, 0], 3: [0, 0], 4: [2, 0], 5: [5, 0], 6: [0, 0]}
    taken = _escalated(sales_handover)
    for label in DUE_ON_THE_26TH:
        assert taken[label] == [("manager", 2), ("hr", 5)]
    assert taken["Sales scripts"] == [("manager", 2)]

    _escalate(sales_handover, 30)
    assert _escalate(sales_handover, 31) == 0
    steps = Escalation.objects.filter(handover=sales_handover).values_list(
        "item", "step"
    )
    assert len(steps) == len(set(steps)) == 2 * len(_escalated(sales_handover))


def test_after_a_week_without_runs_both_steps_are_taken_once(sales_handover):
    services.escalations_run(today=_day(7))

    taken = _escalated(sales_handover)
    for label in DUE_ON_THE_26TH:
        assert taken[label] == [("manager", 7), ("hr", 7)]
    assert taken["Sales scripts"] == [("manager", 5), ("hr", 5)]
    assert taken["Paper files in the cabinet"] == [("manager", 4)]
    assert _escalate(sales_handover, 7) == 0
    assert _escalate(sales_handover, 8) == 1  # the paper files' HR step
    assert _escalated(sales_handover)["Paper files in the cabinet"] == [
        ("manager", 4),
        ("hr", 5),
    ]


def test_without_a_manager_threshold_hr_alone_is_told(sales_handover):
    _set_thresholds("sales", None, 5)

    assert _escalate(sales_handover, 4) == 0
    services.escalations_run(today=_day(5))
    services.escalations_run(today=_day(20))

    taken = _escalated(sales_handover)
    assert {label: taken[label] for label in DUE_ON_THE_26TH} == {
        label: [("hr", 5)] for label in DUE_ON_THE_26TH
    }
    assert _escalated(sales_handover, "manager") == {}


def test_an_hr_threshold_before_the_managers_tells_both_in_turn(sales_handover):
    _set_thresholds("sales", 3, 1)

    services.escalations_run(today=_day(1))
    services.escalations_run(today=_day(3))

    assert _escalated(sales_handover)["Key client list"] == [("hr", 1), ("manager", 3)]


def test_a_template_without_thresholds_never_escalates(sales_handover):
    _set_thresholds("sales", None, None)

    assert _escalate(sales_handover, 60) == 0


def test_each_handover_follows_its_own_template(people, user_factory, sales_handover):
    _set_thresholds("tech", 1, 3)
    tech = _start(people, _new_leaver(user_factory, 1), slug="tech")
    tech_due = {
        item.label for item in tech.items.filter(due_date=DUE) if not item.condition
    }
    assert tech_due

    services.escalations_run(today=_day(1))

    assert _escalated(sales_handover) == {}
    for label in tech_due:
        assert _escalated(tech)[label] == [("manager", 1)]

    services.escalations_run(today=_day(3))

    assert set(_escalated(sales_handover, "manager")) == DUE_ON_THE_26TH
    assert _escalated(sales_handover, "hr") == {}
    for label in tech_due:
        assert _escalated(tech)[label] == [("manager", 1), ("hr", 3)]


# What is never escalated ----------------------------------------------------------


def test_done_items_are_not_escalated_but_waiting_ones_are(sales_handover, people):
    leaver, successor = people["sales"], people["successor"]
    accepted = item_of(sales_handover, "Key client list")
    services.item_submit(actor=leaver, item=accepted, version=1)
    services.item_accept(actor=successor, item=accepted, version=2, password=PASSWORD)
    not_applicable = item_of(sales_handover, "Open orders and quotes")
    services.item_mark_not_applicable(
        actor=leaver, item=not_applicable, version=1, reason="No open orders."
    )
    services.item_accept(
        actor=successor, item=not_applicable, version=2, password=PASSWORD
    )
    # Submitted but not yet confirmed: still open, still overdue.
    services.item_submit(
        actor=leaver, item=item_of(sales_handover, "Unreimbursed expenses"), version=1
    )

    services.escalations_run(today=_day(2))

    assert set(_escalated(sales_handover)) == {
        "Did you promise any client a discount?",
        "Unreimbursed expenses",
    }


def test_an_item_hidden_by_its_condition_waits_until_it_is_shown(
    sales_handover, people
):
    services.escalations_run(today=_day(2))
    assert HIDDEN not in _escalated(sales_handover)

    question = item_of(sales_handover, "Did you promise any client a discount?")
    services.item_update(
        actor=people["sales"], item=question, version=1, data={"value": True}
    )
    services.escalations_run(today=_day(3))

    assert _escalated(sales_handover)[HIDDEN] == [("manager", 3)]


def test_a_cancelled_handover_is_never_escalated(sales_handover, people):
    services.handover_cancel(
        actor=people["hr"], handover=sales_handover, reason="She stays after all."
    )

    assert _escalate(sales_handover, 30) == 0


def test_items_without_a_due_date_are_never_escalated(sales_handover):
    sales_handover.items.update(due_date=None)

    assert _escalate(sales_handover, 365) == 0


# Audit and messages ----------------------------------------------------------------


def test_each_escalation_is_audited_in_the_handovers_chain(sales_handover):
    services.escalations_run(today=_day(5))

    events = AuditEvent.objects.filter(
        handover=sales_handover, action="item.escalated"
    ).order_by("sequence")
    client_list = item_of(sales_handover, "Key client list")
    assert [
        (event.role, event.actor_id, event.details)
        for event in events
        if event.object_id == str(client_list.pk)
    ] == [
        ("system", None, {"step": "manager", "days_overdue": 5}),
        ("system", None, {"step": "hr", "days_overdue": 5}),
    ]
    assert {event.object_type for event in events} == {"item"}
    assert len(events) == Escalation.objects.filter(handover=sales_handover).count()
    assert audit_verify(handover_id=sales_handover.pk).intact


def _mail_about(handover, mailoutbox):
    """The messages about ``handover`` (the demo's handovers have their own)."""
    return [message for message in mailoutbox if handover.number in message.subject]


@pytest.fixture
def chinese_manager(people):
    profile = UserProfile.get_for_user(people["manager"])
    profile.preferred_language = "zh-hans"
    profile.save()
    return people["manager"]


def test_the_manager_gets_an_email_in_chinese_and_hr_later_in_english(
    sales_handover,
    people,
    chinese_manager,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    NotificationSettings.objects.update_or_create(defaults={"batch_window_minutes": 0})

    with django_capture_on_commit_callbacks(execute=True):
        services.escalations_run(today=_day(2))

    ours = _mail_about(sales_handover, mailoutbox)
    assert {tuple(message.to) for message in ours} == {(chinese_manager.email,)}
    assert len(ours) == len(DUE_ON_THE_26TH)
    [mail] = [m for m in ours if "“Key client list”" in m.subject]
    name = sales_handover.employee.name
    assert mail.subject == f"{sales_handover.number} · {name}：“Key client list”已逾期"
    number = sales_handover.number
    assert (
        f"交接单 {number} 中的“Key client list”在截止日期后 2 天仍未完成。" in mail.body
    )
    assert "截止日期为 2026年12月26日。" in mail.body
    assert "请与交接相关人员一起督促完成。" in mail.body
    assert f"/zh-hans/handovers/{sales_handover.pk}/" in mail.body

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.escalations_run(today=_day(5))

    # HR hears of the items due on the 26th; the manager only of later ones.
    ours = _mail_about(sales_handover, mailoutbox)
    to_hr = [m for m in ours if m.to == [people["hr"].email]]
    assert len(to_hr) == len(DUE_ON_THE_26TH)
    assert not [m for m in ours if m not in to_hr and "Key client list" in m.subject]
    [mail] = [m for m in to_hr if "“Key client list”" in m.subject]
    assert (
        f"“Key client list” in handover {sales_handover.number} is still open "
        "5 day(s) after its due date."
    ) in mail.body
    assert "Please see with the manager and the people on the handover" in mail.body


def test_the_hourly_task_escalates_what_is_due_today(sales_handover, people):
    today = timezone.localdate()
    item = item_of(sales_handover, "Key client list")
    sales_handover.items.exclude(pk=item.pk).update(due_date=None)
    item.due_date = today - datetime.timedelta(days=2)
    item.save(update_fields=["due_date"])

    tasks.escalate_overdue_items()
    tasks.escalate_overdue_items()

    assert _escalated(sales_handover) == {"Key client list": [("manager", 2)]}


# Scale --------------------------------------------------------------------------------


def _run_counting(today):
    """Escalate, counting the queries of the audit chain apart from the rest."""
    with CaptureQueriesContext(connection) as queries:
        made = services.escalations_run(today=today)
    audit = [q for q in queries if "cms_audit" in q["sql"]]
    return made, len(queries) - len(audit), len(audit)


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite splits a bulk insert by its limit of query parameters.",
)
def test_finding_the_escalations_takes_the_same_queries_for_one_or_fifty_handovers(
    people, user_factory
):
    _start(people, people["sales"])
    one = _run_counting(_day(2))
    next_day_one = _run_counting(_day(3))
    for number in range(49):
        _start(people, _new_leaver(user_factory, number))
    # The same runs again (the demo's handovers escalate alike in both).
    Escalation.objects.all().delete()
    fifty = _run_counting(_day(2))
    next_day_fifty = _run_counting(_day(3))

    assert fifty[0] - one[0] == 49 * len(DUE_ON_THE_26TH)
    assert fifty[1] == one[1]
    # Each escalation's audit row: lock the chain's head, insert, move it.
    assert (one[2], fifty[2]) == (3 * one[0], 3 * fifty[0])
    assert next_day_fifty == next_day_one


# Two runs at once ---------------------------------------------------------------------


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def _wait_until(condition, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _race(today):
    """The first run escalates and holds its transaction open; the second
    starts meanwhile. Returns what each returned or raised, once both ended."""
    first_ran, release = threading.Event(), threading.Event()
    outcomes = {}

    def first():
        try:
            with transaction.atomic():
                outcomes["first"] = services.escalations_run(today=today)
                first_ran.set()
                release.wait(30)
        except Exception as error:  # noqa: BLE001 — asserted by the caller
            outcomes["first"] = error
            first_ran.set()
        finally:
            connections.close_all()

    def second():
        try:
            outcomes["second"] = services.escalations_run(today=today)
        except Exception as error:  # noqa: BLE001 — asserted by the caller
            outcomes["second"] = error
        finally:
            connections.close_all()

    one, two = threading.Thread(target=first), threading.Thread(target=second)
    one.start()
    assert first_ran.wait(30)
    two.start()
    waited = _wait_until(_waiting_on_a_lock)
    release.set()
    one.join(30)
    two.join(60)
    assert waited, "the second run never waited for the first"
    return outcomes


def _told_once(handover, manager, escalated):
    """The manager has one message waiting (the batch window holds them) for
    each item escalated to them, and no more."""
    told = Notification.objects.filter(
        event="item.escalated", recipient=manager, handover=handover
    ).values_list("item__label", flat=True)
    assert sorted(told) == sorted(escalated)


race = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="Two runs at once need PostgreSQL's locks and a second connection.",
)


@race
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("wagtail_roots_restored")
def test_two_runs_at_once_escalate_each_step_once(sales_handover, people):
    outcomes = _race(_day(2))

    made = Escalation.objects.count()
    assert outcomes == {"first": made, "second": 0}
    # (Here the connectors' records came in too: the CRM's deals are due.)
    escalated = _escalated(sales_handover)
    assert set(escalated) >= DUE_ON_THE_26TH
    assert AuditEvent.objects.filter(action="item.escalated").count() == made
    _told_once(sales_handover, people["manager"], escalated)


@race
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("wagtail_roots_restored")
def test_without_taking_turns_the_second_run_fails_rather_than_tell_twice(
    sales_handover, people, monkeypatch
):
    monkeypatch.setattr(escalating, "_take_turns", lambda: None)

    outcomes = _race(_day(2))

    made = Escalation.objects.count()
    assert outcomes["first"] == made
    assert isinstance(outcomes["second"], IntegrityError)
    assert AuditEvent.objects.filter(action="item.escalated").count() == made
    _told_once(sales_handover, people["manager"], _escalated(sales_handover))
