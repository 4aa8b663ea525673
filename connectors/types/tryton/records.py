"""Listing records: the employee's open opportunities (deals) and the parties
they are with (clients), read with ``search_read`` into pydantic models."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pydantic import BeforeValidator, Field

from ...sdk.base import ConnectorError, Record
from ...sdk.crm import TEXT_LIMIT, contact_person, money, open_deal, quote_summary
from ...sdk.payloads import Nested, NestedList, Payload, Text, parse_each

# Opportunity states: open ones can still be won and reassigned.
OPEN_STATES = ("lead", "opportunity")
IS_OPEN = ("state", "in", list(OPEN_STATES))
CLIENT_STATES = ("lead", "opportunity", "converted", "won")
STAGES = {
    "lead": _("Lead"),
    "opportunity": _("Opportunity"),
    "converted": _("Converted"),
    "won": _("Won"),
    "lost": _("Lost"),
    "cancelled": _("Cancelled"),
}
CONTACT = ("name", "type", "value")
OPPORTUNITY_FIELDS = [
    *("number", "reference", "description", "comment", "state", "amount"),
    *("currency.code", "conversion_probability", "start_date", "end_date"),
    *("party", "party.name", "party.code", "employee", "employee.party.name"),
    *("company", *(f"contact.{name}" for name in CONTACT)),
    *(f"party.contact_mechanisms.{name}" for name in CONTACT),
    *("party.addresses.attn", "party.addresses.full_address"),
]
SALE_FIELDS = ["party", "number", "state", "quotation_date", "total_amount"]
SALE_FIELDS += ["currency.code"]
# Sales that were quoted: their latest is the client's last quote.
QUOTED = ("state", "in", ["quotation", "confirmed", "processing", "done"])
LATEST = [("id", "DESC")]
# Deal record fields read as the opportunity has them.
SAME_NAMED = {"id", "number", "reference", "start_date", "end_date"}


def _percent(value):
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return round(float(value) * 100)
    return None


# A many-to-one reads as the id it points to.
Id = Annotated[
    int | None,
    BeforeValidator(lambda value: value if type(value) is int else None),
]
IsoDate = Annotated[
    str,
    BeforeValidator(lambda v: v.isoformat() if isinstance(v, datetime.date) else ""),
]


def _through(relation: str, model=None):
    """``search_read`` names ``party.name`` as ``{"party.": {"name": ...}}``."""
    return Field(default_factory=model or Party, alias=f"{relation}.")


def _first(values) -> str:
    return next(filter(None, values), "")


class Mechanism(Payload):
    """A contact mechanism: an e-mail address, a phone number…"""

    type: Text = ""
    value: Text = ""
    name: Text = ""

    def contact(self) -> dict:
        """The contact person it names; {} unless it is an e-mail or phone."""
        if not self.value or self.type not in ("email", "phone", "mobile"):
            return {}
        kind = "email" if self.type == "email" else "phone"
        return contact_person(name=self.name, **{kind: self.value})


class Address(Payload):
    attn: Text = ""
    full_address: Text = ""


class Party(Payload):
    """A party (its contact mechanisms and addresses in order), or the currency
    of ``currency.code``."""

    name: Text = ""
    code: Text = ""
    mechanisms: NestedList[Mechanism] = Field([], alias="contact_mechanisms.")
    addresses: NestedList[Address] = Field([], alias="addresses.")

    def details(self) -> dict:
        """Its first e-mail, phone and address, and its contact person: those
        named by a contact mechanism's name, else an address's attention line."""
        own = [row for row in self.mechanisms if row.contact()]
        email = _first(row.value for row in own if row.type == "email")
        phone = _first(row.value for row in own if row.type != "email")
        name = _first(row.name for row in own) or _first(
            row.attn for row in self.addresses
        )
        address = _first(" ".join(row.full_address.split()) for row in self.addresses)
        return {
            "contact": contact_person(name=name, email=email, phone=phone),
            "email": email,
            "phone": phone,
            "address": address[:TEXT_LIMIT],
        }


class Employee(Payload):
    party_: Nested[Party] = _through("party")


class Opportunity(Payload):
    id: int
    number: Text = ""
    reference: Text = ""
    description: Text = ""
    comment: Text = ""
    state: Text = ""
    amount: Any = None
    conversion_probability: Annotated[int | None, BeforeValidator(_percent)] = None
    start_date: IsoDate = ""
    end_date: IsoDate = ""
    party: Id = None
    contact: Id = None
    employee: Id = None
    company: Id = None
    party_: Nested[Party] = _through("party")
    currency_: Nested[Party] = _through("currency")
    employee_: Nested[Employee] = _through("employee", Employee)
    contact_: Nested[Mechanism] = _through("contact", Mechanism)

    @property
    def title(self) -> str:
        untitled = gettext("Opportunity %(id)s") % {"id": self.id}
        return self.description or self.number or untitled

    @property
    def stage(self) -> str:
        return str(STAGES.get(self.state, self.state))

    def as_open_deal(self) -> dict:
        """This opportunity as an entry of an item's open deals."""
        stage = self.stage
        if self.conversion_probability is not None:
            stage = gettext("%(stage)s (%(percent)s%% likely)") % {
                "stage": stage,
                "percent": self.conversion_probability,
            }
        return open_deal(
            title=self.title,
            amount=self.amount,
            currency=self.currency_.code,
            stage=stage,
            next_step=_first(line.strip() for line in self.comment.splitlines()),
        )


