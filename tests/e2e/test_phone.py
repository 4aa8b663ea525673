"""Issue 18, phone first: every page a participant reaches, and the page a
certificate's QR code leads to, fit a 360 px wide phone with no sideways
scrolling, in English and in Chinese; a long handover has a section index that
stays in reach and a "next item for me"; a returned item's reply box is in view;
"My handovers" is one tap away; finished handovers are apart from active ones;
and the certificate appears by itself after the approval."""

import re
from contextlib import contextmanager

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from cms import services
from cms.demo.content import localise
from cms.models import Handover, Item
from cms.names import person_name
from cms.signals import handover_event
from reports.apps import _on_handover_event
from reports.services import certificate_issue

from .flows import (
    CLIENT_DATA,
    CLIENT_LABEL,
    PASSWORD,
    declared_and_accepted,
    leaver_submits,
    start_shop_handover,
    users,
)

NARROW = {"width": 360, "height": 760}
LOCALES = {"en": "en-GB", "zh-hans": "zh-CN"}
# What a person copies into a question: one long word a phone must break.
LONG_LINK = (
    "https://crm.example.com/accounts/ACME-TRADING-SHANGHAI-FLAGSHIP/"
    "contacts/purchasing?view=all-contacts-including-former-buyers"
)
# Elements wider than the screen, for the message when a page does not fit.
TOO_WIDE = """(width) => [...document.querySelectorAll("body *")]
  .filter((element) => element.getBoundingClientRect().right > width + 0.5)
  .slice(0, 8)
  .map((element) => `${element.tagName.toLowerCase()}.${element.className}`)"""


def words(language) -> dict:
    """What the page says in ``language``, from the catalogue the server uses."""
    with translation.override(language):
        return {
            "my_handovers": gettext("My handovers"),
            "finished": gettext("Finished handovers"),
            "cancelled": gettext("Cancelled"),
            "answer": gettext("Your answer"),
            "next": re.compile(
                "^" + re.escape(gettext("Next for me (%(count)s)").split("%(")[0])
            ),
            "certificate": gettext("Handover completion certificate"),
            "issuing": gettext("The certificate is being issued."),
            "pdf": gettext("Certificate (PDF)"),
            "approve": gettext("Approve handover"),
            "approve_dialog": gettext("Approve the handover"),
            "password": gettext("Your password"),
            "sign": gettext("Sign and approve"),
            "valid": gettext("Valid certificate"),
            "pick": gettext("Who takes over from %(name)s?"),
        }


def narrow_phone(journey, name, language):
    person = journey.person(name, phone=True, locale=LOCALES[language])
    person.page.set_viewport_size(NARROW)
    return person


def assert_fits(page, what):
    """No sideways scrolling at 360 px: the document is no wider than the screen."""
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"], (
        f"{what} ({page.url}) is {width} px wide on a 360 px phone; too wide: "
        f"{page.evaluate(TOO_WIDE, NARROW['width'])}"
    )


def assert_in_sight(page, target, index):
    """``target`` starts on screen below the sticky index, not under it."""
    expect(target).to_be_in_viewport()
    under = index.bounding_box()["y"] + index.bounding_box()["height"]
    top = target.bounding_box()["y"]
    assert top >= under - 1, f"hidden under the section index ({top} < {under})"


