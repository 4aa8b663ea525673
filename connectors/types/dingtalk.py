"""DingTalk approvals (OA 审批): the approvals an employee raised or must act on
that are still running, and the reimbursements they raised that are not paid.

The new server API (api.dingtalk.com, v1.0) is called with the official SDK
``alibabacloud_dingtalk``, whose ``Config`` takes a custom endpoint: the access
token (app key + app secret), user search, the employee's pending tasks, the
instances they started per approval template, and instance details. Confirming
who a found user is needs the user details of the older server API
(oapi.dingtalk.com ``topapi/v2/user/get``), which no official Python SDK
covers: that one call goes through ``requests`` (``_http.HttpClient``).

DingTalk has no lookup by e-mail: the employee is searched by name and the
match confirmed by e-mail (or by job number when employees are matched by
employee number). With the directory id or user name as match setting, that
value is taken as the DingTalk user id itself.

DingTalk lists started instances only per approval template and time window,
so the templates to look at are settings. Finished instances (agreed, refused,
withdrawn; a reimbursement once its payment node completes) are not returned,
and the sync engine marks their items "resolved upstream".
"""

from __future__ import annotations

import functools
import json
import time
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from Tea.exceptions import TeaException

from ..registry import register
from ._approvals import (
    APPROVAL_MAPPING,
    EXPENSE_MAPPING,
    amount_of,
    approval_title,
    currency_in,
    date_of,
    expense_settings,
    is_expense,
    json_list,
    problem,
    unsupported_currency,
)
from ._approvals import CURRENCIES as KNOWN_CURRENCIES
from ._common import (
    TIMEOUT,
    clean_text,
    match_label,
    object_dict,
    webhook_secret_setting,
)
from ._http import HttpTypeMixin, host_of
from ._intake import intake_settings
from .base import (
    DISCOVER,
    UNKNOWN_RECORD_KIND,
    WEBHOOK,
    ConnectorError,
    ConnectorType,
    EmployeeRef,
    MisconfiguredError,
    Record,
    Setting,
)
from .dingtalk_intake import DingTalkIntakeMixin

__all__ = ["DingTalkConnector"]

DEFAULT_API_URL = "https://api.dingtalk.com"
DEFAULT_OAPI_URL = "https://oapi.dingtalk.com"
RUNNING = ("NEW", "RUNNING")
# DingTalk lists started instances per window; 120 days is the longest it takes.
WINDOW_DAYS = 120
INSTANCE_PAGE = 20
TODO_PAGE = 50
MAX_PAGES = 100
SEARCH_SIZE = 20
DAY_MS = 24 * 3600 * 1000
# errcode of the older API: an access token that is wrong or expired.
OAPI_TOKEN_CODES = frozenset({40001, 40014, 42001, 88})
OAPI_PERMISSION_CODES = frozenset({60011, 60020, 60121, 71006, 33012})
OAPI_USER_GONE = frozenset({60121, 60111, 50002})
REASON_WORDS = ("事由", "说明", "用途", "原因", "reason", "description", "purpose")


@functools.cache
def _dingtalk() -> SimpleNamespace:
    """DingTalk's SDK, imported when a DingTalk connector first talks to
    DingTalk (some 50 MB of modules a process that never does is spared)."""
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


