"""DingTalk sign-in: DingTalk's login page (``login.dingtalk.com/oauth2/auth``;
a QR code on a desk, a confirmation inside the DingTalk app), which comes
back with ``authCode``; the code traded for a user access token
(``/v1.0/oauth2/userAccessToken``) and ``/v1.0/contact/users/me`` read with
it, both through the official SDK alibabacloud_dingtalk.

``users/me`` describes the person's DingTalk account, which may be a personal
one: Baton trusts only the company's address book. The unionId is looked up
there with the app's own token (``topapi/user/getbyunionid``, then
``topapi/v2/user/get`` for the userid's job number and company e-mail). The
older ``topapi`` has no official Python SDK: those two calls are plain
``requests``, as in the DingTalk connector."""

from __future__ import annotations

import functools
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

import requests
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from ..match import Identity
from .base import NotMember, Unreachable, Vendor, VendorError, clean

__all__ = ["DingTalk"]

# topapi's "no such user in this organisation".
NOT_IN_ORGANISATION = (60121, 60111, 50002)


@functools.cache
def _sdk() -> SimpleNamespace:
    from alibabacloud_dingtalk.contact_1_0 import client as contact
    from alibabacloud_dingtalk.contact_1_0 import models as contact_models
    from alibabacloud_dingtalk.oauth2_1_0 import client as oauth2
    from alibabacloud_dingtalk.oauth2_1_0 import models as oauth2_models
    from alibabacloud_tea_openapi import models as open_api_models
    from alibabacloud_tea_util import models as util_models
    from Tea.exceptions import TeaException

    return SimpleNamespace(
        contact=(contact.Client, contact_models),
        oauth2=(oauth2.Client, oauth2_models),
        Config=open_api_models.Config,
        RuntimeOptions=util_models.RuntimeOptions,
        TeaException=TeaException,
    )


class DingTalk(Vendor):
    key = "dingtalk"
    label = _("DingTalk")
    # DingTalk's login page answers ``authCode`` (and ``code`` on some paths).
    code_params = ("authCode", "code")

    @classmethod
    def enabled(cls) -> bool:
        return bool(cls.setting("APP_KEY") and cls.setting("APP_SECRET"))

    def authorize_url(self, *, redirect_uri: str, state: str, request) -> str:
        query = {
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "client_id": self.setting("APP_KEY"),
            "scope": "openid",
            "state": state,
            "prompt": "consent",
        }
        return f"{self.url('LOGIN')}/oauth2/auth?" + urlencode(query)

    def identity(self, *, code: str, redirect_uri: str) -> Identity:
        self.keep_secret(self.setting("APP_SECRET"), code)
        _client, models = _sdk().oauth2
        answer = self._send(
            "oauth2",
            "get_user_token",
            models.GetUserTokenRequest(
                client_id=self.setting("APP_KEY"),
                client_secret=self.setting("APP_SECRET"),
                code=code,
                grant_type="authorization_code",
            ),
            {},
        )
        user_token = clean(answer.get("accessToken"))
        if not user_token:
            raise VendorError("userAccessToken: no accessToken", code="no token")
        self.keep_secret(user_token, answer.get("refreshToken"))
        _client, contact = _sdk().contact
        me = self._send(
            "contact",
            "get_user",
            "me",
            contact.GetUserHeaders(x_acs_dingtalk_access_token=user_token),
        )
        union_id = clean(me.get("unionId"))
        if not union_id:
            raise VendorError("users/me: no unionId", code="no unionId")
        userid = self._userid(union_id)
        member = self._oapi("/topapi/v2/user/get", {"userid": userid}) or {}
        field = clean(self.setting("DIRECTORY_ID"))
        return Identity(
            source=self.key,
            directory_id={"userid": userid, "unionid": union_id}.get(field, ""),
            employee_number=clean(member.get("job_number")),
            # As the DingTalk connector's directory sync reads it.
            email=clean(member.get("org_email")) or clean(member.get("email")),
            family_name=clean(member.get("name")),
        )

    # The server API, through the SDK -------------------------------------------

    def _client(self, area: str):
        client_class, _models = getattr(_sdk(), area)
        url = urlsplit(self.url("API"))
        if url.scheme not in ("https", "http") or not url.netloc:
            raise ImproperlyConfigured(
                "BATON_SSO_DINGTALK_API_URL must look like https://api.dingtalk.com."
            )
        config = _sdk().Config(
            protocol=url.scheme,
            region_id="central",
            endpoint=url.netloc,
            **self._milliseconds(),
        )
        return client_class(config)

    def _milliseconds(self) -> dict:
        milliseconds = max(int(self.timeout * 1000), 1)
        return {"read_timeout": milliseconds, "connect_timeout": milliseconds}

    def _send(self, area: str, method: str, *args) -> dict:
        sdk = _sdk()
        runtime = sdk.RuntimeOptions(autoretry=False, **self._milliseconds())
        call = getattr(self._client(area), f"{method}_with_options")
        try:
            response = call(*args, runtime)
        except sdk.TeaException as error:
            data = error.data if isinstance(error.data, dict) else {}
            status = data.get("statusCode")
            if not isinstance(status, int):
                inner = getattr(error, "inner_exception", None) or error.message
                raise Unreachable(f"{method}: {inner}") from None
            code = clean(data.get("code")) or f"HTTP {status}"
            raise VendorError(
                f"{method}: HTTP {status}, {code}: {clean(data.get('message'))} "
                f"(request id {clean(data.get('requestid'))})",
                code=code,
            ) from None
        except requests.RequestException as error:
            raise Unreachable(f"{method}: {error}") from None
        body = response.body.to_map() if response.body is not None else {}
        return body if isinstance(body, dict) else {}

    def _app_token(self) -> str:
        _client, models = _sdk().oauth2
        answer = self._send(
            "oauth2",
            "get_access_token",
            models.GetAccessTokenRequest(
                app_key=self.setting("APP_KEY"), app_secret=self.setting("APP_SECRET")
            ),
            {},
        )
        token = clean(answer.get("accessToken"))
        if not token:
            raise VendorError("accessToken: no accessToken", code="no token")
        self.keep_secret(token)
        return token

    # The older API, through requests ---------------------------------------------

    def _userid(self, union_id: str) -> str:
        result = self._oapi("/topapi/user/getbyunionid", {"unionid": union_id})
        userid = clean((result or {}).get("userid"))
        if not userid:
            raise NotMember(f"DingTalk unionId {union_id} is not in the address book")
        return userid

    def _oapi(self, path: str, payload: dict) -> dict | None:
        """The answer's ``result``; None for somebody not in the organisation."""
        if not hasattr(self, "_token"):
            self._token = self._app_token()
        try:
            response = requests.post(
                self.url("OAPI") + path,
                params={"access_token": self._token},
                json=payload,
                timeout=self.timeout,
            )
            answer = response.json()
        except requests.RequestException as error:
            raise Unreachable(f"{path}: {error}") from None
        except ValueError:
            raise VendorError(f"{path}: not JSON", code=path) from None
        if not isinstance(answer, dict):
            raise VendorError(f"{path}: not an object", code=path)
        errcode = answer.get("errcode")
        if errcode in NOT_IN_ORGANISATION:
            return None
        if errcode not in (0, None):
            raise VendorError(
                f"{path}: errcode {errcode}: {answer.get('errmsg')} "
                f"(request id {answer.get('request_id')})",
                code=errcode,
            )
        result = answer.get("result")
        return result if isinstance(result, dict) else {}
