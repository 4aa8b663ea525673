"""The sign-in page and the signing PIN in Chinese: a zh-Hans reader sees no
English on Baton's sign-in page (company buttons, the directory's form, local
passwords off), on the Signing PIN page, nor in the PIN field of a sign form
(the "no English" check of tests/test_chinese_everywhere.py)."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from wagtail.users.models import UserProfile

from cms import services
from cms.auth.sso.providers import SESSION_METHOD
from cms.auth.sso.session import SIGNED_IN_AT
from tests.chinese_text import english_in, known_data

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
OIDC = {
    "BATON_OIDC_DISCOVERY_URL": "https://id.example/.well-known/openid-configuration",
    "BATON_OIDC_CLIENT_ID": "baton",
}


def _chinese_page(path: str, client=None) -> str:
    client = client or Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        OIDC,
        {**OIDC, "BATON_LDAP_URI": "ldap://directory.example"},
        {**OIDC, "BATON_LOCAL_PASSWORDS": False},
    ],
    ids=["passwords", "oidc", "oidc-and-ldap", "local-passwords-off"],
)
def test_the_sign_in_page_in_chinese(settings, overrides):
    for name, value in overrides.items():
        setattr(settings, name, value)
    html = _chinese_page(LOGIN)
    assert english_in(html, []) == []


def test_the_refusal_is_said_in_chinese(settings, member):
    settings.BATON_LOCAL_PASSWORDS = False
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = client.post(
        LOGIN, {"username": "member", "password": "correct horse battery"}
    )
    assert english_in(response.content.decode(), ["member"]) == []


def _sso_reader(people, username):
    user = people[username]
    user.set_unusable_password()
    user.save()
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "zh-hans"
    profile.save()
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_METHOD] = "oidc"
    session[SIGNED_IN_AT] = time.time()
    session.save()
    return client


def test_the_signing_pin_page_in_chinese(people):
    client = _sso_reader(people, "successor")
    html = _chinese_page("/zh-hans/auth/signing-pin/", client)
    assert "签署密码" in html
    assert english_in(html, known_data()) == []


def test_the_pin_field_of_a_sign_form_in_chinese(people, sales_handover):
    item = sales_handover.items.get(label="Key client list")
    services.item_submit(actor=people["sales"], item=item, version=1)
    client = _sso_reader(people, "successor")
    html = _chinese_page(f"/zh-hans/handovers/{sales_handover.pk}/", client)
    assert 'name="pin"' in html
    assert english_in(html, known_data()) == []
