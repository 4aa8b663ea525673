"""The sign-in endpoints of Feishu, DingTalk and WeCom, added to the
connector tests' fakes (tests/connectors/fake_*.py), on the same
pytest-httpserver, in the vendors' published shapes:

* Feishu: the authorisation page ``/open-apis/authen/v1/authorize`` (302 to
  the redirect URI with ``code`` and ``state``), ``/open-apis/authen/v2/oauth/
  token`` (``code`` 0 and ``access_token``, or HTTP 400 with a ``code`` such as
  20003 and ``error`` / ``error_description``) and ``/open-apis/authen/v1/
  user_info`` (``{"code": 0, "msg", "data": {...}}``).
* DingTalk: the login page ``/oauth2/auth`` (302 with ``authCode`` and
  ``state``), ``POST /v1.0/oauth2/userAccessToken`` (``accessToken``,
  ``refreshToken``, ``expireIn``, ``corpId``; HTTP 400 ``{"requestid", "code",
  "message"}``), ``GET /v1.0/contact/users/me`` and the older
  ``/topapi/user/getbyunionid`` (``result.userid``, errcode 60121 for someone
  outside the organisation).
* WeCom: the web login page ``/wwlogin/sso/login`` and the in-app
  ``/connect/oauth2/authorize`` (302 with ``code`` and ``state``), and
  ``/cgi-bin/auth/getuserinfo`` (``userid``, or ``openid`` /
  ``external_userid`` for a non-member; errcode 40029 for a bad code).

``signed_in`` names who is at the vendor's page (scanning the QR code); each
authorisation issues a one-time code, as the vendors do.
"""

from __future__ import annotations

import itertools
from urllib.parse import urlencode

from werkzeug import Request, Response

from tests.connectors.fake_dingtalk import APP_KEY as DINGTALK_APP_KEY
from tests.connectors.fake_dingtalk import APP_SECRET as DINGTALK_SECRET
from tests.connectors.fake_dingtalk import FakeDingTalk
from tests.connectors.fake_feishu import APP_ID as FEISHU_APP_ID
from tests.connectors.fake_feishu import APP_SECRET as FEISHU_SECRET
from tests.connectors.fake_feishu import FakeFeishu
from tests.connectors.fake_wecom import AGENT_ID as WECOM_AGENT_ID
from tests.connectors.fake_wecom import CORP_ID as WECOM_CORP_ID
from tests.connectors.fake_wecom import FakeWeCom

__all__ = [
    "DINGTALK_APP_KEY",
    "DINGTALK_SECRET",
    "FEISHU_APP_ID",
    "FEISHU_SECRET",
    "WECOM_AGENT_ID",
    "WECOM_CORP_ID",
    "WECOM_LOGIN_SECRET",
    "DingTalkOAuth",
    "FeishuOAuth",
    "WeComOAuth",
]

# The WeCom self-built app people sign in through (its own secret).
WECOM_LOGIN_SECRET = "wecom-sign-in-app-s3cret"
_codes = itertools.count(1)


def _redirect(redirect_uri: str, **params) -> Response:
    separator = "&" if "?" in redirect_uri else "?"
    return Response(
        status=302, headers={"Location": redirect_uri + separator + urlencode(params)}
    )


def _page(status: int, text: str) -> Response:
    return Response(f"<html>{text}</html>", status=status, content_type="text/html")


