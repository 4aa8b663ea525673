# ruff: noqa: RUF001 — the Chinese labels quote Chinese punctuation as people see it
"""My notifications: choosing a channel, the digest and the kinds of messages
I receive (a kind I turned off no longer reaches me; being added to a handover
always does), seeing what was sent to me and nobody else's."""

import datetime

import pytest
from django.utils import timezone
from wagtail import hooks

from cms import notifications, services, tasks
from cms.errors import InvalidInput
from cms.hooks import NOTIFICATION_CHANNELS
from cms.models import (
    ChecklistTemplatePage,
    Delivery,
    Employee,
    NotificationPreference,
)
from cms.services.notifying import notification_preference_save
from tests.fixtures.handovers import item_of

from .helpers import SUBMITTED, FakeMessenger, submit, window_passes


@pytest.fixture
def messenger():
    channel = FakeMessenger()
    with hooks.register_temporarily(NOTIFICATION_CHANNELS, lambda: [channel]):
        yield channel


def _url(language="en"):
    return f"/{language}/handovers/notifications/"


def _signed_in(client, user):
    client.force_login(user)
    return client


def test_the_page_offers_the_channels_that_can_send(client, people, messenger):
    response = _signed_in(client, people["successor"]).get(_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert "My notifications" in page
    assert 'value="email"' in page and 'value="fake"' in page
    assert "Company default (E-mail)" in page
    assert "Nothing was sent to you yet." in page
    assert 'name="viewport" content="width=device-width' in page


def test_a_messenger_that_is_not_set_up_is_not_offered(client, people, messenger):
    messenger.is_available = False

    page = _signed_in(client, people["successor"]).get(_url()).content.decode()

    assert 'value="fake"' not in page


def test_the_page_speaks_chinese_under_zh_hans(client, people):
    page = _signed_in(client, people["successor"]).get(_url("zh-hans"))

    assert page.status_code == 200
    assert 'lang="zh-hans"' in page.content.decode()


def test_saving_my_choice(client, people, messenger):
    response = _signed_in(client, people["successor"]).post(_url(), {"channel": "fake"})

    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=people["successor"])
    assert (preference.channel, preference.daily_digest) == ("fake", False)
    page = client.get(_url()).content.decode()
    assert "Your notification settings are saved." in page
    assert '<option value="fake" selected>' in page


def test_an_unknown_channel_is_refused_and_nothing_changes(client, people):
    response = _signed_in(client, people["successor"]).post(
        _url(), {"channel": "carrier-pigeon", "daily_digest": "on"}
    )

    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()


def test_saving_needs_the_csrf_token(people):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(people["successor"])

    response = client.post(_url(), {"channel": "email"})

    assert response.status_code == 403
    assert not NotificationPreference.objects.exists()


def test_signed_out_people_are_sent_to_sign_in(client, db):
    response = client.get(_url())

    assert response.status_code == 302
    assert not NotificationPreference.objects.exists()


def test_i_see_my_deliveries_and_not_other_peoples(
    client, people, sales_handover, django_capture_on_commit_callbacks
):
    submit(sales_handover, people, SUBMITTED, django_capture_on_commit_callbacks)
    window_passes()
    tasks.flush_notifications()
    [delivery] = Delivery.objects.all()

    mine = _signed_in(client, people["successor"]).get(_url()).content.decode()
    assert delivery.subject in mine
    theirs = _signed_in(client, people["manager"]).get(_url()).content.decode()
    assert delivery.subject not in theirs
    assert "Nothing was sent to you yet." in theirs


def test_no_daily_digest_for_who_turned_it_off(client, people, mailoutbox):
    today = timezone.localdate()
    handover = services.handover_start(
        actor=people["hr"],
        employee=Employee.objects.get(user=people["sales"]),
        template=ChecklistTemplatePage.objects.get(
            slug="sales", locale__language_code="en"
        ),
        last_working_day=today + datetime.timedelta(days=4),
        successors=[people["successor"]],
        manager=people["manager"],
        it_users=[people["it"]],
    )
    services.item_submit(
        actor=people["sales"], item=item_of(handover, "Key client list"), version=1
    )
    _signed_in(client, people["successor"]).post(_url(), {"channel": ""})

    sent = notifications.due_reminders_send(today=today)

    assert sent == 1
    assert [message.to for message in mailoutbox] == [[people["sales"].email]]


# What I receive, by kind --------------------------------------------------------

KIND_LABELS = {
    "items": "Items assigned to you, submitted to you or returned to you",
    "questions": "Questions asked of you and answers to yours",
    "milestones": (
        "Handover milestones: ready for review, approved, certificate issued, cancelled"
    ),
    "escalations": "Overdue items escalated to you",
    "systems": "Access changes planned or failed, and syncs and transfers that failed",
}
ALWAYS = (
    "Being added to a handover, or asked to choose a successor, always reaches you."
)


CHINESE_KIND_LABELS = {
    "items": "分配给您、提交给您或退回给您的事项",
    "questions": "向您提出的问题，以及对您所提问题的回答",
    "milestones": "交接单进展：待审核、已批准、已出具交接完成证明、已取消",
    "escalations": "上报给您的逾期事项",
    "systems": "已计划或失败的权限变更，以及失败的同步与转交",
}


def _receiving(*kinds, channel="", daily_digest=True):
    """The form as a person sends it with ``kinds`` ticked."""
    return {
        "channel": channel,
        "receive": list(kinds),
        **({"daily_digest": "on"} if daily_digest else {}),
    }


def _mail_to(mailoutbox, user):
    return [message for message in mailoutbox if message.to == [user.email]]


