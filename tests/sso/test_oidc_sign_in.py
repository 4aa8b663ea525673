"""OpenID Connect sign-in against a real provider (panva's oidc-provider,
tests/sso/oidc_idp.py): Baton sends the browser to the provider with PKCE, a
nonce and a state; the person signs in there; the provider sends them back
with a code, which Baton trades at the provider's token endpoint, checks the
ID token, and signs in the employee HR recorded — or says why not."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.test import override_settings

from cms.auth.sso.providers import SESSION_METHOD
from cms.models import Employee

from .oidc_idp import oidc_provider, sign_in_at_provider  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

User = get_user_model()
NOT_LINKED = "Your company account is not linked to anyone in Baton. Ask HR."
FAILED = "Signing in with your company account did not work."


@pytest.fixture
def oidc(oidc_provider):  # noqa: F811 - the fixture imported above
    with override_settings(**oidc_provider.settings()):
        yield oidc_provider


def _start(client, next_url="/en/handovers/"):
    response = client.get(f"/auth/oidc/authenticate/?{urlencode({'next': next_url})}")
    assert response.status_code == 302
    return response["Location"]


def _callback(client, url):
    parts = urlsplit(url)
    assert parts.netloc == "testserver" and parts.path == "/auth/oidc/callback/"
    return client.get(f"{parts.path}?{parts.query}")


def _sign_in(client, login, next_url="/en/handovers/"):
    return _callback(client, sign_in_at_provider(_start(client, next_url), login))


def _messages(client, response):
    """The messages the sign-in page shows where the callback sent the browser."""
    assert response.status_code == 302 and response["Location"] == "/admin/login/"
    page = client.get(response["Location"]).content.decode()
    return re.findall(r'<li class="error">([^<]*)</li>', page)


def test_the_sign_in_page_offers_the_company_account(client, oidc):
    page = client.get("/admin/login/?next=/en/handovers/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sign in with your company account" in html
    assert "/auth/oidc/authenticate/?next=/en/handovers/" in html
    # Local passwords are on: the password form is there too, below.
    assert "or sign in with a Baton password" in html
    assert 'name="password"' in html


def test_the_start_asks_for_a_code_with_pkce_nonce_and_state(client, oidc):
    location = _start(client)
    assert location.startswith(f"{oidc.issuer}/auth?")
    query = parse_qs(urlsplit(location).query)
    assert query["client_id"] == ["baton-tests"]
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://testserver/auth/oidc/callback/"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"][0] and query["state"][0] and query["code_challenge"][0]
    assert "openid" in query["scope"][0].split()


def test_first_sign_in_links_the_employee_by_directory_id(client, oidc):
    employee = Employee.objects.create(
        employee_number="E3001", name="Chen Fang", directory_id="dir-0001"
    )
    response = _sign_in(client, "dir-0001")
    assert response.status_code == 302
    assert response["Location"] == "/en/handovers/"
    employee.refresh_from_db()
    assert employee.user is not None
    assert employee.user.username == "E3001"
    assert (employee.user.first_name, employee.user.last_name) == ("Fang", "Chen")
    assert not employee.user.has_usable_password()
    assert client.session[SESSION_KEY] == str(employee.user.pk)
    assert client.session[SESSION_METHOD] == "oidc"
    # Signed in for real: the participant pages open.
    assert client.get("/en/handovers/").status_code == 200


def test_sign_in_by_employee_number_reuses_the_linked_account(client, oidc):
    user = User.objects.create_user("zhao", email="zhao@baton.example")
    Employee.objects.create(employee_number="E3002", name="Zhao Min", user=user)
    _sign_in(client, "someone")
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.session[SESSION_METHOD] == "oidc"
    assert User.objects.filter(username="E3002").count() == 0


def test_sign_in_by_verified_email(client, oidc):
    employee = Employee.objects.create(
        employee_number="E3003",
        name="Mail Match",
        work_email="Mail.Match@baton.example",
    )
    _sign_in(client, "mailer")
    employee.refresh_from_db()
    assert client.session[SESSION_KEY] == str(employee.user_id)


def test_an_unverified_email_matches_nobody(client, oidc, caplog):
    Employee.objects.create(
        employee_number="E3004",
        name="Mail Match",
        work_email="mail.match@baton.example",
    )
    with caplog.at_level(logging.INFO, logger="cms.auth.sso"):
        response = _sign_in(client, "unverified")
    assert response["Location"] == "/admin/login/"
    assert SESSION_KEY not in client.session
    assert _messages(client, response) == [NOT_LINKED]
    assert "not verified" in caplog.text


def test_an_unknown_person_is_refused_and_told_to_ask_hr(client, oidc, caplog):
    Employee.objects.create(employee_number="E3005", name="Somebody")
    with caplog.at_level(logging.WARNING, logger="cms.auth.sso"):
        response = _sign_in(client, "stranger")
    assert response.status_code == 302 and response["Location"] == "/admin/login/"
    assert SESSION_KEY not in client.session
    assert _messages(client, response) == [NOT_LINKED]
    # The reason is in the log, not on the page.
    assert "no employee record matches" in caplog.text
    assert not User.objects.filter(email="stranger@elsewhere.example").exists()
    page = client.get("/admin/login/")
    assert NOT_LINKED not in page.content.decode()  # said once


def test_a_deactivated_account_is_refused(client, oidc, caplog):
    user = User.objects.create_user("gone", is_active=False)
    Employee.objects.create(employee_number="E3009", name="Gone", user=user)
    with caplog.at_level(logging.WARNING, logger="cms.auth.sso"):
        response = _sign_in(client, "gone")
    assert SESSION_KEY not in client.session
    assert _messages(client, response) == [NOT_LINKED]
    assert "deactivated" in caplog.text


def test_a_state_this_browser_never_sent_is_refused(client, oidc):
    Employee.objects.create(
        employee_number="E3001", name="Chen Fang", directory_id="dir-0001"
    )
    url = sign_in_at_provider(_start(client), "dir-0001")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    query["state"] = ["forged-state"]
    forged = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
    response = _callback(client, forged)
    assert response.status_code == 302 and response["Location"] == "/admin/login/"
    assert SESSION_KEY not in client.session
    assert any(FAILED in message for message in _messages(client, response))


def test_a_callback_in_another_browser_is_refused(client, oidc):
    """The code and state were sent to someone else's browser (no state in
    this session): nobody is signed in."""
    from django.test import Client

    Employee.objects.create(
        employee_number="E3001", name="Chen Fang", directory_id="dir-0001"
    )
    url = sign_in_at_provider(_start(client), "dir-0001")
    other = Client()
    response = _callback(other, url)
    assert SESSION_KEY not in other.session
    assert any(FAILED in message for message in _messages(other, response))


def test_a_code_is_good_once(client, oidc):
    Employee.objects.create(
        employee_number="E3001", name="Chen Fang", directory_id="dir-0001"
    )
    url = sign_in_at_provider(_start(client), "dir-0001")
    assert _callback(client, url)["Location"] == "/en/handovers/"
    client.logout()
    response = _callback(client, url)
    assert response["Location"] == "/admin/login/"
    assert SESSION_KEY not in client.session


def test_an_error_from_the_provider_signs_nobody_in(client, oidc):
    location = _start(client)
    state = parse_qs(urlsplit(location).query)["state"][0]
    response = client.get(f"/auth/oidc/callback/?error=access_denied&state={state}")
    assert response["Location"] == "/admin/login/"
    assert SESSION_KEY not in client.session


def test_without_settings_there_is_no_button_and_no_flow(client):
    with override_settings(BATON_OIDC_DISCOVERY_URL="", BATON_OIDC_CLIENT_ID=""):
        page = client.get("/admin/login/")
        assert "Sign in with your company account" not in page.content.decode()
        assert client.get("/auth/oidc/authenticate/", follow=True).status_code == 404
