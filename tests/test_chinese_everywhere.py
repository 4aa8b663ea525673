"""A zh-Hans user reads no English: every participant page and every admin
page each demo role opens, rendered for a person whose language is 简体中文,
holds no Latin-script words except data (names, numbers, codes, what people
and templates wrote) and the product and system names people know by them."""

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.users.models import UserProfile

from cms.models import Handover
from tests.chinese_text import english_in, known_data

pytestmark = pytest.mark.django_db


def _pages(username: str) -> list[str]:
    handovers = [f"/zh-hans/handovers/{pk}/" for pk in _on(username)]
    participant = [
        "/zh-hans/handovers/",
        "/zh-hans/handovers/notifications/",
        *handovers,
    ]
    if username == "manager":
        participant.append("/zh-hans/reports/")
    admin = {
        "hr": [
            reverse("wagtailadmin_home"),
            reverse("handovers:index"),
            reverse("intake:index"),
            reverse("reports_index"),
            reverse("wagtailsnippets_cms_employee:list"),
            reverse("connectors_access_queue"),
            reverse("write_backs:index"),
        ],
        "it": [
            reverse("wagtailadmin_home"),
            reverse("connectors_access_queue"),
            reverse("write_backs:index"),
        ],
    }
    return participant + admin.get(username, [])


def _on(username):
    return (
        Handover.objects.filter(participants__user__username=username)
        .values_list("pk", flat=True)
        .distinct()
    )


@pytest.mark.parametrize("username", ["sales", "successor", "manager", "hr", "it"])
def test_a_chinese_reader_sees_no_english(people, username):
    user = people[username]
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "zh-hans"
    profile.save()
    client = Client()
    client.force_login(user)
    data = known_data()

    english = {}
    for path in _pages(username):
        response = client.get(path)
        assert response.status_code == 200, path
        found = english_in(response.content.decode(), data)
        if found:
            english[path] = found

    assert english == {}
