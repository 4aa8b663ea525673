"""What the approval connectors (Feishu, DingTalk) share: the record fields
their approvals and reimbursements become, amounts, currencies and dates read
from approval forms, and how a reimbursement is told from other approvals."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from checklist_blocks.blocks.items import CURRENCY_CHOICES

from .base import Record, Setting

__all__ = [
    "APPROVAL_MAPPING",
    "CURRENCIES",
    "EXPENSE_KEYWORDS",
    "EXPENSE_MAPPING",
    "amount_of",
    "approval_title",
    "currency_in",
    "date_from_millis",
    "date_of",
    "expense_settings",
    "is_expense",
    "json_list",
    "problem",
    "unsupported_currency",
]

# record field -> item property, the same for every approval system.
APPROVAL_MAPPING = {
    "system": "system",
    "reference": "reference",
    "title": "title",
    "direction": "direction",
    "amount": "amount",
    "status": "status",
}
EXPENSE_MAPPING = {
    "description": "description",
    "amount": "amount",
    "currency": "currency",
    "incurred_on": "incurred_on",
    "status": "status",
    "reference": "reference",
}
CURRENCIES = frozenset(code for code, _label in CURRENCY_CHOICES)
# Words in an approval's name that make it a reimbursement when no codes are set.
EXPENSE_KEYWORDS = ("报销", "费用", "reimburse", "expense")
_CURRENCY_SIGNS = {"¥": "CNY", "￥": "CNY", "元": "CNY", "$": "USD", "€": "EUR"}


def expense_settings(*, codes_label, codes_help):
    """The settings both approval types use to find reimbursements."""
    return (
        Setting(
            "expense_codes",
            codes_label,
            codes_help,
            required=False,
            default=[],
            type="array",
        ),
        Setting(
            "expenses_in_approvals",
            _("List reimbursements among the approvals too"),
            _(
                "Off: a pending reimbursement is listed only as an expense, so a "
                "template with both blocks does not show it twice."
            ),
            required=False,
            default=False,
            type="boolean",
        ),
        Setting(
            "default_currency",
            _("Currency when the form names none"),
            required=False,
            default="CNY",
            choices=CURRENCY_CHOICES,
        ),
    )


def is_expense(*, code: str, name: str, codes) -> bool:
    """Whether an approval of definition ``code`` named ``name`` is a
    reimbursement: one of the configured codes, or, when none are configured,
    a name with a reimbursement word in it."""
    configured = [str(entry).strip() for entry in codes or () if str(entry).strip()]
    if configured:
        return code in configured
    text = (name or "").casefold()
    return any(word in text for word in EXPENSE_KEYWORDS)


def amount_of(value) -> str | None:
    """A non-negative amount as a decimal string with two places ("1000.00"),
    or None when ``value`` is no amount."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace(" ", "")
        for sign in _CURRENCY_SIGNS:
            text = text.replace(sign, "")
        for code in CURRENCIES:
            text = text.replace(code, "")
    else:
        return None
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0:
        return None
    return format(number.quantize(Decimal("0.01")), "f")


def currency_in(value) -> str:
    """The ISO code a form's currency value names, "" when none."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    if text.upper() in CURRENCIES or (len(text) == 3 and text.isalpha()):
        return text.upper()
    return _CURRENCY_SIGNS.get(text, "")


def date_of(value) -> str | None:
    """An ISO date ("2026-10-12") from a form's date value, None otherwise."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return date_from_millis(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return date_from_millis(text)
    try:
        return (
            datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
            .date()
            .isoformat()
        )
    except ValueError:
        pass
    try:
        return datetime.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


def date_from_millis(value) -> str | None:
    """The company-time date of a Unix timestamp in milliseconds."""
    try:
        millis = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    if millis <= 0:
        return None
    zone = ZoneInfo(django_settings.TIME_ZONE)
    try:
        moment = datetime.datetime.fromtimestamp(millis / 1000, tz=zone)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.date().isoformat()


def json_list(value) -> list:
    """A form kept as a JSON string (or already decoded) as a list; [] if not."""
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value.strip():
        try:
            decoded = json.loads(value)
        except ValueError:
            return []
        return decoded if isinstance(decoded, list) else []
    return []


def approval_title(name: str, reference: str) -> str:
    """An approval's title: its name, and its reference when it has one."""
    return f"{name} — {reference}" if reference else name


def problem(external_id: str, kind: str, message) -> Record:
    """A record that cannot be imported, with the reason people see."""
    return Record(external_id=external_id, kind=kind, title="", error=str(message))


def unsupported_currency(reference: str, currency: str) -> str:
    return gettext(
        "%(reference)s is in %(currency)s, a currency Baton cannot record yet."
    ) % {"reference": reference, "currency": currency}
