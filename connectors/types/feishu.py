"""Feishu (Lark) Approval: the approvals an employee raised or must act on that
are still pending, and the reimbursements they raised that are not paid yet.

Talks to the open platform with the official SDK (``lark-oapi``), as a custom
app with a tenant access token (App ID + App secret). The employee is found by
e-mail (contact v3 ``batch_get_id``); with another match setting, the matched
value is taken as the Feishu user id itself.

Only pending instances are returned: once an approval is approved, rejected or
withdrawn, or finance pays a reimbursement (the last node approves it), it is
no longer listed and the sync engine marks its item "resolved upstream".
"""

from __future__ import annotations

import functools
import json
from decimal import Decimal
from types import SimpleNamespace

import requests
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..registry import register
from ._approvals import (
    APPROVAL_MAPPING,
    EXPENSE_MAPPING,
    amount_of,
    approval_title,
    currency_in,
    date_from_millis,
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
from ._http import OptionsMixin, host_of
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
from .feishu_intake import FeishuIntakeMixin

__all__ = ["FeishuConnector"]

DEFAULT_BASE_URL = "https://open.feishu.cn"
PAGE_SIZE = 100
MAX_PAGES = 50
USER_ID_TYPES = (
    ("open_id", "open_id"),
    ("user_id", "user_id"),
    ("union_id", "union_id"),
)
# Error codes of the open platform (returned with HTTP 200 or 4xx and a JSON body).
TOKEN_CODES = frozenset({99991661, 99991663, 99991664, 99991665, 99991671, 99991677})
PERMISSION_CODES = frozenset({99991401, 99991672, 99991676, 99991679, 41050})
RATE_LIMIT_CODES = frozenset({99991400})
PENDING = "PENDING"
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
REASON_WORDS = ("事由", "说明", "用途", "原因", "reason", "description", "purpose")


@functools.cache
def _lark() -> SimpleNamespace:
    """The lark-oapi SDK, imported when a Feishu connector first talks to
    Feishu: it loads about ten thousand modules (some 160 MB), which every
    process that never does (web workers, the certificate worker) is spared."""
    import lark_oapi
    from lark_oapi.api.approval.v4 import (
        GetInstanceRequest,
        InstanceSearch,
        QueryInstanceRequest,
        SearchTaskRequest,
        TaskSearch,
    )
    from lark_oapi.api.auth.v3 import (
        InternalTenantAccessTokenRequest,
        InternalTenantAccessTokenRequestBody,
    )
    from lark_oapi.api.contact.v3 import (
        BatchGetIdUserRequest,
        BatchGetIdUserRequestBody,
    )

    return SimpleNamespace(
        lark=lark_oapi,
        GetInstanceRequest=GetInstanceRequest,
        InstanceSearch=InstanceSearch,
        QueryInstanceRequest=QueryInstanceRequest,
        SearchTaskRequest=SearchTaskRequest,
        TaskSearch=TaskSearch,
        InternalTenantAccessTokenRequest=InternalTenantAccessTokenRequest,
        InternalTenantAccessTokenRequestBody=InternalTenantAccessTokenRequestBody,
        BatchGetIdUserRequest=BatchGetIdUserRequest,
        BatchGetIdUserRequestBody=BatchGetIdUserRequestBody,
    )


@register
class FeishuConnector(FeishuIntakeMixin, OptionsMixin, ConnectorType):
    slug = "feishu"
    label = _("Feishu approvals")
    description = _(
        "Pending approvals the employee raised or must act on, and reimbursements "
        "they raised that are not paid yet, from Feishu (Lark) Approval."
    )
    capabilities = frozenset({DISCOVER, WEBHOOK})
    default_mappings = {"approval": APPROVAL_MAPPING, "expense": EXPENSE_MAPPING}
    settings = (
        Setting(
            "base_url",
            _("Open platform URL"),
            _(
                "https://open.feishu.cn for Feishu, "
                "https://open.larksuite.com for Lark."
            ),
            required=False,
            default=DEFAULT_BASE_URL,
        ),
        Setting(
            "app_id",
            _("App ID"),
            _(
                "Of a custom app allowed to read Approval and Contacts "
                "(e.g. cli_a1b2c3d4e5f6a7b8)."
            ),
        ),
        Setting(
            "user_id_type",
            _("Feishu user id type"),
            _(
                "The kind of user id Baton asks for. With a match setting other "
                "than e-mail, the employee's value must be an id of this kind."
            ),
            required=False,
            default="open_id",
            choices=USER_ID_TYPES,
        ),
        *expense_settings(
            codes_label=_("Reimbursement approval codes"),
            codes_help=_(
                "Codes of the approval definitions that are reimbursements. Empty: "
                "approvals whose name contains 报销, 费用, reimburse or expense."
            ),
        ),
        *intake_settings(
            system=_("Feishu"),
            employee_help=_(
                "The name (or id) of the form field naming who resigns (a contact "
                "field, or a text field with an e-mail address or employee "
                "number). Empty: the applicant."
            ),
        ),
        TIMEOUT,
        Setting("app_secret", _("App secret"), secret=True),
        webhook_secret_setting(
            _("Signs change notifications relayed from Feishu event subscriptions.")
        ),
        Setting(
            "event_verification_token",
            _("Event verification token"),
            _(
                "From the app's Events and Callbacks page: Feishu sends it with "
                "every event. Needed for resignation approval events."
            ),
            required=False,
            secret=True,
        ),
        Setting(
            "event_encrypt_key",
            _("Event encrypt key"),
            _(
                "From the same page: with it, Feishu encrypts and signs every "
                "event, and Baton refuses events that are not signed with it."
            ),
            required=False,
            secret=True,
        ),
    )

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self.base_url = str(self.option("base_url") or "").strip().rstrip("/")
        self.host = host_of(self.base_url) or self.base_url
        # Named in messages and item data, in the language of the run.
        self.system = "Lark" if "larksuite" in self.host else gettext("Feishu")
        self._client = None
        self._token = None

    # The contract -------------------------------------------------------------------

    def test_connection(self) -> str:
        self._tenant_token()
        return gettext("Connected to %(system)s at %(host)s as app %(app)s.") % {
            "system": self.system,
            "host": self.host,
            "app": self._app_id(),
        }

    def discover(self, *, employee: EmployeeRef, record_kind: str):
        if record_kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        user_id = self._user_id(employee)
        if record_kind == "approval":
            return self._approvals(user_id)
        return self._expenses(user_id)

    # Who the employee is in Feishu --------------------------------------------------

    def _user_id(self, employee: EmployeeRef) -> str:
        match_by = self.config.get("match_by") or "email"
        value = employee.value(match_by).strip()
        if not value:
            raise ConnectorError(
                _("The employee has no %(value)s to look up in %(system)s.")
                % {"value": match_label(match_by), "system": self.system},
                retryable=False,
            )
        if match_by != "email":
            return value
        sdk = _lark()
        request = (
            sdk.BatchGetIdUserRequest.builder()
            .user_id_type(self._id_type())
            .request_body(
                sdk.BatchGetIdUserRequestBody.builder()
                .emails([value])
                .include_resigned(True)
                .build()
            )
            .build()
        )
        data = self._call(request)
        for user in data.get("user_list") or []:
            if not isinstance(user, dict):
                continue
            found = str(user.get("user_id") or "").strip()
            if found and str(user.get("email") or value).casefold() == value.casefold():
                return found
        raise ConnectorError(
            _("No %(system)s user has the e-mail address %(email)s.")
            % {"system": self.system, "email": value},
            retryable=False,
        )

    # Approvals and reimbursements ---------------------------------------------------

    def _approvals(self, user_id: str) -> list[Record]:
        records = {}
        include_expenses = self.option("expenses_in_approvals") is True
        for item in self._raised(user_id):
            if not include_expenses and self._is_expense(item):
                continue
            record = self._approval(item, "raised_by_me")
            if record is not None:
                records[record.external_id or id(record)] = record
        for item in self._awaiting(user_id):
            record = self._approval(item, "awaiting_my_action")
            if record is not None:
                # Awaiting action wins over raised: something must be done.
                records[record.external_id or id(record)] = record
        return list(records.values())

    def _expenses(self, user_id: str) -> list[Record]:
        records = []
        for item in self._raised(user_id):
            if self._is_expense(item):
                record = self._expense(item)
                if record is not None:
                    records.append(record)
        return records

    def _is_expense(self, item: dict) -> bool:
        approval = object_dict(item.get("approval"))
        return is_expense(
            code=clean_text(approval.get("code")),
            name=clean_text(approval.get("name")),
            codes=self.option("expense_codes"),
        )

    def _raised(self, user_id: str):
        """Pending instances the employee started (``instances/query``)."""

        def page(token):
            sdk = _lark()
            builder = (
                sdk.QueryInstanceRequest.builder()
                .page_size(PAGE_SIZE)
                .user_id_type(self._id_type())
                .request_body(
                    sdk.InstanceSearch.builder()
                    .user_id(user_id)
                    .instance_status(PENDING)
                    .build()
                )
            )
            if token:
                builder = builder.page_token(token)
            return builder.build()

        for item in self._pages(page, "instance_list"):
            instance = object_dict(item.get("instance"))
            if clean_text(instance.get("status")).upper() == PENDING:
                yield item

    def _awaiting(self, user_id: str):
        """Pending tasks assigned to the employee (``tasks/search``)."""

        def page(token):
            sdk = _lark()
            builder = (
                sdk.SearchTaskRequest.builder()
                .page_size(PAGE_SIZE)
                .user_id_type(self._id_type())
                .request_body(
                    sdk.TaskSearch.builder()
                    .user_id(user_id)
                    .task_status(PENDING)
                    .build()
                )
            )
            if token:
                builder = builder.page_token(token)
            return builder.build()

        for item in self._pages(page, "task_list"):
            task = object_dict(item.get("task"))
            instance = object_dict(item.get("instance"))
            if (
                clean_text(task.get("status")).upper() == PENDING
                and clean_text(instance.get("status") or PENDING).upper() == PENDING
            ):
                yield item

    def _pages(self, build, key):
        token = None
        for _page in range(MAX_PAGES):
            data = self._call(build(token))
            entries = data.get(key) or []
            if not isinstance(entries, list):
                raise ConnectorError(
                    _("%(system)s answered with an unexpected list of %(what)s.")
                    % {"system": self.system, "what": key}
                )
            yield from (entry for entry in entries if isinstance(entry, dict))
            token = clean_text(data.get("page_token"))
            if not data.get("has_more") or not token:
                return
        raise ConnectorError(
            _("%(system)s kept returning more results after %(count)d pages.")
            % {"system": self.system, "count": MAX_PAGES},
            retryable=False,
        )

    def _detail(self, code: str) -> dict:
        sdk = _lark()
        request = (
            sdk.GetInstanceRequest.builder()
            .instance_id(code)
            .user_id_type(self._id_type())
            .build()
        )
        return self._call(request)

    def _approval(self, item: dict, direction: str) -> Record | None:
        approval = object_dict(item.get("approval"))
        instance = object_dict(item.get("instance"))
        code = clean_text(instance.get("code"))
        if not code:
            return problem(
                "",
                "approval",
                gettext("%(system)s returned an approval without an instance code.")
                % {"system": self.system},
            )
        detail = self._detail(code)
        if detail and clean_text(detail.get("status")).upper() not in ("", PENDING):
            return None  # decided between the list and now
        name = (
            clean_text(detail.get("approval_name"))
            or clean_text(approval.get("name"))
            or clean_text(instance.get("title"))
            or code
        )
        widgets = json_list(detail.get("form"))
        amount, currency = _form_amount(widgets)
        serial = clean_text(detail.get("serial_number")) or clean_text(
            instance.get("serial_id")
        )
        link = object_dict(instance.get("link"))
        return Record(
            external_id=code,
            kind="approval",
            title=approval_title(name, serial),
            fields={
                "system": self.system,
                "reference": code,
                "serial_number": serial,
                "title": name,
                "approval_name": name,
                "approval_code": clean_text(detail.get("approval_code"))
                or clean_text(approval.get("code")),
                "direction": direction,
                "amount": amount,
                "currency": currency or self._default_currency(),
                "status": "pending",
                "upstream_status": PENDING,
                "started_on": date_from_millis(
                    detail.get("start_time") or instance.get("start_time")
                ),
                "link": clean_text(link.get("pc_link")),
                "initiator": clean_text(detail.get("user_id"))
                or clean_text(detail.get("open_id"))
                or clean_text(instance.get("user_id")),
            },
        )

    def _expense(self, item: dict) -> Record | None:
        approval = object_dict(item.get("approval"))
        instance = object_dict(item.get("instance"))
        code = clean_text(instance.get("code"))
        if not code:
            return problem(
                "",
                "expense",
                gettext("%(system)s returned an approval without an instance code.")
                % {"system": self.system},
            )
        detail = self._detail(code)
        if detail and clean_text(detail.get("status")).upper() not in ("", PENDING):
            return None
        name = (
            clean_text(detail.get("approval_name"))
            or clean_text(approval.get("name"))
            or code
        )
        widgets = json_list(detail.get("form"))
        amount, currency = _form_amount(widgets)
        currency = currency or self._default_currency()
        if currency not in KNOWN_CURRENCIES:
            return problem(code, "expense", unsupported_currency(code, currency))
        serial = clean_text(detail.get("serial_number")) or clean_text(
            instance.get("serial_id")
        )
        reason = _form_reason(widgets)
        started_on = date_from_millis(
            detail.get("start_time") or instance.get("start_time")
        )
        return Record(
            external_id=code,
            kind="expense",
            title=approval_title(reason or name, serial),
            fields={
                "system": self.system,
                "reference": code,
                "serial_number": serial,
                "description": f"{name}: {reason}" if reason else name,
                "approval_name": name,
                "approval_code": clean_text(detail.get("approval_code"))
                or clean_text(approval.get("code")),
                "amount": amount,
                "currency": currency,
                "incurred_on": _form_date(widgets) or started_on,
                "submitted_on": started_on,
                "status": "submitted",
                "upstream_status": PENDING,
                "link": clean_text(object_dict(instance.get("link")).get("pc_link")),
            },
        )

    # Talking to the open platform ----------------------------------------------------

    def _app_id(self) -> str:
        return str(self.option("app_id") or "").strip()

    def _id_type(self) -> str:
        value = self.option("user_id_type") or "open_id"
        if value not in dict(USER_ID_TYPES):
            raise MisconfiguredError(
                _("Unknown Feishu user id type “%(type)s”.") % {"type": value}
            )
        return value

    def _default_currency(self) -> str:
        return str(self.option("default_currency") or "CNY").upper()

    def _sdk(self):
        if self._client is not None:
            return self._client
        if not self._app_id():
            raise MisconfiguredError(_("Enter the App ID of the Feishu app."))
        if not self.secrets.get("app_secret"):
            raise MisconfiguredError(_("Enter the App secret of the Feishu app."))
        sdk = _lark()
        builder = (
            sdk.lark.Client.builder()
            .app_id(self._app_id())
            .app_secret(str(self.secrets["app_secret"]))
            .enable_set_token(True)
            .timeout(self.timeout)
            .log_level(sdk.lark.LogLevel.ERROR)
        )
        try:
            builder = builder.domain(self.base_url)
        except ValueError:
            raise MisconfiguredError(
                _(
                    "The open platform URL must look like https://open.feishu.cn: "
                    "https, a host and nothing after it."
                )
            ) from None
        self._client = builder.build()
        return self._client

    def _tenant_token(self) -> str:
        """A tenant access token for this app, fetched once per run (the SDK's
        shared token cache is not used: it would mix apps and test servers)."""
        if self._token:
            return self._token
        client = self._sdk()
        sdk = _lark()
        request = (
            sdk.InternalTenantAccessTokenRequest.builder()
            .request_body(
                sdk.InternalTenantAccessTokenRequestBody.builder()
                .app_id(self._app_id())
                .app_secret(str(self.secrets["app_secret"]))
                .build()
            )
            .build()
        )
        option = sdk.lark.RequestOption.builder().headers(dict(JSON_HEADERS)).build()
        raw = self._send(client, request, option)
        body = self._body(raw)
        code = body.get("code")
        if code == 0 and clean_text(body.get("tenant_access_token")):
            self._token = clean_text(body["tenant_access_token"])
            return self._token
        log_id = _log_id(raw, body)
        if code in RATE_LIMIT_CODES or (code is None and raw.status_code >= 500):
            raise self._failure(raw, body)
        if code is None and raw.status_code < 400:
            raise ConnectorError(
                _("%(system)s answered without a tenant access token.")
                % {"system": self.system},
                request_id=log_id,
            )
        raise MisconfiguredError(
            _(
                "%(system)s refused the app credentials (code %(code)s: %(message)s). "
                "Check the App ID and App secret."
            )
            % {
                "system": self.system,
                "code": code if code is not None else f"HTTP {raw.status_code}",
                "message": self._scrub(body.get("msg")) or "-",
            },
            request_id=log_id,
        )

    def _call(self, request) -> dict:
        """Send an SDK request with the tenant token; the ``data`` of a
        successful answer, a connector error otherwise."""
        client = self._sdk()
        sdk = _lark()
        for attempt in (1, 2):
            option = sdk.lark.RequestOption.builder().tenant_access_token(
                self._tenant_token()
            )
            if request.body is not None:
                option = option.headers(dict(JSON_HEADERS))
            raw = self._send(client, request, option.build())
            body = self._body(raw)
            code = body.get("code")
            if code == 0:
                data = body.get("data")
                return data if isinstance(data, dict) else {}
            if code in TOKEN_CODES and attempt == 1:
                # The token may have been revoked early: fetch a new one, once.
                self._token = None
                continue
            raise self._failure(raw, body)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, client, request, option):
        try:
            return client.request(request, option).raw
        except requests.exceptions.Timeout:
            raise ConnectorError(
                _("%(host)s did not answer within %(seconds)s seconds.")
                % {"host": self.host, "seconds": f"{self.timeout:g}"}
            ) from None
        except requests.exceptions.SSLError:
            raise MisconfiguredError(
                _("The TLS certificate of %(host)s could not be verified.")
                % {"host": self.host}
            ) from None
        except requests.exceptions.ConnectionError:
            raise ConnectorError(
                _("Could not connect to %(host)s. Is it running and reachable?")
                % {"host": self.host}
            ) from None
        except requests.exceptions.RequestException:
            raise ConnectorError(
                _("The request to %(host)s failed.") % {"host": self.host}
            ) from None
        except ValueError:
            raise ConnectorError(
                _("%(system)s answered with something that is not JSON.")
                % {"system": self.system}
            ) from None

    def _body(self, raw) -> dict:
        try:
            body = json.loads(raw.content or b"{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def _failure(self, raw, body) -> ConnectorError:
        log_id = _log_id(raw, body)
        code = body.get("code")
        message = self._scrub(body.get("msg")) or "-"
        values = {"system": self.system, "code": code, "message": message}
        if code in TOKEN_CODES:
            return MisconfiguredError(
                _(
                    "%(system)s refused Baton's access token (code %(code)s: "
                    "%(message)s). Check the App ID and App secret."
                )
                % values,
                request_id=log_id,
            )
        if code in PERMISSION_CODES:
            return MisconfiguredError(
                _(
                    "The %(system)s app lacks a permission (code %(code)s: "
                    "%(message)s). Grant it read access to Approval and Contacts "
                    "and publish a new version."
                )
                % values,
                request_id=log_id,
            )
        if code in RATE_LIMIT_CODES:
            return ConnectorError(
                _("%(system)s is limiting how often Baton may call it (code %(code)s).")
                % values,
                request_id=log_id,
            )
        if code is not None:
            return ConnectorError(
                _("%(system)s answered with error code %(code)s: %(message)s") % values,
                request_id=log_id,
            )
        status = raw.status_code
        if status in (401, 403):
            return MisconfiguredError(
                _("%(system)s refused the request (HTTP %(status)s).")
                % {"system": self.system, "status": status},
                request_id=log_id,
            )
        if status >= 500:
            return ConnectorError(
                _("%(host)s failed to answer (HTTP %(status)s).")
                % {"host": self.host, "status": status},
                request_id=log_id,
            )
        return ConnectorError(
            _("%(system)s answered with something that is not JSON.")
            % {"system": self.system},
            request_id=log_id,
        )

    def _scrub(self, text) -> str:
        text = clean_text(text)
        for secret in (self.secrets.get("app_secret"), self._token):
            if secret:
                text = text.replace(str(secret), "•••")
        text = " ".join(text.split())
        return text[:199] + "…" if len(text) > 200 else text


# Reading approval forms ---------------------------------------------------------------


def _form_amount(widgets: list) -> tuple[str | None, str]:
    """The amount of a form and its currency: the first amount widget, else the
    total of the amount column of a details list, else a formula's result."""
    for widget in _typed(widgets, "amount"):
        amount = amount_of(widget.get("value"))
        if amount is not None:
            return amount, _widget_currency(widget)
    for widget in _typed(widgets, "fieldlist"):
        total, currency, found = 0, "", False
        for row in widget.get("value") or []:
            for cell in _typed(row if isinstance(row, list) else [], "amount"):
                amount = amount_of(cell.get("value"))
                if amount is not None:
                    total += Decimal(amount)
                    currency = currency or _widget_currency(cell)
                    found = True
        if found:
            return amount_of(total), currency
    for widget in _typed(widgets, "formula"):
        amount = amount_of(widget.get("value"))
        if amount is not None:
            return amount, ""
    return None, ""


def _form_date(widgets: list) -> str | None:
    for widget in widgets:
        if not isinstance(widget, dict):
            continue
        kind = clean_text(widget.get("type")).casefold()
        if kind == "date":
            found = date_of(widget.get("value"))
            if found:
                return found
        if kind == "dateinterval":
            value = object_dict(widget.get("value"))
            found = date_of(value.get("start"))
            if found:
                return found
        if kind == "fieldlist":
            for row in widget.get("value") or []:
                found = _form_date(row if isinstance(row, list) else [])
                if found:
                    return found
    return None


def _form_reason(widgets: list) -> str:
    for widget in widgets:
        if not isinstance(widget, dict):
            continue
        if clean_text(widget.get("type")).casefold() not in ("input", "textarea"):
            continue
        name = clean_text(widget.get("name")).casefold()
        value = widget.get("value")
        if (
            any(word in name for word in REASON_WORDS)
            and isinstance(value, str)
            and value.strip()
        ):
            return " ".join(value.split())[:200]
    return ""


def _typed(widgets, kind: str):
    for widget in widgets:
        if (
            isinstance(widget, dict)
            and clean_text(widget.get("type")).casefold() == kind
        ):
            yield widget


def _widget_currency(widget: dict) -> str:
    ext = object_dict(widget.get("ext"))
    return currency_in(ext.get("currency")) or currency_in(widget.get("currency"))


# Small helpers ------------------------------------------------------------------------


def _log_id(raw, body) -> str | None:
    for key, value in (getattr(raw, "headers", None) or {}).items():
        if str(key).lower() in ("x-tt-logid", "x-request-id") and value:
            return str(value)[:200]
    error = object_dict(body.get("error")) if isinstance(body, dict) else {}
    log_id = clean_text(error.get("log_id"))
    return log_id[:200] or None
