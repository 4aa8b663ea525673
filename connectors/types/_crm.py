"""What the CRM connectors (HubSpot, Tryton) share: the limits of a client
item's fields, money amounts as the item holds them, and finding people by the
connector's ``match_by`` setting."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from checklist_blocks.blocks.items import CURRENCY_CHOICES

from .base import EmployeeRef

__all__ = [
    "CURRENCIES",
    "MAX_AMOUNT",
    "PHONE_LIMIT",
    "TEXT_LIMIT",
    "MatchByMixin",
    "money",
]

CURRENCIES = frozenset(code for code, _label in CURRENCY_CHOICES)
TEXT_LIMIT = 255
PHONE_LIMIT = 50
MAX_AMOUNT = Decimal("999999999999.99")


def money(value) -> str | None:
    """A money amount as the item holds it: "1234.50", no sign; None when the
    value is no amount (or out of range)."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        amount = Decimal(text).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    if amount < 0 or amount > MAX_AMOUNT:
        return None
    return str(amount)


class MatchByMixin:
    """People are looked up by the employee value the ``match_by`` setting
    names (one of ``match_by_choices``)."""

    match_by_choices: tuple = ()

    def _match_value(self, person: EmployeeRef) -> str:
        return person.value(str(self.option("match_by") or "email")).strip()

    def _match_label(self) -> str:
        match_by = str(self.option("match_by") or "email")
        return str(dict(self.match_by_choices).get(match_by, match_by)).lower()
