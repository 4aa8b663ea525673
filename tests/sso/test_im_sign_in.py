"""Feishu, DingTalk and WeCom sign-in against fakes of the vendors' sign-in
pages and APIs (tests/sso/fake_im_oauth.py) over real HTTP: the browser is
sent to the vendor with a state, the vendor's page sends it back with a code,
Baton trades the code and signs in the employee HR recorded, or says why not."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.messages import get_messages
from django.test import Client

import cms.auth.sso.im  # noqa: F401 — registers the buttons, as config/urls.py does
from cms.auth.sso.providers import SESSION_METHOD, enabled_providers
from cms.models import Employee
from cms.names import person_name
from tests.connectors.servers import free_port

from .fake_im_oauth import (
    DINGTALK_SECRET,
    FEISHU_SECRET,
    WECOM_LOGIN_SECRET,
    DingTalkOAuth,
    FeishuOAuth,
    WeComOAuth,
)

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
VENDORS = ("feishu", "dingtalk", "wecom")
SECRETS = {
    "feishu": FEISHU_SECRET,
    "dingtalk": DINGTALK_SECRET,
    "wecom": WECOM_LOGIN_SECRET,
}


@pytest.fixture
def sales():
    return Employee.objects.create(
        employee_number="E1001",
        name="Wang Lei",
        work_email="wang.lei@baton.example",
        directory_id="",
    )


@pytest.fixture
def vendor(request, httpserver, settings, sales):
    """The vendor's fake, its sign-in settings on, and Wang Lei known to it
    (with the ids the directory connectors store on his record)."""
    key = request.param
    if key == "feishu":
        fake = FeishuOAuth(httpserver).install()
        fake.person(
            "ou_wang",
            name="王磊",
            email="wang.lei@baton.example",
            employee_no="E1001",
        )
        fake.signed_in = "ou_wang"
        sales.directory_id = "ou_wang"
    elif key == "dingtalk":
        fake = DingTalkOAuth(httpserver).install()
        fake.account(
            "union-wang",
            member={
                "userid": "manager4220",
                "name": "王磊",
                "org_email": "wang.lei@baton.example",
                "email": "",
                "job_number": "E1001",
            },
        )
        fake.signed_in = "union-wang"
        sales.directory_id = "manager4220"
    else:
        fake = WeComOAuth(httpserver).install()
        fake.members["WangLei"] = ("wang.lei@wecom.example", "wang.lei@baton.example")
        fake.profiles["WangLei"] = {"name": "王磊"}
        fake.signed_in = "WangLei"
        sales.directory_id = "WangLei"
    sales.save()
    for name, value in fake.sso_settings().items():
        setattr(settings, name, value)
    fake.key = key
    return fake


every_vendor = pytest.mark.parametrize("vendor", VENDORS, indirect=True)


def start(client, vendor, next_url="", **headers):
    query = f"?next={next_url}" if next_url else ""
    return client.get(f"/auth/im/{vendor.key}/{query}", **headers)


def at_vendor(started):
    """The vendor's sign-in page, as the browser opens it: its redirect back."""
    assert started.status_code == 302
    page = requests.get(started["Location"], allow_redirects=False, timeout=5)
    assert page.status_code == 302, page.text
    return urlsplit(page.headers["Location"])


def come_back(client, back, follow=False, **changes):
    params = {**dict(parse_qsl(back.query)), **changes}
    return client.get(back.path, params, follow=follow)


def sign_in(client, vendor, next_url="", **headers):
    return come_back(client, at_vendor(start(client, vendor, next_url, **headers)))


def signed_in_user(client):
    user_id = client.session.get(SESSION_KEY)
    return get_user_model().objects.get(pk=user_id) if user_id else None


