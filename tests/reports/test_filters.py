"""The report filter form: defaults, translated errors for anything odd,
department trees, and query strings that give the same filters back."""

from datetime import date, timedelta

import django_filters
import pytest
from django.http import QueryDict
from django.utils import timezone, translation

from cms.admin_views.filters import overdue_condition
from cms.models import Handover
from reports.figures import (
    LATE_BUCKETS,
    ReportFilterForm,
    ReportFilters,
    handover_list_filters,
    late_condition,
)
from reports.figures.filters import department_tree_ids

from .builders import add_employee, make_handover

TODAY = date(2026, 3, 18)


def _form(data, today=TODAY):
    return ReportFilterForm(data, today=today)


def test_no_parameters_give_twelve_months_to_today(db):
    form = _form({})

    assert form.is_valid(), form.errors
    assert form.filters() == ReportFilters(
        start=date(2025, 4, 1), end=TODAY, group="month"
    )
    assert ReportFilters.default(TODAY) == form.filters()


def test_the_default_period_starts_eleven_months_back_across_years(db):
    form = _form({}, today=date(2026, 1, 31))

    assert form.is_valid()
    assert (form.filters().start, form.filters().end) == (
        date(2025, 2, 1),
        date(2026, 1, 31),
    )


def test_an_empty_query_string_is_the_defaults_too(db):
    form = _form({"start": "", "end": "", "department": "", "group": ""})

    assert form.is_valid()
    assert form.filters() == ReportFilters.default(TODAY)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"department": "abc"}, "department"),
        ({"department": str(2**70)}, "department"),
        ({"department": "999999"}, "department"),
        ({"role": "-1"}, "role"),
        ({"template": "1.5"}, "template"),
        ({"start": "2026-13-01"}, "start"),
        ({"end": "yesterday"}, "end"),
        ({"group": "week"}, "group"),
    ],
)
def test_garbage_gives_a_translated_form_error(db, data, field):
    with translation.override("zh-hans"):
        form = _form(data)
        valid = form.is_valid()
        errors = [str(error) for error in form.errors.get(field, [])]

    assert not valid
    assert errors
    # Django's own messages, in Chinese: "输入一个有效的日期。", "选择一个有效的选项…"
    assert all(any("\u4e00" <= char <= "\u9fff" for char in error) for error in errors)


def test_an_end_before_the_start_is_an_error(db):
    form = _form({"start": "2026-03-01", "end": "2026-02-28"})

    assert not form.is_valid()
    assert form.errors["end"] == ["The end of the period cannot be before its start."]


def test_dates_at_the_end_of_the_calendar_are_an_error_not_a_crash(db, client):
    form = _form({"start": "9999-12-31", "end": "9999-12-31"})

    assert not form.is_valid()
    assert form.errors["start"] == ["Choose a date between 1900-01-01 and 9998-12-31."]
    assert form.errors["end"] == ["Choose a date between 1900-01-01 and 9998-12-31."]


def test_a_period_over_five_years_is_an_error(db):
    too_long = _form({"start": "2021-03-17", "end": "2026-03-18"})
    five_years = _form({"start": "2021-03-18", "end": "2026-03-18"})

    assert not too_long.is_valid()
    assert too_long.errors["start"] == ["Choose a period of at most 5 years."]
    assert five_years.is_valid(), five_years.errors


def test_a_department_includes_its_sub_departments(world):
    departments = world.departments
    in_sales = make_handover(
        world,
        add_employee(world, "s1", department="sales"),
        last_working_day=TODAY,
    )
    in_sales_east = make_handover(
        world,
        add_employee(world, "s2", department="sales-east"),
        last_working_day=TODAY,
    )
    make_handover(
        world, add_employee(world, "r1", department="rnd"), last_working_day=TODAY
    )
    form = _form({"department": str(departments["sales"].pk)})

    assert form.is_valid()
    assert set(form.filters().apply(Handover.objects.all())) == {
        in_sales,
        in_sales_east,
    }
    assert department_tree_ids(departments["sales"]) == {
        departments["sales"].pk,
        departments["sales-east"].pk,
    }
    assert department_tree_ids(departments["sales-east"]) == {
        departments["sales-east"].pk
    }