class Sale(Payload):
    id: Any = None
    party: Id = None
    number: Text = ""
    state: Text = ""
    quotation_date: IsoDate = ""
    total_amount: Any = None
    currency_: Nested[Party] = _through("currency")


def opportunities(rpc, domain) -> list[Opportunity]:
    order = [("start_date", "DESC"), *LATEST]
    rows = rpc.search_read("sale.opportunity", domain, OPPORTUNITY_FIELDS, order=order)
    return list(parse_each(Opportunity, rows))


def deals(rpc, employee_ids: list) -> list[Record]:
    found = []
    for row in opportunities(rpc, [("employee", "in", employee_ids), IS_OPEN]):
        deal = row.as_open_deal()
        fields = {
            **row.model_dump(include=SAME_NAMED),
            "title": deal["title"],
            "customer": row.party_.name,
            "party_id": row.party,
            "contact": row.contact_.contact() or row.party_.details()["contact"],
            "amount": deal["amount"],
            "currency": row.currency_.code,
            "stage": deal["stage"],
            "state": row.state,
            "probability": row.conversion_probability,
            "next_step": deal.get("next_step", ""),
            "notes": row.comment,
            "owner": row.employee_.party_.name,
            "open_deals": [deal],
        }
        found.append(Record(str(row.id), "deal", deal["title"], fields))
    return found


def clients(rpc, employee_ids: list) -> list[Record]:
    """A client: a party with the employee's open, converted or won
    opportunities, the open ones and its last quote."""
    mine = [("employee", "in", employee_ids), ("state", "in", list(CLIENT_STATES))]
    by_party: dict[int, list] = {}
    for row in opportunities(rpc, [*mine, ("party", "!=", None)]):
        by_party.setdefault(row.party, []).append(row)
    quotes = _last_quotes(rpc, sorted(by_party)) if by_party else {}
    found = []
    for party_id, rows in by_party.items():
        party = rows[0].party_
        open_rows = [row for row in rows if row.state in OPEN_STATES]
        deals = [row.as_open_deal() for row in open_rows]
        quote = quotes.get(party_id, {})
        fields = {
            "id": party_id,
            "name": party.name,
            "code": party.code,
            "customer": party.name,
            **party.details(),
            "open_deals": deals,
            "open_deal_count": len(deals),
            "opportunities": [row.id for row in open_rows],
            "last_quote": quote.get("text"),
            "quote": quote.get("details"),
        }
        found.append(Record(str(party_id), "client", party.name, fields))
    return sorted(found, key=lambda record: record.title.casefold())


def _last_quotes(rpc, party_ids: list) -> dict:
    """Party id -> its latest quotation; none when this login may not read
    sales (the rest of the client is still worth having)."""
    domain = [("party", "in", party_ids), QUOTED, ("quotation_date", "!=", None)]
    order = [("quotation_date", "DESC"), *LATEST]
    try:
        sales = rpc.search_read("sale.sale", domain, SALE_FIELDS, order=order)
    except ConnectorError as error:
        if error.retryable:
            raise
        return {}
    quotes = {}
    for sale in parse_each(Sale, sales):
        if sale.party is None or sale.party in quotes:
            continue
        details = {
            "id": sale.id,
            "number": sale.number or str(sale.id),
            "amount": money(sale.total_amount),
            "currency": sale.currency_.code,
            "date": sale.quotation_date,
            "state": sale.state,
        }
        message = _("%(amount)s %(currency)s, quote %(number)s of %(date)s")
        quotes[sale.party] = quote_summary(message, details)
    return quotes
