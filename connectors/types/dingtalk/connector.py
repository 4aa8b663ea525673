"""DingTalk approvals (OA 审批): running approvals the employee raised or must
act on, and unpaid reimbursements. DingTalk has no lookup by e-mail: people are
searched by name and confirmed by e-mail or job number. Started instances are
listed per template (settings) and time window."""

from __future__ import annotations

import time
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pydantic import Field

from ...sdk.approvals.forms import date_of
from ...sdk.approvals.intake import intake_settings
from ...sdk.approvals.platform import app_settings
from ...sdk.approvals.records import Approval, ApprovalsConnector, expense_settings
from ...sdk.base import (
    DISCOVER,
    WEBHOOK,
    ConnectorError,
    ConnectorType,
    MisconfiguredError,
    Setting,
)
from ...sdk.client import HttpTypeMixin, host_of
from ...sdk.common import optional
from ...sdk.payloads import Payload, Text, TextList, parse, parse_each
from .intake import DingTalkIntake
from .platform import DAY_MS, Detail, DingTalkPlatform, User

__all__ = ["DingTalkConnector"]

RUNNING = ("NEW", "RUNNING")


class DingTalkConnector(
    ApprovalsConnector, DingTalkIntake, DingTalkPlatform, HttpTypeMixin, ConnectorType
):
    slug = "dingtalk"
    label = _("DingTalk approvals")
    description = _(
        "Running approvals the employee raised or must act on, and reimbursements "
        "they raised that are not paid yet, from DingTalk OA approval."
    )
    capabilities = frozenset({DISCOVER, WEBHOOK})
    settings = (
        Setting(
            "app_key",
            _("App key"),
            _("Of an internal app allowed to read approvals and the address book."),
        ),
        optional(
            "process_codes",
            _("Approval template codes"),
            _(
                "Process codes (PROC-…) of the templates whose running instances the "
                "employee started are listed. Approvals awaiting the employee are "
                "listed whatever their template."
            ),
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
        optional(
            "lookback_days",
            _("Look back (days)"),
            _("How far back to look for instances the employee started."),
            default=365,
            type="integer",
        ),
        optional(
            "api_base_url",
            _("API URL"),
            _("The server API, https://api.dingtalk.com unless a proxy is used."),
            default="https://api.dingtalk.com",
        ),
        optional(
            "oapi_base_url",
            _("Older API URL"),
            _("For user details, https://oapi.dingtalk.com unless a proxy is used."),
            default="https://oapi.dingtalk.com",
            type="url",
        ),
        *intake_settings(
            system=_("DingTalk"),
            employee_help=_(
                "The name (or id) of the form field naming who resigns (a contact "
                "field, or a text field with an e-mail address or job number). "
                "Empty: the applicant."
            ),
        ),
        optional(
            "callback_owner_key",
            _("Events addressed to"),
            _(
                "Whom DingTalk encrypts events for: empty for the app key (event "
                "subscriptions of an internal app), or the corp id for a callback "
                "registered through the older API."
            ),
            default="",
        ),
        *app_settings(_("DingTalk")),
        optional(
            "callback_token",
            _("Event subscription token"),
            _(
                "The token of the app's HTTP event subscription: DingTalk signs "
                "every event with it. Needed for resignation approval events."
            ),
            secret=True,
        ),
        optional(
            "callback_aes_key",
            _("Event subscription aes_key"),
            _("The 43-character aes_key of the same subscription."),
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

    def person_id(self, person, *, required: bool = True) -> str:
        match_by, value = self.match_by(), self.match_value(person)
        if match_by not in ("email", "employee_number"):
            return value
        name = person.name.strip()
        if not name:
            raise ConnectorError(
                _(
                    "DingTalk finds people by name: the employee has no name to "
                    "search for."
                ),
                retryable=False,
            )
        for candidate in self._search(name):
            user = self._user(candidate) or User()
            known = (user.email, user.org_email)
            if match_by == "employee_number":
                known = (user.job_number,)
            if value.casefold() in (text.casefold() for text in known):
                return candidate
        if match_by == "email":
            message = _("No DingTalk user named %(name)s has the e-mail %(value)s.")
        else:
            message = _("No DingTalk user named %(name)s has the job number %(value)s.")
        raise ConnectorError(message % {"name": name, "value": value}, retryable=False)

    def _search(self, name: str) -> list[str]:
        found = []
        for _page in range(100):
            body = self._call(
                "contact",
                "search_user",
                query_word=name,
                offset=len(found),
                size=20,
                full_match_field=1,
            )
            page = parse(_Search, body, system=self.system)
            found.extend(page.entries)
            if not page.has_more or not page.entries:
                break
        return found

    # Listing records --------------------------------------------------------------

    def _raised(self, user_id: str, *, expenses: bool):
        codes = self.codes("process_codes")
        if expenses:
            codes = self.codes("expense_codes") or codes
        now = int(time.time() * 1000)
        since = now - self._lookback_days() * DAY_MS
        for code in codes:
            ids = self._instance_codes(
                code, since, now, statuses=["RUNNING"], user_ids=[user_id]
            )
            yield from self._running(ids, code)

    def _awaiting(self, user_id: str):
        todo = self._listed(
            "list_todo_work_records", user_id=user_id, max_results=50, status=0
        )
        waiting = (task.instance_id for task in parse_each(_Task, todo))
        return self._running(dict.fromkeys(filter(None, waiting)))

    def _running(self, instance_ids, process_code: str = ""):
        for instance_id in instance_ids:
            detail = self._detail(instance_id)
            if detail.status.upper() in RUNNING:
                detail.process_code = process_code
                yield detail

    def _is_expense(self, detail: Detail) -> bool:
        return self.is_expense(code=detail.process_code, name=detail.title)

    def _approval(self, detail: Detail, *, direction: str) -> Approval:
        return Approval(
            reference=detail.instance_id,
            name=detail.title or detail.instance_id,
            serial=detail.business_id,
            upstream_status=detail.status.upper(),
            started_on=date_of(detail.create_time),
            form=detail.form_component_values,
            initiator=detail.originator_user_id,
            extra={"business_id": detail.business_id},
        )

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


class _Search(Payload):
    entries: TextList = Field([], alias="list")
    has_more: Any = Field(False, alias="hasMore")


class _Task(Payload):
    instance_id: Text = Field("", alias="instanceId")
