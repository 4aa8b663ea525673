"""A real OpenID Connect provider for the sign-in tests: panva's certified
``oidc-provider`` on Node.js (tests/sso/oidc_provider/server.js), started once
per test session on a free port and stopped by its PID.

Its development login form signs in any account of ``ACCOUNTS`` (the login is
the subject, ``sub``) with any password. Its one client is Baton under the
Django test client (``http://testserver``). ``sign_in_at_provider`` plays the
browser at the provider and returns the callback URL it sends the browser
back to with a code and the state.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.connectors.servers import free_port, stop_process, wait_until_serving

HERE = Path(__file__).parent / "oidc_provider"
CLIENT_ID = "baton-tests"
CLIENT_SECRET = "baton-tests-client-secret-0123456789abcdef"
CALLBACK = "http://testserver/auth/oidc/callback/"

# login (= sub) -> the claims the provider vouches for.
ACCOUNTS = {
    "dir-0001": {"given_name": "Fang", "family_name": "Chen"},
    "someone": {"employee_number": "E3002"},
    "mailer": {"email": "mail.match@baton.example", "email_verified": True},
    "unverified": {"email": "mail.match@baton.example", "email_verified": False},
    "stranger": {
        "email": "stranger@elsewhere.example",
        "email_verified": True,
        "employee_number": "X9999",
    },
    "gone": {"employee_number": "E3009"},
}


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def settings(self) -> dict:
        return {
            "BATON_OIDC_DISCOVERY_URL": self.discovery_url,
            "BATON_OIDC_CLIENT_ID": CLIENT_ID,
            "BATON_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        }


def _installed() -> None:
    """``npm ci`` from the lock file, once (the npm registry only)."""
    if (HERE / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed for the OpenID Connect test provider")
    subprocess.run(  # noqa: S603 - the system npm, fixed args
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=HERE,
        check=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    node = shutil.which("node")
    if node is None:
        if os.environ.get("BATON_REQUIRE_SERVERS"):
            raise RuntimeError("node is needed for the OpenID Connect test provider")
        pytest.skip("node is not installed")
    _installed()
    port = free_port()
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    environment = {
        **os.environ,
        "PORT": str(port),
        "OIDC_CLIENTS": json.dumps(
            [
                {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": [CALLBACK],
                }
            ]
        ),
        "OIDC_ACCOUNTS": json.dumps(ACCOUNTS),
    }
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - the system node, fixed args
            [node, str(HERE / "server.js")],
            cwd=HERE,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    provider = Provider(issuer=f"http://127.0.0.1:{port}", process=process)

    def answers():
        response = requests.get(provider.discovery_url, timeout=1)
        return response.status_code == 200

    try:
        if not wait_until_serving(
            process,
            answers,
            seconds=30,
            pause=0.1,
            errors=requests.RequestException,
        ):
            raise RuntimeError(f"oidc-provider did not start:\n{log.read_text()}")
        yield provider
    finally:
        stop_process(process)


def _form(page: str) -> tuple[str, str]:
    """The action and the prompt of the provider's login (or consent) form."""
    action = re.search(r'<form[^>]*action="([^"]+)"', page)
    prompt = re.search(r'name="prompt" value="([^"]+)"', page)
    assert action and prompt, f"no form at the provider:\n{page[:2000]}"
    return action.group(1), prompt.group(1)


def sign_in_at_provider(authorize_url: str, login: str, browser=None) -> str:
    """Open ``authorize_url`` like a browser (a new one, or ``browser``: it
    keeps the provider's cookies), sign in as ``login`` if the provider asks
    (``browser.logins`` counts the times it did), and return the URL the
    provider sends the browser back to (Baton's callback, with the code and
    the state)."""
    browser = browser or requests.Session()
    browser.logins = getattr(browser, "logins", 0)
    issuer = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    response = browser.get(authorize_url, allow_redirects=False, timeout=10)
    for _hop in range(20):
        if response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if not target.startswith(issuer):
                return target
            response = browser.get(target, allow_redirects=False, timeout=10)
            continue
        response.raise_for_status()
        action, prompt = _form(response.text)
        data = {"prompt": prompt}
        if prompt == "login":
            data.update(login=login, password="any password")
            browser.logins += 1
        response = browser.post(
            urljoin(response.url, action),
            data=data,
            allow_redirects=False,
            timeout=10,
        )
    raise AssertionError("the provider never sent the browser back")
