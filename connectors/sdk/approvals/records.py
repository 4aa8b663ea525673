"""The records approvals and reimbursements become, the same for every
approval system, and ``ApprovalsConnector``: ``list_records`` for a type that
lists what an employee raised and what awaits them."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from checklist_blocks.blocks.items import CURRENCY_CHOICES

from ..base import ConnectorError, Record
from ..common import NO_VALUE, clean_text, match_label, optional, unreadable
from ..people import FindsPeople
from .forms import CURRENCIES, FormField, form_amount, form_date, form_reason

__all__ = ["Approval", "ApprovalsConnector", "expense_settings"]

# Words in an approval's name that make it a reimbursement when no codes are set.
EXPENSE_KEYWORDS = ("报销", "费用", "reimburse", "expense")
_APPROVAL_FIELDS = ("system", "reference", "title", "direction", "amount", "status")
_EXPENSE_FIELDS = (
    "description",
    "amount",
    "currency",
    "incurred_on",
    "status",
    "reference",
)


def expense_settings(*, codes_label, codes_help):
    return (
        optional(
            "expense_codes",
            codes_label,
            codes_help,
            default=[],
            type="array",
        ),
        optional(
            "expenses_in_approvals",
            _("List reimbursements among the approvals too"),
            _(
                "Off: a pending reimbursement is listed only as an expense, so a "
                "template with both blocks does not show it twice."
            ),
            default=False,
            type="boolean",
        ),
        optional(
            "default_currency",
            _("Currency when the form names none"),
            _("Given to a reimbursement whose form has no currency field."),
            default="CNY",
            choices=CURRENCY_CHOICES,
        ),
    )


@dataclass
class Approval:
    reference: str
    name: str = ""
    # The serial number people know it by (Feishu) or its business id (DingTalk).
    serial: str = ""
    upstream_status: str = ""
    started_on: str | None = None
    form: list[FormField] = field(default_factory=list)
    initiator: str = ""
    # Record fields of the vendor's own (serial number, link…).
    extra: dict = field(default_factory=dict)


class ApprovalsConnector(FindsPeople):
    """``list_records`` for approval types (mixed in before ``ConnectorType``).

    A type finds the employee's user id (``FindsPeople``) and implements
    ``_raised(user_id, expenses=)`` and ``_awaiting(user_id)`` (its entries,
    whatever they are), ``_is_expense(entry)`` and ``_approval(entry,
    direction=)`` (an ``Approval``, or None when it was decided meanwhile);
    it has a ``system`` name.
    """

    default_mappings = {
        "approval": {name: name for name in _APPROVAL_FIELDS},
        "expense": {name: name for name in _EXPENSE_FIELDS},
    }

    def list_records(self, *, employee, record_kind: str):
        if not self.match_value(employee):
            value = match_label(self.match_by())
            raise ConnectorError(
                NO_VALUE % {"value": value, "system": self.system}, retryable=False
            )
        user_id = self.person_id(employee)
        if record_kind == "expense":
            raised = self._raised(user_id, expenses=True)
            found = (self._record(e) for e in raised if self._is_expense(e))
            return [record for record in found if record is not None]
        with_expenses = self.option("expenses_in_approvals") is True
        raised = (
            (entry, "raised_by_me")
            for entry in self._raised(user_id, expenses=False)
            if with_expenses or not self._is_expense(entry)
        )
        awaiting = ((entry, "awaiting_my_action") for entry in self._awaiting(user_id))
        records = {}
        # Awaiting action wins over raised: something must be done.
        for entry, direction in chain(raised, awaiting):
            record = self._record(entry, direction)
            if record is not None:
                records[record.external_id or id(record)] = record
        return list(records.values())

    def is_expense(self, *, code: str, name: str) -> bool:
        configured = self.codes("expense_codes")
        if configured:
            return code in configured
        return any(word in (name or "").casefold() for word in EXPENSE_KEYWORDS)

    def codes(self, setting: str) -> list[str]:
        """The codes an array setting lists, trimmed, each once."""
        codes = map(clean_text, self.option(setting) or [])
        return list(dict.fromkeys(filter(None, codes)))

    def _record(self, entry, direction: str = "") -> Record | None:
        approval = self._approval(entry, direction=direction)
        kind = "approval" if direction else "expense"
        if approval is None or isinstance(approval, Record):
            return approval  # decided meanwhile, or unreadable
        amount, currency = form_amount(approval.form)
        currency = currency or str(self.option("default_currency") or "CNY").upper()
        # The title names the serial number people know the approval by.
        suffix = f" — {approval.serial}" if approval.serial else ""
        fields = {"system": self.system, "reference": approval.reference}
        fields.update(approval.extra, upstream_status=approval.upstream_status)
        if direction:
            return Record(
                external_id=approval.reference,
                kind=kind,
                title=approval.name + suffix,
                fields={
                    **fields,
                    "title": approval.name,
                    "direction": direction,
                    "amount": amount,
                    "currency": currency,
                    "status": "pending",
                    "started_on": approval.started_on,
                    "initiator": approval.initiator,
                },
            )
        if currency not in CURRENCIES:
            message = gettext(
                "%(reference)s is in %(currency)s, a currency Baton cannot record yet."
            )
            values = {"reference": approval.reference, "currency": currency}
            return unreadable(kind, approval.reference, message % values)
        reason = form_reason(approval.form)
        return Record(
            external_id=approval.reference,
            kind=kind,
            title=(reason or approval.name) + suffix,
            fields={
                **fields,
                "description": f"{approval.name}: {reason}"
                if reason
                else approval.name,
                "amount": amount,
                "currency": currency,
                "incurred_on": form_date(approval.form) or approval.started_on,
                "submitted_on": approval.started_on,
                "status": "submitted",
            },
        )