@register
class DingTalkConnector(DingTalkIntakeMixin, HttpTypeMixin, ConnectorType):
    slug = "dingtalk"
    label = _("DingTalk approvals")
    description = _(
        "Running approvals the employee raised or must act on, and reimbursements "
        "they raised that are not paid yet, from DingTalk OA approval."
    )
    capabilities = frozenset({DISCOVER, WEBHOOK})
    default_mappings = {"approval": APPROVAL_MAPPING, "expense": EXPENSE_MAPPING}
    settings = (
        Setting(
            "app_key",
            _("App key"),
            _("Of an internal app allowed to read approvals and the address book."),
        ),
        Setting(
            "process_codes",
            _("Approval template codes"),
            _(
                "Process codes (PROC-…) of the templates whose running instances the "
                "employee started are listed. Approvals awaiting the employee are "
                "listed whatever their template."
            ),
            required=False,
            default=[],
            type="array",
        ),
        *expense_settings(
            codes_label=_("Reimbursement template codes"),
            codes_help=_(
                "Process codes of the reimbursement templates. Empty: instances of "
                "the templates above whose title contains 报销, 费用, reimburse or "
                "expense."
            ),
        ),
        Setting(
            "lookback_days",
            _("Look back (days)"),
            _("How far back to look for instances the employee started."),
            required=False,
            default=365,
            type="integer",
        ),
        Setting(
            "api_base_url",
            _("API URL"),
            _("The server API, https://api.dingtalk.com unless a proxy is used."),
            required=False,
            default=DEFAULT_API_URL,
        ),
        Setting(
            "oapi_base_url",
            _("Older API URL"),
            _("For user details, https://oapi.dingtalk.com unless a proxy is used."),
            required=False,
            default=DEFAULT_OAPI_URL,
        ),
        *intake_settings(
            system=_("DingTalk"),
            employee_help=_(
                "The name (or id) of the form field naming who resigns (a contact "
                "field, or a text field with an e-mail address or job number). "
                "Empty: the applicant."
            ),
        ),
        Setting(
            "callback_owner_key",
            _("Events addressed to"),
            _(
                "Whom DingTalk encrypts events for: empty for the app key (event "
                "subscriptions of an internal app), or the corp id for a callback "
                "registered through the older API."
            ),
            required=False,
            default="",
        ),
        TIMEOUT,
        Setting("app_secret", _("App secret"), secret=True),
        webhook_secret_setting(
            _("Signs change notifications relayed from DingTalk event subscriptions.")
        ),
        Setting(
            "callback_token",
            _("Event subscription token"),
            _(
                "The token of the app's HTTP event subscription: DingTalk signs "
                "every event with it. Needed for resignation approval events."
            ),
            required=False,
            secret=True,
        ),
        Setting(
            "callback_aes_key",
            _("Event subscription aes_key"),
            _("The 43-character aes_key of the same subscription."),
            required=False,
            secret=True,
        ),
    )

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self.api_url = self.url_option("api_base_url")
        self.oapi_url = self.url_option("oapi_base_url")
        self.host = host_of(self.api_url) or self.api_url
        # Named in item data, in the language of the run.
        self.system = gettext("DingTalk")
        self.http = self.make_http(
            headers={"Accept": "application/json"},
            secrets=(self.secrets.get("app_secret"),),
        )
        self._clients = {}
        self._token = None

    # The contract -------------------------------------------------------------------

    def test_connection(self) -> str:
        self._access_token()
        return gettext("Connected to DingTalk at %(host)s as app %(app)s.") % {
            "host": self.host,
            "app": self._app_key(),
        }

    def discover(self, *, employee: EmployeeRef, record_kind: str):
        if record_kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        user_id = self._user_id(employee)
        if record_kind == "approval":
            return self._approvals(user_id)
        return self._expenses(user_id)

    # Who the employee is in DingTalk -------------------------------------------------

    def _user_id(self, employee: EmployeeRef) -> str:
        match_by = self.config.get("match_by") or "email"
        value = employee.value(match_by).strip()
        if not value:
            raise ConnectorError(
                _("The employee has no %(value)s to look up in DingTalk.")
                % {"value": match_label(match_by)},
                retryable=False,
            )
        if match_by not in ("email", "employee_number"):
            return value
        name = (employee.name or "").strip()
        if not name:
            raise ConnectorError(
                _(
                    "DingTalk finds people by name: the employee has no name to "
                    "search for."
                ),
                retryable=False,
            )
        candidates = self._search(name)
        for candidate in candidates:
            user = self._user(candidate)
            if user is None:
                continue
            if match_by == "email":
                known = {
                    clean_text(user.get(key)).casefold()
                    for key in ("email", "org_email")
                }
                if value.casefold() in known:
                    return candidate
            elif clean_text(user.get("job_number")) == value:
                return candidate
        if match_by == "email":
            message = _("No DingTalk user named %(name)s has the e-mail %(value)s.")
        else:
            message = _("No DingTalk user named %(name)s has the job number %(value)s.")
        raise ConnectorError(message % {"name": name, "value": value}, retryable=False)

    def _search(self, name: str) -> list[str]:
        client = self._client(_dingtalk().ContactClient)
        found = []
        offset = 0
        for _page in range(MAX_PAGES):
            request = _dingtalk().contact_models.SearchUserRequest(
                query_word=name, offset=offset, size=SEARCH_SIZE, full_match_field=1
            )
            body = self._sdk_call(
                lambda token, request=request: client.search_user_with_options(
                    request,
                    _dingtalk().contact_models.SearchUserHeaders(
                        x_acs_dingtalk_access_token=token
                    ),
                    self._runtime(),
                )
            )
            batch = [str(entry) for entry in body.get("list") or [] if entry]
            found.extend(batch)
            if not body.get("hasMore") or not batch:
                break
            offset += len(batch)
        return found

    def _user(self, user_id: str) -> dict | None:
        """User details from the older API; None when the user is gone."""
        body = self._oapi("/topapi/v2/user/get", {"userid": user_id})
        if body.get("errcode") in OAPI_USER_GONE:
            return None
        result = body.get("result")
        return result if isinstance(result, dict) else None

    # Approvals and reimbursements ---------------------------------------------------

    def _approvals(self, user_id: str) -> list[Record]:
        records = {}
        include_expenses = self.option("expenses_in_approvals") is True
        for code in self._codes("process_codes"):
            for instance_id in self._started(user_id, code):
                detail = self._detail(instance_id)
                if detail is None:
                    continue
                if not include_expenses and self._is_expense(code, detail):
                    continue
                records[instance_id] = self._approval(
                    instance_id, detail, "raised_by_me"
                )
        for instance_id in self._todo(user_id):
            detail = self._detail(instance_id)
            if detail is not None:
                records[instance_id] = self._approval(
                    instance_id, detail, "awaiting_my_action"
                )
        return list(records.values())

    def _expenses(self, user_id: str) -> list[Record]:
        configured = self._codes("expense_codes")
        codes = configured or self._codes("process_codes")
        records = []
        for code in codes:
            for instance_id in self._started(user_id, code):
                detail = self._detail(instance_id)
                if detail is not None and self._is_expense(code, detail):
                    records.append(self._expense(instance_id, detail))
        return records

    def _codes(self, setting) -> list[str]:
        value = self.option(setting) or []
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list):
            raise MisconfiguredError(
                _("The setting “%(setting)s” must be a list.") % {"setting": setting}
            )
        codes = []
        for entry in value:
            code = str(entry).strip()
            if code and code not in codes:
                codes.append(code)
        return codes

    def _is_expense(self, code: str, detail: dict) -> bool:
        return is_expense(
            code=code,
            name=clean_text(detail.get("title")),
            codes=self.option("expense_codes"),
        )

    def _started(self, user_id: str, process_code: str):
        """Ids of running instances of one template the employee started."""
        client = self._client(_dingtalk().WorkflowClient)
        now = int(time.time() * 1000)
        days = self._lookback_days()
        seen = set()
        end = now
        while end > now - days * DAY_MS:
            start = max(end - WINDOW_DAYS * DAY_MS, now - days * DAY_MS)
            next_token = 0
            for _page in range(MAX_PAGES):
                request = _dingtalk().workflow_models.ListProcessInstanceIdsRequest(
                    process_code=process_code,
                    start_time=start,
                    end_time=end,
                    next_token=next_token,
                    max_results=INSTANCE_PAGE,
                    user_ids=[user_id],
                    statuses=["RUNNING"],
                )
                body = self._sdk_call(
                    lambda token, request=request: (
                        client.list_process_instance_ids_with_options(
                            request,
                            _dingtalk().workflow_models.ListProcessInstanceIdsHeaders(
                                x_acs_dingtalk_access_token=token
                            ),
                            self._runtime(),
                        )
                    )
                )
                result = object_dict(body.get("result"))
                for instance_id in result.get("list") or []:
                    if instance_id and instance_id not in seen:
                        seen.add(instance_id)
                        yield str(instance_id)
                following = result.get("nextToken")
                if following in (None, "", 0, "0") or not result.get("list"):
                    break
                next_token = int(following)
            end = start

    def _todo(self, user_id: str):
        """Ids of instances with a task waiting for the employee."""
        client = self._client(_dingtalk().WorkflowClient)
        next_token = 0
        seen = set()
        for _page in range(MAX_PAGES):
            request = _dingtalk().workflow_models.ListTodoWorkRecordsRequest(
                user_id=user_id, max_results=TODO_PAGE, next_token=next_token, status=0
            )
            body = self._sdk_call(
                lambda token, request=request: (
                    client.list_todo_work_records_with_options(
                        request,
                        _dingtalk().workflow_models.ListTodoWorkRecordsHeaders(
                            x_acs_dingtalk_access_token=token
                        ),
                        self._runtime(),
                    )
                )
            )
            result = object_dict(body.get("result"))
            entries = result.get("list") or []
            for entry in entries:
                instance_id = clean_text(object_dict(entry).get("instanceId"))
                if instance_id and instance_id not in seen:
                    seen.add(instance_id)
                    yield instance_id
            following = result.get("nextToken")
            if following in (None, "", 0, "0") or not entries:
                return
            next_token = int(following)

    def _detail(self, instance_id: str) -> dict | None:
        """A running instance's details; None once it is finished."""
        client = self._client(_dingtalk().WorkflowClient)
        request = _dingtalk().workflow_models.GetProcessInstanceRequest(
            process_instance_id=instance_id
        )
        body = self._sdk_call(
            lambda token: client.get_process_instance_with_options(
                request,
                _dingtalk().workflow_models.GetProcessInstanceHeaders(
                    x_acs_dingtalk_access_token=token
                ),
                self._runtime(),
            )
        )
        detail = object_dict(body.get("result"))
        if clean_text(detail.get("status")).upper() not in RUNNING:
            return None
        return detail

    def _approval(self, instance_id: str, detail: dict, direction: str) -> Record:
        components = _components(detail)
        amount, currency = _form_amount(components)
        title = clean_text(detail.get("title")) or instance_id
        business_id = clean_text(detail.get("businessId"))
        return Record(
            external_id=instance_id,
            kind="approval",
            title=approval_title(title, business_id),
            fields={
                "system": self.system,
                "reference": instance_id,
                "business_id": business_id,
                "title": title,
                "direction": direction,
                "amount": amount,
                "currency": currency or self._default_currency(),
                "status": "pending",
                "upstream_status": clean_text(detail.get("status")).upper(),
                "started_on": date_of(clean_text(detail.get("createTime"))),
                "initiator": clean_text(detail.get("originatorUserId")),
            },
        )

    def _expense(self, instance_id: str, detail: dict) -> Record:
        components = _components(detail)
        amount, currency = _form_amount(components)
        currency = currency or self._default_currency()
        if currency not in KNOWN_CURRENCIES:
            return problem(
                instance_id, "expense", unsupported_currency(instance_id, currency)
            )
        title = clean_text(detail.get("title")) or instance_id
        business_id = clean_text(detail.get("businessId"))
        reason = _form_reason(components)
        started_on = date_of(clean_text(detail.get("createTime")))
        return Record(
            external_id=instance_id,
            kind="expense",
            title=approval_title(reason or title, business_id),
            fields={
                "system": self.system,
                "reference": instance_id,
                "business_id": business_id,
                "description": f"{title}: {reason}" if reason else title,
                "amount": amount,
                "currency": currency,
                "incurred_on": _form_date(components) or started_on,
                "submitted_on": started_on,
                "status": "submitted",
                "upstream_status": clean_text(detail.get("status")).upper(),
            },
        )

    # Settings ----------------------------------------------------------------------

    def _app_key(self) -> str:
        return str(self.option("app_key") or "").strip()

    def _default_currency(self) -> str:
        return str(self.option("default_currency") or "CNY").upper()

    def _lookback_days(self) -> int:
        try:
            days = int(self.option("lookback_days"))
        except (TypeError, ValueError):
            days = 0
        if days < 1:
            raise MisconfiguredError(
                _("Look back at least one day for started instances.")
            )
        return days

    # The new API, through the SDK ----------------------------------------------------

    def _endpoint(self) -> tuple[str, str]:
        url = self.api_url
        for scheme in ("https", "http"):
            prefix = f"{scheme}://"
            if url.lower().startswith(prefix):
                host = url[len(prefix) :]
                if host and "/" not in host:
                    return scheme, host
        raise MisconfiguredError(
            _(
                "The API URL must look like https://api.dingtalk.com: a scheme and "
                "a host, nothing after it."
            )
        )

    def _client(self, client_class):
        if client_class not in self._clients:
            protocol, endpoint = self._endpoint()
            milliseconds = max(int(self.timeout * 1000), 1)
            config = _dingtalk().open_api_models.Config(
                protocol=protocol,
                region_id="central",
                endpoint=endpoint,
                read_timeout=milliseconds,
                connect_timeout=milliseconds,
            )
            self._clients[client_class] = client_class(config)
        return self._clients[client_class]

    def _runtime(self):
        milliseconds = max(int(self.timeout * 1000), 1)
        return _dingtalk().util_models.RuntimeOptions(
            read_timeout=milliseconds, connect_timeout=milliseconds, autoretry=False
        )

    def _access_token(self) -> str:
        if self._token:
            return self._token
        if not self._app_key():
            raise MisconfiguredError(_("Enter the app key of the DingTalk app."))
        secret = self.secrets.get("app_secret")
        if not secret:
            raise MisconfiguredError(_("Enter the app secret of the DingTalk app."))
        client = self._client(_dingtalk().OAuthClient)
        request = _dingtalk().oauth_models.GetAccessTokenRequest(
            app_key=self._app_key(), app_secret=str(secret)
        )
        try:
            response = client.get_access_token_with_options(
                request, {}, self._runtime()
            )
        except _dingtalk().TeaException as error:
            status, code, message, request_id = self._error_parts(error)
            if status is not None and 400 <= status < 500 and status != 429:
                raise MisconfiguredError(
                    _(
                        "DingTalk refused the app credentials (%(code)s: %(message)s). "
                        "Check the app key and app secret."
                    )
                    % {"code": code or f"HTTP {status}", "message": message or "-"},
                    request_id=request_id,
                ) from None
            raise self._failure(error) from None
        token = clean_text(
            object_dict(response.body.to_map() if response.body else {}).get(
                "accessToken"
            )
        )
        if not token:
            raise ConnectorError(
                _("DingTalk answered without an access token."),
                request_id=_header(response.headers, "x-acs-request-id"),
            )
        self._token = token
        self.http.add_secret(token)
        return token

    def _sdk_call(self, call) -> dict:
        for attempt in (1, 2):
            try:
                response = call(self._access_token())
            except _dingtalk().TeaException as error:
                status, code, _message, _request_id = self._error_parts(error)
                if attempt == 1 and (
                    status == 401 or "InvalidAuthentication" in (code or "")
                ):
                    self._token = None  # revoked early: fetch a new one, once
                    continue
                raise self._failure(error) from None
            body = response.body.to_map() if response.body is not None else {}
            return body if isinstance(body, dict) else {}
        raise AssertionError("unreachable")  # pragma: no cover

    def _error_parts(self, error: TeaException):
        data = error.data if isinstance(error.data, dict) else {}
        status = data.get("statusCode")
        code = clean_text(data.get("code")) or clean_text(error.code)
        if code == "None":
            code = ""
        message = self.http.scrub(clean_text(data.get("message")))
        request_id = clean_text(data.get("requestid") or data.get("requestId")) or None
        return status if isinstance(status, int) else None, code, message, request_id

    def _failure(self, error: TeaException) -> ConnectorError:
        status, code, message, request_id = self._error_parts(error)
        if status is None:
            inner = str(getattr(error, "inner_exception", "") or error.message or "")
            lowered = inner.lower()
            if "timed out" in lowered or "timeout" in lowered:
                return ConnectorError(
                    _("%(host)s did not answer within %(seconds)s seconds.")
                    % {"host": self.host, "seconds": f"{self.timeout:g}"}
                )
            if "json" in lowered:
                return ConnectorError(
                    _("%(host)s failed to answer (not JSON, probably a gateway error).")
                    % {"host": self.host}
                )
            return ConnectorError(
                _("Could not connect to %(host)s. Is it running and reachable?")
                % {"host": self.host}
            )
        values = {
            "system": self.system,
            "status": status,
            "code": code or "-",
            "message": message or "-",
        }
        if status in (401, 403) or code.startswith("Forbidden"):
            return MisconfiguredError(
                _(
                    "DingTalk refused the request (HTTP %(status)s, %(code)s: "
                    "%(message)s). Check that the app may read approvals and the "
                    "address book."
                )
                % values,
                request_id=request_id,
            )
        if status == 429 or "Throttling" in code:
            return ConnectorError(
                _("DingTalk is limiting how often Baton may call it (%(code)s).")
                % values,
                request_id=request_id,
            )
        if status >= 500:
            return ConnectorError(
                _("%(host)s failed to answer (HTTP %(status)s, %(code)s).")
                % {**values, "host": self.host},
                request_id=request_id,
            )
        return ConnectorError(
            _("DingTalk rejected the request (HTTP %(status)s, %(code)s: %(message)s).")
            % values,
            request_id=request_id,
        )

    # The older API, through requests -------------------------------------------------

    def _oapi(self, path: str, payload: dict) -> dict:
        if not self.oapi_url.lower().startswith(("http://", "https://")):
            raise MisconfiguredError(
                _("The older API URL must start with https:// (or http://).")
            )
        for attempt in (1, 2):
            url = f"{self.oapi_url}{path}"
            response = self.http.send(
                "POST",
                url,
                params={"access_token": self._access_token()},
                json=payload,
            )
            self.http.check(
                response,
                refused=_("DingTalk refused the access token (HTTP %(status)s).")
                % {"status": response.status_code},
            )
            body = self.http.json_of(response, system=host_of(url) or "DingTalk")
            if not isinstance(body, dict):
                body = {}
            errcode = body.get("errcode", 0)
            request_id = clean_text(body.get("request_id")) or None
            if errcode in (0, None) or errcode in OAPI_USER_GONE:
                return body
            values = {
                "code": errcode,
                "message": self.http.scrub(clean_text(body.get("errmsg"))) or "-",
            }
            if errcode in OAPI_TOKEN_CODES:
                if attempt == 1:
                    self._token = None
                    continue
                raise MisconfiguredError(
                    _(
                        "DingTalk refused the access token (errcode %(code)s: "
                        "%(message)s)."
                    )
                    % values,
                    request_id=request_id,
                )
            if errcode in OAPI_PERMISSION_CODES:
                raise MisconfiguredError(
                    _(
                        "The DingTalk app may not read the address book (errcode "
                        "%(code)s: %(message)s)."
                    )
                    % values,
                    request_id=request_id,
                )
            raise ConnectorError(
                _("DingTalk answered with errcode %(code)s: %(message)s") % values,
                request_id=request_id,
            )
        raise AssertionError("unreachable")  # pragma: no cover


