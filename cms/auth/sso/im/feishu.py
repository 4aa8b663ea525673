"""Feishu (Lark) sign-in: the web app authorisation page
(``accounts.feishu.cn/open-apis/authen/v1/authorize``; a QR code on a desk,
a one-tap confirmation inside the Feishu app), the code traded for a
user_access_token, and ``authen/v1/user_info`` for who it is.

The code is traded with the OAuth 2 token endpoint ``authen/v2/oauth/token``
over plain ``requests``: lark-oapi has only the older v1 exchanges, which
Feishu lists as deprecated and which first need an app_access_token.
``user_info`` goes through lark-oapi, as the Feishu connector's calls do."""

from __future__ import annotations

import functools
from types import SimpleNamespace
from urllib.parse import urlencode

import requests
from django.utils.translation import gettext_lazy as _

from ..match import Identity
from .base import NotMember, Unreachable, Vendor, VendorError, clean

__all__ = ["Feishu"]

JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


@functools.cache
def _lark() -> SimpleNamespace:
    import lark_oapi
    from lark_oapi.api.authen import v1 as authen

    return SimpleNamespace(lark=lark_oapi, authen=authen)


class Feishu(Vendor):
    key = "feishu"
    label = _("Feishu")

    @classmethod
    def enabled(cls) -> bool:
        return bool(cls.setting("APP_ID") and cls.setting("APP_SECRET"))

    def authorize_url(self, *, redirect_uri: str, state: str, request) -> str:
        query = {
            "client_id": self.setting("APP_ID"),
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "state": state,
        }
        if clean(self.setting("SCOPE")):
            query["scope"] = clean(self.setting("SCOPE"))
        return f"{self.url('ACCOUNTS')}/open-apis/authen/v1/authorize?" + urlencode(
            query
        )

    def identity(self, *, code: str, redirect_uri: str) -> Identity:
        self.keep_secret(self.setting("APP_SECRET"), code)
        token = self._user_token(code, redirect_uri)
        info = self._user_info(token)
        tenant = clean(self.setting("TENANT_KEY"))
        if tenant and clean(info.tenant_key) != tenant:
            raise NotMember(f"Feishu tenant {clean(info.tenant_key)!r} is not ours")
        field = clean(self.setting("DIRECTORY_ID"))
        return Identity(
            source=self.key,
            directory_id=clean(getattr(info, field, "")) if field else "",
            employee_number=clean(info.employee_no),
            # As the Feishu connector's directory sync reads it.
            email=clean(info.email) or clean(info.enterprise_email),
            family_name=clean(info.name),
        )

    def _user_token(self, code: str, redirect_uri: str) -> str:
        url = f"{self.url('API')}/open-apis/authen/v2/oauth/token"
        body = {
            "grant_type": "authorization_code",
            "client_id": self.setting("APP_ID"),
            "client_secret": self.setting("APP_SECRET"),
            "code": code,
            "redirect_uri": redirect_uri,
        }
        try:
            response = requests.post(
                url, json=body, headers=JSON_HEADERS, timeout=self.timeout
            )
        except requests.RequestException as error:
            raise Unreachable(f"token: {error}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise VendorError(
                f"token: HTTP {response.status_code}, not JSON",
                code=f"HTTP {response.status_code}",
            )
        token = clean(answer.get("access_token"))
        if answer.get("code") == 0 and token:
            self.keep_secret(token, answer.get("refresh_token"))
            return token
        reason = answer.get("error_description") or answer.get("error") or ""
        raise VendorError(
            f"token: HTTP {response.status_code}, code {answer.get('code')}: {reason}",
            code=answer.get("code") or f"HTTP {response.status_code}",
        )

    def _user_info(self, token: str):
        sdk = _lark()
        lark = sdk.lark
        client = (
            lark.Client.builder()
            .app_id(self.setting("APP_ID"))
            .app_secret(self.setting("APP_SECRET"))
            .enable_set_token(True)
            .domain(self.url("API"))
            .timeout(self.timeout)
            .log_level(lark.LogLevel.ERROR)
            .build()
        )
        option = lark.RequestOption.builder().user_access_token(token).build()
        request = sdk.authen.GetUserInfoRequest.builder().build()
        try:
            response = client.authen.v1.user_info.get(request, option)
        except requests.RequestException as error:
            raise Unreachable(f"user_info: {error}") from None
        except ValueError:
            raise VendorError("user_info: not JSON", code="user_info") from None
        if not response.success() or response.data is None:
            raise VendorError(
                f"user_info: code {response.code}: {response.msg} "
                f"(log id {response.get_log_id()})",
                code=response.code,
            )
        return response.data
