"""Scenario: HR starts the handovers of several leavers at once. From the
Handovers list, "Bulk start" takes a spreadsheet with good and bad rows; the
preview shows what each row would start and every refusal with its reason;
"Start 2 handovers" starts the good rows only and the results say which
started. Then, on a phone, HR finds an employee by typing into the picker
and sees what the start rules give before starting; and a manager, on a
phone, picks the successor of a handover the rules left to them, under the
participant site's strict Content-Security-Policy."""

import csv
import datetime
import re

from playwright.sync_api import expect

from cms import services
from cms.models import Handover, ResignationEvent, StartRule

LAST_DAY = datetime.date.today() + datetime.timedelta(days=30)
ROWS = [
    ["Employee number or email", "Last working day", "Successor", "Reason"],
    ["E0005", LAST_DAY.isoformat(), "successor", "New job"],
    ["successor@baton.example", LAST_DAY.isoformat(), "", ""],
    ["E9999", LAST_DAY.isoformat(), "", ""],
    ["E0003", "next Friday", "nobody-here", ""],
]


def _spreadsheet(tmp_path):
    path = tmp_path / "leavers.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(ROWS)
    return path


def test_hr_previews_a_spreadsheet_and_starts_the_good_rows(journey, tmp_path):
    hr = journey.person("hr")
    page = journey.sign_in(hr, "/admin/handovers/")
    page.get_by_role("link", name="Bulk start").first.click()
    expect(page.get_by_role("heading", name="Bulk start", level=2)).to_be_visible()

    page.get_by_label("Spreadsheet").set_input_files(_spreadsheet(tmp_path))
    journey.step(hr, "chooses the spreadsheet")
    page.get_by_role("button", name="Preview").click()

    table = page.locator("table[data-bulk-preview]")
    expect(table).to_be_visible()
    chen = table.locator('tr[data-line="2"]')
    expect(chen).to_contain_text("Chen Fang (E0005)")
    expect(chen).to_contain_text("Sales handover")
    expect(chen).to_contain_text("Jing Yang (successor)")
    expect(chen).to_contain_text("Ready")
    expect(table.locator('tr[data-line="3"]')).to_contain_text("Ready")
    expect(table.locator('tr[data-line="4"]')).to_contain_text(
        "No employee matches employee number “E9999”."
    )
    bad = table.locator('tr[data-line="5"]')
    expect(bad).to_contain_text("“next Friday” is not a date")
    expect(bad).to_contain_text("Successor “nobody-here”: no active user")
    journey.step(hr, "sees the preview with the refusals and why")
    # Nothing has started yet.
    assert not Handover.objects.filter(employee__employee_number="E0005").exists()

    page.get_by_role("button", name="Start 2 handovers").click()

    results = page.locator("table[data-bulk-results]")
    expect(results).to_be_visible()
    expect(page.get_by_text("2 of 4 handovers started.")).to_be_visible()
    chen_handover = Handover.objects.get(employee__employee_number="E0005")
    started = results.locator('tr[data-line="2"]')
    expect(started).to_contain_text("Handover started")
    expect(started.get_by_role("link", name=chen_handover.number)).to_be_visible()
    expect(results.locator('tr[data-line="3"]')).to_contain_text("Handover started")
    expect(results.locator('tr[data-line="4"]')).to_contain_text("Not started")
    expect(results.locator('tr[data-line="5"]')).to_contain_text("Not started")
    journey.step(hr, "sees which started and which did not")

    assert Handover.objects.filter(employee__employee_number="E0007").exists()
    assert not Handover.objects.filter(employee__employee_number="E0003").exists()
    refused = ResignationEvent.objects.filter(
        source=ResignationEvent.Source.BULK, state=ResignationEvent.State.REFUSED
    )
    assert refused.count() == 2

    # The refusals wait in the intake log, with their reasons.
    page.goto("/admin/intake/?state=refused")
    expect(
        page.get_by_text("No employee matches employee number “E9999”.")
    ).to_be_visible()
    journey.step(hr, "finds the refused rows in the intake log")


def test_hr_finds_an_employee_by_typing_on_a_phone(journey):
    hr = journey.person("hr", phone=True)
    page = journey.sign_in(hr, "/admin/handovers/start/")
    expect(
        page.get_by_role("heading", name="Start a handover", level=2)
    ).to_be_visible()

    # Tom Select's search box, named by the field's label, once it is there.
    expect(page.locator(".ts-wrapper").first).to_be_visible()
    picker = page.get_by_role("combobox", name=re.compile(r"^Employee"))
    picker.fill("e0005")
    option = page.get_by_role("option", name=re.compile(r"Chen Fang \(E0005\)"))
    expect(option).to_be_visible()
    journey.step(hr, "types an employee number into the picker")
    option.click()
    page.get_by_label("Last working day").fill(LAST_DAY.isoformat())
    page.get_by_role("button", name="Suggest template and people").press("Enter")

    plan = page.locator("[data-start-plan]")
    expect(plan).to_contain_text("What the start rules give, and why")
    expect(plan).to_contain_text("Template “Sales handover”")
    expect(plan).to_contain_text("Successor Jing Yang, suggested by Baton.")
    expect(page.locator(".ts-wrapper").first).to_contain_text("Chen Fang (E0005)")
    journey.step(hr, "sees what the start rules give and why")


def test_a_manager_picks_the_successor_on_a_phone(journey):
    # Given the start rules leave the successor to the manager: Chen Fang's
    # handover waits, as a draft, for Wei Zhang to pick.
    StartRule.objects.create(
        name="Managers pick",
        priority=1,
        successor_policy=StartRule.SuccessorPolicy.MANAGER_CHOICE,
        language="en",
    )
    outcome = services.resignation_receive(
        notice=services.ResignationNotice(
            source=ResignationEvent.Source.WEBHOOK,
            external_id="hris-42",
            employee=services.EmployeeLookup(number="E0005"),
            resignation_date=datetime.date.today(),
            last_working_day=LAST_DAY,
        ),
        mode="start",
    )
    handover = outcome.handover
    assert handover.state == Handover.State.DRAFT

    manager = journey.person("manager", phone=True)
    page = journey.sign_in(manager, f"/en/handovers/{handover.pk}/successor/")
    expect(
        page.get_by_role("heading", name="Who takes over from Fang Chen?")
    ).to_be_visible()
    expect(page.locator(".ts-wrapper")).to_be_visible()
    picker = page.get_by_role("combobox", name=re.compile(r"^Successor"))
    picker.fill("yang")
    option = page.get_by_role("option", name=re.compile(r"Jing Yang \(successor\)"))
    expect(option).to_be_visible()
    journey.step(manager, "searches a colleague by name")
    option.click()
    page.get_by_role("button", name="Name the successor and start").click()

    expect(page.get_by_text("Jing Yang takes over from Fang Chen")).to_be_visible()
    journey.step(manager, "sees the handover started")
    handover.refresh_from_db()
    assert handover.state == Handover.State.IN_PROGRESS
