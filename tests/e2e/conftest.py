"""End-to-end tests: Baton served by a live server on loopback (PostgreSQL test
database), driven in Debian's Chromium through Playwright.

Every step a person takes is photographed under ``test-artifacts/e2e/<test>/``;
a failing test also leaves what each open page showed at that moment and the
console messages of every page. A JavaScript error, or any other message the
browser logs as an error, fails the test at the next step (the few a scenario
expects are let pass by name: a not-found page's status, Wagtail's autosave
refusing a half-filled page). The Content-Security-Policy is enforced as in
production: every violation a page reports (its ``securitypolicyviolation``
event, in any frame, whether or not Chromium also logs it) fails the test too.

Environment (see docs/e2e.md): ``BATON_E2E_CHROMIUM`` (the browser binary),
``BATON_E2E_HEADED=1`` (show the windows), ``BATON_E2E_SLOWMO`` (milliseconds
between actions), ``BATON_E2E_ARTIFACTS`` (where screenshots go).
"""

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Page as Tab
from playwright.sync_api import expect, sync_playwright

from cms.demo.seed import seed
from tests.fixtures.transactional import wagtail_roots

from .flows import PASSWORD

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("BATON_E2E_CHROMIUM", "/usr/bin/chromium")
HEADED = os.environ.get("BATON_E2E_HEADED", "") not in ("", "0")
SLOW_MO = int(os.environ.get("BATON_E2E_SLOWMO", "0") or 0)
ARTIFACTS = Path(
    os.environ.get("BATON_E2E_ARTIFACTS", REPO / "test-artifacts" / "e2e")
).resolve()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
# Playwright waits this long for what a person would wait for; slow CI included.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)

# Wagtail's editor autosaves the page while HR is still filling it in; a
# half-filled form is refused (400) and Chromium logs each refusal. That is the
# editor working as designed, not a script failing, so only those are let pass.
AUTOSAVE_REFUSED = (
    re.compile(r"/admin/pages/(add/[\w/]+|\d+/edit/)$", re.ASCII),
    "status of 400",
)


