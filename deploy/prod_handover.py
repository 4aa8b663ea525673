"""The scripted handover `make prod-check` runs through the production stack,
over HTTP only (deploy/prod_check.py starts the stack, then calls ``run``).

HR signs in through the admin's login form (CSRF token and all) and starts a
handover from a published template with that session; the other people use API
tokens from the token endpoint. The leaver and the others fill and submit
their items, the confirmers accept theirs with their password, the leaver
declares, the manager approves; a huey consumer issues the certificate, and the
public verify page shows it.
"""

import datetime
import hashlib
import re
import time
from collections.abc import Callable

import requests

PASSWORD = "baton-demo"  # noqa: S105 - the demo users' (cms/demo/seed.py)
# The demo people (cms/demo/seed.py): the leaver is Yang Jing (employee E0007,
# whose username is "successor"); seed_demo already started handovers for
# E0005 and E0006, so neither takes part.
LEAVER = ("E0007", "successor")
SUCCESSOR = ("E0001", "hrhead")
MANAGER = ("E0002", "manager")
IT = ("E0004", "it")
HR = "hr"
TEMPLATE_SLUG = "general"


class StepFailed(Exception):
    """A step of the check failed; the message says which and why."""


def expect(response: requests.Response, status: int, what: str) -> requests.Response:
    if response.status_code != status:
        raise StepFailed(
            f"{what}: expected HTTP {status}, got {response.status_code} from "
            f"{response.request.method} {response.url}\n{response.text[:1500]}"
        )
    return response


