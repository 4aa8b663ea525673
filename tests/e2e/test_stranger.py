"""Scenario 6: someone with no part in a handover cannot even tell it exists."""

from playwright.sync_api import expect

from .flows import start_shop_handover


def test_a_stranger_opening_the_handover_gets_not_found(journey):
    handover = start_shop_handover()
    address = f"/en/handovers/{handover.pk}/"
    stranger = journey.person("dev")
    # The browser reports the page's own 404 status in the console.
    stranger.allow_console_error(rf"{address}$", "status of 404")
    page = journey.sign_in(stranger, address)

    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text(handover.employee.name)).to_have_count(0)
    expect(page.get_by_text(handover.number)).to_have_count(0)
    journey.step(stranger, "gets a not-found page")
    response = page.reload()
    assert response.status == 404
