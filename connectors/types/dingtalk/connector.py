"""DingTalk approvals (OA 审批): running approvals the employee raised or must
act on, and unpaid reimbursements; for intake, resignation approvals and the
address book of the older API (``topapi/v2``). DingTalk has no lookup by
e-mail: people are searched by name and confirmed by e-mail or job number.
Started instances are listed per template (settings) and time window."""

from __future__ import annotations

import time
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pydantic import Field

from ...messaging.settings import messaging_settings
from ...sdk.approvals.forms import CONTACT, FormField, date_of, json_list
from ...sdk.approvals.intake import intake_settings, read_resignation
from ...sdk.approvals.platform import ApprovalPlatform, app_settings
from ...sdk.approvals.records import Approval, expense_settings
from ...sdk.base import ConnectorError, MisconfiguredError, Setting
from ...sdk.client import HttpTypeMixin, host_of
from ...sdk.common import optional, too_many_pages
from ...sdk.network import guarded
from ...sdk.payloads import NestedList, Payload, Text, TextList, parse, parse_each
from .platform import DAY_MS, MAX_PAGES, Detail, DingTalkPlatform, User

__all__ = ["DingTalkConnector"]

RUNNING = ("NEW", "RUNNING")
ROOT_DEPARTMENT = 1
_RESULTS = {"agree": "approved", "refuse": "rejected"}


class DingTalkConnector(DingTalkPlatform, HttpTypeMixin, ApprovalPlatform):
    slug = "dingtalk"
    label = _("DingTalk approvals")
    description = _(
        "Running approvals the employee raised or must act on, and reimbursements "
        "they raised that are not paid yet, from DingTalk OA approval."
    )
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
                "Process codes of the reimbursement templates. Empty: instances "
                "of the templates above whose title contains 报销, 费用, "
                "reimburse or expense."
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
        *intake_settings(system=_("DingTalk")),
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
        *app_settings(
            _("DingTalk"),
            secret_help=_(
                "The app's Client Secret (formerly AppSecret), under 凭证与基础信息 "
                "(Credentials & basic info) in the DingTalk developer console. "
                "Stored encrypted; never shown again."
            ),
        ),
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
        *messaging_settings(_("DingTalk"), agent=True),
    )

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self.api_url = self.url_option("api_base_url")
        self.oapi_url = self.url_option("oapi_base_url")
        self.host = host_of(self.api_url) or self.api_url
        # Named in item data, in the language of the run.
        self.system = gettext("DingTalk")
        self.http = self.make_http(secrets=(self.secrets.get("app_secret"),))

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
            known = (user.email, user.fallback_email)
            if match_by == "employee_number":
                known = (user.employee_number,)
            if value.casefold() in (text.casefold() for text in known):
                return candidate
        if match_by == "email":
            message = _("No DingTalk user named %(name)s has the e-mail %(value)s.")
        else:
            message = _("No DingTalk user named %(name)s has the job number %(value)s.")
        raise ConnectorError(message % {"name": name, "value": value}, retryable=False)

    def _search(self, name: str):
        """The ids of the users named ``name``, page by page as consumed."""
        offset = 0
        for _page in range(100):
            body = self._call(
                "contact",
                "search_user",
                query_word=name,
                offset=offset,
                size=20,
                full_match_field=1,
            )
            page = parse(_Search, body, system=self.system)
            yield from page.entries
            offset += len(page.entries)
            if not page.has_more or not page.entries:
                return

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
        days = self.option("lookback_days")
        if not isinstance(days, int) or days < 1:
            message = _("Look back at least one day for started instances.")
            raise MisconfiguredError(message)
        return days

    # Resignation approvals ---------------------------------------------------------

    @guarded
    def resignation_approval(self, instance_code: str):
        detail = self._detail(instance_code)
        status = detail.status.upper()
        if status == "COMPLETED":
            status_now = _RESULTS.get(detail.result.casefold(), "other")
        else:
            status_now = "pending" if status in ("NEW", "RUNNING") else "other"
        return read_resignation(
            self,
            instance_code=instance_code,
            approval_code="",  # the detail does not say; events and lists do
            status=status_now,
            form=detail.form_component_values,
            submitted=detail.create_time,
            finished=detail.finish_time,
            applicant=detail.originator_user_id,
            summary={
                "title": detail.title,
                "business_id": detail.business_id,
                "status": detail.status,
                "result": detail.result,
            },
        )

    def contact_ids(self, widget: FormField) -> list[str] | None:
        if widget.kind != CONTACT:
            return None
        chosen = parse_each(_Chosen, json_list(widget.ext))
        return [entry.empl_id for entry in chosen if entry.empl_id]

    # The address book ----------------------------------------------------------

    def _departments(self):
        # The root's members have no department code or name.
        queue, seen = [(ROOT_DEPARTMENT, "", "")], {ROOT_DEPARTMENT}
        while queue:
            department = queue.pop(0)
            yield department
            children = self._oapi(
                "/topapi/v2/department/listsub", {"dept_id": department[0]}
            )
            for child in parse_each(_Department, children or []):
                if isinstance(child.dept_id, int) and child.dept_id not in seen:
                    seen.add(child.dept_id)
                    queue.append((child.dept_id, str(child.dept_id), child.name))

    def _members(self, department):
        department_id, *named = department
        cursor = 0
        for _page in range(MAX_PAGES):
            result = self._oapi(
                "/topapi/v2/user/list",
                {"dept_id": department_id, "cursor": cursor, "size": 100},
            )
            page = parse(_Members, result, system=self.system)
            for user in page.users:
                # Who leaves the company leaves the address book; a listed
                # account that is not active cannot sign in.
                disabled = user.active is False
                yield user.listed(user.userid, named, disabled=disabled)
            cursor = page.next_cursor
            if not page.has_more or not isinstance(cursor, int):
                return
        raise too_many_pages(self.host, MAX_PAGES)


class _Search(Payload):
    entries: TextList = Field([], alias="list")
    has_more: Any = Field(False, alias="hasMore")


class _Task(Payload):
    instance_id: Text = Field("", alias="instanceId")


class _Chosen(Payload):
    empl_id: Text = Field("", alias="emplId")


class _Department(Payload):
    dept_id: Any = None
    name: Text = ""


class _Members(Payload):
    has_more: Any = False
    next_cursor: Any = None
    users: NestedList[User] = Field([], alias="list")
