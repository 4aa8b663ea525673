"""Scenario 5: the manager approves; the certificate PDF downloads and its
verification page says it is valid."""

import hashlib

from playwright.sync_api import expect
from pypdf import PdfReader

from cms.models import Handover

from .flows import PASSWORD, declared_and_accepted, start_shop_handover


def test_manager_approves_and_the_certificate_verifies(journey, tmp_path):
    handover = declared_and_accepted(start_shop_handover())
    assert handover.state == Handover.State.IN_REVIEW
    manager = journey.person("manager")
    page = journey.sign_in(manager, f"/en/handovers/{handover.pk}/")
    expect(
        page.get_by_text("Everything is handed over: the manager reviews it now.")
    ).to_be_visible()
    journey.step(manager, "reviews the handover")

    page.get_by_role("button", name="Approve handover").click()
    dialog = page.get_by_role("dialog", name="Approve the handover")
    dialog.get_by_role("textbox", name="Remarks (optional)").fill("Clean handover.")
    dialog.get_by_role("textbox", name="Your password").fill(PASSWORD)
    journey.step(manager, "signs the approval")
    dialog.get_by_role("button", name="Sign and approve").click()

    expect(page.locator(".p-header .p-state")).to_have_text("Completed")
    certificate = page.get_by_role("region", name="Handover completion certificate")
    expect(certificate).to_be_visible()
    journey.step(manager, "the handover is complete")

    with page.expect_download() as download:
        certificate.get_by_role("link", name="Certificate (PDF)").click()
    assert download.value.suggested_filename == f"{handover.number}-certificate.pdf"
    pdf = tmp_path / download.value.suggested_filename
    download.value.save_as(pdf)
    text = "".join(page_.extract_text() for page_ in PdfReader(pdf).pages)
    assert "Handover completion certificate" in text
    assert handover.number in text
    assert "Return the car" in text

    code = handover.certificate.code
    certificate.get_by_role("link", name=code).click()
    expect(page).to_have_url(journey.url(f"/verify/{code}/"))
    expect(page.get_by_role("heading", name="Valid certificate")).to_be_visible()
    expect(page.get_by_text(handover.number)).to_be_visible()
    # The page names the fingerprint of the genuine PDF: the download matches it.
    expect(
        page.get_by_text(hashlib.sha256(pdf.read_bytes()).hexdigest())
    ).to_be_visible()
    journey.step(manager, "the verification page says valid")
