"""Each person's channel, and e-mail instead when it cannot reach them: the
delivery log says what happened and why."""

import pytest
from wagtail import hooks

from cms import tasks
from cms.hooks import NOTIFICATION_CHANNELS
from cms.models import Delivery, Notification, NotificationSettings
from cms.notifications.channels import ChannelError, EmailChannel, NoAddress
from cms.services.notifying import notification_preference_save

from .helpers import SUBMITTED, FakeMessenger, submit, window_passes


@pytest.fixture
def messenger():
    channel = FakeMessenger()
    with hooks.register_temporarily(NOTIFICATION_CHANNELS, lambda: [channel]):
        yield channel


def _successor_prefers(people, channel):
    notification_preference_save(
        actor=people["successor"], channel=channel, daily_digest=True
    )


def _burst(handover, people, capture):
    submit(handover, people, SUBMITTED, capture)
    window_passes()
    tasks.flush_notifications()


def _log():
    return list(
        Delivery.objects.order_by("pk").values_list("channel", "state", "error")
    )


def test_a_person_who_chose_the_messenger_gets_one_card_and_no_mail(
    sales_handover, people, messenger, mailoutbox, django_capture_on_commit_callbacks
):
    _successor_prefers(people, "fake")

    _burst(sales_handover, people, django_capture_on_commit_callbacks)

    assert mailoutbox == []
    [card] = messenger.sent
    assert card.user == people["successor"]
    assert len(card.lines) == 3
    assert all(line.startswith(sales_handover.number) for line in card.lines)
    assert card.link.endswith(f"/en/handovers/{sales_handover.pk}/")
    [delivery] = Delivery.objects.all()
    assert (delivery.channel, delivery.state, delivery.upstream_id) == (
        "fake",
        "sent",
        "upstream-1",
    )


def test_the_company_default_applies_to_who_chose_nothing(
    sales_handover, people, messenger, mailoutbox, django_capture_on_commit_callbacks
):
    NotificationSettings.objects.update_or_create(defaults={"default_channel": "fake"})

    _burst(sales_handover, people, django_capture_on_commit_callbacks)

    assert len(messenger.sent) == 1
    assert mailoutbox == []


@pytest.mark.parametrize(
    "error",
    [
        NoAddress("No Fake messenger account for successor@baton.example."),
        ChannelError("Fake messenger is down (HTTP 503)."),
    ],
)
def test_a_messenger_failure_sends_email_instead_and_says_why(
    sales_handover,
    people,
    messenger,
    mailoutbox,
    django_capture_on_commit_callbacks,
    error,
):
    messenger.error = error
    _successor_prefers(people, "fake")

    _burst(sales_handover, people, django_capture_on_commit_callbacks)

    [mail] = mailoutbox
    assert mail.to == [people["successor"].email]
    assert "3 updates" in mail.subject
    assert _log() == [
        ("fake", "failed", str(error)),
        ("email", "fallback", str(error)),
    ]
    assert not Notification.objects.filter(sent_at__isnull=True).exists()


def test_a_messenger_that_is_not_set_up_falls_back_to_email(
    sales_handover, people, messenger, mailoutbox, django_capture_on_commit_callbacks
):
    _successor_prefers(people, "fake")
    messenger.is_available = False  # its connector was switched off since

    _burst(sales_handover, people, django_capture_on_commit_callbacks)

    assert len(mailoutbox) == 1
    [(channel, state, error)] = _log()
    assert (channel, state) == ("email", "fallback")
    assert "Fake messenger" in error


def test_an_email_outage_keeps_the_events_waiting_and_never_blocks_the_handover(
    sales_handover, people, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(self, message):
        raise ChannelError("Connection refused")

    monkeypatch.setattr(EmailChannel, "send", refuse)

    _burst(sales_handover, people, django_capture_on_commit_callbacks)

    assert mailoutbox == []
    assert _log() == [("email", "failed", "Connection refused")]
    assert Notification.objects.filter(sent_at__isnull=True).count() == 3
    monkeypatch.undo()
    tasks.flush_notifications()
    assert len(mailoutbox) == 1
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0


def test_nobody_reachable_is_logged_once_and_not_retried_forever(
    sales_handover, people, mailoutbox, django_capture_on_commit_callbacks
):
    people["successor"].email = ""
    people["successor"].save()

    _burst(sales_handover, people, django_capture_on_commit_callbacks)
    tasks.flush_notifications()

    assert mailoutbox == []
    assert _log() == [("email", "failed", "This person has no e-mail address.")]
    assert not Notification.objects.filter(sent_at__isnull=True).exists()
