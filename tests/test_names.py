"""One name rule by language (cms.names): Chinese names family first with no
space, Latin names family first in Chinese and given name first in English; the
e-mails and the HR pickers follow it."""

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.utils import translation
from knox.models import AuthToken
from rest_framework.test import APIClient
from wagtail.users.models import UserProfile

from cms import services, tasks
from cms.admin_views.intake.people import person_label
from cms.models import Employee, Handover, StartRule
from cms.names import NameParts, has_cjk, join_name, person_name
from cms.services import resignation_receive
from tests.fixtures.handovers import item_of
from tests.intake.conftest import notice
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


# Every screen follows the rule ------------------------------------------------------
# `sales` is Fang Chen (first name Fang, last name Chen): "Chen Fang" on a zh-Hans
# page or API answer, "Fang Chen" in English.

WRITTEN = {"zh-hans": "Chen Fang", "en": "Fang Chen"}
OTHER = {"zh-hans": "Fang Chen", "en": "Chen Fang"}
BOTH = pytest.mark.parametrize("language", ["zh-hans", "en"])


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return unescape(response.content.decode())


def _between(html: str, start: str, end: str) -> str:
    assert start in html, f"{start!r} is not on the page"
    return html.split(start, 1)[1].split(end, 1)[0]


def _in_admin(client, user, language):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    client.force_login(user)
    return client


@BOTH
def test_the_header_names_the_signed_in_person(
    client, people, sales_handover, language
):
    client.force_login(people["sales"])

    html = _html(client.get(f"/{language}/handovers/"))

    assert f'<span class="baton-user">{WRITTEN[language]}</span>' in html


@BOTH
def test_a_question_thread_names_its_authors(client, people, sales_handover, language):
    scripts = item_of(sales_handover, "Sales scripts")
    question = services.comment_add(
        actor=people["successor"],
        item=scripts,
        body="Who has the deck?",
        is_question=True,
    )
    services.comment_add(
        actor=people["sales"], item=scripts, body="I do.", question=question
    )
    services.comment_add(actor=people["sales"], item=scripts, body="Sent it over.")
    client.force_login(people["successor"])

    html = _html(client.get(f"/{language}/handovers/{sales_handover.pk}/"))
    thread = _between(html, '<ul class="p-thread">', "</section>")

    assert thread.count(f"<strong>{WRITTEN[language]}</strong>") == 2  # answer, note
    asker = {"zh-hans": "Yang Jing", "en": "Jing Yang"}[language]
    assert f"<strong>{asker}</strong>" in thread
    assert OTHER[language] not in thread


@pytest.fixture
def yang_leaves(people):
    """Yang Jing (`successor`) resigns under a rule that leaves her successor to
    her manager; Fang Chen, same department and role, is the first suggestion."""
    StartRule.objects.create(
        name="Managers pick",
        priority=1,
        successor_policy=StartRule.SuccessorPolicy.MANAGER_CHOICE,
        manager_choice_days=3,
        language="en",
    )
    number = Employee.objects.get(user=people["successor"]).employee_number
    outcome = resignation_receive(notice=notice(number=number), mode="start")
    assert outcome.handover.state == Handover.State.DRAFT
    return outcome.handover


@BOTH
def test_the_successor_pick_suggests_people_by_the_rule(
    client, people, yang_leaves, language
):
    client.force_login(people["manager"])
    html = _html(client.get(f"/{language}/handovers/{yang_leaves.pk}/successor/"))
    suggested = _between(html, 'id="suggested-title"', "</section>")

    assert f"<strong>{WRITTEN[language]}</strong>" in suggested
    assert OTHER[language] not in suggested


def test_the_pick_confirmation_names_the_successor_by_the_rule(
    client, people, yang_leaves
):
    client.force_login(people["manager"])
    url = f"/zh-hans/handovers/{yang_leaves.pk}/successor/"

    html = _html(client.post(url, {"successor": people["sales"].pk}, follow=True))

    message = _between(html, '<ul class="p-messages"', "</ul>")
    assert "Chen Fang" in message
    assert "(sales)" not in message  # a name, not the picker's label


@BOTH
def test_api_items_name_people_in_the_requests_language(
    people, sales_handover, language
):
    scripts = item_of(sales_handover, "Sales scripts")
    scripts.assignee = people["sales"]
    scripts.save(update_fields=["assignee"])
    client = APIClient()
    client.force_authenticate(people["successor"])

    response = client.get(
        f"/api/v1/handovers/{sales_handover.pk}/items/?page_size=100",
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 200
    [listed] = [item for item in response.json()["results"] if item["id"] == scripts.pk]
    assert listed["assignee"]["name"] == WRITTEN[language]
    assert listed["assignee"]["username"] == "sales"


@BOTH
def test_the_admin_token_list_names_owners_by_the_rule(client, people, language):
    AuthToken.objects.create(user=people["sales"])
    _in_admin(client, people["hr"], language)

    html = _html(client.get("/admin/api-tokens/"))
    listing = _between(html, "<tbody>", "</tbody>")

    assert f">{WRITTEN[language]}</a>" in listing
    assert OTHER[language] not in listing


@BOTH
def test_the_start_form_suggests_successors_by_the_rule(client, people, language):
    yang = Employee.objects.get(user=people["successor"])
    _in_admin(client, people["hr"], language)

    html = _html(client.get(f"/admin/handovers/start/?employee={yang.pk}"))
    suggested = re.findall(r"<li><strong>([^<]*)</strong> \((\w+)\) — ", html)

    assert (WRITTEN[language], "sales") in suggested


def test_the_filter_writes_people_strings_and_nothing(people):
    chen = Employee.objects.select_related("user").get(user=people["sales"])
    template = Template(
        "{% load baton_names %}{{ user|person_name }}|{{ chen|person_name }}|"
        "{{ typed|person_name }}|{{ missing|person_name }}"
    )
    context = Context({"user": people["sales"], "chen": chen, "typed": " 李雷 "})

    with translation.override("zh-hans"):
        assert template.render(context) == "Chen Fang|Chen Fang|李雷|"
    with translation.override("en"):
        assert template.render(context) == "Fang Chen|Fang Chen|李雷|"
