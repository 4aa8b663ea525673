"""The messenger channels behind the real outbox: a retried send posts no
second card, DingTalk's report of whom it could not reach sends e-mail
instead, and in the demo every channel prints what it would send."""

import datetime

import pytest
from django.test import override_settings

from cms import notifications, tasks
from cms.models import ChecklistTemplatePage, Delivery, Employee, Notification
from cms.services import handover_start
from cms.services.notifying import notification_preference_save
from tests.notifications.helpers import SUBMITTED, submit, window_passes

from .fake_dingtalk import AGENT_ID, FakeDingTalk
from .fake_feishu import FakeFeishu
from .messaging_support import sender

pytestmark = pytest.mark.django_db
CONSOLE_MAIL = "django.core.mail.backends.console.EmailBackend"


def _prefers(user, channel):
    notification_preference_save(actor=user, channel=channel, daily_digest=True)


def _log(user):
    return list(
        Delivery.objects.filter(recipient=user)
        .order_by("pk")
        .values_list("channel", "state", "error")
    )


@pytest.fixture
def feishu(httpserver, people):
    fake = FakeFeishu(httpserver).install()
    fake.users = {people["successor"].email: "ou_successor"}
    sender("feishu", fake.settings(), fake.secrets())
    return fake


@pytest.fixture
def dingtalk(httpserver, people):
    fake = FakeDingTalk(httpserver).install()
    successor = people["successor"]
    fake.users = [
        {
            "userid": "ding-successor",
            "name": Employee.objects.get(user=successor).name,
            "email": successor.email,
            "org_email": "",
            "job_number": "",
        }
    ]
    sender("dingtalk", fake.settings(agent_id=str(AGENT_ID)), fake.secrets())
    return fake


def test_a_worker_killed_after_feishu_took_the_card_posts_no_second_one(
    feishu, people, sales_handover, django_capture_on_commit_callbacks, monkeypatch
):
    successor = people["successor"]
    _prefers(successor, "feishu")
    submit(sales_handover, people, SUBMITTED, django_capture_on_commit_callbacks)
    window_passes()

    # Feishu accepted the card; the worker dies before the outbox is marked.
    def killed(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(Delivery.objects, "bulk_create", killed)
    with pytest.raises(RuntimeError):
        notifications.recipient_flush(successor.pk)
    monkeypatch.undo()
    assert Notification.objects.filter(recipient=successor, sent_at=None).count() == 3
    assert len(feishu.messages) == 1

    tasks.flush_notifications()  # the next tick sends what still waits

    (card,) = feishu.messages
    assert card["receive_id"] == "ou_successor"
    texts = [block["text"]["content"] for block in card["content"]["elements"][:-1]]
    assert len(texts) == 3
    assert all(text.startswith(sales_handover.number) for text in texts)
    assert _log(successor) == [("feishu", "sent", "")]
    assert not Notification.objects.filter(recipient=successor, sent_at=None).exists()


def test_the_daily_digest_sent_again_the_same_day_is_one_card(
    feishu, people, sales_handover, django_capture_on_commit_callbacks
):
    successor = people["successor"]
    _prefers(successor, "feishu")
    submit(sales_handover, people, SUBMITTED, django_capture_on_commit_callbacks)
    day = datetime.date(2026, 12, 31)

    # The digest task retried after its worker died: the same digest again.
    for _attempt in range(2):
        assert notifications.due_reminders_send(today=day, user_ids=[successor.pk])

    (card,) = feishu.messages
    title = card["content"]["header"]["title"]["content"]
    assert title == "3 handover items are due soon or overdue"
    assert _log(successor) == [("feishu", "sent", "")] * 2
    assert len(set(Delivery.objects.values_list("upstream_id", flat=True))) == 1


def test_a_person_dingtalk_did_not_reach_gets_email_saying_why(
    dingtalk,
    people,
    sales_handover,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    successor = people["successor"]
    _prefers(successor, "dingtalk")
    dingtalk.outcomes["ding-successor"] = "143105"  # the daily limit

    submit(sales_handover, people, SUBMITTED[:1], django_capture_on_commit_callbacks)
    window_passes()
    tasks.flush_notifications()

    reason = (
        "DingTalk held the work notification back: the app reached its daily "
        "limit of messages to this person."
    )
    assert _log(successor) == [
        ("dingtalk", "failed", reason),
        ("email", "fallback", reason),
    ]
    (mail,) = mailoutbox
    assert mail.to == [successor.email]
    assert dingtalk.delivered == []


def test_every_channel_prints_its_message_in_the_demo(
    people, django_capture_on_commit_callbacks, capsys, caplog
):
    unreachable = {"base_url": "https://127.0.0.1:9", "agent_id": "1"}
    for key in ("feishu", "dingtalk", "wecom"):
        sender(key, unreachable, {"secret": "s"})
    chosen = {
        "successor": "feishu",
        "manager": "dingtalk",
        "it": "wecom",
        "sales": "email",
    }
    for username, channel in chosen.items():
        _prefers(people[username], channel)

    caplog.set_level("INFO", logger="connectors.messaging")
    with (
        override_settings(BATON_MESSAGING_CONSOLE=True, EMAIL_BACKEND=CONSOLE_MAIL),
        django_capture_on_commit_callbacks(execute=True),
    ):
        handover = handover_start(
            actor=people["hr"],
            employee=Employee.objects.get(user=people["sales"]),
            template=ChecklistTemplatePage.objects.get(
                slug="sales", locale__language_code="en"
            ),
            resignation_date=datetime.date(2026, 12, 1),
            last_working_day=datetime.date(2026, 12, 31),
            successors=[people["successor"]],
            manager=people["manager"],
            it_users=[people["it"]],
        )

    printed = capsys.readouterr().out
    line = f"{handover.number} · The handover started: see what is yours"
    for username, channel in chosen.items():
        user = people[username]
        assert _log(user) == [(channel, "sent", "")]
        if channel == "email":
            mail = printed.split(f"To: {user.email}", 1)[1].split("-" * 79)[0]
            assert f"Your handover {handover.number} has started" in mail
            assert f"/handovers/{handover.pk}/" in mail
        else:
            card = printed.split(f"({channel}) to {user.email} [en] ---", 1)[1]
            assert card.split("-" * 40)[0].splitlines()[2] == f"• {line}"
            assert f"Printed a {channel} notification to {user.pk}" in caplog.text
