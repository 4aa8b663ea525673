"""What the intake tests share: the demo people and templates, start rules,
and resignation notices as the triggers build them."""

import datetime
import itertools

import pytest
from django.contrib.auth.models import Group

from cms.models import ChecklistTemplatePage, Employee, ResignationEvent, StartRule
from cms.services.intake import EmployeeLookup, ResignationNotice

RESIGNED = datetime.date(2026, 12, 1)
LAST_DAY = datetime.date(2026, 12, 31)
_EVENT_IDS = itertools.count(1)


def template(slug: str, language: str = "en") -> ChecklistTemplatePage:
    return ChecklistTemplatePage.objects.get(slug=slug, locale__language_code=language)


def employee_of(user) -> Employee:
    return Employee.objects.get(user=user)


def notice(
    *,
    number: str = "E0005",
    source: str = ResignationEvent.Source.WEBHOOK,
    external_id: str = "",
    resignation_date=RESIGNED,
    last_working_day=LAST_DAY,
    **overrides,
) -> ResignationNotice:
    """A resignation of ``number`` (Chen Fang, sales, by default)."""
    return ResignationNotice(
        source=source,
        external_id=external_id or f"evt-{next(_EVENT_IDS)}",
        employee=overrides.pop("employee", EmployeeLookup(number=number)),
        resignation_date=resignation_date,
        last_working_day=last_working_day,
        reason=overrides.pop("reason", "Moving abroad"),
        **overrides,
    )


@pytest.fixture
def sales(people) -> Employee:
    """Chen Fang, key account manager in Sales; Zhang Wei (`manager`) is the
    manager; Yang Jing (`successor`) is a colleague of the same role."""
    return employee_of(people["sales"])


@pytest.fixture
def rule_factory(people):
    def make(name="Rule", **fields):
        fields.setdefault("language", "en")
        return StartRule.objects.create(name=name, **fields)

    return make


@pytest.fixture
def it_group_users(people):
    """A second IT group of its own, with one member."""
    group = Group.objects.create(name="Field IT")
    people["dev"].groups.add(group)
    return group