def test_the_page_lists_every_kind_ticked_to_begin_with(client, people):
    page = _signed_in(client, people["successor"]).get(_url()).content.decode()

    for key, label in KIND_LABELS.items():
        assert (
            f'<input type="checkbox" name="receive" value="{key}" checked> '
            f"<span>{label}</span>"
        ) in page
    assert ALWAYS in page
    assert "Today you are told by E-mail." in page
    assert "You receive every kind of message listed below." in page


def test_unticking_questions_is_saved_and_shown(client, people):
    kept = [key for key in KIND_LABELS if key != "questions"]

    response = _signed_in(client, people["successor"]).post(_url(), _receiving(*kept))

    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=people["successor"])
    assert preference.muted_kinds == ["questions"]
    page = client.get(_url()).content.decode()
    assert "Your notification settings are saved." in page
    assert "You turned off:" in page
    assert f"<li>{KIND_LABELS['questions']}</li>" in page
    assert 'name="receive" value="questions">' in page
    assert 'name="receive" value="items" checked>' in page


def test_a_muted_question_does_not_reach_me_but_items_and_being_added_do(
    client, people, sales_handover, mailoutbox, django_capture_on_commit_callbacks
):
    successor, it = people["successor"], people["it"]
    kept = [key for key in KIND_LABELS if key != "questions"]
    _signed_in(client, successor).post(_url(), _receiving(*kept))
    # The successor also helps IT: a question on an IT item asks them as much
    # as `it`, who turned nothing off.
    with django_capture_on_commit_callbacks(execute=True):
        services.participant_add(
            actor=people["hr"], handover=sales_handover, user=successor, role="it"
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.item_submit(
            actor=people["sales"],
            item=item_of(sales_handover, "Key client list"),
            version=1,
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(
            actor=people["sales"],
            item=item_of(sales_handover, "Company email and WeCom"),
            body="Which mailbox keeps the client threads?",
            is_question=True,
        )
    window_passes()
    tasks.flush_notifications()

    # The leaver as English writes a name: given name first.
    number, employee = sales_handover.number, "Fang Chen"
    assert [message.subject for message in _mail_to(mailoutbox, successor)] == [
        f"{number}: you have been added to the handover for {employee}",
        f"{number} · {employee}: “Key client list” is ready for your confirmation",
    ]
    assert [message.subject for message in _mail_to(mailoutbox, it)] == [
        f"{number} · {employee}: a question about “Company email and WeCom”"
    ]


def test_with_everything_turned_off_being_added_still_reaches_me(
    client, people, sales_handover, mailoutbox, django_capture_on_commit_callbacks
):
    successor = people["successor"]
    _signed_in(client, successor).post(_url(), _receiving())
    assert NotificationPreference.objects.get(user=successor).muted_kinds == sorted(
        KIND_LABELS
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.participant_add(
            actor=people["hr"], handover=sales_handover, user=successor, role="it"
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.item_submit(
            actor=people["sales"],
            item=item_of(sales_handover, "Key client list"),
            version=1,
        )
    window_passes()
    tasks.flush_notifications()

    [added] = _mail_to(mailoutbox, successor)
    assert "you have been added to the handover" in added.subject
    assert "Key client list" not in added.body
    page = client.get(_url()).content.decode()
    for label in KIND_LABELS.values():
        assert f"<li>{label}</li>" in page


def test_an_unknown_kind_is_refused_and_nothing_changes(client, people):
    successor = people["successor"]
    notification_preference_save(
        actor=successor, channel="", daily_digest=True, muted_kinds=["systems"]
    )

    response = _signed_in(client, successor).post(
        _url(),
        _receiving("items", "carrier-pigeon", daily_digest=False),
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "carrier-pigeon is not one of the available choices." in page
    preference = NotificationPreference.objects.get(user=successor)
    assert (preference.muted_kinds, preference.daily_digest) == (["systems"], True)
    # What reaches them today is what they saved, not what the refused form says.
    assert f"<li>{KIND_LABELS['systems']}</li>" in page
    assert f"<li>{KIND_LABELS['questions']}</li>" not in page


def test_the_service_refuses_an_unknown_kind_and_saves_nothing(people):
    with pytest.raises(InvalidInput) as refused:
        notification_preference_save(
            actor=people["successor"],
            channel="",
            daily_digest=False,
            muted_kinds=["questions", "gossip"],
        )

    assert refused.value.fields == {
        "muted_kinds": ["There is no kind of message called “gossip”."]
    }
    assert not NotificationPreference.objects.exists()


def test_the_service_keeps_kinds_sorted_once_and_leaves_them_when_not_given(people):
    successor = people["successor"]

    saved = notification_preference_save(
        actor=successor,
        channel="",
        daily_digest=True,
        muted_kinds=["systems", "questions", "systems"],
    )
    assert saved.muted_kinds == ["questions", "systems"]

    notification_preference_save(actor=successor, channel="email", daily_digest=False)

    saved.refresh_from_db()
    assert (saved.channel, saved.muted_kinds) == ("email", ["questions", "systems"])


def test_the_kinds_are_listed_in_chinese_under_zh_hans(client, people):
    notification_preference_save(
        actor=people["successor"],
        channel="",
        daily_digest=False,
        muted_kinds=["escalations"],
    )

    page = _signed_in(client, people["successor"]).get(_url("zh-hans"))

    text = page.content.decode()
    for label in CHINESE_KIND_LABELS.values():
        assert label in text
    assert "被加入交接单或被请求选择接交人的通知，总会发给您。" in text
    assert "您关闭了：" in text
    assert "您不接收每日摘要。" in text
