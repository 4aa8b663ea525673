# ruff: noqa: RUF001
"""What the "no English for a zh-Hans reader" tests share: the names people
know as they are, the text a person reads in an HTML page (or a mail, a card,
a PDF), and the check that finds the Latin-script words in it that are not
data (names, numbers, codes, addresses, what people and templates wrote)."""

import re
from html.parser import HTMLParser

from django.contrib.auth import get_user_model
from wagtail.models import Page

from cms.models import Department, Employee, Handover, Item, Role
from connectors.models import ConnectorConfig

__all__ = [
    "NAMES",
    "english_in",
    "english_in_parts",
    "english_in_text",
    "html_text",
    "known_data",
]

# Names people know as they are, in any language.
NAMES = {
    "Baton", "Wagtail", "API", "IT", "HR", "PDF", "CSV", "XLSX", "JSON", "LDAP",
    "SCIM", "REST", "CRM", "OA", "ID", "URL", "QR", "IP", "Feishu", "DingTalk",
    "WeCom", "GitHub", "GitLab", "Jira", "Redmine", "HubSpot", "Tryton",
    "OpenAPI", "SSO", "Git", "SHA", "SMTP", "HTTP", "HTTPS", "Webhook", "UTC",
    # The language switcher names each language in itself.
    "English",
}  # fmt: skip
# Not read as text: code, hidden machinery, and choices whose labels are data.
SKIPPED = {"script", "style", "code", "pre", "noscript", "svg", "template", "kbd"}
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
# Addresses are data wherever they are written out.
ADDRESS = re.compile(r"(?:https?://|mailto:)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’.-]*[A-Za-z]")


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


def html_text(html: str) -> list[str]:
    """The pieces of text a person reads in ``html``, attributes included."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.parts


def _without_data(part: str, data: list[str], *, wrapped: bool) -> str:
    part = ADDRESS.sub(" ", part)
    for entry in data:
        if wrapped:
            # A PDF wraps a long value anywhere: whitespace may split it.
            pattern = r"\s*".join(
                re.escape(char) for char in entry if not char.isspace()
            )
            part = re.sub(pattern, " ", part)
        elif entry in part:
            part = part.replace(entry, " ")
    return part


def english_in_parts(parts, data: list[str]) -> list[str]:
    """The parts that hold a Latin-script word that is neither data (``data``,
    longest first; addresses) nor a name in ``NAMES``."""
    left = []
    for part in parts:
        rest = _without_data(part, data, wrapped=False)
        if any(word not in NAMES for word in LATIN_WORD.findall(rest)):
            left.append(part)
    return left


def english_in(html: str, data: list[str]) -> list[str]:
    """The English left in an HTML page or mail."""
    return english_in_parts(html_text(html), data)


def english_in_text(text: str, data: list[str], *, wrapped: bool = False) -> list[str]:
    """The English left in plain text (a mail's text part, a card, a PDF's
    extracted text), line by line. ``wrapped``: a value may be split over
    lines anywhere (a PDF's table cells)."""
    if wrapped:
        text, data = _without_data(text, data, wrapped=True), []
    return english_in_parts(
        [line.strip() for line in text.splitlines() if line.strip()], data
    )


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for entry in value.values():
            yield from _strings(entry)
    elif isinstance(value, list):
        for entry in value:
            yield from _strings(entry)


def known_data() -> list[str]:
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