def shown(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def refused(client, response, message):
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == LOGIN
    assert shown(response) == [message]
    assert signed_in_user(client) is None


# Starting -------------------------------------------------------------------------


@every_vendor
def test_the_button_shows_once_the_vendor_is_configured(client, vendor, settings):
    assert vendor.key in [provider.key for provider in enabled_providers()]
    secret = next(name for name in vendor.sso_settings() if "SECRET" in name)
    setattr(settings, secret, "")
    assert vendor.key not in [provider.key for provider in enabled_providers()]
    # No trip to the vendor: the page is not there.
    assert client.get(f"/auth/im/{vendor.key}/", follow=True).status_code == 404


@every_vendor
def test_start_sends_the_browser_to_the_vendor_with_a_state(client, vendor):
    started = start(client, vendor)

    url = urlsplit(started["Location"])
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}" == vendor.base_url
    assert (
        url.path
        == {
            "feishu": "/open-apis/authen/v1/authorize",
            "dingtalk": "/oauth2/auth",
            "wecom": "/wwlogin/sso/login",
        }[vendor.key]
    )
    assert query["redirect_uri"] == [
        f"http://testserver/auth/im/{vendor.key}/callback/"
    ]
    (state,) = query["state"]
    assert len(state) >= 32
    assert client.session["baton_sso_im"]["state"] == state
    assert SECRETS[vendor.key] not in started["Location"]


@pytest.mark.parametrize("vendor", ["wecom"], indirect=True)
def test_inside_the_wecom_app_no_qr_code_is_shown(client, vendor):
    started = start(client, vendor, HTTP_USER_AGENT="Mozilla/5.0 wxwork/4.1.30")

    url = urlsplit(started["Location"])
    assert url.path == "/connect/oauth2/authorize"
    assert url.fragment == "wechat_redirect"
    assert parse_qs(url.query)["scope"] == ["snsapi_base"]
    come_back(client, at_vendor(started))
    assert signed_in_user(client).employee.employee_number == "E1001"


# Signing in -----------------------------------------------------------------------


@every_vendor
def test_the_vendor_vouches_and_the_employee_is_signed_in(client, vendor, sales):
    answer = sign_in(client, vendor, next_url="/en/handovers/")

    assert answer.status_code == 302
    assert answer["Location"] == "/en/handovers/"
    user = signed_in_user(client)
    sales.refresh_from_db()
    assert user == sales.user
    assert user.username == "E1001"
    assert person_name(user) == "王磊"  # as the vendor writes it
    assert client.session[SESSION_METHOD] == vendor.key
    assert "baton_sso_im" not in client.session


@every_vendor
def test_without_the_directory_id_the_email_still_matches(client, vendor, sales):
    Employee.objects.filter(pk=sales.pk).update(
        directory_id="", employee_number="E2002"
    )

    sign_in(client, vendor)

    assert signed_in_user(client).employee == sales


@pytest.mark.parametrize("vendor", ["feishu", "dingtalk"], indirect=True)
def test_the_employee_number_matches_too(client, vendor, sales):
    Employee.objects.filter(pk=sales.pk).update(directory_id="", work_email="")

    sign_in(client, vendor)

    assert signed_in_user(client).employee == sales


@every_vendor
def test_an_unsafe_next_is_dropped(client, vendor):
    answer = sign_in(client, vendor, next_url="https://evil.example/steal")

    assert answer["Location"] == "/en/handovers/"
    assert signed_in_user(client) is not None


# Refusals -------------------------------------------------------------------------


@every_vendor
def test_a_state_that_is_not_ours_is_refused(client, vendor):
    back = at_vendor(start(client, vendor))

    answer = come_back(client, back, state="forged-state")

    refused(
        client,
        answer,
        "This sign-in was not started here or took too long. Please sign in again.",
    )


@every_vendor
def test_the_same_callback_twice_signs_in_once(client, vendor):
    back = at_vendor(start(client, vendor))
    come_back(client, back)
    client.logout()
    calls = len(vendor.server.log)

    answer = come_back(client, back)

    refused(
        client,
        answer,
        "This sign-in was not started here or took too long. Please sign in again.",
    )
    assert len(vendor.server.log) == calls  # the code was not even tried


@every_vendor
def test_a_callback_without_a_started_sign_in_is_refused(client, vendor):
    back = at_vendor(start(client, vendor))
    other = Client()  # another browser

    answer = come_back(other, back)

    refused(
        other,
        answer,
        "This sign-in was not started here or took too long. Please sign in again.",
    )


@every_vendor
def test_somebody_hr_never_recorded_is_refused(client, vendor, sales):
    Employee.objects.filter(pk=sales.pk).update(
        directory_id="someone-else", work_email="other@baton.example"
    )
    Employee.objects.filter(pk=sales.pk).update(employee_number="E9999")

    answer = sign_in(client, vendor)

    refused(
        client,
        answer,
        "Your company account is not linked to anyone in Baton. Ask HR.",
    )
    assert not get_user_model().objects.filter(username="E1001").exists()


