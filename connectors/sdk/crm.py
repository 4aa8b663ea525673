"""What the CRM connectors (HubSpot, Tryton) share: the limits of a client
item's fields, money amounts, open deals, contact persons and the last quote as
the item holds them, and finding people by the connector's ``match_by``
setting."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from checklist_blocks.blocks.items import CURRENCY_CHOICES

from .base import EmployeeRef
from .people import FindsPeople

__all__ = [
    "CURRENCIES",
    "MAX_AMOUNT",
    "PHONE_LIMIT",
    "TEXT_LIMIT",
    "MatchByMixin",
    "contact_person",
    "money",
    "open_deal",
    "quote_summary",
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


def open_deal(*, title: str, amount, currency: str, stage: str, next_step="") -> dict:
    """One entry of a client item's open deals. The item holds a few currencies
    only: an amount in another one stays readable in the title instead."""
    amount = money(amount)
    if amount is not None and currency and currency not in CURRENCIES:
        title, amount = f"{title} ({amount} {currency})", None
    known = currency in CURRENCIES and amount is not None
    deal = {
        "title": title[:TEXT_LIMIT],
        "amount": amount,
        "currency": currency if known else None,
        "stage": stage[:TEXT_LIMIT],
    }
    if next_step:
        deal["next_step"] = next_step[:TEXT_LIMIT]
    return deal


def contact_person(*, name="", title="", email="", phone="") -> dict:
    """A client item's contact person: the details given, cut to its limits."""
    values = {"name": name, "title": title, "email": email, "phone": phone}
    return {
        key: str(value)[: PHONE_LIMIT if key == "phone" else TEXT_LIMIT]
        for key, value in values.items()
        if value
    }


def quote_summary(message, details: dict) -> dict:
    """A client item's last quote: ``message`` filled from ``details`` (an
    unknown amount shows as "?") as its text, the details kept beside it."""
    text = message % {**details, "amount": details["amount"] or "?"}
    return {"text": str(text)[:TEXT_LIMIT], "details": details}


class MatchByMixin(FindsPeople):
    """People are looked up by the employee value the ``match_by`` setting
    names (one of ``match_by_choices``), as ``FindsPeople`` does."""

    match_by_choices: tuple = ()

    def _match_value(self, person: EmployeeRef) -> str:
        return self.match_value(person)

    def _match_label(self) -> str:
        match_by = self.match_by()
        return str(dict(self.match_by_choices).get(match_by, match_by)).lower()
