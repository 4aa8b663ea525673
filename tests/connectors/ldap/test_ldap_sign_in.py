"""Signing in to Baton with the company directory (django-auth-ldap) against
the real slapd of conftest.py: the username and password typed on Baton's
sign-in page are checked by a bind as the person's entry, and the entry's
directory id, employee number or e-mail address finds the employee HR
recorded — Baton never creates an account from the directory alone."""

from __future__ import annotations

import contextlib
import logging

import ldap3
import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.test import override_settings

from cms.auth.sso.providers import SESSION_METHOD
from cms.models import Employee

from .conftest import AD_SALES_GUID, AD_USERS_DN, PEOPLE_DN

pytestmark = [pytest.mark.ldap, pytest.mark.django_db]

User = get_user_model()
LOGIN = "/admin/login/"
BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "cms.auth.sso.ldap.DirectoryBackend",
    "cms.auth.sso.passwords.PasswordBackend",
    "cms.auth.sso.oidc.OidcBackend",
    "guardian.backends.ObjectPermissionBackend",
]
NOT_LINKED = "Your company account is not linked to anyone in Baton. Ask HR."


def _directory(slapd, **overrides):
    settings = {
        "AUTHENTICATION_BACKENDS": BACKENDS,
        "BATON_LDAP_URI": slapd.uri,
        "BATON_LDAP_BIND_DN": slapd.service_dn,
        "BATON_LDAP_BIND_PASSWORD": slapd.service_password,
        "BATON_LDAP_USER_BASE": PEOPLE_DN,
        "BATON_LDAP_USER_FILTER": "(uid=%(user)s)",
    }
    return override_settings(**{**settings, **overrides})


@pytest.fixture
def directory(running_slapd):
    with _directory(running_slapd):
        yield running_slapd


def _entry_uuid(slapd, username: str) -> str:
    conn = ldap3.Connection(slapd.uri, auto_bind=True)
    conn.search(
        f"uid={username},{PEOPLE_DN}",
        "(objectClass=*)",
        ldap3.BASE,
        attributes=["entryUUID"],
    )
    return str(conn.entries[0].entryUUID)


def _sign_in(client, username, password):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/en/handovers/"}
    )


def _errors(response) -> str:
    return " ".join(str(error) for error in response.context["form"].non_field_errors())


def test_the_sign_in_page_asks_for_the_company_username(client, directory):
    html = client.get(LOGIN).content.decode()
    assert "Company username" in html
    assert 'name="password"' in html
    assert "Forgotten password?" not in html  # the directory's, not Baton's


def test_first_sign_in_links_the_employee_by_employee_number(client, directory):
    employee = Employee.objects.create(employee_number="E0005", name="Chen Fang")
    response = _sign_in(client, "sales", "sales-password")
    assert response.status_code == 302 and response["Location"] == "/en/handovers/"
    employee.refresh_from_db()
    assert employee.user.username == "E0005"
    assert not employee.user.has_usable_password()
    assert client.session[SESSION_KEY] == str(employee.user.pk)
    assert client.session[SESSION_METHOD] == "ldap"
    assert client.get("/en/handovers/").status_code == 200


def test_sign_in_by_directory_id(client, directory):
    user = User.objects.create_user("liu.lei", email="someone@else.example")
    Employee.objects.create(
        employee_number="X-1",
        name="Liu Lei",
        directory_id=_entry_uuid(directory, "dev"),
        user=user,
    )
    _sign_in(client, "dev", "dev-password")
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.session[SESSION_METHOD] == "ldap"


def test_sign_in_by_email(client, directory):
    employee = Employee.objects.create(
        employee_number="X-2", name="Yang Jing", work_email="successor@baton.example"
    )
    _sign_in(client, "successor", "successor-password")
    employee.refresh_from_db()
    assert client.session[SESSION_KEY] == str(employee.user_id)


