"""What the CRM connectors (HubSpot, Tryton) share: the default mapping of
their client and deal records, the limits of a client item's fields, money
amounts, open deals, contact persons and the last quote as the item holds them,
and finding people by the connector's ``match_by`` setting."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from checklist_blocks.blocks.items import CURRENCY_CHOICES

from .base import ConnectorError, EmployeeRef
from .common import NO_VALUE
from .people import FindsPeople

__all__ = [
    "CRM_MAPPING",
    "CURRENCIES",
    "MAX_AMOUNT",
    "PHONE_LIMIT",
    "TEXT_LIMIT",
    "MatchByMixin",
    "client_fields",
    "contact_person",
    "deal_fields",
    "money",
    "open_deal",
    "quote_summary",
]

CURRENCIES = frozenset(code for code, _label in CURRENCY_CHOICES)
TEXT_LIMIT = 255
PHONE_LIMIT = 50
MAX_AMOUNT = Decimal("999999999999.99")
# Item property -> record field, for a CRM's "client" and "deal" records alike.
CRM_MAPPING = {
    "customer": "customer",
    "contact_person": "contact",
    "open_deals": "open_deals",
    "last_quote": "last_quote",
}


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


def deal_fields(deal: dict, **fields) -> dict:
    """A deal record's fields: its ``open_deal`` entry's title, amount, stage
    and next step, the entry as the item's open deals, and the system's own
    ``fields`` (customer, contact, currency code…)."""
    return {
        "title": deal["title"],
        "amount": deal["amount"],
        "stage": deal["stage"],
        "next_step": deal.get("next_step", ""),
        "open_deals": [deal],
        **fields,
    }


def client_fields(name: str, deals: list, quote: dict, **fields) -> dict:
    """A client record's fields: its name (also as the customer), its
    ``open_deal`` entries, its ``quote_summary`` (or {}), and the system's own
    ``fields`` (contact, ids…)."""
    return {
        "name": name,
        "customer": name,
        "open_deals": deals,
        "open_deal_count": len(deals),
        "last_quote": quote.get("text"),
        "quote": quote.get("details"),
        **fields,
    }


class MatchByMixin(FindsPeople):
    """People are looked up by the employee value the ``match_by`` setting
    names (one of ``match_by_choices``), as ``FindsPeople`` does."""

    match_by_choices: tuple = ()

    def listed_person(self, employee: EmployeeRef, *, system: str) -> str | None:
        """The upstream id of the employee whose records are listed (None when
        nobody matches: they have no records there). An employee without the
        value to look up is an error that retrying cannot fix."""
        if not self.match_value(employee):
            raise ConnectorError(
                NO_VALUE % {"value": self._match_label(), "system": system},
                retryable=False,
            )
        return self.person_id(employee, required=False)

    def _match_label(self) -> str:
        match_by = self.match_by()
        return str(dict(self.match_by_choices).get(match_by, match_by)).lower()
