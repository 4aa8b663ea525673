"""``make screenshots``: each role's main pages on a phone and a desk, in
English and 简体中文, into docs/screenshots/ (what the README shows).

Not a test: pytest collects it only when named (``tests/e2e/screens.py``). It
serves the demo as ``make run`` does (with the Sales handover filled from the
sample systems) and photographs what each person sees first."""

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from wagtail.users.models import UserProfile

from cms.demo.seed import seed
from cms.models import Handover
from tests.fixtures.transactional import wagtail_roots

from .conftest import DESK, REPO, Journey

pytestmark = pytest.mark.django_db(transaction=True)

OUT = Path(os.environ.get("BATON_SCREENSHOTS", REPO / "docs" / "screenshots"))
# The narrowest phone Baton is made for.
PHONE = {"width": 360, "height": 780}
LANGUAGES = {"en": "en-GB", "zh-hans": "zh-CN"}


def _pages(language: str) -> list[tuple[str, str, str]]:
    """(file name, username, path) of each role's main pages."""
    handover = Handover.objects.get(employee__user__username="sales")
    mine = f"/{language}/handovers/"
    return [
        ("leaver-handovers", "sales", mine),
        ("leaver-handover", "sales", f"{mine}{handover.pk}/"),
        ("successor-handover", "successor", f"{mine}{handover.pk}/"),
        ("manager-handover", "manager", f"{mine}{handover.pk}/"),
        ("manager-reports", "manager", f"/{language}/reports/"),
        ("notifications", "successor", f"{mine}notifications/"),
        ("hr-dashboard", "hr", reverse("wagtailadmin_home")),
        ("hr-handovers", "hr", reverse("handovers:index")),
        ("hr-reports", "hr", reverse("reports_index")),
        ("it-access-queue", "it", reverse("connectors_access_queue")),
    ]


def _speak(username: str, language: str) -> None:
    """The admin follows each person's own language."""
    from django.contrib.auth import get_user_model

    profile = UserProfile.get_for_user(get_user_model().objects.get(username=username))
    profile.preferred_language = language
    profile.save()


def test_screenshots(live_server, chromium):
    wagtail_roots()
    seed(sales_handover=True)
    OUT.mkdir(parents=True, exist_ok=True)
    journey = Journey(chromium, live_server.url, REPO / "test-artifacts" / "screens")
    try:
        for language, locale in LANGUAGES.items():
            for name, username, path in _pages(language):
                _speak(username, language)
                for device, phone in (("phone", True), ("desk", False)):
                    person = journey.person(username, phone=phone, locale=locale)
                    if phone:
                        person.page.set_viewport_size(PHONE)
                    else:
                        person.page.set_viewport_size(DESK)
                    page = journey.sign_in(person, path)
                    expect(page.locator("body")).to_be_visible()
                    page.wait_for_load_state("networkidle")
                    slug = re.sub(r"[^\w-]+", "-", f"{name}-{device}-{language}")
                    page.screenshot(path=OUT / f"{slug}.png", full_page=False)
                    page.context.close()
                    journey.people.remove(person)
    finally:
        journey.close()