def test_role_and_template_narrow_the_handovers(world):
    engineer = make_handover(
        world,
        add_employee(world, "e1", role="engineer"),
        template="engineer",
        last_working_day=TODAY,
    )
    make_handover(
        world, add_employee(world, "e2", role="sales"), last_working_day=TODAY
    )

    by_role = ReportFilters(TODAY, TODAY, role=world.roles["engineer"])
    by_template = ReportFilters(TODAY, TODAY, template=world.templates["engineer"])

    assert list(by_role.apply(Handover.objects.all())) == [engineer]
    assert list(by_template.apply(Handover.objects.all())) == [engineer]


def test_as_query_round_trips(world):
    filters = ReportFilters(
        start=date(2026, 1, 1),
        end=date(2026, 2, 28),
        department=world.departments["sales"],
        role=world.roles["sales"],
        template=world.templates["sales"],
        group="template",
    )

    query = filters.as_query(TODAY)
    form = _form(query)

    assert query == {
        "start": "2026-01-01",
        "end": "2026-02-28",
        "department": str(world.departments["sales"].pk),
        "role": str(world.roles["sales"].pk),
        "template": str(world.templates["sales"].pk),
        "group": "template",
    }
    assert form.is_valid(), form.errors
    assert form.filters() == filters


def test_as_query_leaves_out_the_defaults(db):
    assert ReportFilters.default(TODAY).as_query(TODAY) == {}
    assert ReportFilters(date(2025, 4, 1), date(2026, 3, 1)).as_query(TODAY) == {
        "end": "2026-03-01"
    }


def test_the_period_runs_from_local_midnight_to_local_midnight(db):
    filters = ReportFilters(date(2026, 1, 1), date(2026, 1, 31))

    assert filters.since.isoformat() == "2026-01-01T00:00:00+08:00"
    assert filters.until.isoformat() == "2026-02-01T00:00:00+08:00"
    assert filters.months() == [(2026, 1)]
    assert ReportFilters(date(2025, 11, 30), date(2026, 2, 1)).months() == [
        (2025, 11),
        (2025, 12),
        (2026, 1),
        (2026, 2),
    ]


def test_list_filters_are_fresh_django_filters(db):
    first, second = handover_list_filters(), handover_list_filters()

    assert list(first) == [
        "late",
        "lwd_from",
        "lwd_to",
        "stuck",
        "blocker",
        "not_started",
    ]
    assert all(isinstance(item, django_filters.Filter) for item in first.values())
    assert all(first[name] is not second[name] for name in first)


class _Listing(django_filters.FilterSet):
    locals().update(handover_list_filters())

    class Meta:
        model = Handover
        fields = []


@pytest.mark.parametrize(
    "query",
    [
        {"late": "2-5"},
        {"blocker": "nothing"},
        {"stuck": "maybe"},
        {"lwd_from": "2026-02-30"},
        {"not_started": "1"},
    ],
)
def test_list_filters_refuse_garbage(db, query):
    with translation.override("zh-hans"):
        listing = _Listing(query, queryset=Handover.objects.all())
        valid = listing.is_valid()

    assert not valid
    assert list(listing.errors) == list(query)


def test_list_filters_by_last_working_day(world):
    inside = make_handover(
        world, add_employee(world, "l1"), last_working_day=date(2026, 3, 20)
    )
    make_handover(world, add_employee(world, "l2"), last_working_day=date(2026, 3, 30))

    listing = _Listing(
        {"lwd_from": "2026-03-18", "lwd_to": "2026-03-22"},
        queryset=Handover.objects.all(),
    )

    assert list(listing.qs) == [inside]


def test_a_query_string_shows_the_period_in_force(db):
    form = ReportFilterForm(QueryDict("department=&role="), today=TODAY)

    assert form.is_valid()
    assert form["start"].value() == "2025-04-01"
    assert form["end"].value() == "2026-03-18"
    assert form["group"].value() == "month"


def test_the_late_buckets_together_are_the_overdue_list(world):
    today = timezone.localdate()
    for days_late in (-1, 0, 1, 3, 4, 7, 8, 30, 31, 400):
        make_handover(
            world,
            add_employee(world, f"late{days_late}"),
            last_working_day=today - timedelta(days=days_late),
        )
    make_handover(
        world,
        add_employee(world, "closed"),
        state=Handover.State.COMPLETED,
        last_working_day=today - timedelta(days=5),
    )
    overdue = set(Handover.objects.filter(overdue_condition()))

    in_buckets = [
        set(Handover.objects.filter(late_condition(bucket, today)))
        for bucket in LATE_BUCKETS
    ]

    assert [len(bucket) for bucket in in_buckets] == [2, 2, 2, 2]
    assert set().union(*in_buckets) == overdue