class FeishuOAuth(FakeFeishu):
    def __init__(self, server):
        super().__init__(server)
        self.people: dict[str, dict] = {}  # open_id -> user_info's data
        self.signed_in = ""
        self._grants: dict[str, tuple[str, str]] = {}  # code -> (open_id, uri)
        self._user_tokens: dict[str, str] = {}  # token -> open_id

    def sso_settings(self) -> dict:
        return {
            "BATON_SSO_FEISHU_APP_ID": FEISHU_APP_ID,
            "BATON_SSO_FEISHU_APP_SECRET": FEISHU_SECRET,
            "BATON_SSO_FEISHU_ACCOUNTS_URL": self.base_url,
            "BATON_SSO_FEISHU_API_URL": self.base_url,
        }

    def person(self, open_id: str, **fields) -> dict:
        data = {
            "name": fields.pop("name", "张三"),
            "en_name": "",
            "avatar_url": "https://s1-imfile.feishucdn.com/avatar/placeholder",
            "open_id": open_id,
            "union_id": f"on_{open_id[3:]}",
            "email": "",
            "enterprise_email": "",
            "user_id": "",
            "mobile": "",
            "tenant_key": "736588c9260f175d",
            "employee_no": "",
            **fields,
        }
        self.people[open_id] = data
        return data

    def install(self):
        super().install()
        server = self.server
        server.expect_request(
            "/open-apis/authen/v1/authorize", method="GET"
        ).respond_with_handler(self._authorize)
        server.expect_request(
            "/open-apis/authen/v2/oauth/token", method="POST"
        ).respond_with_handler(self._oauth_token)
        server.expect_request(
            "/open-apis/authen/v1/user_info", method="GET"
        ).respond_with_handler(self._user_info)
        return self

    def _authorize(self, request: Request):
        args = request.args
        if args.get("client_id") != FEISHU_APP_ID:
            return _page(400, "20029 invalid client_id")
        if args.get("response_type") != "code" or not args.get("redirect_uri"):
            return _page(400, "20001 missing parameter")
        code = f"fs{next(_codes):06d}-2Wd5g337vo5BZXUz"
        self._grants[code] = (self.signed_in, args["redirect_uri"])
        return _redirect(args["redirect_uri"], code=code, state=args.get("state", ""))

    def _oauth_error(self, code: int, error: str, description: str, status=400):
        return self._answer(
            {"code": code, "error": error, "error_description": description}, status
        )

    def _oauth_token(self, request: Request):
        body = request.get_json(silent=True) or {}
        if body.get("grant_type") != "authorization_code":
            return self._oauth_error(
                20036, "unsupported_grant_type", "The grant_type is not supported."
            )
        if body.get("client_id") != FEISHU_APP_ID:
            return self._oauth_error(
                20048, "invalid_client", "The specified app does not exist."
            )
        if body.get("client_secret") != FEISHU_SECRET:
            return self._oauth_error(
                20002, "invalid_client", "The client secret is invalid."
            )
        grant = self._grants.pop(body.get("code"), None)
        if grant is None:
            return self._oauth_error(
                20003,
                "invalid_grant",
                "The authorization code is not found. Please note that an "
                "authorization code can only be used once.",
            )
        open_id, redirect_uri = grant
        if body.get("redirect_uri") != redirect_uri:
            return self._oauth_error(
                20071, "invalid_grant", "The redirect_uri does not match."
            )
        token = f"eyJhbGciOiJFUzI1NiIs{next(_codes):08d}"
        self._user_tokens[token] = open_id
        return self._answer(
            {
                "code": 0,
                "access_token": token,
                "expires_in": 7200,
                "token_type": "Bearer",
                "scope": "auth:user.id:read",
            }
        )

    def _user_info(self, request: Request):
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        open_id = self._user_tokens.get(token)
        if open_id is None:
            return self._answer(
                {"code": 99991668, "msg": "Invalid access token for authorization."},
                401,
            )
        return self._answer({"code": 0, "msg": "success", "data": self.people[open_id]})


