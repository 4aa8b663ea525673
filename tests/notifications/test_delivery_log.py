"""HR's delivery log of a handover: what was sent, failed, or went by e-mail
instead, filterable by state; nobody else may see it."""

import pytest
from django.contrib.auth.models import Permission
from wagtail import hooks

from cms import tasks
from cms.hooks import NOTIFICATION_CHANNELS
from cms.models import NotificationSettings
from cms.notifications.channels import NoAddress
from cms.services.notifying import notification_preference_save
from tests.fixtures.handovers import PASSWORD

from .helpers import SUBMITTED, FakeMessenger, submit, window_passes


def _log_url(handover):
    return f"/admin/handovers/{handover.pk}/deliveries/"


def _signed_in(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def logged(sales_handover, people, django_capture_on_commit_callbacks):
    """The successor's messenger has no account for them: a failed attempt and
    an e-mail instead. The manager is told by e-mail."""
    channel = FakeMessenger(error=NoAddress("No Fake account for successor."))
    with hooks.register_temporarily(NOTIFICATION_CHANNELS, lambda: [channel]):
        notification_preference_save(
            actor=people["successor"], channel="fake", daily_digest=True
        )
        submit(sales_handover, people, SUBMITTED, django_capture_on_commit_callbacks)
        window_passes()
        tasks.flush_notifications()
        yield sales_handover


def test_hr_sees_every_delivery_of_the_handover(client, logged):
    page = _signed_in(client, "hr").get(_log_url(logged))

    assert page.status_code == 200
    text = page.content.decode()
    assert "Delivery log" in text
    assert "No Fake account for successor." in text
    assert "Fake messenger" in text
    assert "Sent by e-mail instead" in text
    assert "3 updates for you" in text


def test_hr_filters_the_log_by_state(client, logged):
    client = _signed_in(client, "hr")

    def rows(state):
        page = client.get(_log_url(logged), {"state": state}).content.decode()
        return page.count("<td><time"), page

    assert rows("")[0] == 2
    failed_rows, failed = rows("failed")
    assert failed_rows == 1
    assert "<td>Fake messenger</td>" in failed
    fallback_rows, fallback = rows("fallback")
    assert fallback_rows == 1
    assert "<td>E-mail</td>" in fallback
    assert "No message in this state." in rows("sent")[1]


def test_an_empty_log_says_so(client, sales_handover):
    page = _signed_in(client, "hr").get(_log_url(sales_handover)).content.decode()

    assert "No message has been sent about this handover yet." in page


def test_the_handover_list_links_to_the_log(client, sales_handover):
    page = _signed_in(client, "hr").get("/admin/handovers/").content.decode()

    assert _log_url(sales_handover) in page


@pytest.mark.parametrize("username", ["it", "manager", "successor"])
def test_nobody_but_hr_sees_the_log(client, logged, username):
    response = _signed_in(client, username).get(_log_url(logged))

    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert response.url.startswith("/admin/login/")
    assert b"No Fake account" not in response.content


def test_an_unknown_handover_is_404(client, people, db):
    response = _signed_in(client, "hr").get("/admin/handovers/999999/deliveries/")

    assert response.status_code == 404


def test_who_may_change_settings_sets_the_default_channel_and_window(
    client, people, db
):
    people["hr"].user_permissions.add(
        Permission.objects.get(codename="change_notificationsettings")
    )
    client = _signed_in(client, "hr")
    url = "/admin/settings/cms/notificationsettings/"

    page = client.get(url, follow=True)
    assert page.status_code == 200
    url = page.redirect_chain[-1][0]
    assert 'value="email"' in page.content.decode()
    response = client.post(url, {"default_channel": "email", "batch_window_minutes": 3})

    assert response.status_code == 302
    assert NotificationSettings.load().batch_window_minutes == 3
