"""Feishu (Lark) Approval: pending approvals the employee raised or must act on,
and unpaid reimbursements. Found by e-mail (contact v3 ``batch_get_id``), else
the match value is the Feishu user id. Decided instances are not listed."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ...sdk.approvals.forms import date_of
from ...sdk.approvals.intake import intake_settings
from ...sdk.approvals.platform import app_settings, at
from ...sdk.approvals.records import Approval, ApprovalsConnector, expense_settings
from ...sdk.base import DISCOVER, WEBHOOK, ConnectorError, ConnectorType, Setting
from ...sdk.client import OptionsMixin, host_of
from ...sdk.common import optional
from ...sdk.payloads import Payload, Text, parse_each
from .intake import FeishuIntake, User
from .platform import FeishuPlatform, _lark, built

__all__ = ["FeishuConnector"]

PENDING = "PENDING"


class FeishuConnector(
    ApprovalsConnector, FeishuIntake, FeishuPlatform, OptionsMixin, ConnectorType
):
    slug = "feishu"
    label = _("Feishu approvals")
    description = _(
        "Pending approvals the employee raised or must act on, and reimbursements "
        "they raised that are not paid yet, from Feishu (Lark) Approval."
    )
    capabilities = frozenset({DISCOVER, WEBHOOK})
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
        *app_settings(_("Feishu")),
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
            if user.user_id and (user.email or value).casefold() == value.casefold():
                return user.user_id
        raise ConnectorError(
            _("No %(system)s user has the e-mail address %(email)s.")
            % {"system": self.system, "email": value},
            retryable=False,
        )

    # Listing records --------------------------------------------------------------

    def _is_expense(self, item: Item) -> bool:
        return self.is_expense(code=item.approval_code, name=item.approval_name)

    def _raised(self, user_id: str, *, expenses: bool):
        sdk = _lark().approval
        search = built(sdk.InstanceSearch, user_id=user_id, instance_status=PENDING)
        items = self._items(sdk.QueryInstanceRequest, "instance_list", search)
        return (item for item in items if item.status.upper() == PENDING)

    def _awaiting(self, user_id: str):
        sdk = _lark().approval
        search = built(sdk.TaskSearch, user_id=user_id, task_status=PENDING)
        return (
            item
            for item in self._items(sdk.SearchTaskRequest, "task_list", search)
            if item.task_status.upper() == PENDING
            and (item.status or PENDING).upper() == PENDING
        )

    def _items(self, request_class, key: str, search):
        pages = self._pages(
            request_class,
            key,
            page_size=100,
            user_id_type=self._id_type(),
            request_body=search,
        )
        return parse_each(Item, pages)

    def _approval(self, item: Item, *, direction: str) -> Approval | None:
        code = item.code
        if not code:
            message = gettext(
                "%(system)s returned an approval without an instance code."
            )
            return Approval("", error=message % {"system": self.system})
        detail = self._detail(code)
        if detail.status.upper() not in ("", PENDING):
            return None  # decided between the list and now
        names = (detail.approval_name, item.approval_name)
        name = next(filter(None, (*names, direction and item.title)), code)
        serial = detail.serial_number or item.serial_id
        return Approval(
            reference=code,
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


class Item(Payload):
    """An entry of the instance or the task list."""

    approval_code: Text = at("approval", "code")
    approval_name: Text = at("approval", "name")
    code: Text = at("instance", "code")
    status: Text = at("instance", "status")
    title: Text = at("instance", "title")
    serial_id: Text = at("instance", "serial_id")
    start_time: Text = at("instance", "start_time")
    user_id: Text = at("instance", "user_id")
    link: Text = at("instance", "link", "pc_link")
    task_status: Text = at("task", "status")
