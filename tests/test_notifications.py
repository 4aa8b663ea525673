"""Email notifications: who hears about what, in which language, and the daily
digest of items due soon or overdue."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from wagtail.users.models import UserProfile

from cms import services, tasks
from cms.models import ChecklistTemplatePage, Employee, NotificationSettings
from tests.fixtures.handovers import (
    PASSWORD,
    confirm_everything,
    fill_everything,
    item_of,
)


def _has_chinese(text):
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def _mail_to(mailoutbox, user):
    return [message for message in mailoutbox if message.to == [user.email]]


def _start(people, employee_user, *, last_working_day, successor="successor"):
    return services.handover_start(
        actor=people["hr"],
        employee=Employee.objects.get(user=employee_user),
        template=ChecklistTemplatePage.objects.get(
            slug="sales", locale__language_code="en"
        ),
        last_working_day=last_working_day,
        successors=[people[successor]],
        manager=people["manager"],
        it_users=[people["it"]],
    )


@pytest.fixture(autouse=True)
def _reminders_not_sent_today():
    """Tasks run in memory in tests: forget the day of the last digest."""
    HUEY.delete(tasks.REMINDERS_SENT_KEY)
    yield
    HUEY.delete(tasks.REMINDERS_SENT_KEY)


@pytest.fixture(autouse=True)
def _send_each_event_at_once(db):
    """A batch window of 0: each event is its own message, sent at once."""
    NotificationSettings.objects.update_or_create(defaults={"batch_window_minutes": 0})


@pytest.fixture
def chinese_successor(people):
    profile = UserProfile.get_for_user(people["successor"])
    profile.preferred_language = "zh-hans"
    profile.save()
    return people["successor"]


# Events ----------------------------------------------------------------------------


def test_starting_emails_every_participant_but_the_hr_actor(
    people, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        handover = _start(
            people, people["sales"], last_working_day=datetime.date(2026, 12, 31)
        )

    recipients = sorted(message.to[0] for message in mailoutbox)
    assert recipients == sorted(
        people[name].email for name in ("sales", "successor", "manager", "it")
    )
    [leaver_mail] = _mail_to(mailoutbox, people["sales"])
    assert handover.number in leaver_mail.subject
    assert "sign the final declaration, by Dec. 31, 2026" in leaver_mail.body
    link = f"{settings.WAGTAILADMIN_BASE_URL}/en/handovers/{handover.pk}/"
    assert link in leaver_mail.body
    [successor_mail] = _mail_to(mailoutbox, people["successor"])
    assert "Fang Chen" in successor_mail.subject  # given name first in English
    assert "Your role: Successor" in successor_mail.body
    html, mimetype = successor_mail.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{link}"' in html


def test_returning_an_item_emails_the_leaver_with_the_reason(
    sales_handover, people, mailoutbox, django_capture_on_commit_callbacks
):
    item = item_of(sales_handover, "Key client list")
    services.item_submit(actor=people["sales"], item=item, version=1)

    with django_capture_on_commit_callbacks(execute=True):
        services.item_return(
            actor=people["successor"],
            item=item,
            version=2,
            reason="Which quote did ACME get?",
            password=PASSWORD,
        )

    [message] = mailoutbox
    assert message.to == [people["sales"].email]
    assert "“Key client list” was returned" in message.subject
    assert sales_handover.number in message.subject
    assert "Which quote did ACME get?" in message.body


def test_submitting_emails_the_assigned_successor_only(
    sales_handover, people, mailoutbox, django_capture_on_commit_callbacks
):
    item = item_of(sales_handover, "Key client list")

    with django_capture_on_commit_callbacks(execute=True):
        services.item_submit(actor=people["sales"], item=item, version=1)

    assert [message.to for message in mailoutbox] == [[people["successor"].email]]
    assert "ready for your confirmation" in mailoutbox[0].subject


def test_each_recipient_reads_the_email_in_their_own_language(
    people, chinese_successor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        handover = _start(
            people, people["sales"], last_working_day=datetime.date(2026, 12, 31)
        )

    [chinese] = _mail_to(mailoutbox, chinese_successor)
    assert f"/zh-hans/handovers/{handover.pk}/" in chinese.body
    assert "2026年12月31日" in chinese.body
    [english] = _mail_to(mailoutbox, people["manager"])
    assert f"/en/handovers/{handover.pk}/" in english.body
    assert "Dec. 31, 2026" in english.body
    assert not _has_chinese(english.subject + english.body)


def test_a_chinese_speaking_successor_gets_a_chinese_subject(
    people, chinese_successor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _start(people, people["sales"], last_working_day=datetime.date(2026, 12, 31))

    [chinese] = _mail_to(mailoutbox, chinese_successor)
    assert _has_chinese(chinese.subject)


def test_an_answer_emails_the_asker_only(
    sales_handover, people, mailoutbox, django_capture_on_commit_callbacks
):
    item = item_of(sales_handover, "Key client list")
    services.item_submit(actor=people["sales"], item=item, version=1)
    question = services.comment_add(
        actor=people["successor"],
        item=item,
        body="Who is the contact at ACME?",
        is_question=True,
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(
            actor=people["sales"], item=item, body="Ms Wu", question=question
        )

    [message] = mailoutbox
    assert message.to == [people["successor"].email]
    assert "your question about “Key client list” was answered" in message.subject


def test_completing_emails_every_participant_but_the_approver(
    sales_handover, people, mailoutbox, django_capture_on_commit_callbacks
):
    fill_everything(sales_handover, people)
    services.handover_declare(
        actor=people["sales"], handover=sales_handover, password=PASSWORD
    )
    confirm_everything(sales_handover, people)

    with django_capture_on_commit_callbacks(execute=True):
        services.handover_approve(
            actor=people["manager"], handover=sales_handover, password=PASSWORD
        )

    completed = [m.to[0] for m in mailoutbox if "handover completed" in m.subject]
    assert sorted(completed) == sorted(
        people[name].email for name in ("sales", "successor", "it", "hr")
    )
    # The certificate is issued on approval: the leaver and HR hear its code.
    issued = [m for m in mailoutbox if "certificate issued" in m.subject]
    assert sorted(m.to[0] for m in issued) == sorted(
        people[name].email for name in ("sales", "hr")
    )
    sales_handover.refresh_from_db()
    code = sales_handover.certificate.code
    assert all(code in m.body for m in issued)
    assert len(mailoutbox) == len(completed) + len(issued)


def test_nobody_without_an_email_address_is_written_to(
    people, mailoutbox, django_capture_on_commit_callbacks
):
    people["it"].email = ""
    people["it"].save()

    with django_capture_on_commit_callbacks(execute=True):
        _start(people, people["sales"], last_working_day=datetime.date(2026, 12, 31))

    assert "" not in {message.to[0] for message in mailoutbox}
    assert len(mailoutbox) == 3


# Due reminders ---------------------------------------------------------------------


@pytest.fixture
def due_handover(people):
    """A sales handover whose items fall due around today: the -5 day items were
    due yesterday, the -3 day items are due tomorrow."""
    today = timezone.localdate()
    return _start(
        people, people["sales"], last_working_day=today + datetime.timedelta(days=4)
    )


def _more_leavers(user_factory, count):
    leavers = []
    for number in range(count):
        user = user_factory(username=f"leaver{number}")
        Employee.objects.create(
            employee_number=f"T{number}", name=f"Leaver {number}", user=user
        )
        leavers.append(user)
    return leavers


def _digest_for(mailoutbox, user):
    [digest] = _mail_to(mailoutbox, user)
    return digest


def test_one_digest_per_responsible_person_lists_overdue_and_due_soon_items(
    due_handover, people, mailoutbox
):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    for label in ("Key client list", "Sales scripts", "Open orders and quotes"):
        services.item_submit(
            actor=people["sales"], item=item_of(due_handover, label), version=1
        )
    services.item_accept(
        actor=people["successor"],
        item=item_of(due_handover, "Open orders and quotes"),
        version=2,
        password=PASSWORD,
    )
    assert item_of(due_handover, "Sales scripts").due_date == tomorrow

    tasks.send_due_reminders()

    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        [people["sales"].email, people["successor"].email]
    )
    successor_digest = _digest_for(mailoutbox, people["successor"])
    assert "Key client list — overdue since" in successor_digest.body
    assert "Sales scripts — due" in successor_digest.body
    assert "waiting for your confirmation" in successor_digest.body
    leaver_digest = _digest_for(mailoutbox, people["sales"])
    assert "Unreimbursed expenses — overdue since" in leaver_digest.body
    assert "Pending approvals — due" in leaver_digest.body
    assert "Key client list" not in leaver_digest.body
    # Hidden: nobody said yes to "Did you promise any client a discount?".
    assert "Promised discounts and commitments" not in leaver_digest.body
    for digest in mailoutbox:
        assert "Open orders and quotes" not in digest.body
        assert due_handover.number in digest.body


def test_a_second_run_on_the_same_day_sends_nothing(due_handover, mailoutbox):
    tasks.send_due_reminders()
    sent = len(mailoutbox)

    tasks.send_due_reminders()

    assert sent > 0
    assert len(mailoutbox) == sent


def test_reminders_take_the_same_queries_for_one_or_five_handovers(
    people, user_factory, mailoutbox
):
    today = timezone.localdate()
    leavers = [people["sales"], *_more_leavers(user_factory, 4)]

    def queries_for_a_run():
        HUEY.delete(tasks.REMINDERS_SENT_KEY)
        mailoutbox.clear()
        with CaptureQueriesContext(connection) as queries:
            tasks.send_due_reminders()
        assert mailoutbox
        return len(queries)

    _start(people, leavers[0], last_working_day=today + datetime.timedelta(days=4))
    with_one = queries_for_a_run()
    for leaver in leavers[1:]:
        _start(people, leaver, last_working_day=today + datetime.timedelta(days=4))
    with_five = queries_for_a_run()

    assert len(mailoutbox) == 5  # one digest for each leaver
    assert with_five == with_one


def test_the_daily_tick_only_finds_the_recipients_and_queues_them_in_batches(
    people, user_factory, monkeypatch
):
    today = timezone.localdate()
    due = today + datetime.timedelta(days=4)
    batches = []
    monkeypatch.setattr(tasks, "DIGESTS_PER_TASK", 2)
    monkeypatch.setattr(
        tasks, "send_due_digests", lambda day, user_ids: batches.append(user_ids)
    )

    def tick():
        batches.clear()
        with CaptureQueriesContext(connection) as queries:
            queued = tasks.queue_due_reminders(today=today)
        return queued, len(queries)

    _start(people, people["sales"], last_working_day=due)
    one = tick()
    assert batches == [[people["sales"].pk]]
    leavers = _more_leavers(user_factory, 4)
    for leaver in leavers:
        _start(people, leaver, last_working_day=due)
    five = tick()

    assert five == (5, one[1])  # five people queued, in as many queries as one
    assert [len(batch) for batch in batches] == [2, 2, 1]
    assert sorted(pk for batch in batches for pk in batch) == sorted(
        user.pk for user in [people["sales"], *leavers]
    )


def test_a_person_due_on_two_handovers_gets_one_digest_whatever_the_batches(
    people, user_factory, mailoutbox, monkeypatch
):
    monkeypatch.setattr(tasks, "DIGESTS_PER_TASK", 1)
    today = timezone.localdate()
    [other] = _more_leavers(user_factory, 1)
    handovers = [
        _start(people, leaver, last_working_day=today + datetime.timedelta(days=4))
        for leaver in (people["sales"], other)
    ]
    for handover, leaver in zip(handovers, (people["sales"], other), strict=True):
        services.item_submit(
            actor=leaver, item=item_of(handover, "Key client list"), version=1
        )

    tasks.send_due_reminders()

    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        [people["sales"].email, other.email, people["successor"].email]
    )
    successor_digest = _digest_for(mailoutbox, people["successor"])
    for handover in handovers:
        assert handover.number in successor_digest.body
    assert successor_digest.body.count("Key client list") == 2
    assert handovers[1].number not in _digest_for(mailoutbox, people["sales"]).body
