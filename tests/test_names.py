"""One name rule by language (cms.names): Chinese names family first with no
space, Latin names family first in Chinese and given name first in English; the
e-mails and the HR pickers follow it."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation
from wagtail.users.models import UserProfile

from cms import tasks
from cms.admin_views.intake.people import person_label
from cms.models import Employee
from cms.names import NameParts, has_cjk, join_name, person_name
from tests.notifications.helpers import SUBMITTED, submit, window_passes


def _user(first="", last="", username="someone"):
    return get_user_model()(username=username, first_name=first, last_name=last)


@pytest.mark.parametrize(
    ("family", "given", "language", "written"),
    [
        ("陈", "芳", "zh-hans", "陈芳"),
        ("陈", "芳", "en", "陈芳"),  # a Chinese name is written as it is
        ("欧阳", "娜娜", "en", "欧阳娜娜"),
        ("Chen", "Fang", "zh-hans", "Chen Fang"),
        ("Chen", "Fang", "en", "Fang Chen"),
        ("Smith", "John", "zh-hans", "Smith John"),
        ("Smith", "John", "en", "John Smith"),
        ("  Chen ", " Fang ", "en", "Fang Chen"),
        ("Chen", "", "en", "Chen"),
        ("", "Fang", "zh-hans", "Fang"),
        ("", "", "en", ""),
    ],
)
def test_the_rule_by_script_and_language(family, given, language, written):
    assert join_name(family, given, language) == written
    assert person_name(NameParts(family, given), language) == written


def test_the_active_language_is_the_default():
    with translation.override("zh-hans"):
        assert join_name("Yang", "Jing") == "Yang Jing"
    with translation.override("en"):
        assert join_name("Yang", "Jing") == "Jing Yang"


def test_a_user_is_named_by_the_rule_or_by_username():
    assert person_name(_user("Fang", "Chen"), "en") == "Fang Chen"
    assert person_name(_user("Fang", "Chen"), "zh-hans") == "Chen Fang"
    assert person_name(_user("芳", "陈"), "en") == "陈芳"
    assert person_name(_user(username="fchen"), "zh-hans") == "fchen"
    assert person_name(None) == ""
    assert person_name("  As typed  ") == "As typed"


def test_cjk_detection():
    assert has_cjk("陈 Fang")
    assert not has_cjk("Chen Fang")
    assert not has_cjk("")


def test_an_hr_record_follows_its_account_unless_written_in_chinese(people):
    chen = Employee.objects.select_related("user").get(user=people["sales"])
    assert chen.name == "Chen Fang"  # HR typed it family name first

    assert person_name(chen, "en") == "Fang Chen"
    assert person_name(chen, "zh-hans") == "Chen Fang"

    chen.name = "陈芳"
    assert person_name(chen, "en") == "陈芳"
    assert person_name(chen, "zh-hans") == "陈芳"


def test_an_hr_record_without_an_account_prints_as_stored(db):
    record = Employee(employee_number="X1", name="Li Lei")

    assert person_name(record, "en") == "Li Lei"
    assert person_name(record, "zh-hans") == "Li Lei"


def test_the_hr_pickers_name_people_by_the_rule(people):
    successor = people["successor"]

    with translation.override("en"):
        assert person_label(successor) == "Jing Yang (successor)"
    with translation.override("zh-hans"):
        assert person_label(successor) == "Yang Jing (successor)"


def test_an_email_names_people_by_the_rule_in_each_language(
    sales_handover, people, mailoutbox, django_capture_on_commit_callbacks
):
    """The successor reads Chinese: greeted as "Yang Jing", told what "Chen
    Fang" did; the same message in English names them "Fang Chen"."""
    profile = UserProfile.get_for_user(people["successor"])
    profile.preferred_language = "zh-hans"
    profile.save()
    submit(sales_handover, people, SUBMITTED, django_capture_on_commit_callbacks)
    window_passes()

    tasks.flush_notifications()

    [message] = mailoutbox
    assert "Yang Jing" in message.body
    for label in SUBMITTED:
        assert f"- Chen Fang 提交了“{label}”" in message.body
    assert "Fang Chen" not in message.body
    assert "Jing Yang" not in message.body


def test_an_english_email_names_people_given_name_first(
    sales_handover, people, mailoutbox, django_capture_on_commit_callbacks
):
    submit(sales_handover, people, SUBMITTED, django_capture_on_commit_callbacks)
    window_passes()

    tasks.flush_notifications()

    [message] = mailoutbox
    assert "Hello Jing Yang," in message.body
    for label in SUBMITTED:
        assert f"“{label}” was submitted by Fang Chen" in message.body
