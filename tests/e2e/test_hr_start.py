"""Scenario 2: HR starts a handover from the shop template for `sales`, with
`successor` taking over and `manager` approving."""

import datetime
import re

from playwright.sync_api import expect

from cms.models import Handover, ParticipantRole

from .flows import publish_shop_template


def test_hr_starts_a_handover_from_the_template(journey):
    template = publish_shop_template()
    hr = journey.person("hr")
    page = journey.sign_in(hr, "/admin/")
    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Handovers"
    ).click()
    page.get_by_role("link", name="Start a handover").first.click()
    expect(
        page.get_by_role("heading", name="Start a handover", level=2)
    ).to_be_visible()

    # The pickers search as HR types (Tom Select): the employee first.
    expect(page.locator(".ts-wrapper").first).to_be_visible()
    page.get_by_role("combobox", name=re.compile(r"^Employee")).fill("Chen")
    page.get_by_role("option", name=re.compile(r"Chen Fang \(E0005\)")).click()
    last_day = datetime.date.today() + datetime.timedelta(days=30)
    page.get_by_label("Last working day").fill(last_day.isoformat())
    page.get_by_role("button", name="Suggest template and people").press("Enter")
    # The start rules suggest a template and people; HR picks what fits.
    expect(page.locator("[data-start-plan]")).to_be_visible()
    page.get_by_label("Template").select_option(label="Shop manager handover (English)")
    successors = page.get_by_role("combobox", name=re.compile(r"^Successors"))
    expect(page.locator(".ts-wrapper", has=successors)).to_contain_text(
        "Jing Yang (successor)"
    )
    manager = page.get_by_role("combobox", name=re.compile(r"^Manager"))
    expect(page.locator(".ts-wrapper", has=manager)).to_contain_text(
        "Wei Zhang (manager)"
    )
    journey.step(hr, "fills in the start form")
    # Typed in, the date's picker stays open over the form's buttons; HR goes
    # on with the keyboard, as people who type dates do.
    page.get_by_role("button", name="Start handover").press("Enter")

    started = page.get_by_text(
        re.compile(r"Handover HO-[\d-]+ started for Chen Fang\.")
    )
    expect(started).to_be_visible()
    handover = Handover.objects.get(employee__user__username="sales")
    expect(started).to_contain_text(handover.number)
    row = page.get_by_role("row").filter(has_text=handover.number)
    expect(row).to_contain_text("Shop manager handover")
    expect(row).to_contain_text("In progress")
    journey.step(hr, "sees the new handover in the list")

    assert handover.template_id == template.pk
    assert handover.last_working_day == last_day
    roles = set(handover.participants.values_list("user__username", "role"))
    assert {
        ("sales", ParticipantRole.LEAVER),
        ("successor", ParticipantRole.SUCCESSOR),
        ("manager", ParticipantRole.MANAGER),
    } <= roles
