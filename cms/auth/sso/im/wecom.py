"""WeCom (企业微信) sign-in: WeCom's web login page
(``login.work.weixin.qq.com/wwlogin/sso/login``, a QR code on a desk) or,
inside the WeCom app (its browser says ``wxwork``), the web page
authorisation (``open.weixin.qq.com/connect/oauth2/authorize``,
``snsapi_base``, no QR code). Either comes back with a code, traded with the
app's token for the member's user ID (``cgi-bin/auth/getuserinfo``); their
e-mail comes from ``auth/getuserdetail`` when WeCom hands out a user_ticket,
else from ``user/get``.

Plain HTTP through ``requests``, as the WeCom connector: wechatpy's last
release (2021) is behind WeCom's current API (see its docstring)."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import requests
from django.utils.translation import gettext_lazy as _

from ..match import Identity
from .base import NotMember, Unreachable, Vendor, VendorError, clean

__all__ = ["WeCom"]

logger = logging.getLogger(__name__)


class WeCom(Vendor):
    key = "wecom"
    label = _("WeCom")

    @classmethod
    def enabled(cls) -> bool:
        return all(cls.setting(name) for name in ("CORP_ID", "AGENT_ID", "SECRET"))

    def authorize_url(self, *, redirect_uri: str, state: str, request) -> str:
        if "wxwork" in request.headers.get("User-Agent", "").lower():
            query = {
                "appid": self.setting("CORP_ID"),
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": "snsapi_base",
                "state": state,
                "agentid": self.setting("AGENT_ID"),
            }
            return (
                f"{self.url('OAUTH')}/connect/oauth2/authorize?"
                f"{urlencode(query)}#wechat_redirect"
            )
        query = {
            "login_type": "CorpApp",
            "appid": self.setting("CORP_ID"),
            "agentid": self.setting("AGENT_ID"),
            "redirect_uri": redirect_uri,
            "state": state,
        }
        return f"{self.url('LOGIN')}/wwlogin/sso/login?" + urlencode(query)

    def identity(self, *, code: str, redirect_uri: str) -> Identity:
        self.keep_secret(self.setting("SECRET"), code)
        token = self._get(
            "/cgi-bin/gettoken",
            corpid=self.setting("CORP_ID"),
            corpsecret=self.setting("SECRET"),
        ).get("access_token")
        if not clean(token):
            raise VendorError("gettoken: no access_token", code="no token")
        self.keep_secret(token)
        visitor = self._get("/cgi-bin/auth/getuserinfo", access_token=token, code=code)
        userid = clean(visitor.get("userid") or visitor.get("UserId"))
        if not userid:
            # An external contact or a WeChat user: openid / external_userid.
            raise NotMember("the WeCom visitor is not a member of the company")
        ticket = clean(visitor.get("user_ticket"))
        self.keep_secret(ticket)
        member = self._member(token, userid, ticket)
        field = clean(self.setting("DIRECTORY_ID"))
        return Identity(
            source=self.key,
            directory_id=userid if field == "userid" else "",
            # The profile e-mail first, the WeCom mailbox second.
            email=clean(member.get("email")) or clean(member.get("biz_mail")),
            family_name=clean(member.get("name")),
        )

    def _member(self, token: str, userid: str, ticket: str) -> dict:
        """The member's e-mail fields, or {} when WeCom will not say (the
        user ID is enough to match by)."""
        try:
            if ticket:
                return self._post(
                    "/cgi-bin/auth/getuserdetail",
                    {"user_ticket": ticket},
                    access_token=token,
                )
            return self._get("/cgi-bin/user/get", access_token=token, userid=userid)
        except Unreachable:
            raise
        except VendorError as error:
            logger.info("sso wecom: no e-mail for %s (%s)", userid, error.code)
            return {}

    def _get(self, path: str, **params) -> dict:
        return self._answer(path, "GET", params=params)

    def _post(self, path: str, body: dict, **params) -> dict:
        return self._answer(path, "POST", params=params, json=body)

    def _answer(self, path: str, method: str, **kwargs) -> dict:
        try:
            response = requests.request(
                method, self.url("API") + path, timeout=self.timeout, **kwargs
            )
            answer = response.json()
        except requests.RequestException as error:
            raise Unreachable(f"{path}: {error}") from None
        except ValueError:
            raise VendorError(f"{path}: not JSON", code=path) from None
        if not isinstance(answer, dict):
            raise VendorError(f"{path}: not an object", code=path)
        errcode = answer.get("errcode", 0)
        if errcode not in (0, None):
            raise VendorError(
                f"{path}: errcode {errcode}: {answer.get('errmsg')}", code=errcode
            )
        return answer