class DingTalkOAuth(FakeDingTalk):
    """``users`` (the address book, as in FakeDingTalk) gain a ``unionid``;
    ``accounts`` are DingTalk accounts by unionId (users/me's answer),
    members or not."""

    def __init__(self, server):
        super().__init__(server)
        self.accounts: dict[str, dict] = {}
        self.signed_in = ""
        self._grants: dict[str, str] = {}  # authCode -> unionId
        self._user_tokens: dict[str, str] = {}

    def sso_settings(self) -> dict:
        return {
            "BATON_SSO_DINGTALK_APP_KEY": DINGTALK_APP_KEY,
            "BATON_SSO_DINGTALK_APP_SECRET": DINGTALK_SECRET,
            "BATON_SSO_DINGTALK_LOGIN_URL": self.base_url,
            "BATON_SSO_DINGTALK_API_URL": self.base_url,
            "BATON_SSO_DINGTALK_OAPI_URL": self.base_url,
        }

    def account(self, union_id: str, *, member: dict | None = None, **fields):
        """A DingTalk account; ``member``: its entry in the address book."""
        self.accounts[union_id] = {
            "nick": fields.pop("nick", "zhangsan"),
            "avatarUrl": "https://static-legacy.dingtalk.com/media/placeholder.jpg",
            "mobile": "150xxxx9144",
            "openId": f"open-{union_id}",
            "unionId": union_id,
            "email": fields.pop("email", ""),
            "stateCode": "86",
        }
        if member is not None:
            self.users.append({"name": "张三", **member, "unionid": union_id})

    def install(self):
        super().install()
        server = self.server
        server.expect_request("/oauth2/auth", method="GET").respond_with_handler(
            self._authorize
        )
        server.expect_request(
            "/v1.0/oauth2/userAccessToken", method="POST"
        ).respond_with_handler(self._user_token)
        server.expect_request(
            "/v1.0/contact/users/me", method="GET"
        ).respond_with_handler(self._me)
        server.expect_request(
            "/topapi/user/getbyunionid", method="POST"
        ).respond_with_handler(self._by_union_id)
        return self

    def _authorize(self, request: Request):
        args = request.args
        if args.get("client_id") != DINGTALK_APP_KEY:
            return _page(400, "应用不存在")
        if (
            args.get("response_type") != "code"
            or "openid" not in args.get("scope", "").split()
        ):
            return _page(400, "参数错误")
        code = f"dtauth{next(_codes):06d}"
        self._grants[code] = self.signed_in
        return _redirect(
            args["redirect_uri"], authCode=code, state=args.get("state", "")
        )

    def _user_token(self, request: Request):
        body = request.get_json(silent=True) or {}
        if (
            body.get("clientId") != DINGTALK_APP_KEY
            or body.get("clientSecret") != DINGTALK_SECRET
        ):
            return self._error(
                400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret"
            )
        union_id = self._grants.pop(body.get("code"), None)
        if body.get("grantType") != "authorization_code" or union_id is None:
            return self._error(
                400, "invalidParameter.authCode.notFound", "不合法的临时授权码"
            )
        token = f"dtuser{next(_codes):08d}"
        self._user_tokens[token] = union_id
        return self._json(
            {
                "accessToken": token,
                "refreshToken": f"dtrefresh{next(_codes):08d}",
                "expireIn": 7200,
                "corpId": "ding9f50b15bccd16741",
            }
        )

    def _me(self, request: Request):
        union_id = self._user_tokens.get(
            request.headers.get("x-acs-dingtalk-access-token", "")
        )
        if union_id is None:
            return self._error(401, "InvalidAuthentication", "不合法的access_token")
        return self._json(self.accounts[union_id])

    def _by_union_id(self, request: Request):
        if not self._authorised(request.args.get("access_token", "")):
            return self._json(
                {
                    "errcode": 40014,
                    "errmsg": "不合法的access_token",
                    "request_id": "u-1",
                }
            )
        wanted = (request.get_json(silent=True) or {}).get("unionid")
        for user in self.users:
            if user.get("unionid") == wanted:
                return self._json(
                    {
                        "errcode": 0,
                        "errmsg": "ok",
                        "result": {"contact_type": 0, "userid": user["userid"]},
                        "request_id": "u-2",
                    }
                )
        return self._json(
            {"errcode": 60121, "errmsg": "找不到该用户", "request_id": "u-3"}
        )


class WeComOAuth(FakeWeCom):
    """``members`` as in FakeWeCom (user ID -> (mailbox, e-mail));
    ``signed_in`` is a member's user ID, or ``"wx:<openid>"`` for somebody
    outside the company."""

    def __init__(self, server):
        super().__init__(server)
        self.app_secrets.add(WECOM_LOGIN_SECRET)
        self.signed_in = ""
        self._grants: dict[str, str] = {}
        self.login_pages: list[str] = []  # which page each authorisation used

    def sso_settings(self) -> dict:
        return {
            "BATON_SSO_WECOM_CORP_ID": WECOM_CORP_ID,
            "BATON_SSO_WECOM_AGENT_ID": str(WECOM_AGENT_ID),
            "BATON_SSO_WECOM_SECRET": WECOM_LOGIN_SECRET,
            "BATON_SSO_WECOM_LOGIN_URL": self.base_url,
            "BATON_SSO_WECOM_OAUTH_URL": self.base_url,
            "BATON_SSO_WECOM_API_URL": self.base_url,
        }

    def install(self):
        super().install()
        server = self.server
        for page in ("/wwlogin/sso/login", "/connect/oauth2/authorize"):
            server.expect_request(page, method="GET").respond_with_handler(
                self._authorize
            )
        server.expect_request(
            "/cgi-bin/auth/getuserinfo", method="GET"
        ).respond_with_handler(self._getuserinfo)
        return self

    def _authorize(self, request: Request):
        args = request.args
        if args.get("appid") != WECOM_CORP_ID:
            return _page(400, "invalid appid")
        if args.get("agentid") != str(WECOM_AGENT_ID):
            return _page(400, "invalid agentid")
        self.login_pages.append(request.path)
        code = f"wwcode{next(_codes):06d}"
        self._grants[code] = self.signed_in
        return _redirect(args["redirect_uri"], code=code, state=args.get("state", ""))

    def _getuserinfo(self, request: Request):
        refused = self._refused_token(request)
        if refused is not None:
            return refused
        who = self._grants.pop(request.args.get("code", ""), None)
        if who is None:
            return self._error(40029, "invalid code")
        if who.startswith("wx:"):
            return self._answer(openid=who[3:], external_userid=f"wm{who[3:]}")
        return self._answer(userid=who)
