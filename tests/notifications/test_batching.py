# ruff: noqa: RUF001
"""A burst of events becomes one message per person once the batch window
has passed, listing every item and what is asked, in their language."""

import datetime

import pytest
from django.conf import settings
from wagtail.users.models import UserProfile

from cms import services, tasks
from cms.admin_views.deliveries import handover_deliveries
from cms.models import (
    ChecklistTemplatePage,
    Delivery,
    Employee,
    Notification,
    NotificationSettings,
)
from tests.fixtures.handovers import item_of

from .helpers import SUBMITTED, submit, window_passes


def test_three_submissions_within_the_window_become_one_message(
    sales_handover, people, mailoutbox, django_capture_on_commit_callbacks
):
    submit(sales_handover, people, SUBMITTED, django_capture_on_commit_callbacks)

    tasks.flush_notifications()
    assert mailoutbox == []  # the window has not passed yet

    window_passes()
    tasks.flush_notifications()

    [message] = mailoutbox
    assert message.to == [people["successor"].email]
    assert sales_handover.number in message.subject
    assert "3 updates" in message.subject
    for label in SUBMITTED:
        assert f"“{label}” was submitted by" in message.body
    assert message.body.count("waiting for your confirmation") == 3
    link = f"{settings.WAGTAILADMIN_BASE_URL}/en/handovers/{sales_handover.pk}/"
    assert link in message.body
    [delivery] = Delivery.objects.all()
    assert (delivery.recipient, delivery.handover, delivery.state) == (
        people["successor"],
        sales_handover,
        "sent",
    )
    assert delivery.notifications.count() == 3


def test_a_second_flush_sends_nothing_more(
    sales_handover, people, mailoutbox, django_capture_on_commit_callbacks
):
    submit(sales_handover, people, SUBMITTED[:2], django_capture_on_commit_callbacks)
    window_passes()
    tasks.flush_notifications()

    tasks.flush_notifications()

    assert len(mailoutbox) == 1
    assert not Notification.objects.filter(sent_at__isnull=True).exists()


def test_events_after_a_flush_start_a_new_batch(
    sales_handover, people, mailoutbox, django_capture_on_commit_callbacks
):
    submit(sales_handover, people, SUBMITTED[:1], django_capture_on_commit_callbacks)
    window_passes()
    tasks.flush_notifications()
    submit(sales_handover, people, SUBMITTED[1:], django_capture_on_commit_callbacks)
    window_passes()

    tasks.flush_notifications()

    first, second = mailoutbox
    assert "“Key client list” is ready for your confirmation" in first.subject
    assert "2 updates" in second.subject
    assert "Key client list" not in second.body


def test_the_actor_is_never_told_of_their_own_submissions(
    sales_handover, people, django_capture_on_commit_callbacks
):
    submit(sales_handover, people, SUBMITTED, django_capture_on_commit_callbacks)

    assert set(Notification.objects.values_list("recipient", flat=True)) == {
        people["successor"].pk
    }


def test_a_chinese_profile_gets_the_batch_in_chinese_with_chinese_links(
    sales_handover, people, mailoutbox, django_capture_on_commit_callbacks
):
    profile = UserProfile.get_for_user(people["successor"])
    profile.preferred_language = "zh-hans"
    profile.save()
    submit(sales_handover, people, SUBMITTED, django_capture_on_commit_callbacks)
    window_passes()

    tasks.flush_notifications()

    [message] = mailoutbox
    assert f"/zh-hans/handovers/{sales_handover.pk}/" in message.body
    assert "/en/" not in message.body
    assert "你好" in message.body
    assert "打开交接单" in message.body
    # The subject and every line are Chinese: one line per submitted item.
    employee = sales_handover.employee.name
    assert message.subject == f"{sales_handover.number} · {employee}：3 条新动态"
    assert "自上一条消息以来，有 3 项与您相关的动态：" in message.body
    actor = "Chen Fang"  # family name first in Chinese
    for label in SUBMITTED:
        assert f"- {actor} 提交了“{label}”：等待您确认" in message.body
    assert "submitted" not in message.body
    assert set(Notification.objects.values_list("language", flat=True)) == {"zh-hans"}


def test_a_zero_window_sends_each_event_at_once(
    sales_handover, people, mailoutbox, django_capture_on_commit_callbacks
):
    NotificationSettings.objects.update_or_create(defaults={"batch_window_minutes": 0})

    submit(sales_handover, people, SUBMITTED[:2], django_capture_on_commit_callbacks)

    assert len(mailoutbox) == 2


@pytest.mark.parametrize("minutes", [2, 9])
def test_the_company_window_decides_when_a_batch_goes(
    sales_handover, people, mailoutbox, django_capture_on_commit_callbacks, minutes
):
    NotificationSettings.objects.update_or_create(defaults={"batch_window_minutes": 10})
    submit(sales_handover, people, SUBMITTED[:1], django_capture_on_commit_callbacks)
    window_passes(minutes)

    tasks.flush_notifications()

    assert len(mailoutbox) == (1 if minutes > 10 else 0)


def test_a_burst_across_two_handovers_is_still_one_message(
    sales_handover, people, user_factory, mailoutbox, django_capture_on_commit_callbacks
):
    leaver = user_factory(username="leaver-two")
    Employee.objects.create(employee_number="T2", name="Leaver Two", user=leaver)
    other = services.handover_start(
        actor=people["hr"],
        employee=Employee.objects.get(user=leaver),
        template=ChecklistTemplatePage.objects.get(
            slug="sales", locale__language_code="en"
        ),
        last_working_day=datetime.date(2026, 12, 31),
        successors=[people["successor"]],
        manager=people["manager"],
    )
    submit(sales_handover, people, SUBMITTED[:1], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.item_submit(
            actor=leaver, item=item_of(other, "Key client list"), version=1
        )
    window_passes()

    tasks.flush_notifications()

    [message] = mailoutbox
    assert "Baton: 2 updates for you" in message.subject
    assert sales_handover.number in message.body and other.number in message.body
    assert f"{settings.WAGTAILADMIN_BASE_URL}/en/handovers/" in message.body
    [delivery] = Delivery.objects.all()
    assert delivery.handover is None
    for handover in (sales_handover, other):
        assert list(handover_deliveries(handover)) == [delivery]
