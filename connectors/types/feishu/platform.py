"""The Feishu open platform through its official SDK lark-oapi, as a custom app
with a tenant access token; platform error codes become connector errors."""

from __future__ import annotations

import functools
import json
from types import SimpleNamespace
from typing import Annotated, Any

import requests
from django.utils.translation import gettext_lazy as _
from pydantic import Field

from ...sdk.approvals import forms
from ...sdk.approvals.forms import FormField, JsonText
from ...sdk.approvals.intake import PlatformUser
from ...sdk.approvals.platform import ANSWERED, LIMITED, PlatformApp, Rule, at
from ...sdk.base import ConnectorError, MisconfiguredError
from ...sdk.client import request_error
from ...sdk.common import clean_text, too_many_pages
from ...sdk.payloads import Nested, NestedList, Payload, Text, parse

__all__ = ["Department", "Detail", "FeishuPlatform", "Item", "User", "_lark", "built"]

MAX_PAGES = 50
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
# Error codes of the open platform (returned with HTTP 200 or 4xx and a JSON body).
TOKEN_CODES = (99991661, 99991663, 99991664, 99991665, 99991671, 99991677)
PERMISSION_CODES = (99991401, 99991672, 99991676, 99991679, 41050)
LIMITED_CODES = Rule(LIMITED, codes=(99991400,))
FAILED = Rule(_("%(host)s failed to answer (HTTP %(status)s)."), from_status=500)
ERRORS = (
    Rule(
        _(
            "%(system)s refused Baton's access token (code %(code)s: %(message)s). "
            "Check the App ID and App secret."
        ),
        codes=TOKEN_CODES,
        renew=True,
    ),
    Rule(
        _(
            "The %(system)s app lacks a permission (code %(code)s: %(message)s). "
            "Grant it read access to Approval and Contacts and publish a new "
            "version."
        ),
        codes=PERMISSION_CODES,
        fix=True,
    ),
    LIMITED_CODES,
    Rule(ANSWERED, any_code=True),
    Rule(
        _("%(system)s refused the request (HTTP %(status)s)."),
        statuses=(401, 403),
        fix=True,
    ),
    FAILED,
    Rule(_("%(system)s answered with something that is not JSON.")),
)
# Trading the app's credentials for a tenant access token.
TOKEN_ERRORS = (
    LIMITED_CODES,
    FAILED,
    Rule(_("%(system)s answered without a tenant access token."), codes=(None, 0)),
    Rule(
        _(
            "%(system)s refused the app credentials (code %(code)s: %(message)s). "
            "Check the App ID and App secret."
        ),
        fix=True,
    ),
)


@functools.cache
def _lark() -> SimpleNamespace:
    import lark_oapi
    from lark_oapi.api.approval import v4 as approval
    from lark_oapi.api.auth import v3 as auth
    from lark_oapi.api.contact import v3 as contact

    return SimpleNamespace(
        lark=lark_oapi, approval=approval, auth=auth, contact=contact
    )


def built(sdk_class, **calls):
    builder = sdk_class.builder()
    for method, value in calls.items():
        if value is not None:
            builder = getattr(builder, method)(value)
    return builder.build()


class Widget(FormField):
    KINDS = {
        "amount": forms.AMOUNT,
        "fieldlist": forms.TABLE,
        "formula": forms.FORMULA,
        "date": forms.DATE,
        "dateinterval": forms.DATE_RANGE,
        "input": forms.TEXT,
        "textarea": forms.TEXT,
        "contact": forms.CONTACT,
        "attachmentv2": forms.ATTACHMENT,
        "image": forms.ATTACHMENT,
        "imagev2": forms.ATTACHMENT,
    }

    type: Text = ""
    # A contact widget's users as open ids (``value`` holds user ids).
    open_ids: Any = None

    @property
    def widget_type(self) -> str:
        return self.type.casefold()


class Detail(Payload):
    approval_code: Text = ""
    approval_name: Text = ""
    status: Text = ""
    serial_number: Text = ""
    user_id: Text = ""
    open_id: Text = ""
    start_time: Text = ""
    end_time: Text = ""
    form: Annotated[NestedList[Widget], JsonText] = []


class _Answer(Payload):
    code: Any = None
    msg: Text = ""
    data: Nested[dict] = {}
    tenant_access_token: Text = ""
    log_id: Text = at("error", "log_id")


