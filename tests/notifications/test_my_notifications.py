"""My notifications: choosing a channel and the digest, seeing what was sent
to me and nobody else's."""

import datetime

import pytest
from django.utils import timezone
from wagtail import hooks

from cms import notifications, services, tasks
from cms.hooks import NOTIFICATION_CHANNELS
from cms.models import (
    ChecklistTemplatePage,
    Delivery,
    Employee,
    NotificationPreference,
)
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
