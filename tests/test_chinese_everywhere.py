# ruff: noqa: RUF001
"""A zh-Hans user reads no English: every participant page and every admin
page each demo role opens, rendered for a person whose language is 简体中文,
holds no Latin-script words except data (names, numbers, codes, what people
and templates wrote) and the product and system names people know by them."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from wagtail.models import Page
from wagtail.users.models import UserProfile

from cms.models import Department, Employee, Handover, Item, Role
from connectors.models import ConnectorConfig

pytestmark = pytest.mark.django_db

# Names people know as they are, in any language.
NAMES = {
    "Baton", "Wagtail", "API", "IT", "HR", "PDF", "CSV", "XLSX", "JSON", "LDAP",
    "SCIM", "REST", "CRM", "OA", "ID", "URL", "QR", "IP", "Feishu", "DingTalk",
    "WeCom", "GitHub", "GitLab", "Jira", "Redmine", "HubSpot", "Tryton",
    "OpenAPI", "SSO", "Git", "SHA", "SMTP", "HTTP", "HTTPS", "Webhook",
    # The language switcher names each language in itself.
    "English",
}  # fmt: skip
# Not read as text: code, hidden machinery, and choices whose labels are data.
SKIPPED = {"script", "style", "code", "pre", "noscript", "svg", "template", "kbd"}
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.skipping = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self.skipping += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in SKIPPED and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.parts.append(data.strip())


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for entry in value.values():
            yield from _strings(entry)
    elif isinstance(value, list):
        for entry in value:
            yield from _strings(entry)


def _data() -> list[str]:
    """Everything people, templates and systems wrote: shown as written."""
    found = set()
    for user in get_user_model().objects.all():
        found |= {
            user.username,
            user.email,
            f"{user.first_name} {user.last_name}",
            f"{user.last_name} {user.first_name}",
            user.first_name,
            user.last_name,
        }
    for employee in Employee.objects.all():
        found |= {employee.name, employee.position, employee.employee_number}
    found |= set(Department.objects.values_list("name", flat=True))
    found |= set(Role.objects.values_list("name", flat=True))
    found |= set(Page.objects.values_list("title", flat=True))
    found |= set(Handover.objects.values_list("number", flat=True))
    found |= set(ConnectorConfig.objects.values_list("name", flat=True))
    for item in Item.objects.all():
        found |= {item.label, item.section_title}
        found |= set(_strings(item.definition)) | set(_strings(item.data))
    found.add("Active Directory")
    return sorted((entry for entry in found if entry), key=len, reverse=True)


def english_in(html: str, data: list[str]) -> list[str]:
    parser = _Text()
    parser.feed(html)
    left = []
    for part in parser.parts:
        for entry in data:
            if entry in part:
                part = part.replace(entry, " ")
        words = [
            word
            for word in re.findall(r"[A-Za-z][A-Za-z'’.-]*[A-Za-z]", part)
            if word not in NAMES
        ]
        if words:
            left.append(part)
    return left


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
    data = _data()

    english = {}
    for path in _pages(username):
        response = client.get(path)
        assert response.status_code == 200, path
        found = english_in(response.content.decode(), data)
        if found:
            english[path] = found

    assert english == {}