# Reading approval forms ---------------------------------------------------------------


def _components(detail: dict) -> list[dict]:
    return [
        entry
        for entry in detail.get("formComponentValues") or []
        if isinstance(entry, dict)
    ]


def _kind(component: dict) -> str:
    kind = clean_text(component.get("componentType"))
    if not kind:
        # Table cells name their type in the key: "MoneyField-K2AD4O5B".
        kind = clean_text(component.get("key")).split("-", 1)[0]
    return kind


def _rows(component: dict) -> list[list[dict]]:
    rows = []
    for row in json_list(component.get("value")):
        cells = object_dict(row).get("rowValue")
        if isinstance(cells, list):
            rows.append([cell for cell in cells if isinstance(cell, dict)])
    return rows


def _form_amount(components: list[dict]) -> tuple[str | None, str]:
    for component in components:
        if _kind(component) == "MoneyField":
            amount = amount_of(component.get("value"))
            if amount is not None:
                return amount, _currency(component)
    for component in components:
        if _kind(component) != "TableField":
            continue
        total, found, currency = Decimal(0), False, ""
        for row in _rows(component):
            for cell in row:
                if _kind(cell) == "MoneyField":
                    amount = amount_of(cell.get("value"))
                    if amount is not None:
                        total += Decimal(amount)
                        found = True
                        currency = currency or _currency(cell)
        if found:
            return amount_of(total), currency
    return None, ""


