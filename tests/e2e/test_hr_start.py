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

    page.get_by_label("Employee").select_option(label="Chen Fang (E0005)")
    page.get_by_role("button", name="Suggest template and people").click()
    # The org chart suggests a template and people; HR picks what fits.
    page.get_by_label("Template").select_option(label="Shop manager handover (English)")
    page.get_by_label("Successors").select_option(label="Jing Yang (successor)")
    page.get_by_label("Manager", exact=True).select_option(label="Wei Zhang (manager)")
    last_day = datetime.date.today() + datetime.timedelta(days=30)
    page.get_by_label("Last working day").fill(last_day.isoformat())
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
