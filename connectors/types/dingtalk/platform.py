"""DingTalk: the server API (v1.0) through the official SDK alibabacloud_dingtalk;
the older API (``topapi``, user details and address book), which no official
Python SDK covers, through ``requests``."""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _
from pydantic import Field
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import Timeout

from ...sdk.base import ConnectorError, MisconfiguredError
from ...sdk.client import host_of, request_error
from ...sdk.common import clean_text, too_many_pages
from ...sdk.payloads import Nested, Payload, Text, parse
from .payloads import Detail, Listing, User

__all__ = ["DAY_MS", "DingTalkPlatform", "_dingtalk"]

MAX_PAGES = 500
DAY_MS = 24 * 3600 * 1000
# DingTalk lists instance ids per window of at most 120 days.
WINDOW_DAYS = 120
ID_PAGE = 20
# errcode of the older API: an access token that is wrong or expired.
OAPI_TOKEN_CODES = frozenset({40001, 40014, 42001, 88})
OAPI_PERMISSION_CODES = frozenset({60011, 60020, 60121, 71006, 33012})
OAPI_USER_GONE = frozenset({60121, 60111, 50002})


@functools.cache
def _dingtalk() -> SimpleNamespace:
    from alibabacloud_dingtalk.contact_1_0 import models as contact_models
    from alibabacloud_dingtalk.contact_1_0.client import Client as ContactClient
    from alibabacloud_dingtalk.oauth2_1_0 import models as oauth_models
    from alibabacloud_dingtalk.oauth2_1_0.client import Client as OAuthClient
    from alibabacloud_dingtalk.workflow_1_0 import models as workflow_models
    from alibabacloud_dingtalk.workflow_1_0.client import Client as WorkflowClient
    from alibabacloud_tea_openapi import models as open_api_models
    from alibabacloud_tea_util import models as util_models
    from Tea.exceptions import TeaException

    return SimpleNamespace(
        contact_models=contact_models,
        ContactClient=ContactClient,
        oauth_models=oauth_models,
        OAuthClient=OAuthClient,
        workflow_models=workflow_models,
        WorkflowClient=WorkflowClient,
        open_api_models=open_api_models,
        util_models=util_models,
        TeaException=TeaException,
    )


class _Token(Payload):
    access_token: Text = Field("", alias="accessToken")


class _DetailAnswer(Payload):
    result: Nested[Detail] = Detail()


class _Oapi(Payload):
    errcode: Any = 0
    errmsg: Text = ""
    request_id: Text = ""
    result: Any = None


