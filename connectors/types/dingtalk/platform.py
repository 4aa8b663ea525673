"""DingTalk: the server API (v1.0) through the official SDK alibabacloud_dingtalk;
the older API (``topapi``: user details and the address book), which no
official Python SDK covers, through ``requests``. What Baton reads from their
answers (instance details, users) is declared in the published shapes."""

from __future__ import annotations

import functools
import importlib
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _
from pydantic import AliasPath, ConfigDict, Field
from pydantic.alias_generators import to_camel
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import Timeout

from ...sdk.approvals import forms
from ...sdk.approvals.forms import FormField
from ...sdk.approvals.intake import PlatformUser
from ...sdk.approvals.platform import ANSWERED, LIMITED, PlatformApp, Rule
from ...sdk.base import ConnectorError, MisconfiguredError
from ...sdk.client import request_error
from ...sdk.common import clean_text, too_many_pages
from ...sdk.payloads import NestedList, Payload, Text, parse

__all__ = ["DAY_MS", "MAX_PAGES", "Detail", "DingTalkPlatform", "User", "_dingtalk"]

MAX_PAGES = 500
DAY_MS = 24 * 3600 * 1000
# DingTalk lists instance ids per window of at most 120 days.
WINDOW_DAYS = 120
REFUSED = _(
    "DingTalk refused the request (HTTP %(status)s, %(code)s: %(message)s). Check "
    "that the app may read approvals and the address book."
)
THROTTLED = Rule(LIMITED, statuses=(429,), prefixes=("Throttling",))
FAILED = Rule(
    _("%(host)s failed to answer (HTTP %(status)s, %(code)s)."), from_status=500
)
# The server API answers an HTTP status and a code ("Forbidden.AccessDenied…").
ERRORS = (
    Rule(REFUSED, statuses=(401,), prefixes=("InvalidAuthentication",), renew=True),
    Rule(REFUSED, statuses=(403,), prefixes=("Forbidden",), fix=True),
    THROTTLED,
    FAILED,
    Rule(_("DingTalk rejected the request (HTTP %(status)s, %(code)s: %(message)s).")),
)
TOKEN_ERRORS = (
    THROTTLED,
    FAILED,
    Rule(
        _(
            "DingTalk refused the app credentials (%(code)s: %(message)s). Check "
            "the app key and app secret."
        ),
        fix=True,
    ),
)
# The older API answers HTTP 200 and an errcode.
OAPI_ERRORS = (
    Rule(
        _("DingTalk refused the access token (errcode %(code)s: %(message)s)."),
        codes=(40001, 40014, 42001, 88),
        renew=True,
    ),
    Rule(
        _(
            "The DingTalk app may not read the address book (errcode %(code)s: "
            "%(message)s)."
        ),
        codes=(60011, 60020, 71006, 33012),
        fix=True,
    ),
    Rule(ANSWERED),
)
OAPI_USER_GONE = (60121, 60111, 50002)


@functools.cache
def _dingtalk() -> SimpleNamespace:
    from alibabacloud_tea_openapi import models as open_api_models
    from alibabacloud_tea_util import models as util_models
    from Tea.exceptions import TeaException

    def area(name: str) -> tuple:
        """(client class, models) of the API area ``name`` (``contact_1_0``…)."""
        package = f"alibabacloud_dingtalk.{name}"
        client = importlib.import_module(f"{package}.client").Client
        return client, importlib.import_module(f"{package}.models")

    return SimpleNamespace(
        open_api_models=open_api_models,
        util_models=util_models,
        TeaException=TeaException,
        **{name: area(f"{name}_1_0") for name in ("contact", "oauth2", "workflow")},
    )


class Component(FormField):
    model_config = ConfigDict(alias_generator=to_camel)
    KINDS = {
        "MoneyField": forms.AMOUNT,
        "TableField": forms.TABLE,
        "DDDateField": forms.DATE,
        "DDDateRangeField": forms.DATE_RANGE,
        "TextField": forms.TEXT,
        "TextareaField": forms.TEXT,
        "InnerContactField": forms.CONTACT,
        "DDPhotoField": forms.ATTACHMENT,
        "DDAttachment": forms.ATTACHMENT,
    }
    ROW_CELLS = "rowValue"

    component_type: Text = ""
    key: Text = ""
    ext: Any = Field(None, alias="extValue")

    @property
    def widget_type(self) -> str:
        # Table cells name their type in the key: "MoneyField-K2AD4O5B".
        return self.component_type or self.key.split("-", 1)[0]


class Detail(Payload):
    model_config = ConfigDict(alias_generator=to_camel)

    title: Text = ""
    business_id: Text = ""
    status: Text = ""
    result: Text = ""
    create_time: Text = ""
    finish_time: Text = ""
    originator_user_id: Text = ""
    form_component_values: NestedList[Component] = []
    # Not in the answer: the instance asked for, and the template listing it.
    instance_id: str = ""
    process_code: str = ""


class User(PlatformUser):
    userid: Text = ""
    # The address DingTalk gives first, the one the user gave second.
    email: Text = Field("", alias="org_email")
    fallback_email: Text = Field("", alias="email")
    employee_number: Text = Field("", alias="job_number")
    position: Text = Field("", alias="title")
    manager_id: Text = Field("", alias="manager_userid")
    active: Any = True


class _Page(Payload):
    entries: list = Field([], validation_alias=AliasPath("result", "list"))
    next_token: Any = Field(None, validation_alias=AliasPath("result", "nextToken"))


class _Oapi(Payload):
    errcode: Any = 0
    errmsg: Text = ""
    request_id: Text = ""
    result: Any = None


