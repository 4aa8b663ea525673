"""Scenario: HR opens the dashboard, follows "overdue" to the Handovers list,
filters the cycle-time report by a department and downloads it as XLSX: the
file holds the figures the page shows. A manager reads the same report on a
phone, under the participant site's strict Content-Security-Policy."""

import datetime
import re

import openpyxl
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from cms.models import (
    Certificate,
    ChecklistTemplatePage,
    Department,
    Employee,
    Handover,
    Item,
    Role,
)
from cms.services import handover_start

from .flows import PASSWORD, users

# Days from start to certificate: two in Sales (median 6.0), one in R&D.
FINISHED = (
    ("E2001", "Gao Yan", "sales", 10),
    ("E2002", "Hu Lan", "sales", 2),
    ("E2003", "Ma Tao", "rnd", 4),
)


def _employee(number, name, department, username) -> Employee:
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    return Employee.objects.create(
        employee_number=number,
        name=name,
        department=Department.objects.get(code=department),
        role=Role.objects.get(code="general"),
        manager=Employee.objects.get(user__username="manager"),
        user=user,
    )


def _start(employee, last_working_day) -> Handover:
    people = users()
    return handover_start(
        actor=people["hr"],
        employee=employee,
        template=ChecklistTemplatePage.objects.get(
            slug="sales", locale__language_code="en"
        ),
        last_working_day=last_working_day,
        successors=[people["successor"]],
        manager=people["manager"],
        it_users=[people["it"]],
    )


def history():
    """Three handovers with their certificates this month, and two open ones
    past their last working day (2 and 12 days late)."""
    now = timezone.now()
    today = timezone.localdate()
    for index, (number, name, department, days) in enumerate(FINISHED):
        employee = _employee(number, name, department, f"leaver{index}")
        handover = _start(employee, today)
        Handover.objects.filter(pk=handover.pk).update(
            state=Handover.State.COMPLETED,
            started_at=now - datetime.timedelta(days=days, hours=1),
            completed_at=now - datetime.timedelta(hours=1),
        )
        handover.items.update(state=Item.State.ACCEPTED)
        Certificate.objects.create(
            handover=handover,
            code=f"E2E-{handover.pk:04d}",
            language="en",
            pdf=f"certificates/e2e-{handover.pk}.pdf",
            pdf_sha256="0" * 64,
            root_hash="0" * 64,
            issued_at=now - datetime.timedelta(hours=1),
        )
    _start(Employee.objects.get(user__username="sales"), today - datetime.timedelta(2))
    late = _employee("E2004", "Xu Bo", "sales", "leaver-late")
    _start(late, today - datetime.timedelta(days=12))


def _table(page):
    """The report table as the page shows it: headings, and each row's values."""
    table = page.locator("table[data-report-table]")
    headings = [text.strip() for text in table.locator("thead th").all_inner_texts()]
    rows = [
        [cell.get_attribute("data-value") for cell in row.locator("th, td").all()]
        for row in table.locator("tbody tr").all()
    ]
    return headings, rows


def _same(page_value, file_value) -> bool:
    if file_value is None:
        return page_value == ""
    if isinstance(file_value, (int, float)):
        return abs(float(page_value) - file_value) < 1e-9
    return str(file_value) == page_value


def test_hr_follows_the_dashboard_and_downloads_a_filtered_report(journey, tmp_path):
    history()
    hr = journey.person("hr")
    page = journey.sign_in(hr, "/admin/")

    dashboard = page.locator("[data-panel='hr']")
    expect(
        dashboard.get_by_role("heading", name="Handovers", exact=True)
    ).to_be_visible()
    overdue = dashboard.locator("[data-figure='late_1-3']")
    expect(overdue).to_contain_text("Needs attention")
    count = int(overdue.locator(".reports-figure__value").inner_text())
    assert count == 1
    journey.step(hr, "sees the dashboard")

    overdue.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/admin/handovers/\?late=1-3"))
    rows = page.locator("table.listing tbody tr")
    expect(rows).to_have_count(count)
    expect(rows.first).to_contain_text("Chen Fang")
    journey.step(hr, "follows overdue to the handovers list")

    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("button", name="Reports").click()
    menu.get_by_role("link", name="Cycle time").click()
    expect(page.get_by_role("heading", name="Cycle time", level=1)).to_be_visible()
    expect(page.locator("[data-report-chart][data-chart-ready='true']")).to_be_visible()
    journey.step(hr, "opens the cycle-time report")

    page.get_by_label("Department").select_option(label="Sales")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"department=\d+"))
    summary = page.locator(".reports-summary")
    expect(summary).to_contain_text("Handovers")
    handovers = summary.locator(".reports-summary__figure").filter(has_text="Handovers")
    expect(handovers.locator(".reports-summary__value")).to_have_text("2")
    median = summary.locator(".reports-summary__figure").filter(
        has_text="Start → certificate, median"
    )
    expect(median.locator(".reports-summary__value")).to_have_text("6.0")
    expect(page.locator("[data-report-chart][data-chart-ready='true']")).to_be_visible()
    journey.step(hr, "filters the report by Sales")
    headings, table_rows = _table(page)
    assert sum(int(row[1]) for row in table_rows) == 2

    with page.expect_download() as download:
        page.get_by_role("link", name="Download XLSX").click()
    assert re.fullmatch(
        r"baton-cycle-time-[\d-]+\.xlsx", download.value.suggested_filename
    )
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    lines = [list(line) for line in sheet.iter_rows(values_only=True)]
    assert lines[0] == headings
    assert len(lines) - 1 == len(table_rows)
    for file_row, page_row in zip(lines[1:], table_rows, strict=True):
        assert all(
            _same(page_value, file_value)
            for page_value, file_value in zip(page_row, file_row, strict=True)
        ), (page_row, file_row)
    assert sum(line[1] for line in lines[1:]) == 2


def test_a_manager_reads_the_team_report_on_a_phone(journey):
    history()
    manager = journey.person("manager", phone=True)
    page = journey.sign_in(manager, "/en/reports/")

    expect(page.get_by_role("heading", name="My team's handovers")).to_be_visible()
    expect(page.locator("[data-panel='manager']")).to_be_visible()
    journey.step(manager, "sees the team dashboard")

    page.get_by_role("link", name="Cycle time").click()
    expect(page.locator("[data-report-chart][data-chart-ready='true']")).to_be_visible()
    summary = page.locator(".reports-summary__figure").filter(has_text="Handovers")
    expect(summary.locator(".reports-summary__value")).to_have_text("3")
    # Chart and table fit the phone: only the table's own frame scrolls sideways.
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    journey.step(manager, "reads the cycle-time report on a phone")
