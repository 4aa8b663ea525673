"""Fixtures of the connector tests: the demo's sales handover, started with its
background fill run (huey runs tasks in-process in the tests)."""

import datetime

import pytest

from cms import services
from cms.models import ChecklistTemplatePage, Employee


@pytest.fixture
def sales_handover_factory(people):
    def start():
        return services.handover_start(
            actor=people["hr"],
            employee=Employee.objects.get(user=people["sales"]),
            template=ChecklistTemplatePage.objects.get(
                slug="sales", locale__language_code="en"
            ),
            resignation_date=datetime.date(2026, 12, 1),
            last_working_day=datetime.date(2026, 12, 31),
            successors=[people["successor"]],
            manager=people["manager"],
        )

    return start


@pytest.fixture
def started(people, django_capture_on_commit_callbacks, sales_handover_factory):
    """The sales handover, its CRM block filled by the start's background task."""
    with django_capture_on_commit_callbacks(execute=True):
        return sales_handover_factory()
