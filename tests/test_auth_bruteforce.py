"""Password guessing is stopped wherever a password is typed: the admin login,
the token endpoint and the password typed again to sign. Lockouts count per
username and per client address (django-axes); the address comes from trusted
proxies only, so a made-up X-Forwarded-For changes nothing."""

import itertools
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from cms import services
from cms.auth.client_ip import client_ip
from cms.errors import InvalidInput, TooManyAttempts
from cms.models import AuditEvent, Item, Signature
from tests.fixtures.handovers import PASSWORD, item_of

LIMIT = 3
API = "/api/v1"
LOGIN = "/admin/login/"
forged = (f"198.51.100.{n}" for n in itertools.count(1))


@pytest.fixture
def lockout(settings):
    """Axes on, with a small failure limit (the suite runs with axes off so
    that unrelated tests never lock the demo users out)."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    return settings


def cool_off_passes():
    """Time travel for axes: every recorded failure is now older than the
    cool-off period."""
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))


def admin_login(client, username, password, **headers):
    return client.post(
        LOGIN,
        {"username": username, "password": password},
        HTTP_X_FORWARDED_FOR=next(forged),
        **headers,
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# The admin login ----------------------------------------------------------------


def test_admin_login_locks_the_user_out_after_the_limit_whatever_the_header(
    lockout, member
):
    client = Client()
    for _attempt in range(LIMIT - 1):
        response = admin_login(client, "member", "wrong")
        assert response.status_code == 200  # the form again, with its error
    locking = admin_login(client, "member", "wrong")
    assert locking.status_code == 429

    # The right password does not get in while locked out, from any "address"
    # a client writes into X-Forwarded-For.
    refused = admin_login(Client(), "member", "correct horse battery")

    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Sign-in paused" in page
    assert "try again in 15 minutes" in page
    assert not signed_in(client)


def test_admin_lockout_ends_after_the_cool_off(lockout, member):
    client = Client()
    for _attempt in range(LIMIT):
        admin_login(client, "member", "wrong")
    assert admin_login(client, "member", "correct horse battery").status_code == 429

    cool_off_passes()
    response = admin_login(client, "member", "correct horse battery")

    assert response.status_code == 302
    assert signed_in(client)


def test_admin_lockout_is_lifted_by_axes_reset(lockout, member):
    for _attempt in range(LIMIT):
        admin_login(Client(), "member", "wrong")

    reset(username="member")
    client = Client()

    assert admin_login(client, "member", "correct horse battery").status_code == 302


def test_one_address_guessing_many_usernames_is_locked_out(lockout, user_factory):
    victim = user_factory(username="victim")
    victim.save()
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for number in range(LIMIT):
        admin_login(attacker, f"someone{number}", "guess")

    from_attacker = admin_login(attacker, "victim", "correct horse battery")
    elsewhere = admin_login(
        Client(REMOTE_ADDR="203.0.113.10"), "victim", "correct horse battery"
    )

    assert from_attacker.status_code == 429
    assert elsewhere.status_code == 302


def test_a_success_clears_only_the_users_own_failures(lockout, user_factory):
    """Someone guessing another user's password cannot wipe the count by
    signing in as themselves between guesses."""
    for username in ("own", "victim"):
        user_factory(username=username).save()
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    for _attempt in range(LIMIT - 1):
        admin_login(Client(**attacker), "victim", "guess")
    own = admin_login(Client(**attacker), "own", "correct horse battery")
    assert own.status_code == 302
    admin_login(Client(**attacker), "victim", "guess")

    victim = admin_login(
        Client(REMOTE_ADDR="203.0.113.10"), "victim", "correct horse battery"
    )

    assert victim.status_code == 429


# The token endpoint -------------------------------------------------------------


def token_request(client, username, password):
    return client.post(
        f"{API}/auth/token/",
        {"username": username, "password": password},
        format="json",
        HTTP_X_FORWARDED_FOR=next(forged),
    )


def test_token_endpoint_locks_out_with_a_json_429(lockout, member):
    client = APIClient()
    for _attempt in range(LIMIT - 1):
        response = token_request(client, "member", "wrong")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"

    locking = token_request(client, "member", "wrong")
    refused = token_request(APIClient(), "member", "correct horse battery")

    assert locking.status_code == 429
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "too_many_attempts"
    assert "Try again in 15 minutes" in body["detail"]
    assert "token" not in body


def test_token_endpoint_lockout_ends_after_the_cool_off(lockout, member):
    for _attempt in range(LIMIT):
        token_request(APIClient(), "member", "wrong")

    cool_off_passes()
    response = token_request(APIClient(), "member", "correct horse battery")

    assert response.status_code == 200
    assert response.json()["token"]


def test_token_throttle_counts_the_client_not_its_forwarded_header(db, settings):
    """A fresh X-Forwarded-For per request is the same client: the endpoint's
    request ceiling (20 a minute) still applies."""
    client = APIClient()
    answers = [
        token_request(client, f"nobody{number}", "guess").status_code
        for number in range(21)
    ]

    assert set(answers[:20]) == {400}
    assert answers[20] == 429


# The client's address -----------------------------------------------------------


def _request(rf, forwarded=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return rf.get("/", REMOTE_ADDR="10.0.0.5", **headers)


def test_without_trusted_proxies_the_forwarded_header_is_ignored(rf, settings):
    settings.BATON_TRUSTED_PROXIES = 0

    assert client_ip(_request(rf)) == "10.0.0.5"
    assert client_ip(_request(rf, "203.0.113.1")) == "10.0.0.5"
    assert client_ip(_request(rf, "203.0.113.1, 203.0.113.2")) == "10.0.0.5"


def test_behind_one_proxy_the_right_most_address_is_the_client(rf, settings):
    settings.BATON_TRUSTED_PROXIES = 1

    assert client_ip(_request(rf, "203.0.113.1")) == "203.0.113.1"
    # Whatever the client wrote stands left of what our proxy appended.
    assert client_ip(_request(rf, "6.6.6.6, 203.0.113.1")) == "203.0.113.1"
    assert client_ip(_request(rf, "not-an-ip, 203.0.113.1")) == "203.0.113.1"
    # A proxy that appended nothing usable: the connection's address.
    assert client_ip(_request(rf, "garbage")) == "10.0.0.5"
    assert client_ip(_request(rf)) == "10.0.0.5"


def test_behind_two_proxies_the_second_from_the_right_is_the_client(rf, settings):
    settings.BATON_TRUSTED_PROXIES = 2

    assert client_ip(_request(rf, "6.6.6.6, 203.0.113.1, 10.1.1.1")) == ("203.0.113.1")


def test_lockout_by_address_follows_the_trusted_proxy(lockout, user_factory):
    """Behind one proxy, failures count against the address the proxy saw;
    changing what stands left of it in the header changes nothing."""
    lockout.BATON_TRUSTED_PROXIES = 1
    proxy = {"REMOTE_ADDR": "10.0.0.5"}
    victim = user_factory(username="victim")
    victim.save()
    for number in range(LIMIT):
        Client(**proxy).post(
            LOGIN,
            {"username": f"someone{number}", "password": "guess"},
            HTTP_X_FORWARDED_FOR=f"6.6.6.{number}, 203.0.113.9",
        )

    same_client = Client(**proxy).post(
        LOGIN,
        {"username": "victim", "password": "correct horse battery"},
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9",
    )
    other_client = Client(**proxy).post(
        LOGIN,
        {"username": "victim", "password": "correct horse battery"},
        HTTP_X_FORWARDED_FOR="203.0.113.9, 203.0.113.10",
    )

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        "203.0.113.9"
    }
    assert same_client.status_code == 429
    assert other_client.status_code == 302


# Signing ------------------------------------------------------------------------


@pytest.fixture
def submitted_item(sales_handover, people):
    item = item_of(sales_handover, "Key client list")
    return services.item_submit(actor=people["sales"], item=item, version=1)


def accept(client, item, password):
    return client.post(
        f"{API}/items/{item.pk}/accept/",
        {"version": item.version, "password": password},
        format="json",
        HTTP_X_FORWARDED_FOR=next(forged),
    )


def failed_signatures(handover):
    return list(
        AuditEvent.objects.filter(handover=handover, action="signature.failed")
        .order_by("sequence")
        .values("actor_name", "details")
    )


def test_signing_locks_out_after_the_limit_and_audits_every_failure(
    lockout, submitted_item, people
):
    client = APIClient()
    client.force_authenticate(people["successor"])
    for _attempt in range(LIMIT):
        response = accept(client, submitted_item, "not my password")
        assert response.status_code == 400
        assert response.json()["errors"]["password"]

    refused = accept(client, submitted_item, PASSWORD)

    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "too_many_attempts"
    assert "signing is paused" in body["detail"]
    submitted_item.refresh_from_db()
    assert submitted_item.state == Item.State.SUBMITTED
    assert not Signature.objects.filter(item=submitted_item).exists()
    events = failed_signatures(submitted_item.handover)
    assert [event["details"]["reason"] for event in events] == [
        "wrong_password"
    ] * LIMIT + ["locked_out"]
    assert {event["actor_name"] for event in events} == {"successor"}
    assert "not my password" not in str(events)


def test_signing_lockout_ends_after_the_cool_off(lockout, submitted_item, people):
    client = APIClient()
    client.force_authenticate(people["successor"])
    for _attempt in range(LIMIT):
        accept(client, submitted_item, "not my password")

    cool_off_passes()
    response = accept(client, submitted_item, PASSWORD)

    assert response.status_code == 200
    submitted_item.refresh_from_db()
    assert submitted_item.state == Item.State.ACCEPTED


def test_the_right_password_clears_the_signing_failures(
    lockout, sales_handover, people
):
    items = [
        services.item_submit(
            actor=people["sales"], item=item_of(sales_handover, label), version=1
        )
        for label in ("Key client list", "Sales scripts")
    ]
    client = APIClient()
    client.force_authenticate(people["successor"])
    for _attempt in range(LIMIT - 1):
        accept(client, items[0], "not my password")
    assert accept(client, items[0], PASSWORD).status_code == 200

    for _attempt in range(LIMIT - 1):
        accept(client, items[1], "not my password")

    assert accept(client, items[1], PASSWORD).status_code == 200


def test_wrong_signing_passwords_lock_the_sign_in_too(lockout, submitted_item, people):
    """It is the same password: guesses made by signing count for sign-in."""
    client = APIClient()
    client.force_authenticate(people["successor"])
    for _attempt in range(LIMIT):
        accept(client, submitted_item, "not my password")

    assert admin_login(Client(), "successor", PASSWORD).status_code == 429
    assert token_request(APIClient(), "successor", PASSWORD).status_code == 429


def test_a_blank_password_is_no_guess(lockout, submitted_item, people):
    client = APIClient()
    client.force_authenticate(people["successor"])
    for _attempt in range(LIMIT + 1):
        assert accept(client, submitted_item, "").status_code == 400

    assert accept(client, submitted_item, PASSWORD).status_code == 200
    assert failed_signatures(submitted_item.handover) == []


def test_participant_page_decide_form_is_locked_out_and_audited(
    lockout, client, submitted_item, people
):
    client.force_login(people["successor"])
    url = f"/en/handovers/items/{submitted_item.pk}/decide/"
    form = {"decision": "accept", "version": submitted_item.version}
    for _attempt in range(LIMIT):
        wrong = client.post(url, {**form, "password": "guess"})
        assert wrong.status_code == 400

    refused = client.post(url, {**form, "password": PASSWORD})

    assert refused.status_code == 429
    assert "signing is paused" in refused.content.decode()
    submitted_item.refresh_from_db()
    assert submitted_item.state == Item.State.SUBMITTED
    assert len(failed_signatures(submitted_item.handover)) == LIMIT + 1


def test_a_failed_declaration_is_audited(lockout, sales_handover, people):
    with pytest.raises(InvalidInput):
        services.handover_declare(
            actor=people["sales"], handover=sales_handover, password="guess"
        )

    events = failed_signatures(sales_handover)
    assert [event["actor_name"] for event in events] == ["sales"]
    assert events[0]["details"] == {"reason": "wrong_password", "method": "password"}


def test_a_locked_out_signer_is_refused_by_the_service(lockout, sales_handover, people):
    for _attempt in range(LIMIT):
        with pytest.raises(InvalidInput):
            services.handover_approve(
                actor=people["manager"], handover=sales_handover, password="guess"
            )

    with pytest.raises(TooManyAttempts):
        services.handover_approve(
            actor=people["manager"], handover=sales_handover, password=PASSWORD
        )
    assert len(failed_signatures(sales_handover)) == LIMIT + 1