# Runs in every frame before the page's own scripts: each CSP violation the
# document reports is handed to the test (``baton_csp_violation``).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.baton_csp_violation({
    directive: event.effectiveDirective || event.violatedDirective,
    blocked: event.blockedURI,
    document: event.documentURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
  });
});
"""


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Mark the browser tests and run them last: each one empties the database
    when it ends (the live server needs committed data), and whatever ran after
    it would find no Wagtail root page."""
    here = Path(__file__).parent
    browser_tests = [item for item in items if here in Path(item.fspath).parents]
    for item in browser_tests:
        item.add_marker(pytest.mark.browser)
    items[:] = [item for item in items if item not in browser_tests] + browser_tests


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def chromium():
    """Chromium for one test.

    Playwright's sync API keeps an event loop running in this thread while it is
    started, and Django then keeps a separate set of database connections for
    that "async" context. Starting it per test, after the test database is set
    up for the test, and stopping it before the database is emptied, keeps
    Django's own set-up and reset on its usual connection."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"No browser at {CHROMIUM}: `make test` installs Debian's chromium "
            "(or set BATON_E2E_CHROMIUM)."
        )
    # With that loop running Django's ORM refuses to be called from the test,
    # which is still synchronous: allowed for the test only, as it must never
    # be in production (and `check --deploy`, run by another test, says so).
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=not HEADED,
                slow_mo=SLOW_MO,
                args=CHROMIUM_ARGS,
            )
            try:
                yield browser
            finally:
                browser.close()
                # The test's own queries ran on the connections of that context.
                connections.close_all()
    finally:
        if before is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@dataclass
class Person:
    """One person at their own browser: a context with its own cookies."""

    name: str
    page: Tab
    console: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    allowed: list = field(default_factory=list)

    def allow_console_error(self, url_pattern, text):
        """An error the scenario expects, e.g. the status of a not-found page."""
        self.allowed.append((re.compile(url_pattern), text))

    def _on_console(self, message):
        location = message.location.get("url", "")
        line = f"[{message.type}] {message.text} ({location})"
        self.console.append(line)
        if message.type != "error":
            return
        for url_pattern, text in self.allowed:
            if url_pattern.search(location) and text in message.text:
                return
        self.errors.append(line)

    def _on_csp_violation(self, _source, violation):
        line = (
            f"[csp] {violation.get('directive')} blocked "
            f"{violation.get('blocked') or 'inline code'} on "
            f"{violation.get('document')} ({violation.get('source')}:"
            f"{violation.get('line')}) {violation.get('sample') or ''}"
        ).rstrip()
        self.console.append(line)
        self.errors.append(line)

    def _on_page_error(self, error):
        line = f"[pageerror] {error}"
        self.console.append(line)
        self.errors.append(line)


class Journey:
    """The people of one scenario, and the photographs of their steps."""

    def __init__(self, chromium, base_url, folder: Path):
        self.chromium = chromium
        self.base_url = base_url
        self.folder = folder
        self.people: list[Person] = []
        self.count = 0
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    def url(self, path):
        return self.base_url + path

    def person(self, name, *, phone=False, locale="en-GB") -> Person:
        """A fresh browser context: a phone (390 by 844, touch) or a desk."""
        options = {"locale": locale, "base_url": self.base_url}
        if phone:
            options.update(viewport=PHONE, is_mobile=True, has_touch=True)
        else:
            options.update(viewport=DESK)
        context = self.chromium.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        person = Person(name=name, page=None)
        context.expose_binding("baton_csp_violation", person._on_csp_violation)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        page = person.page = context.new_page()
        page.on("console", person._on_console)
        page.on("pageerror", person._on_page_error)
        person.allow_console_error(*AUTOSAVE_REFUSED)
        self.people.append(person)
        return person

    def sign_in(self, person: Person, path: str, username=None) -> Tab:
        """Open ``path``; Baton asks who you are first, as it does every person."""
        page = person.page
        page.goto(path)
        page.get_by_role("textbox", name=re.compile("Username|用户名")).fill(
            username or person.name
        )
        page.get_by_role("textbox", name=re.compile("Password|密码")).fill(PASSWORD)
        page.get_by_role("button", name=re.compile("Sign in|登录")).click()
        expect(page).not_to_have_url(re.compile(r"/login/"))
        return page

    def step(self, person: Person, what: str):
        """Photograph what ``person`` sees now; fail on any console error so far."""
        self.count += 1
        slug = re.sub(r"[^\w]+", "-", what.lower()).strip("-")
        person.page.screenshot(
            path=self.folder / f"{self.count:02d}-{person.name}-{slug}.png",
            full_page=True,
        )
        self.check_console()

    def check_console(self):
        errors = [f"{p.name}: {line}" for p in self.people for line in p.errors]
        assert not errors, "The browser logged errors:\n" + "\n".join(errors)

    def keep_evidence(self):
        """After a failure: what every open page showed, and all console output."""
        lines = []
        for person in self.people:
            if not person.page.is_closed():
                try:
                    person.page.screenshot(
                        path=self.folder / f"FAILED-{person.name}.png", full_page=True
                    )
                    lines.append(f"== {person.name} at {person.page.url}")
                except Exception as error:  # noqa: BLE001 - evidence is best effort
                    lines.append(f"== {person.name}: no screenshot ({error})")
            lines.extend(person.console or ["(no console messages)"])
        (self.folder / "console.txt").write_text("\n".join(lines) + "\n")
        errors = [f"{p.name}: {line}" for p in self.people for line in p.errors]
        print(f"Screenshots and console output: {self.folder}")
        if errors:
            print("Console errors:\n" + "\n".join(errors))

    def close(self):
        for person in self.people:
            person.page.context.close()


@pytest.fixture
def site(live_server):
    """Baton live on loopback with the demo data, as `make run` serves it. The
    server shares the committed data of the test (a transactional test)."""
    wagtail_roots()
    seed()
    return live_server


@pytest.fixture
def journey(request, site, chromium):
    folder = ARTIFACTS / re.sub(r"[^\w]+", "-", request.node.name).strip("-")
    journey = Journey(chromium, site.url, folder)
    yield journey
    call = getattr(request.node, "report_call", None)
    try:
        if call is None or call.failed:
            journey.keep_evidence()
        else:
            journey.check_console()
    finally:
        journey.close()