class DingTalkPlatform(PlatformApp):
    app_setting = "app_key"

    def _client(self, client_class):
        clients = self.__dict__.setdefault("_clients", {})
        if client_class not in clients:
            url = urlsplit(self.api_url)
            if url.scheme not in ("https", "http") or not url.netloc or any(url[2:]):
                raise MisconfiguredError(
                    _(
                        "The API URL must look like https://api.dingtalk.com: a "
                        "scheme and a host, nothing after it."
                    )
                )
            config = _dingtalk().open_api_models.Config(
                protocol=url.scheme,
                region_id="central",
                endpoint=url.netloc,
                **self._milliseconds(),
            )
            clients[client_class] = client_class(config)
        return clients[client_class]

    def _milliseconds(self) -> dict:
        milliseconds = max(int(self.timeout * 1000), 1)
        return {"read_timeout": milliseconds, "connect_timeout": milliseconds}

    def _send(self, client_class, method: str, *args, rules=ERRORS) -> dict:
        sdk = _dingtalk()
        runtime = sdk.util_models.RuntimeOptions(
            autoretry=False, **self._milliseconds()
        )
        call = getattr(self._client(client_class), f"{method}_with_options")
        try:
            response = call(*args, runtime)
        except sdk.TeaException as error:
            raise self._failure(error, rules) from None
        body = response.body.to_map() if response.body is not None else {}
        return body if isinstance(body, dict) else {}

    def fetch_token(self) -> str:
        client_class, models = _dingtalk().oauth2
        request = models.GetAccessTokenRequest(
            app_key=self.app_key(), app_secret=str(self.secrets["app_secret"])
        )
        body = self._send(
            client_class, "get_access_token", request, {}, rules=TOKEN_ERRORS
        )
        token = clean_text(body.get("accessToken"))
        if not token:
            raise ConnectorError(_("DingTalk answered without an access token."))
        self.http.add_secret(token)
        return token

    def _call(self, area: str, method: str, **params) -> dict:
        client_class, models = getattr(_dingtalk(), area)
        name = method.title().replace("_", "")
        request = getattr(models, f"{name}Request")(**params)

        def attempt(token):
            headers = getattr(models, f"{name}Headers")(
                x_acs_dingtalk_access_token=token
            )
            return self._send(client_class, method, request, headers)

        return self.with_token(attempt)

    def _failure(self, error, rules) -> ConnectorError:
        data = error.data if isinstance(error.data, dict) else {}
        status = data.get("statusCode")
        if not isinstance(status, int):
            inner = str(getattr(error, "inner_exception", "") or error.message or "")
            if "json" in inner.lower():
                return ConnectorError(
                    _("%(host)s failed to answer (not JSON, probably a gateway error).")
                    % {"host": self.host}
                )
            slow = "timed out" in inner.lower() or "timeout" in inner.lower()
            kind = Timeout if slow else RequestsConnectionError
            return request_error(kind(), url=self.api_url, timeout=self.timeout)
        code = clean_text(data.get("code")) or clean_text(error.code)
        return self.failure(
            rules,
            status=status,
            code="" if code == "None" else code,
            request_id=clean_text(data.get("requestid") or data.get("requestId"))
            or None,
            message=clean_text(data.get("message")),
        )

    def _listed(self, method: str, **params):
        next_token = 0
        for _page in range(MAX_PAGES):
            body = self._call("workflow", method, next_token=next_token, **params)
            page = parse(_Page, body, system=self.system)
            yield from page.entries
            if page.next_token in (None, "", 0, "0") or not page.entries:
                return
            next_token = int(page.next_token)
        raise too_many_pages(self.host, MAX_PAGES)

    def _instance_codes(
        self, process_code, start, end, statuses=("COMPLETED",), **filters
    ):
        """The ids of the template's instances started in the window (the
        completed ones unless ``statuses`` says otherwise)."""
        ids = {}
        while end > start:
            window = max(end - WINDOW_DAYS * DAY_MS, start)
            listed = self._listed(
                "list_process_instance_ids",
                process_code=process_code,
                start_time=window,
                end_time=end,
                max_results=20,
                statuses=list(statuses),
                **filters,
            )
            ids.update(dict.fromkeys(filter(None, map(clean_text, listed))))
            end = window
        return list(ids)

    def _detail(self, instance_id: str) -> Detail:
        body = self._call(
            "workflow", "get_process_instance", process_instance_id=instance_id
        )
        detail = parse(Detail, body.get("result"), system=self.system)
        detail.instance_id = instance_id
        return detail

    # The older API, through requests -------------------------------------------------

    def _oapi(self, path: str, payload: dict):
        """The answer's ``result`` (None for a user who is gone)."""

        def attempt(token):
            response = self.http.send(
                "POST",
                self.oapi_url + path,
                params={"access_token": token},
                json=payload,
            )
            self.http.check(
                response,
                refused=_("DingTalk refused the access token (HTTP %(status)s).")
                % {"status": response.status_code},
            )
            body = self.http.json_of(response, system=self.system)
            answer = _Oapi.model_validate(body if isinstance(body, dict) else {})
            if answer.errcode in OAPI_USER_GONE:
                return None
            if answer.errcode in (0, None):
                return answer.result
            raise self.failure(
                OAPI_ERRORS,
                code=answer.errcode,
                request_id=answer.request_id or None,
                message=answer.errmsg,
            )

        return self.with_token(attempt)

    def _user(self, user_id: str) -> User | None:
        result = self._oapi("/topapi/v2/user/get", {"userid": user_id})
        return User.model_validate(result) if isinstance(result, dict) else None
