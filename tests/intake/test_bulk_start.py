"""Bulk start: a spreadsheet of leavers is previewed (template, successor and
every refusal with its reason) before anything starts; starting starts the
startable rows and nothing for the refused ones, and says which."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms.errors import PermissionDenied
from cms.models import Department, Employee, Handover, ResignationEvent, Role
from cms.services import BulkRow, EmployeeLookup, bulk_preview, bulk_start

from .conftest import LAST_DAY, RESIGNED, template

# A bulk start's queries: a fixed part, and at most this many per row.
PREVIEW_QUERIES_PER_ROW = 3
START_QUERIES_PER_ROW = 40


def _row(line, number, **fields):
    fields.setdefault("last_working_day", LAST_DAY)
    return BulkRow(line=line, employee=EmployeeLookup(number=number), **fields)


def test_the_preview_shows_each_rows_plan_or_refusals(people):
    rows = [
        _row(2, "E0005"),
        _row(3, "E9999"),
        _row(4, "E0007", resignation_date=datetime.date(2027, 1, 5)),
        _row(5, "E0006"),
        _row(6, "E0005"),
        _row(7, "E0003", template_id=template("general").pk),
    ]

    previews = bulk_preview(rows=rows)

    by_line = {preview.line: preview for preview in previews}
    assert [preview.line for preview in previews] == [2, 3, 4, 5, 6, 7]
    assert by_line[2].startable
    assert by_line[2].plan.template == template("sales")
    assert by_line[2].plan.successors == [people["successor"]]
    assert by_line[3].refusal_code == "unknown_employee"
    assert by_line[3].refusal == "No employee matches employee number “E9999”."
    assert by_line[4].refusal_code == "last_day_before_resignation"
    assert by_line[5].refusal_code == "already_open"
    assert by_line[6].refusal == "Chen Fang is already on line 2."
    assert by_line[7].startable
    assert by_line[7].plan.template == template("general")
    # nothing started
    assert not ResignationEvent.objects.exists()
    assert not Handover.objects.filter(employee__employee_number="E0005").exists()


def test_starting_starts_the_startable_rows_and_nothing_for_the_rest(people):
    rows = [
        _row(2, "E0005", resignation_date=RESIGNED, reason="Relocation"),
        _row(3, "E9999"),
        _row(4, "E0006"),
        _row(
            5,
            "E0003",
            template_id=template("general").pk,
            successor_ids=(people["hrhead"].pk,),
            manager_id=people["manager"].pk,
        ),
    ]

    outcomes = bulk_start(actor=people["hrhead"], rows=rows)

    assert [outcome.status for outcome in outcomes] == [
        "started",
        "refused",
        "refused",
        "started",
    ]
    assert outcomes[1].message == "No employee matches employee number “E9999”."
    assert outcomes[2].message == "Liu Lei already has an open handover."
    started = outcomes[3].handover
    assert started.template == template("general")
    assert started.created_by == people["hrhead"]
    assert set(started.participants.values_list("user__username", "role")) >= {
        ("hrhead", "successor"),
        ("manager", "manager"),
    }
    # every row is kept for HR, refused rows with their reason
    events = ResignationEvent.objects.filter(source="bulk")
    assert events.count() == 4
    assert sorted(events.values_list("state", flat=True)) == [
        "refused",
        "refused",
        "started",
        "started",
    ]
    assert events.get(employee_ref={"number": "E9999"}).refusal_code == (
        "unknown_employee"
    )


def test_only_hr_starts_in_bulk(people):
    with pytest.raises(PermissionDenied):
        bulk_start(actor=people["manager"], rows=[_row(2, "E0005")])
    assert not ResignationEvent.objects.exists()


def _many_leavers(count, *, teams=50):
    """``count`` sales people who can sign in, in ``teams`` departments."""
    sales = Role.objects.get(code="sales")
    company = Department.objects.get(code="company")
    departments = Department.objects.bulk_create(
        [
            Department(code=f"team-{index}", name=f"Team {index}", parent=company)
            for index in range(teams)
        ]
    )
    users = get_user_model().objects.bulk_create(
        [
            get_user_model()(
                username=f"leaver{index}",
                first_name=f"Leaver{index}",
                email=f"leaver{index}@baton.example",
                password="!",
            )
            for index in range(count)
        ]
    )
    manager = Employee.objects.get(employee_number="E0002")
    Employee.objects.bulk_create(
        [
            Employee(
                employee_number=f"L{index:05d}",
                name=f"Leaver {index}",
                user=user,
                role=sales,
                department=departments[index % teams],
                manager=manager,
                position="Account manager",
            )
            for index, user in enumerate(users)
        ]
    )
    return [_row(index + 2, f"L{index:05d}") for index in range(count)]


def _queries(action):
    with CaptureQueriesContext(connection) as captured:
        result = action()
    return result, len(captured.captured_queries)


def test_the_preview_of_500_rows_reads_in_few_queries_per_row(
    people, django_assert_max_num_queries
):
    # given 500 leavers (peers in teams of ten, whom the successor suggestion
    # reads: one query a row)
    rows = _many_leavers(500)
    _few, fixed = _queries(lambda: bulk_preview(rows=rows[:2]))

    # when
    with django_assert_max_num_queries(fixed + PREVIEW_QUERIES_PER_ROW * len(rows)):
        previews = bulk_preview(rows=rows)

    # then every row is planned
    assert len(previews) == 500
    assert all(preview.startable for preview in previews)


def test_a_bulk_start_costs_the_same_per_row(people, django_assert_max_num_queries):
    rows = _many_leavers(40, teams=4)

    with django_assert_max_num_queries(60 + START_QUERIES_PER_ROW * len(rows)):
        outcomes = bulk_start(actor=people["hr"], rows=rows)

    assert {outcome.status for outcome in outcomes} == {"started"}
    assert (
        Handover.objects.filter(employee__employee_number__startswith="L").count() == 40
    )