def wait_for(condition: Callable[[], object], what: str, timeout: float = 60.0):
    """Poll ``condition`` until it returns something truthy (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    delay = 0.1
    last_error = None
    while time.monotonic() < deadline:
        try:
            result = condition()
        except requests.RequestException as error:  # not up yet: try again
            last_error = error
            result = None
        if result:
            return result
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)
    raise StepFailed(f"Timed out after {timeout:.0f}s waiting for {what}: {last_error}")


class Site:
    """The site as a browser and API clients see it."""

    def __init__(self, base_url: str, verify: str, say: Callable[[str], None]):
        self.base = base_url.rstrip("/")
        self.verify = verify
        self.say = say

    def session(self) -> requests.Session:
        session = requests.Session()
        # Only this certificate: no CA bundle or proxy from the environment
        # (requests lets REQUESTS_CA_BUNDLE override a session's verify).
        session.trust_env = False
        session.verify = self.verify
        return session

    def url(self, path: str) -> str:
        return self.base + path

    def sign_in_through_the_form(self, username: str) -> requests.Session:
        session = self.session()
        login = self.url("/admin/login/")
        page = expect(session.get(login), 200, "the sign-in page")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not match:
            raise StepFailed("The sign-in page has no CSRF token.")
        signed_in = session.post(
            login,
            data={
                "csrfmiddlewaretoken": match.group(1),
                "username": username,
                "password": PASSWORD,
                "next": "/admin/",
            },
            headers={"Referer": login},
            allow_redirects=False,
        )
        if signed_in.status_code != 302 or "sessionid" not in session.cookies:
            raise StepFailed(
                f"Signing in as {username} through the form failed "
                f"(HTTP {signed_in.status_code}).\n{signed_in.text[:1500]}"
            )
        expect(session.get(self.url("/admin/")), 200, "the admin after signing in")
        # The session's unsafe API requests carry the CSRF token, as the
        # admin's own scripts do.
        session.headers.update(
            {"X-CSRFToken": session.cookies["csrftoken"], "Referer": login}
        )
        return session

    def token_session(self, username: str) -> requests.Session:
        session = self.session()
        response = expect(
            session.post(
                self.url("/api/v1/auth/token/"),
                json={"username": username, "password": PASSWORD},
            ),
            200,
            f"an API token for {username}",
        )
        session.headers["Authorization"] = f"Token {response.json()['token']}"
        return session


def _all(session: requests.Session, url: str) -> list[dict]:
    results = []
    while url:
        page = expect(session.get(url, params={"page_size": 100}), 200, url).json()
        results += page["results"]
        url = page.get("next")
    return results


def _start(site: Site, hr: requests.Session) -> int:
    employees = {
        employee["employee_number"]: employee
        for employee in _all(hr, site.url("/api/v1/employees/"))
    }
    templates = [
        template
        for template in _all(hr, site.url("/api/v1/templates/"))
        if template["slug"] == TEMPLATE_SLUG and template["locale"] == "en"
    ]
    if not templates:
        raise StepFailed(f"No published template {TEMPLATE_SLUG!r} in the API.")
    today = datetime.date.today()
    started = expect(
        hr.post(
            site.url("/api/v1/handovers/"),
            json={
                "employee": employees[LEAVER[0]]["id"],
                "template": templates[0]["id"],
                "successors": [employees[SUCCESSOR[0]]["user"]],
                "manager": employees[MANAGER[0]]["user"],
                "it_users": [employees[IT[0]]["user"]],
                "resignation_date": today.isoformat(),
                "last_working_day": (today + datetime.timedelta(days=14)).isoformat(),
            },
        ),
        201,
        "HR starts the handover (session from the sign-in form, CSRF token)",
    ).json()
    return started["id"]


def _fill(site: Site, people: dict, handover_id: int) -> int:
    """Each filler fills and submits what they may; returns how many."""
    submitted = 0
    for username, session in people.items():
        items_url = site.url(f"/api/v1/handovers/{handover_id}/items/")
        for item in _all(session, items_url):
            if not (item["visible"] and item["can_fill"]):
                continue
            url = site.url(f"/api/v1/items/{item['id']}/")
            version = item["version"]
            if item["kind"] == "field":
                version = expect(
                    session.patch(
                        url, json={"version": version, "data": {"value": True}}
                    ),
                    200,
                    f"{username} fills {item['label']!r}",
                ).json()["version"]
            if item["evidence"] == "required":
                expect(
                    session.post(
                        url + "attachments/",
                        files={
                            "file": ("proof.pdf", b"%PDF-1.4 proof", "application/pdf")
                        },
                    ),
                    201,
                    f"{username} attaches proof to {item['label']!r}",
                )
                version += 1
            expect(
                session.post(url + "submit/", json={"version": version}),
                200,
                f"{username} submits {item['label']!r}",
            )
            submitted += 1
    return submitted


def _confirm(site: Site, people: dict, handover_id: int) -> int:
    """Each confirmer accepts what they may, signing with their password."""
    accepted = 0
    for username, session in people.items():
        items_url = site.url(f"/api/v1/handovers/{handover_id}/items/")
        mine = [item for item in _all(session, items_url) if item["can_confirm"]]
        if not mine:
            continue
        expect(
            session.post(
                site.url("/api/v1/items/accept/"),
                json={
                    "items": [
                        {"id": item["id"], "version": item["version"]} for item in mine
                    ],
                    "password": PASSWORD,
                    "remarks": "",
                },
            ),
            200,
            f"{username} accepts {len(mine)} item(s) with their password",
        )
        accepted += len(mine)
    return accepted


def run(site: Site) -> dict:
    """The whole handover; returns what the report shows."""
    say = site.say
    hr = site.sign_in_through_the_form(HR)
    say(f"HR ({HR}) signed in through the login form")
    handover_id = _start(site, hr)
    say(f"HR started handover {handover_id} from the {TEMPLATE_SLUG!r} template")

    people = {
        username: site.token_session(username)
        for username in (LEAVER[1], SUCCESSOR[1], MANAGER[1], IT[1])
    }
    people[HR] = hr
    # Filling one item can reveal a conditional one: go round until none is left.
    rounds = 0
    while (count := _fill(site, people, handover_id)) and rounds < 5:
        say(f"participants filled and submitted {count} item(s)")
        rounds += 1
    accepted = _confirm(site, people, handover_id)
    say(f"confirmers accepted {accepted} item(s), signing with their password")

    leaver = people[LEAVER[1]]
    detail_url = site.url(f"/api/v1/handovers/{handover_id}/")
    declared = expect(
        leaver.post(
            detail_url + "declare/",
            json={"password": PASSWORD, "statement": "All handed over."},
        ),
        200,
        "the leaver declares",
    ).json()
    if declared["state"] != "in_review":
        raise StepFailed(f"After the declaration: {declared['state']}, {declared}")
    say("the leaver signed the declaration: in review")
    approved = expect(
        people[MANAGER[1]].post(detail_url + "approve/", json={"password": PASSWORD}),
        200,
        "the manager approves",
    ).json()
    if approved["state"] != "completed":
        raise StepFailed(f"After the approval: {approved['state']}")
    say("the manager approved: completed")

    def certificate_code():
        return expect(leaver.get(detail_url), 200, "the handover").json()["certificate"]

    certificate = wait_for(
        certificate_code, "the certificate (a huey consumer issues it)"
    )
    code = certificate["code"]
    say(f"a huey consumer issued certificate {code}")
    pdf = expect(
        leaver.get(detail_url + "certificate/"), 200, "the certificate PDF"
    ).content
    if not pdf.startswith(b"%PDF"):
        raise StepFailed("The certificate download is not a PDF.")
    verify = expect(
        site.session().get(site.url(f"/verify/{code}/")), 200, "the public verify page"
    )
    number = approved["number"]
    if number not in verify.text or hashlib.sha256(pdf).hexdigest() not in verify.text:
        raise StepFailed(
            f"The public verify page does not show handover {number} and the "
            "SHA-256 of the PDF just downloaded."
        )
    say(f"the public verify page (signed out) shows {number} and the PDF's SHA-256")
    return {"handover": handover_id, "certificate": code}