class DingTalkPlatform:
    _token = None

    def _app_key(self) -> str:
        return str(self.option("app_key") or "").strip()

    def _endpoint(self) -> tuple[str, str]:
        url = urlsplit(self.api_url)
        if url.scheme in ("https", "http") and url.netloc and not any(url[2:]):
            return url.scheme, url.netloc
        raise MisconfiguredError(
            _(
                "The API URL must look like https://api.dingtalk.com: a scheme and "
                "a host, nothing after it."
            )
        )

    def _client(self, client_class):
        clients = self.__dict__.setdefault("_clients", {})
        if client_class not in clients:
            protocol, endpoint = self._endpoint()
            config = _dingtalk().open_api_models.Config(
                protocol=protocol, region_id="central", endpoint=endpoint, **self._ms()
            )
            clients[client_class] = client_class(config)
        return clients[client_class]

    def _ms(self) -> dict:
        milliseconds = max(int(self.timeout * 1000), 1)
        return {"read_timeout": milliseconds, "connect_timeout": milliseconds}

    def _runtime(self):
        return _dingtalk().util_models.RuntimeOptions(autoretry=False, **self._ms())

    def _access_token(self) -> str:
        if self._token:
            return self._token
        self.require_settings()
        sdk = _dingtalk()
        request = sdk.oauth_models.GetAccessTokenRequest(
            app_key=self._app_key(), app_secret=str(self.secrets["app_secret"])
        )
        try:
            response = self._client(sdk.OAuthClient).get_access_token_with_options(
                request, {}, self._runtime()
            )
        except sdk.TeaException as error:
            status, code, detail, request_id = self._error_parts(error)
            if status is None or not 400 <= status < 500 or status == 429:
                raise self._failure(error) from None
            raise MisconfiguredError(
                _(
                    "DingTalk refused the app credentials (%(code)s: %(message)s). "
                    "Check the app key and app secret."
                )
                % {"code": code or f"HTTP {status}", "message": detail or "-"},
                request_id=request_id,
            ) from None
        body = response.body.to_map() if response.body else {}
        token = _Token.model_validate(body if isinstance(body, dict) else {})
        if not token.access_token:
            headers = {str(k).lower(): v for k, v in (response.headers or {}).items()}
            raise ConnectorError(
                _("DingTalk answered without an access token."),
                request_id=str(headers.get("x-acs-request-id") or "")[:200] or None,
            )
        self._token = token.access_token
        self.http.add_secret(self._token)
        return self._token

    def _call(self, area: str, method: str, **params) -> dict:
        sdk = _dingtalk()
        models = getattr(sdk, f"{area}_models")
        name = method.title().replace("_", "")
        request = getattr(models, f"{name}Request")(**params)
        call = getattr(
            self._client(getattr(sdk, f"{area.title()}Client")),
            f"{method}_with_options",
        )
        for attempt in (1, 2):
            headers = getattr(models, f"{name}Headers")(
                x_acs_dingtalk_access_token=self._access_token()
            )
            try:
                response = call(request, headers, self._runtime())
            except sdk.TeaException as error:
                status, code, _detail, _request_id = self._error_parts(error)
                if attempt == 1 and (status == 401 or "InvalidAuthentication" in code):
                    self._token = None  # revoked early: fetch a new one, once
                    continue
                raise self._failure(error) from None
            body = response.body.to_map() if response.body is not None else {}
            return body if isinstance(body, dict) else {}
        raise AssertionError("unreachable")  # pragma: no cover

    def _listed(self, method: str, **params):
        next_token = 0
        for _page in range(MAX_PAGES):
            body = self._call("workflow", method, next_token=next_token, **params)
            page = parse(Listing, body, system=self.system).result
            yield from page.entries
            if page.next_token in (None, "", 0, "0") or not page.entries:
                return
            next_token = int(page.next_token)
        raise too_many_pages(self.host, MAX_PAGES)

    def _instance_ids(self, process_code: str, start_ms: int, end_ms: int, **filters):
        ids, end = {}, end_ms
        while end > start_ms:
            start = max(end - WINDOW_DAYS * DAY_MS, start_ms)
            listed = self._listed(
                "list_process_instance_ids",
                process_code=process_code,
                start_time=start,
                end_time=end,
                max_results=ID_PAGE,
                **filters,
            )
            ids.update(dict.fromkeys(filter(None, map(clean_text, listed))))
            end = start
        return list(ids)

    def _detail(self, instance_id: str) -> Detail:
        body = self._call(
            "workflow", "get_process_instance", process_instance_id=instance_id
        )
        return parse(_DetailAnswer, body, system=self.system).result

    def _user(self, user_id: str) -> User | None:
        answer = self._oapi("/topapi/v2/user/get", {"userid": user_id})
        if answer.errcode in OAPI_USER_GONE or not isinstance(answer.result, dict):
            return None
        return User.model_validate(answer.result)

    def _error_parts(self, error):
        data = error.data if isinstance(error.data, dict) else {}
        status = data.get("statusCode")
        code = clean_text(data.get("code")) or clean_text(error.code)
        message = self.http.scrub(clean_text(data.get("message")))
        request_id = clean_text(data.get("requestid") or data.get("requestId")) or None
        status = status if isinstance(status, int) else None
        return status, "" if code == "None" else code, message, request_id

    def _failure(self, error) -> ConnectorError:
        status, code, detail, request_id = self._error_parts(error)
        if status is None:
            inner = str(getattr(error, "inner_exception", "") or error.message or "")
            if "json" in inner.lower():
                return ConnectorError(
                    _("%(host)s failed to answer (not JSON, probably a gateway error).")
                    % {"host": self.host}
                )
            slow = "timed out" in inner.lower() or "timeout" in inner.lower()
            kind = Timeout if slow else RequestsConnectionError
            return request_error(kind(), url=self.api_url, timeout=self.timeout)
        values = {
            "host": self.host,
            "status": status,
            "code": code or "-",
            "message": detail or "-",
        }
        if status in (401, 403) or code.startswith("Forbidden"):
            message = _(
                "DingTalk refused the request (HTTP %(status)s, %(code)s: "
                "%(message)s). Check that the app may read approvals and the "
                "address book."
            )
            return MisconfiguredError(message % values, request_id=request_id)
        if status == 429 or "Throttling" in code:
            message = _("DingTalk is limiting how often Baton may call it (%(code)s).")
        elif status >= 500:
            message = _("%(host)s failed to answer (HTTP %(status)s, %(code)s).")
        else:
            message = _(
                "DingTalk rejected the request (HTTP %(status)s, %(code)s: "
                "%(message)s)."
            )
        return ConnectorError(message % values, request_id=request_id)

    # The older API, through requests -------------------------------------------------

    def _oapi(self, path: str, payload: dict) -> _Oapi:
        url = f"{self.oapi_url}{path}"
        for attempt in (1, 2):
            response = self.http.send(
                "POST", url, params={"access_token": self._access_token()}, json=payload
            )
            self.http.check(
                response,
                refused=_("DingTalk refused the access token (HTTP %(status)s).")
                % {"status": response.status_code},
            )
            body = self.http.json_of(response, system=host_of(url) or "DingTalk")
            answer = _Oapi.model_validate(body if isinstance(body, dict) else {})
            if answer.errcode in (0, None) or answer.errcode in OAPI_USER_GONE:
                return answer
            values = {
                "code": answer.errcode,
                "message": self.http.scrub(answer.errmsg) or "-",
            }
            request_id = answer.request_id or None
            if answer.errcode in OAPI_TOKEN_CODES and attempt == 1:
                self._token = None
                continue
            error = MisconfiguredError
            if answer.errcode in OAPI_TOKEN_CODES:
                message = _(
                    "DingTalk refused the access token (errcode %(code)s: %(message)s)."
                )
            elif answer.errcode in OAPI_PERMISSION_CODES:
                message = _(
                    "The DingTalk app may not read the address book (errcode "
                    "%(code)s: %(message)s)."
                )
            else:
                error = ConnectorError
                message = _("DingTalk answered with errcode %(code)s: %(message)s")
            raise error(message % values, request_id=request_id)
        raise AssertionError("unreachable")  # pragma: no cover