def _currency(component: dict) -> str:
    try:
        ext = json.loads(component.get("extValue") or "{}")
    except (TypeError, ValueError):
        ext = {}
    return currency_in(object_dict(ext).get("currency")) or currency_in(
        component.get("currency")
    )


def _form_date(components: list[dict]) -> str | None:
    for component in components:
        kind = _kind(component)
        if kind == "DDDateField":
            found = date_of(component.get("value"))
            if found:
                return found
        if kind == "DDDateRangeField":
            values = json_list(component.get("value"))
            found = date_of(values[0]) if values else None
            if found:
                return found
        if kind == "TableField":
            for row in _rows(component):
                found = _form_date(row)
                if found:
                    return found
    return None


def _form_reason(components: list[dict]) -> str:
    for component in components:
        if _kind(component) not in ("TextField", "TextareaField"):
            continue
        name = (
            clean_text(component.get("name")) or clean_text(component.get("label"))
        ).casefold()
        value = component.get("value")
        if (
            any(word in name for word in REASON_WORDS)
            and isinstance(value, str)
            and value.strip()
        ):
            return " ".join(value.split())[:200]
    return ""


# Small helpers ------------------------------------------------------------------------


def _header(headers, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if str(key).lower() == name and value:
            return str(value)[:200]
    return None