class Item(Payload):
    """An entry of the instance or the task list."""

    approval_code: Text = at("approval", "code")
    approval_name: Text = at("approval", "name")
    code: Text = at("instance", "code")
    title: Text = at("instance", "title")
    serial_id: Text = at("instance", "serial_id")
    start_time: Text = at("instance", "start_time")
    user_id: Text = at("instance", "user_id")
    link: Text = at("instance", "link", "pc_link")


class User(PlatformUser):
    open_id: Text = ""
    user_id: Text = ""
    union_id: Text = ""
    fallback_email: Text = Field("", alias="enterprise_email")
    employee_number: Text = Field("", alias="employee_no")
    position: Text = Field("", alias="job_title")
    manager_id: Text = Field("", alias="leader_user_id")
    status: Nested[dict] = {}

    @property
    def gone(self) -> bool:
        flags = ("is_resigned", "is_exited", "is_frozen")
        return any(self.status.get(flag) is True for flag in flags)


class Department(Payload):
    open_department_id: Text = ""
    department_id: Text = ""
    name: Text = ""


class FeishuPlatform(PlatformApp):
    _client = None

    def _id_type(self) -> str:
        return self.option("user_id_type") or "open_id"

    def _sdk(self):
        if self._client is not None:
            return self._client
        lark = _lark().lark
        builder = (
            lark.Client.builder()
            .app_id(self.app_key())
            .app_secret(str(self.secrets["app_secret"]))
            .enable_set_token(True)
            .timeout(self.timeout)
            .log_level(lark.LogLevel.ERROR)
        )
        try:
            self._client = builder.domain(self.base_url).build()
        except ValueError:
            raise MisconfiguredError(
                _(
                    "The open platform URL must look like https://open.feishu.cn: "
                    "https, a host and nothing after it."
                )
            ) from None
        return self._client

    def fetch_token(self) -> str:
        sdk = _lark()
        body = built(
            sdk.auth.InternalTenantAccessTokenRequestBody,
            app_id=self.app_key(),
            app_secret=str(self.secrets["app_secret"]),
        )
        request = built(sdk.auth.InternalTenantAccessTokenRequest, request_body=body)
        option = sdk.lark.RequestOption.builder().headers(dict(JSON_HEADERS)).build()
        raw, answer = self._send(request, option)
        if answer.code == 0 and answer.tenant_access_token:
            return answer.tenant_access_token
        raise self._failure(raw, answer, TOKEN_ERRORS)

    def _call(self, request) -> dict:
        def attempt(token):
            option = _lark().lark.RequestOption.builder().tenant_access_token(token)
            raw, answer = self._send(
                request, option.headers(dict(JSON_HEADERS)).build()
            )
            if answer.code == 0:
                return answer.data
            raise self._failure(raw, answer, ERRORS)

        return self.with_token(attempt)

    def _detail(self, code: str) -> Detail:
        request = built(
            _lark().approval.GetInstanceRequest,
            instance_id=code,
            user_id_type=self._id_type(),
        )
        return parse(Detail, self._call(request), system=self.system)

    def _pages(self, request_class, key: str, *, limit: int = MAX_PAGES, **calls):
        token = None
        for _page in range(limit):
            data = self._call(built(request_class, page_token=token, **calls))
            yield from data.get(key) or []
            token = clean_text(data.get("page_token"))
            if not data.get("has_more") or not token:
                return
        raise too_many_pages(self.host, limit)

    def _send(self, request, option) -> tuple[Any, _Answer]:
        try:
            raw = self._sdk().request(request, option).raw
        except requests.exceptions.SSLError:
            raise MisconfiguredError(
                _("The TLS certificate of %(host)s could not be verified.")
                % {"host": self.host}
            ) from None
        except requests.exceptions.RequestException as error:
            raise request_error(
                error, url=self.base_url, timeout=self.timeout
            ) from None
        except ValueError:
            raise ConnectorError(
                _("%(system)s answered with something that is not JSON.")
                % {"system": self.system}
            ) from None
        try:
            body = json.loads(raw.content or b"{}")
        except ValueError:
            body = {}
        return raw, _Answer.model_validate(body if isinstance(body, dict) else {})

    def _failure(self, raw, answer: _Answer, rules) -> ConnectorError:
        headers = {
            str(key).lower(): value for key, value in (raw.headers or {}).items()
        }
        log_id = headers.get("x-tt-logid") or headers.get("x-request-id")
        return self.failure(
            rules,
            status=raw.status_code,
            code=answer.code,
            request_id=str(log_id or answer.log_id)[:200] or None,
            message=answer.msg,
        )
