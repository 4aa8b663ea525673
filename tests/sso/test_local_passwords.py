"""Baton's sign-in page, and Baton's own passwords switched off
(``BATON_LOCAL_PASSWORDS``): no username/password form, and a password posted
anyway is refused by the backend — on the sign-in page and at the API token
endpoint — except a superuser's while the break-glass setting allows it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from rest_framework.test import APIClient

from cms.auth.sso.providers import SESSION_METHOD

LOGIN = "/admin/login/"
OIDC = {
    # The button only links to the start of the flow: nothing is fetched
    # while the page renders.
    "BATON_OIDC_DISCOVERY_URL": "https://id.example/.well-known/openid-configuration",
    "BATON_OIDC_CLIENT_ID": "baton",
}
PASSWORD = "correct horse battery"


@pytest.fixture
def local_off(settings):
    settings.BATON_LOCAL_PASSWORDS = False
    return settings


@pytest.fixture
def admin_user(user_factory):
    user = user_factory(username="root", is_superuser=True, is_staff=True)
    user.save()
    return user


def _post(client, username, password, path=LOGIN):
    return client.post(path, {"username": username, "password": password})


def test_the_sign_in_page_is_batons(client, db):
    html = client.get(LOGIN).content.decode()
    assert "Sign in to Baton" in html
    assert 'aria-label="Baton"' in html  # Baton's mark
    assert "<title>Sign in - Baton</title>" in html
    # No Wagtail logo or name (but in the admin's no-JavaScript notice).
    visible = re.sub(r"<noscript.*?</noscript>", "", html, flags=re.S)
    assert "Wagtail" not in visible and "login-logo" not in visible
    assert 'name="password"' in html and "Forgotten password?" in html


def test_the_sign_in_page_speaks_chinese(client, db):
    html = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "登录" in html
    assert "Sign in to Baton" not in html


def test_company_buttons_come_first_then_the_password_form(client, settings, db):
    for name, value in OIDC.items():
        setattr(settings, name, value)
    html = client.get(f"{LOGIN}?next=/en/handovers/").content.decode()
    button = html.index("Sign in with your company account")
    separator = html.index("or sign in with a Baton password")
    form = html.index('name="password"')
    assert button < separator < form


def test_with_local_passwords_off_the_form_is_gone(client, local_off, member):
    for name, value in OIDC.items():
        setattr(local_off, name, value)
    html = client.get(LOGIN).content.decode()
    assert "Sign in with your company account" in html
    assert 'name="password"' not in html
    assert "or sign in with a Baton password" not in html
    assert "Forgotten password?" not in html


def test_a_password_posted_anyway_is_refused(client, local_off, member):
    response = _post(client, "member", PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Baton&#x27;s own passwords are switched off" in response.content.decode()


def test_the_backend_refuses_not_just_the_page(local_off, member):
    request = RequestFactory().post(LOGIN)
    assert authenticate(request, username="member", password=PASSWORD) is None


def test_the_token_endpoint_refuses_too(local_off, member):
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": "member", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 400
    assert "token" not in response.json()


def test_a_superuser_may_still_sign_in_with_a_password(client, local_off, admin_user):
    """The way in when the identity provider is down (?password=1 shows the
    form)."""
    assert 'name="password"' in client.get(f"{LOGIN}?password=1").content.decode()
    response = _post(client, "root", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin_user.pk)
    assert client.session[SESSION_METHOD] == "password"


def test_unless_that_is_switched_off_too(client, local_off, admin_user):
    local_off.BATON_LOCAL_PASSWORDS_FOR_SUPERUSERS = False
    assert 'name="password"' not in client.get(f"{LOGIN}?password=1").content.decode()
    _post(client, "root", PASSWORD)
    assert "_auth_user_id" not in client.session


def test_local_passwords_on_sign_in_as_before(client, member):
    response = _post(client, "member", PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_METHOD] == "password"