def ask_about_clients(handover):
    """The leaver submitted the clients; the successor returned them asking a
    question with a long link in it."""
    people = users()
    item = leaver_submits(
        handover,
        localise(CLIENT_LABEL, handover.template.locale.language_code),
        {**CLIENT_DATA, "relationship_notes": LONG_LINK},
    )
    services.item_return(
        actor=people["successor"],
        item=item,
        version=item.version,
        reason=f"Who is the buyer at ACME now? The CRM says {LONG_LINK}",
        password=PASSWORD,
    )
    return Item.objects.get(pk=item.pk)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_participant_page_fits_a_360_px_phone(journey, language):
    text = words(language)
    people = users()
    shop = start_shop_handover(language)
    returned = ask_about_clients(shop)
    demo = Handover.objects.get(employee__user__username="dev")
    services.handover_cancel(
        actor=people["hr"], handover=demo, reason="Liu Lei stays with the company."
    )
    picking = services.handover_start(
        actor=people["hr"],
        employee=people["successor"].employee,
        template=shop.template,
        last_working_day=shop.last_working_day,
        manager=people["manager"],
        successor_pending=True,
    )
    prefix = f"/{language}/handovers/"

    leaver = narrow_phone(journey, "sales", language)
    page = journey.sign_in(leaver, prefix)
    assert_fits(page, "my handovers")
    with translation.override(language):
        leaver_name = person_name(shop.employee)
    page.get_by_role("link", name=leaver_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(leaver_name)
    clients = page.locator(f"#item-{returned.pk}")
    # The returned item waits for an answer: its box is there, not folded away.
    expect(clients.get_by_role("textbox", name=text["answer"])).to_be_visible()
    expect(clients).to_contain_text(LONG_LINK)
    assert_fits(page, "the handover with a returned item")
    journey.step(leaver, "sees the returned item on a 360 px phone")
    page.get_by_role("banner").get_by_role("link", name=text["my_handovers"]).click()
    expect(page).to_have_url(re.compile(rf"{prefix}$"))
    page.goto(f"/{language}/handovers/notifications/")
    assert_fits(page, "my notifications")

    successor = narrow_phone(journey, "successor", language)
    page = journey.sign_in(successor, prefix)
    cards = page.locator(".p-card")
    expect(cards.filter(has_text=shop.number)).to_have_count(1)
    # The cancelled handover is not among the active ones but under its tab.
    expect(cards.filter(has_text=demo.number)).to_have_count(0)
    assert_fits(page, "my active handovers")
    page.get_by_role("link", name=re.compile(text["finished"])).click()
    cancelled = cards.filter(has_text=demo.number)
    expect(cancelled.locator(".p-state")).to_have_text(text["cancelled"])
    expect(cards.filter(has_text=shop.number)).to_have_count(0)
    assert_fits(page, "my finished handovers")
    journey.step(successor, "finds the cancelled handover under its tab")
    cancelled.get_by_role("link").first.click()
    with translation.override(language):
        cancelled_name = person_name(demo.employee)
        picked_name = person_name(picking.employee)
    expect(page.get_by_role("heading", level=1)).to_have_text(cancelled_name)
    assert_fits(page, "a cancelled 17-item handover")

    manager = narrow_phone(journey, "manager", language)
    page = journey.sign_in(manager, f"{prefix}{picking.pk}/successor/")
    asks = text["pick"] % {"name": picked_name}
    expect(page.get_by_role("heading", name=asks)).to_be_visible()
    assert_fits(page, "picking a successor")
    page.goto(f"{prefix}{shop.pk}/")
    assert_fits(page, "the manager's view of the handover")
    journey.step(manager, "sees the handover on a 360 px phone")


def test_a_long_handover_on_a_phone_has_its_sections_and_next_item_in_reach(journey):
    handover = Handover.objects.get(employee__user__username="dev")
    # 18 items; the laptop's return waits for "has a laptop?", so 17 are shown.
    items = [
        item
        for item in handover.items.order_by("position", "pk")
        if not (item.definition.get("condition") or {}).get("field_key")
    ]
    assert len(items) == 17

    leaver = narrow_phone(journey, "dev", "en")
    page = journey.sign_in(leaver, f"/en/handovers/{handover.pk}/")
    index = page.get_by_role("navigation", name="Sections")
    expect(index).to_contain_text("0/17 done")
    assert_fits(page, "a 17-item handover")

    # Far down the page, the index and the next item are still on screen.
    page.mouse.wheel(0, 6000)
    page.wait_for_function("window.scrollY > 3000")
    expect(index).to_be_in_viewport()
    waiting = [item for item in items if item.filled_by_role == "leaver"]
    index.get_by_role("link", name=words("en")["next"]).click()
    first = page.locator(f"#item-{waiting[0].pk}")
    assert_in_sight(page, first, index)
    expect(page).to_have_url(re.compile(rf"#item-{waiting[0].pk}$"))
    journey.step(leaver, "jumps to the next item waiting for them")

    # The index folds open with each section's done/total; a section is one tap.
    index.get_by_text("Sections", exact=True).click()
    rows = index.locator(".p-sections__row")
    expect(rows).to_have_count(len({item.section_block_id for item in items}))
    last = rows.last
    expect(last).to_contain_text(re.compile(r"\d+/\d+ done"))
    journey.step(leaver, "opens the section index")
    title = last.locator(".p-sections__title").inner_text()
    last.locator(".p-sections__title").click()
    expect(index.locator(".p-sections__panel")).to_be_hidden()
    assert_in_sight(page, page.get_by_role("heading", level=2, name=title), index)
    assert_fits(page, "the last section")

    # Once the first is handed over, "next" leads to the one after it (the
    # index updates live, like the rest of the page).
    services.item_mark_not_applicable(
        actor=users()["dev"],
        item=waiting[0],
        version=waiting[0].version,
        reason="Nothing in progress on this.",
    )
    next_item = index.get_by_role("link", name=words("en")["next"])
    expect(next_item).to_have_attribute("href", re.compile(rf"#item-{waiting[1].pk}$"))
    page.get_by_role("banner").get_by_role("link", name="My handovers").click()
    expect(page).to_have_url(re.compile(r"/en/handovers/$"))
    expect(page.get_by_role("heading", level=1, name="My handovers")).to_be_visible()


@contextmanager
def certificates_held_back():
    """The certificate task has not run yet, as when the queue is busy."""
    handover_event.disconnect(dispatch_uid="reports-certificates")
    try:
        yield
    finally:
        handover_event.connect(_on_handover_event, dispatch_uid="reports-certificates")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_certificate_appears_by_itself_after_the_approval(journey, language):
    text = words(language)
    handover = declared_and_accepted(start_shop_handover(language))
    manager = narrow_phone(journey, "manager", language)
    page = journey.sign_in(manager, f"/{language}/handovers/{handover.pk}/")
    assert_fits(page, "the handover in review")

    with certificates_held_back():
        page.get_by_role("button", name=text["approve"]).click()
        dialog = page.get_by_role("dialog", name=text["approve_dialog"])
        dialog.get_by_role("textbox", name=text["password"]).fill(PASSWORD)
        dialog.get_by_role("button", name=text["sign"], exact=True).click()
        certificate = page.get_by_role("region", name=text["certificate"])
        expect(certificate.get_by_role("status")).to_have_text(text["issuing"])
        assert_fits(page, "the certificate being issued")
        journey.step(manager, "sees the certificate being issued")
        page.evaluate("window.baton_not_reloaded = true")
        certificate_issue(handover_id=handover.pk)

    link = certificate.get_by_role("link", name=text["pdf"])
    expect(link).to_be_visible()
    assert page.evaluate("window.baton_not_reloaded === true"), "the page reloaded"
    expect(certificate.get_by_role("status")).to_have_count(0)
    journey.step(manager, "sees the certificate without reloading")

    handover.refresh_from_db()
    certificate.get_by_role("link", name=handover.certificate.code).click()
    expect(page.get_by_role("heading", name=text["valid"])).to_be_visible()
    expect(page.get_by_text(handover.certificate.root_hash)).to_be_visible()
    assert_fits(page, "the verification page")
    journey.step(manager, "the verification page fits the phone")