@pytest.mark.parametrize("vendor", ["dingtalk", "wecom"], indirect=True)
def test_an_account_outside_the_organisation_is_refused(client, vendor):
    if vendor.key == "dingtalk":
        vendor.account("union-stranger", email="wang.lei@baton.example")
        vendor.signed_in = "union-stranger"
    else:
        vendor.signed_in = "wx:oDjGHs-1yCnGrRovBj2yHij5JAAA"

    answer = sign_in(client, vendor)

    name = {"dingtalk": "DingTalk", "wecom": "WeCom"}[vendor.key]
    refused(
        client,
        answer,
        f"This {name} account is not a member of the company's organisation.",
    )


@every_vendor
def test_a_code_the_vendor_refuses_signs_nobody_in(client, vendor, caplog):
    back = at_vendor(start(client, vendor))
    param = "authCode" if vendor.key == "dingtalk" else "code"

    with caplog.at_level(logging.DEBUG):
        answer = come_back(client, back, **{param: "not-a-code-the-vendor-gave"})

    code, name = {
        "feishu": ("20003", "Feishu"),
        "dingtalk": ("invalidParameter.authCode.notFound", "DingTalk"),
        "wecom": ("40029", "WeCom"),
    }[vendor.key]
    refused(
        client,
        answer,
        f"{name} could not confirm who you are (error {code}). Please sign in "
        "again; if it keeps failing, tell IT.",
    )
    assert code in caplog.text


@every_vendor
def test_the_person_declining_is_told(client, vendor):
    back = at_vendor(start(client, vendor))
    params = {"state": parse_qs(back.query)["state"][0], "error": "access_denied"}

    answer = client.get(back.path, params)

    name = {"feishu": "Feishu", "dingtalk": "DingTalk", "wecom": "WeCom"}
    refused(
        client,
        answer,
        f"You did not allow Baton to use your {name[vendor.key]} account.",
    )


# Secrets ----------------------------------------------------------------------------


@every_vendor
def test_the_app_secret_is_never_logged_nor_shown(client, vendor, settings, caplog):
    secret = SECRETS[vendor.key]
    answers = []
    # At Baton's default LOG_LEVEL (INFO), Baton's own loggers at DEBUG.
    with caplog.at_level(logging.INFO), caplog.at_level(logging.DEBUG, "cms"):
        # A refused code, then the vendor's API gone (requests' errors quote
        # the URL, WeCom's token URL carries the secret), then a sign-in.
        back = at_vendor(start(client, vendor))
        answers.append(come_back(client, back, code="bad", authCode="bad"))
        back = at_vendor(start(client, vendor))
        api = next(name for name in vendor.sso_settings() if name.endswith("API_URL"))
        setattr(settings, api, f"http://127.0.0.1:{free_port()}")
        answers.append(come_back(client, back))
        assert shown(answers[-1])[-1].endswith(
            "did not answer. Please try again in a moment."
        )
        setattr(settings, api, vendor.base_url)
        answers.append(sign_in(client, vendor))

    assert signed_in_user(client) is not None
    # werkzeug's access log is the fake vendor's own.
    logged = [record for record in caplog.records if record.name != "werkzeug"]
    assert any(record.name.startswith("cms.auth.sso") for record in logged)
    assert all(secret not in record.getMessage() for record in logged)
    for answer in answers:
        assert secret not in answer.content.decode()
        assert secret not in answer.get("Location", "")
        assert all(secret not in text for text in shown(answer))


@pytest.mark.parametrize("vendor", ["feishu"], indirect=True)
def test_the_refusal_is_read_on_the_sign_in_page(client, vendor, sales):
    Employee.objects.filter(pk=sales.pk).update(
        directory_id="", employee_number="E9999", work_email=""
    )
    back = at_vendor(start(client, vendor, next_url="/en/handovers/"))

    page = come_back(client, back, follow=True)

    assert page.status_code == 200
    assert page.redirect_chain[-1][0] == f"{LOGIN}?next=%2Fen%2Fhandovers%2F"
    assert "Your company account is not linked to anyone in Baton. Ask HR." in (
        page.content.decode()
    )
