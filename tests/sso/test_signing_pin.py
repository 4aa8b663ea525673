"""Signing after a company sign-in: no Baton password to type again, so the
signer types a signing PIN they set themselves (docs/sso.md "Signing"). The
signature records "pin"; wrong PINs count towards the same lockout as wrong
passwords; password users sign with their password as before."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import identify_hasher
from rest_framework.test import APIClient

from cms import services
from cms.auth.sso.pins import pin_check, pin_set
from cms.auth.sso.providers import SESSION_METHOD
from cms.auth.sso.session import SIGNED_IN_AT
from cms.models import AuditEvent, Item, Signature, SigningPin
from tests.fixtures.handovers import PASSWORD, item_of

PIN = "482915"
PIN_PAGE = "/en/auth/signing-pin/"


@pytest.fixture
def sso_successor(people):
    """The demo successor, with no Baton password: they sign in with the
    company account."""
    user = people["successor"]
    user.set_unusable_password()
    user.save()
    return user


def _company_sign_in(client, user, *, minutes_ago=0):
    client.force_login(user)
    session = client.session
    session[SESSION_METHOD] = "oidc"
    session[SIGNED_IN_AT] = time.time() - minutes_ago * 60
    session.save()
    return client


@pytest.fixture
def submitted(sales_handover, people):
    item = item_of(sales_handover, "Key client list")
    return services.item_submit(actor=people["sales"], item=item, version=1)


def _decide(client, item, **proof):
    item.refresh_from_db()
    return client.post(
        f"/en/handovers/items/{item.pk}/decide/",
        {"decision": "accept", "version": item.version, **proof},
    )


def _set_pin(client, pin=PIN, **extra):
    return client.post(PIN_PAGE, {"pin": pin, "pin_again": pin, **extra})


def test_a_company_account_is_asked_for_its_pin_not_a_password(
    client, sso_successor, submitted
):
    _company_sign_in(client, sso_successor)
    html = client.get(f"/en/handovers/{submitted.handover_id}/").content.decode()
    assert "Your signing PIN" in html
    assert 'name="pin"' in html
    assert 'name="password"' not in html
    assert PIN_PAGE in html


def test_the_header_links_the_pin_page_after_a_company_sign_in(
    client, people, sso_successor
):
    _company_sign_in(client, sso_successor)
    assert f'href="{PIN_PAGE}"' in client.get("/en/handovers/").content.decode()
    client.force_login(people["manager"])  # a password user
    assert PIN_PAGE not in client.get("/en/handovers/").content.decode()


def test_without_a_pin_the_signer_is_told_to_set_one(client, sso_successor, submitted):
    _company_sign_in(client, sso_successor)
    response = _decide(client, submitted, pin="")
    assert response.status_code == 400
    assert "Set your signing PIN first" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.state == Item.State.SUBMITTED
    assert not Signature.objects.filter(item=submitted).exists()


def test_with_a_pin_the_signature_records_pin(client, sso_successor, submitted):
    _company_sign_in(client, sso_successor)
    assert client.get(PIN_PAGE).status_code == 200
    response = _set_pin(client)
    assert response.status_code == 302
    stored = SigningPin.objects.get(user=sso_successor)
    assert PIN not in stored.pin_hash
    assert identify_hasher(stored.pin_hash)  # Django's hasher

    _decide(client, submitted, pin=PIN)
    submitted.refresh_from_db()
    assert submitted.state == Item.State.ACCEPTED
    signature = Signature.objects.get(item=submitted)
    assert signature.signer == sso_successor
    assert signature.auth_method == "pin"


def test_a_wrong_pin_is_refused(client, sso_successor, submitted):
    _company_sign_in(client, sso_successor)
    _set_pin(client)
    response = _decide(client, submitted, pin="000000")
    assert response.status_code == 400
    assert "Signing needs your signing PIN" in response.content.decode()
    assert not Signature.objects.filter(item=submitted).exists()


@pytest.mark.parametrize(
    "pin", ["12345", "1234567890123", "12ab56", "111111", "123456"]
)
def test_guessable_or_malformed_pins_are_refused(client, sso_successor, pin):
    _company_sign_in(client, sso_successor)
    response = _set_pin(client, pin)
    assert response.status_code == 400
    assert not SigningPin.objects.filter(user=sso_successor).exists()


def test_a_first_pin_needs_a_fresh_sign_in(client, sso_successor):
    _company_sign_in(client, sso_successor, minutes_ago=30)
    page = client.get(PIN_PAGE).content.decode()
    assert "Sign in again" in page
    assert 'name="pin"' not in page
    assert _set_pin(client).status_code == 400
    assert not SigningPin.objects.filter(user=sso_successor).exists()
    # "Sign in again" signs out and comes back here after the sign-in.
    response = client.post(PIN_PAGE, {"action": "sign_in_again"})
    assert response["Location"] == "/admin/login/?next=%2Fen%2Fauth%2Fsigning-pin%2F"
    assert "_auth_user_id" not in client.session


def test_changing_the_pin_later_needs_the_old_one(client, sso_successor, settings):
    settings.AXES_ENABLED = True
    _company_sign_in(client, sso_successor)
    _set_pin(client)
    _company_sign_in(client, sso_successor, minutes_ago=30)
    page = client.get(PIN_PAGE).content.decode()
    assert 'name="old_pin"' in page
    wrong = _set_pin(client, "730264", old_pin="999999")
    assert wrong.status_code == 400
    assert "That is not your current PIN." in wrong.content.decode()
    # Counted like a wrong password.
    assert AccessAttempt.objects.filter(username=sso_successor.username).exists()
    assert _set_pin(client, "730264", old_pin=PIN).status_code == 302
    assert pin_check(sso_successor, "730264")
    assert not pin_check(sso_successor, PIN)


def test_password_users_still_sign_with_their_password(client, people, submitted):
    client.force_login(people["successor"])
    html = client.get(f"/en/handovers/{submitted.handover_id}/").content.decode()
    assert 'name="password"' in html and 'name="pin"' not in html
    _decide(client, submitted, password=PASSWORD)
    assert Signature.objects.get(item=submitted).auth_method == "password"


def test_with_local_passwords_off_the_password_no_longer_signs(
    client, people, submitted, settings
):
    settings.BATON_LOCAL_PASSWORDS = False
    successor = people["successor"]
    client.force_login(successor)
    response = _decide(client, submitted, password=PASSWORD)
    assert response.status_code == 400
    assert "Set your signing PIN first" in response.content.decode()
    pin_set(user=successor, pin=PIN)
    _decide(client, submitted, pin=PIN)
    assert Signature.objects.get(item=submitted).auth_method == "pin"


# The API and the lockout -------------------------------------------------------


def _api_accept(client, item, **proof):
    item.refresh_from_db()
    return client.post(
        f"/api/v1/items/{item.pk}/accept/",
        {"version": item.version, **proof},
        format="json",
    )


def test_the_api_signs_with_a_pin_and_names_the_field_it_wants(
    sso_successor, submitted
):
    client = APIClient()
    client.force_authenticate(sso_successor)
    missing = _api_accept(client, submitted)
    assert missing.status_code == 400
    assert "Set a signing PIN first." in missing.json()["errors"]["pin"]

    pin_set(user=sso_successor, pin=PIN)
    wrong = _api_accept(client, submitted, pin="000000")
    assert wrong.status_code == 400
    assert wrong.json()["errors"]["pin"]

    assert _api_accept(client, submitted, pin=PIN).status_code == 200
    assert Signature.objects.get(item=submitted).auth_method == "pin"


def test_wrong_pins_count_towards_the_signing_lockout(
    settings, sso_successor, submitted
):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    pin_set(user=sso_successor, pin=PIN)
    client = APIClient()
    client.force_authenticate(sso_successor)
    for _attempt in range(3):
        assert _api_accept(client, submitted, pin="000000").status_code == 400
    refused = _api_accept(client, submitted, pin=PIN)
    assert refused.status_code == 429
    assert not Signature.objects.filter(item=submitted).exists()
    reasons = [
        event.details["reason"]
        for event in AuditEvent.objects.filter(
            handover=submitted.handover, action="signature.failed"
        ).order_by("sequence")
    ]
    assert reasons == ["wrong_pin", "wrong_pin", "wrong_pin", "locked_out"]
    assert "000000" not in str(
        list(AuditEvent.objects.values_list("details", flat=True))
    )