def test_a_wrong_password_signs_nobody_in(client, directory):
    Employee.objects.create(employee_number="E0005", name="Chen Fang")
    response = _sign_in(client, "sales", "not-the-password")
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert "didn't match" in _errors(response)
    assert not User.objects.filter(username="E0005").exists()


def test_a_locked_directory_account_signs_nobody_in(client, directory):
    """hr is locked by the directory's password policy: the bind fails."""
    Employee.objects.create(employee_number="E0003", name="Li Na")
    _sign_in(client, "hr", "hr-password")
    assert SESSION_KEY not in client.session


def test_someone_hr_never_recorded_is_refused(client, directory, caplog):
    with caplog.at_level(logging.WARNING, logger="cms.auth.sso"):
        response = _sign_in(client, "manager", "manager-password")
    assert SESSION_KEY not in client.session
    assert NOT_LINKED in _errors(response)
    assert "no employee record matches" in caplog.text
    assert not User.objects.filter(username__in=["manager", "E0002"]).exists()


def test_a_deactivated_account_is_refused(client, directory):
    user = User.objects.create_user("chen", is_active=False)
    Employee.objects.create(employee_number="E0005", name="Chen Fang", user=user)
    response = _sign_in(client, "sales", "sales-password")
    assert SESSION_KEY not in client.session
    assert NOT_LINKED in _errors(response)


def test_baton_passwords_still_sign_in_while_on(client, directory):
    User.objects.create_user("local", password="local-password-1")
    _sign_in(client, "local", "local-password-1")
    assert client.session[SESSION_METHOD] == "password"


def test_with_local_passwords_off_only_the_directory_signs_in(client, running_slapd):
    User.objects.create_user("local", password="local-password-1")
    Employee.objects.create(employee_number="E0005", name="Chen Fang")
    with _directory(running_slapd, BATON_LOCAL_PASSWORDS=False):
        assert 'name="password"' in client.get(LOGIN).content.decode()
        _sign_in(client, "local", "local-password-1")
        assert SESSION_KEY not in client.session
        _sign_in(client, "sales", "sales-password")
        assert client.session[SESSION_METHOD] == "ldap"


@contextlib.contextmanager
def _ad_password(slapd, dn: str, password: str):
    """Give an Active Directory-shaped entry a password for the test (the
    seed has none: AD keeps them in unicodePwd, which slapd cannot bind with)."""
    admin = ldap3.Connection(
        slapd.uri,
        user=f"cn=admin,{slapd.ad_base_dn}",
        password=slapd.password,
        auto_bind=True,
    )
    admin.modify(dn, {"userPassword": [(ldap3.MODIFY_REPLACE, [password])]})
    try:
        yield
    finally:
        admin.modify(dn, {"userPassword": [(ldap3.MODIFY_DELETE, [])]})


def test_active_directory_matches_by_object_guid(client, running_slapd):
    """objectGUID is binary on AD: read as the UUID text the directory
    connector stores in Employee.directory_id."""
    user = User.objects.create_user("fang.chen")
    Employee.objects.create(
        employee_number="AD-1",
        name="Chen Fang",
        directory_id=str(AD_SALES_GUID),
        user=user,
    )
    settings = _directory(
        running_slapd,
        BATON_LDAP_USER_BASE=AD_USERS_DN,
        # A real AD: (sAMAccountName=%(user)s). slapd's msuser schema gives
        # sAMAccountName no equality rule, so the stand-in signs in by mail.
        BATON_LDAP_USER_FILTER="(&(objectClass=user)(mail=%(user)s))",
        BATON_LDAP_DIRECTORY_ID_ATTR="objectGUID",
        BATON_LDAP_EMAIL_ATTR="",
        BATON_LDAP_EMPLOYEE_NUMBER_ATTR="",
    )
    with settings, _ad_password(running_slapd, f"CN=Chen Fang,{AD_USERS_DN}", "ad-pw"):
        response = _sign_in(client, "sales@baton.example", "ad-pw")
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.session[SESSION_METHOD] == "ldap"
