"""Signing by confirming at the OpenID Connect provider (cms/auth/sso/reauth.py)
against the real provider of tests/sso/oidc_idp.py: after a company sign-in,
the signer goes back to the provider, which must ask them to sign in again
(prompt=login, max_age=0); the same person, signed in there after Baton
asked, may sign once without the PIN, and the signature records "oidc"."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.test import override_settings

from cms import services
from cms.auth.sso.reauth import REAUTHENTICATED_AT
from cms.models import Employee, Item, Signature
from tests.fixtures.handovers import item_of

from .oidc_idp import oidc_provider, sign_in_at_provider  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

REAUTH = "/auth/oidc/reauthenticate/"


@pytest.fixture
def oidc(oidc_provider):  # noqa: F811 - the fixture imported above
    with override_settings(**oidc_provider.settings()):
        yield oidc_provider


@pytest.fixture
def successor(people):
    """The demo successor, known to the provider as ``dir-0001``, without a
    Baton password."""
    user = people["successor"]
    user.set_unusable_password()
    user.save()
    Employee.objects.filter(user=user).update(directory_id="dir-0001")
    return user


@pytest.fixture
def submitted(sales_handover, people):
    for label in ("Key client list", "Sales scripts"):
        services.item_submit(
            actor=people["sales"], item=item_of(sales_handover, label), version=1
        )
    return sales_handover


def _callback(client, url):
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def _go(client, path, login, browser):
    response = client.get(path)
    assert response.status_code == 302, response
    return _callback(client, sign_in_at_provider(response["Location"], login, browser))


def _company_sign_in(client, browser):
    next_url = urlencode({"next": "/en/handovers/"})
    response = _go(client, f"/auth/oidc/authenticate/?{next_url}", "dir-0001", browser)
    assert response["Location"] == "/en/handovers/"


def _confirm(client, handover, browser, login="dir-0001"):
    page = f"/en/handovers/{handover.pk}/"
    return _go(client, f"{REAUTH}?{urlencode({'next': page})}", login, browser)


def _decide(client, item):
    item.refresh_from_db()
    return client.post(
        f"/en/handovers/items/{item.pk}/decide/",
        {"decision": "accept", "version": item.version},
    )


def test_confirming_at_the_provider_signs_once_and_records_oidc(
    client, oidc, successor, submitted
):
    browser = requests.Session()
    _company_sign_in(client, browser)
    page = client.get(f"/en/handovers/{submitted.pk}/").content.decode()
    assert "Or confirm with your company account instead" in page

    start = client.get(f"{REAUTH}?next=/en/handovers/{submitted.pk}/")
    query = parse_qs(urlsplit(start["Location"]).query)
    assert query["prompt"] == ["login"] and query["max_age"] == ["0"]
    response = _callback(
        client, sign_in_at_provider(start["Location"], "dir-0001", browser)
    )
    # The provider asked again, although its own session was still open.
    assert browser.logins == 2
    assert response["Location"] == f"/en/handovers/{submitted.pk}/"
    assert REAUTHENTICATED_AT in client.session
    page = client.get(response["Location"]).content.decode()
    assert "this signature needs no PIN" in page

    scripts = item_of(submitted, "Sales scripts")
    _decide(client, scripts)
    scripts.refresh_from_db()
    assert scripts.state == Item.State.ACCEPTED
    signature = Signature.objects.get(item=scripts)
    assert signature.signer == successor
    assert signature.auth_method == "oidc"

    # Used up: the next signature asks again.
    client_list = item_of(submitted, "Key client list")
    assert _decide(client, client_list).status_code == 400
    assert not Signature.objects.filter(item=client_list).exists()


def test_confirming_as_someone_else_is_refused(client, oidc, successor, submitted):
    Employee.objects.create(
        employee_number="E3003",
        name="Mail Match",
        work_email="mail.match@baton.example",
    )
    browser = requests.Session()
    _company_sign_in(client, browser)
    response = _confirm(client, submitted, requests.Session(), login="mailer")
    assert REAUTHENTICATED_AT not in client.session
    # Still the successor, not the other person.
    assert client.session[SESSION_KEY] == str(successor.pk)
    page = client.get(response["Location"]).content.decode()
    assert "did not confirm who you are" in page
    assert _decide(client, item_of(submitted, "Sales scripts")).status_code == 400


def test_a_confirmation_older_than_the_request_is_refused(
    client, oidc, successor, submitted
):
    """auth_time must not be older than the moment Baton sent the person."""
    browser = requests.Session()
    _company_sign_in(client, browser)
    start = client.get(f"{REAUTH}?next=/en/handovers/{submitted.pk}/")
    session = client.session
    started = session["baton_oidc_reauth_started"]
    session["baton_oidc_reauth_started"] = {
        state: time.time() + 3600 for state in started
    }
    session.save()
    _callback(client, sign_in_at_provider(start["Location"], "dir-0001", browser))
    assert REAUTHENTICATED_AT not in client.session


def test_a_stale_confirmation_does_not_sign(client, oidc, successor, submitted):
    browser = requests.Session()
    _company_sign_in(client, browser)
    _confirm(client, submitted, browser)
    session = client.session
    session[REAUTHENTICATED_AT] = time.time() - 3600
    session.save()
    scripts = item_of(submitted, "Sales scripts")
    assert _decide(client, scripts).status_code == 400
    assert not Signature.objects.filter(item=scripts).exists()


def test_only_after_an_openid_connect_sign_in(client, oidc, people):
    client.force_login(people["successor"])  # a password sign-in
    assert client.get(REAUTH, follow=True).status_code == 404


def test_declining_at_the_provider_keeps_the_person_signed_in(
    client, oidc, successor, submitted
):
    _company_sign_in(client, requests.Session())
    start = client.get(f"{REAUTH}?next=/en/handovers/{submitted.pk}/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = client.get(f"/auth/oidc/callback/?error=access_denied&state={state}")
    assert response["Location"] == f"/en/handovers/{submitted.pk}/"
    assert client.session[SESSION_KEY] == str(successor.pk)
    assert REAUTHENTICATED_AT not in client.session
