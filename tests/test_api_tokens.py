"""API tokens expire (idle and absolute lifetimes), die with the password or
the account's active flag, and are listed and revoked by their user and by
HR/IT admins, in the API and in the admin."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

API = "/api/v1"
PASSWORD = "correct horse battery"


@pytest.fixture
def clock(monkeypatch):
    """Move Django's clock (token expiry reads timezone.now)."""
    real_now = timezone.now
    offset = {"by": timedelta(0)}
    monkeypatch.setattr(timezone, "now", lambda: real_now() + offset["by"])

    def move_to(delta):
        offset["by"] = delta

    return move_to


def issue(username, password=PASSWORD) -> dict:
    response = APIClient().post(
        f"{API}/auth/token/",
        {"username": username, "password": password},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def api(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def works(token) -> bool:
    status = api(token).get(f"{API}/templates/").status_code
    assert status in (200, 401)
    return status == 200


@pytest.fixture
def hr_admin(user_factory):
    user = user_factory(username="hradmin")
    user.save()
    user.groups.add(Group.objects.get_or_create(name="HR")[0])
    return user


@pytest.fixture
def it_admin(user_factory):
    user = user_factory(username="itadmin")
    user.save()
    user.groups.add(Group.objects.get_or_create(name="IT")[0])
    return user


# Issue and expiry ---------------------------------------------------------------


def test_token_endpoint_returns_the_token_its_expiry_and_id(member, settings):
    before = timezone.now()

    body = issue("member")

    assert set(body) == {"token", "expiry", "id"}
    token = AuthToken.objects.get(user=member)
    assert token.digest.startswith(body["id"])
    assert token.digest != body["token"]  # only a hash is stored
    assert before + settings.BATON_TOKEN_IDLE <= token.expiry
    assert token.expiry <= timezone.now() + settings.BATON_TOKEN_IDLE
    assert works(body["token"])


def test_an_unused_token_expires_after_the_idle_lifetime(member, clock, settings):
    token = issue("member")["token"]

    clock(settings.BATON_TOKEN_IDLE - timedelta(hours=1))
    assert works(token)
    # Used just now: it lives another idle period from here.
    clock(2 * settings.BATON_TOKEN_IDLE - timedelta(hours=2))
    assert works(token)
    clock(3 * settings.BATON_TOKEN_IDLE)

    response = api(token).get(f"{API}/templates/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert not AuthToken.objects.filter(user=member).exists()


def test_a_token_in_daily_use_still_ends_at_the_absolute_lifetime(
    member, clock, settings
):
    token = issue("member")["token"]
    day = timedelta(days=1)
    lifetime = settings.BATON_TOKEN_TTL

    for days in range(1, lifetime.days):
        clock(days * day)
        assert works(token)
    clock(lifetime + timedelta(minutes=1))

    assert not works(token)


# Revoked with the credentials ---------------------------------------------------


def test_a_password_change_revokes_every_token(member):
    tokens = [issue("member")["token"] for _ in range(2)]

    member.set_password("a new horse battery")
    member.save()

    assert not any(works(token) for token in tokens)
    assert works(issue("member", "a new horse battery")["token"])


def test_a_stronger_hash_of_the_same_password_revokes_nothing(member, settings):
    """Signing in after the hashing parameters changed stores a new hash of
    the same password: not a password change."""
    token = issue("member")["token"]
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    old_hash = member.password

    issue("member")

    member.refresh_from_db()
    assert member.password != old_hash
    assert works(token)


def test_deactivation_revokes_and_reactivation_brings_nothing_back(member):
    token = issue("member")["token"]

    member.is_active = False
    member.save()
    assert not works(token)
    member.is_active = True
    member.save()

    assert not works(token)
    assert not AuthToken.objects.filter(user=member).exists()


def test_tokens_left_by_a_bulk_deactivation_die_at_reactivation(member):
    token = issue("member")["token"]
    type(member).objects.filter(pk=member.pk).update(is_active=False)
    member.refresh_from_db()

    assert not works(token)  # an inactive user never gets in
    member.is_active = True
    member.save()

    assert not works(token)


def test_saving_other_fields_keeps_the_tokens(member):
    token = issue("member")["token"]

    member.first_name = "Mem"
    member.save()

    assert works(token)


# Listed and revoked by their user -----------------------------------------------


def test_users_list_their_own_tokens_only(member, user_factory):
    other = user_factory(username="other")
    other.save()
    first = issue("member")
    second = issue("member")
    issue("other")

    response = api(second["token"]).get(f"{API}/auth/tokens/")

    assert response.status_code == 200
    listed = response.json()["results"]
    assert [token["id"] for token in listed] == [second["id"], first["id"]]
    assert [token["current"] for token in listed] == [True, False]
    assert {token["username"] for token in listed} == {"member"}
    assert all("token" not in token for token in listed)
    assert all(token["expires_by"] for token in listed)


def test_a_user_revokes_one_token(member):
    first = issue("member")
    second = issue("member")

    response = api(second["token"]).delete(f"{API}/auth/tokens/{first['id']}/")

    assert response.status_code == 204
    assert not works(first["token"])
    assert works(second["token"])


def test_a_user_revokes_all_their_tokens(member):
    tokens = [issue("member") for _ in range(3)]

    response = api(tokens[0]["token"]).post(f"{API}/auth/tokens/revoke-all/")

    assert response.status_code == 200
    assert response.json() == {"revoked": 3}
    assert not any(works(token["token"]) for token in tokens)


def test_someone_elses_token_is_not_found(member, user_factory):
    other = user_factory(username="other")
    other.save()
    theirs = issue("other")
    mine = issue("member")["token"]

    deleted = api(mine).delete(f"{API}/auth/tokens/{theirs['id']}/")
    revoke_all = api(mine).post(
        f"{API}/auth/tokens/revoke-all/", {"user": other.pk}, format="json"
    )
    listed = api(mine).get(f"{API}/auth/tokens/?user={other.pk}")

    assert deleted.status_code == 404
    assert deleted.json()["code"] == "not_found"
    assert revoke_all.status_code == 404
    assert listed.json()["results"] == []
    assert works(theirs["token"])


@pytest.mark.parametrize("token_id", ["nothex", "0" * 16, "9" * 40, "A" * 16])
def test_unknown_token_ids_are_not_found(member, token_id):
    response = api(issue("member")["token"]).delete(f"{API}/auth/tokens/{token_id}/")

    assert response.status_code == 404


def test_tokens_need_a_signed_in_user(db):
    assert APIClient().get(f"{API}/auth/tokens/").status_code == 401


# Listed and revoked by HR and IT ------------------------------------------------


@pytest.mark.parametrize("admin", ["hr_admin", "it_admin"])
def test_hr_and_it_list_and_revoke_anyones_tokens(request, admin, member):
    admin = request.getfixturevalue(admin)
    members = [issue("member") for _ in range(2)]
    own = issue(admin.username)["token"]

    everyone = api(own).get(f"{API}/auth/tokens/").json()["results"]
    one_user = api(own).get(f"{API}/auth/tokens/?user={member.pk}").json()["results"]
    revoked = api(own).delete(f"{API}/auth/tokens/{members[0]['id']}/")

    assert {token["username"] for token in everyone} == {"member", admin.username}
    assert {token["id"] for token in one_user} == {token["id"] for token in members}
    assert revoked.status_code == 204
    assert not works(members[0]["token"])
    assert works(members[1]["token"])

    revoke_all = api(own).post(
        f"{API}/auth/tokens/revoke-all/", {"user": member.pk}, format="json"
    )

    assert revoke_all.json() == {"revoked": 1}
    assert not works(members[1]["token"])
    assert works(own)


def test_a_bad_user_filter_is_refused_as_input(member):
    token = issue("member")["token"]

    response = api(token).get(f"{API}/auth/tokens/?user=36893488147419103233")

    assert response.status_code == 400
    assert "user" in response.json()["errors"]


def test_the_admin_lists_and_revokes_tokens(client, hr_admin, member):
    from django.contrib.auth.models import Permission

    hr_admin.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(hr_admin)
    mine = [issue("member") for _ in range(2)]

    page = client.get("/admin/api-tokens/", {"user": member.pk})
    html = page.content.decode()

    assert page.status_code == 200
    assert all(token["id"] in html for token in mine)
    assert "Revoke all tokens of member" in html

    client.post("/admin/api-tokens/", {"intent": "revoke", "token": mine[0]["id"]})
    assert not works(mine[0]["token"])
    assert works(mine[1]["token"])

    client.post("/admin/api-tokens/", {"intent": "revoke_all", "user": member.pk})
    assert not works(mine[1]["token"])


def test_the_admin_token_list_is_hidden_from_others(client, member):
    from django.contrib.auth.models import Permission

    member.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(member)

    assert client.get("/admin/api-tokens/").status_code == 404
    assert b"api-tokens" not in client.get("/admin/").content


def test_the_schema_documents_the_token_endpoints(db):
    schema = APIClient().get(f"{API}/schema/?format=json").json()

    paths = schema["paths"]
    assert {
        "/api/v1/auth/token/",
        "/api/v1/auth/tokens/",
        "/api/v1/auth/tokens/{token_id}/",
        "/api/v1/auth/tokens/revoke-all/",
    } <= set(paths)
    assert "429" in paths["/api/v1/auth/token/"]["post"]["responses"]
    issued = schema["components"]["schemas"]["Token"]["properties"]
    assert {"token", "expiry", "id"} <= set(issued)
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert scheme["name"] == "Authorization"
    assert '"Token"' in scheme["description"]
