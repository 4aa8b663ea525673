"""Feishu (Lark) Approval: pending approvals the employee raised or must act on,
and unpaid reimbursements; for intake, resignation approvals and the contact
directory. Found by e-mail (contact v3 ``batch_get_id``), else the match value
is the Feishu user id. Decided instances are not listed."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ...messaging.settings import messaging_settings
from ...sdk.approvals.forms import CONTACT, FormField, date_of
from ...sdk.approvals.intake import intake_settings, read_resignation
from ...sdk.approvals.platform import ApprovalPlatform, app_settings
from ...sdk.approvals.records import Approval, expense_settings
from ...sdk.base import ConnectorError, Setting
from ...sdk.client import host_of
from ...sdk.common import clean_text, optional, unreadable
from ...sdk.network import guarded
from ...sdk.payloads import parse, parse_each
from .platform import Department, FeishuPlatform, Item, User, _lark, built

__all__ = ["FeishuConnector"]

PENDING = "PENDING"
CONTACT_PAGE = 50
_STATUSES = {"APPROVED": "approved", "PENDING": "pending", "REJECTED": "rejected"}


class FeishuConnector(FeishuPlatform, ApprovalPlatform):
    slug = "feishu"
    label = _("Feishu approvals")
    description = _(
        "Pending approvals the employee raised or must act on, and reimbursements "
        "they raised that are not paid yet, from Feishu (Lark) Approval."
    )
    settings = (
        optional(
            "base_url",
            _("Open platform URL"),
            _(
                "https://open.feishu.cn for Feishu, "
                "https://open.larksuite.com for Lark."
            ),
            default="https://open.feishu.cn",
        ),
        Setting(
            "app_id",
            _("App ID"),
            _(
                "Of a custom app allowed to read Approval and Contacts "
                "(e.g. cli_a1b2c3d4e5f6a7b8)."
            ),
        ),
        optional(
            "user_id_type",
            _("Feishu user id type"),
            _(
                "The kind of user id Baton asks for. With a match setting other "
                "than e-mail, the employee's value must be an id of this kind."
            ),
            default="open_id",
            choices=tuple((kind, kind) for kind in ("open_id", "user_id", "union_id")),
        ),
        *expense_settings(
            codes_label=_("Reimbursement approval codes"),
            codes_help=_(
                "Codes of the approval definitions that are reimbursements. "
                "Empty: approvals whose name contains 报销, 费用, reimburse or "
                "expense."
            ),
        ),
        *intake_settings(system=_("Feishu")),
        *app_settings(
            _("Feishu"),
            secret_help=_(
                "The custom app's App Secret, under 凭证与基础信息 (Credentials & "
                "Basic Info) in the Feishu developer console. Stored encrypted; "
                "never shown again."
            ),
        ),
        optional(
            "event_verification_token",
            _("Event verification token"),
            _(
                "From the app's Events and Callbacks page: Feishu sends it with "
                "every event. Needed for resignation approval events."
            ),
            secret=True,
        ),
        optional(
            "event_encrypt_key",
            _("Event encrypt key"),
            _(
                "From the same page: with it, Feishu encrypts and signs every "
                "event, and Baton refuses events that are not signed with it."
            ),
            secret=True,
        ),
        *messaging_settings(_("Feishu")),
    )

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self.base_url = str(self.option("base_url") or "").strip().rstrip("/")
        self.host = host_of(self.base_url) or self.base_url
        # Named in messages and item data, in the language of the run.
        self.system = "Lark" if "larksuite" in self.host else gettext("Feishu")

    def find_person(self, *, value: str, match_by: str) -> str | None:
        if match_by != "email":
            return value
        sdk = _lark().contact
        body = built(
            sdk.BatchGetIdUserRequestBody, emails=[value], include_resigned=True
        )
        request = built(
            sdk.BatchGetIdUserRequest, user_id_type=self._id_type(), request_body=body
        )
        for user in parse_each(User, self._call(request).get("user_list") or []):
            if user.user_id:
                return user.user_id
        raise ConnectorError(
            _("No %(system)s user has the e-mail address %(email)s.")
            % {"system": self.system, "email": value},
            retryable=False,
        )

    # Listing records --------------------------------------------------------------

    def _raised(self, user_id: str, *, expenses: bool):
        sdk = _lark().approval
        search = built(sdk.InstanceSearch, user_id=user_id, instance_status=PENDING)
        return self._items(sdk.QueryInstanceRequest, "instance_list", search)

    def _awaiting(self, user_id: str):
        sdk = _lark().approval
        search = built(sdk.TaskSearch, user_id=user_id, task_status=PENDING)
        return self._items(sdk.SearchTaskRequest, "task_list", search)

    def _items(self, request_class, key: str, search):
        pages = self._pages(
            request_class,
            key,
            page_size=100,
            user_id_type=self._id_type(),
            request_body=search,
        )
        return parse_each(Item, pages)

    def _is_expense(self, item: Item) -> bool:
        return self.is_expense(code=item.approval_code, name=item.approval_name)

    def _approval(self, item: Item, *, direction: str):
        if not item.code:
            message = gettext(
                "%(system)s returned an approval without an instance code."
            )
            kind = "approval" if direction else "expense"
            return unreadable(kind, "", message % {"system": self.system})
        detail = self._detail(item.code)
        if detail.status.upper() not in ("", PENDING):
            return None  # decided between the list and now
        names = (detail.approval_name, item.approval_name)
        name = next(filter(None, (*names, direction and item.title)), item.code)
        serial = detail.serial_number or item.serial_id
        return Approval(
            reference=item.code,
            name=name,
            serial=serial,
            upstream_status=PENDING,
            started_on=date_of(detail.start_time or item.start_time),
            form=detail.form,
            initiator=detail.user_id or detail.open_id or item.user_id,
            extra={
                "serial_number": serial,
                "approval_name": name,
                "approval_code": detail.approval_code or item.approval_code,
                "link": item.link,
            },
        )

    # Resignation approvals ---------------------------------------------------------

    @guarded
    def resignation_approval(self, instance_code: str):
        detail = self._detail(instance_code)
        status = detail.status.upper()
        return read_resignation(
            self,
            instance_code=instance_code,
            approval_code=detail.approval_code,
            status=_STATUSES.get(status, "other"),
            form=detail.form,
            submitted=detail.start_time,
            finished=detail.end_time,
            applicant=getattr(detail, self._id_type(), "")
            or detail.user_id
            or detail.open_id,
            summary={
                "approval_code": detail.approval_code,
                "approval_name": detail.approval_name,
                "serial_number": detail.serial_number,
                "status": status,
            },
        )

    def _instance_codes(self, approval_code: str, start: int, end: int):
        pages = self._pages(
            _lark().approval.ListInstanceRequest,
            "instance_code_list",
            limit=200,
            approval_code=approval_code,
            start_time=start,
            end_time=end,
            page_size=100,
        )
        return list(dict.fromkeys(filter(None, map(clean_text, pages))))

    def _user(self, user_id: str) -> User:
        request = built(
            _lark().contact.GetUserRequest,
            user_id=user_id,
            user_id_type=self._id_type(),
        )
        return parse(User, self._call(request).get("user"), system=self.system)

    def contact_ids(self, widget: FormField) -> list[str] | None:
        value = widget.value
        if widget.kind != CONTACT and not isinstance(value, list):
            return None
        ids = value if isinstance(value, list) else []
        if self._id_type() == "open_id" and isinstance(widget.open_ids, list):
            ids = widget.open_ids or ids
        found = (
            entry.get(self._id_type()) or entry.get("id")
            if isinstance(entry, dict)
            else entry
            for entry in ids
        )
        return [text for text in map(clean_text, found) if text]

    # The directory ------------------------------------------------------------------

    def _departments(self):
        pages = self._pages(
            _lark().contact.ChildrenDepartmentRequest,
            "items",
            department_id="0",
            user_id_type=self._id_type(),
            department_id_type="open_department_id",
            fetch_child=True,
            page_size=CONTACT_PAGE,
        )
        for department in parse_each(Department, pages):
            code = department.department_id or department.open_department_id
            if department.open_department_id:
                yield department.open_department_id, code, department.name
        # The root last: who is also in a department is named by it.
        yield "0", "", ""

    def _members(self, department):
        department_id, *named = department
        pages = self._pages(
            _lark().contact.FindByDepartmentUserRequest,
            "items",
            department_id=department_id,
            department_id_type="open_department_id",
            user_id_type=self._id_type(),
            page_size=CONTACT_PAGE,
        )
        for user in parse_each(User, pages):
            yield user.listed(getattr(user, self._id_type()), named, disabled=user.gone)
