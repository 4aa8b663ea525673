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
from ...sdk.payloads import Nested, Payload, Text, parse_each
from .rpc import TrytonSession

# Opportunity states: open ones can still be won and reassigned.
OPEN_STATES = ("lead", "opportunity")
CLIENT_STATES = ("lead", "opportunity", "converted", "won")
STAGES = {
    "lead": _("Lead"),
    "opportunity": _("Opportunity"),
    "converted": _("Converted"),
    "won": _("Won"),
    "lost": _("Lost"),
    "cancelled": _("Cancelled"),
}
OPPORTUNITY_FIELDS = [
    *("number", "reference", "description", "comment", "state", "amount"),
    *("currency.code", "conversion_probability", "start_date", "end_date"),
    *("party", "party.name", "contact", "employee", "employee.party.name"),
    "company",
]
SALE_FIELDS = ["party", "number", "reference", "state", "quotation_date"]
SALE_FIELDS += ["total_amount", "currency.code"]
# Sales that were quoted: their latest is the client's last quote.
QUOTED = ("state", "in", ["quotation", "confirmed", "processing", "done"])
IN_ORDER = [("sequence", "ASC"), ("id", "ASC")]


def _id(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _percent(value):
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return round(float(value) * 100)
    return None


# A many-to-one reads as the id it points to.
Id = Annotated[int | None, BeforeValidator(_id)]
IsoDate = Annotated[
    str,
    BeforeValidator(lambda v: v.isoformat() if isinstance(v, datetime.date) else ""),
]


def _through(relation: str, model=None):
    """``search_read`` names ``party.name`` as ``{"party.": {"name": ...}}``."""
    return Field(default_factory=model or Party, alias=f"{relation}.")


class Party(Payload):
    """A party, or the currency of ``currency.code``."""

    id: Id = None
    name: Text = ""
    code: Text = ""


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

    @property
    def title(self) -> str:
        untitled = gettext("Opportunity %(id)s") % {"id": self.id}
        return self.description or self.number or untitled

    @property
    def stage(self) -> str:
        return str(STAGES.get(self.state, self.state))


class Mechanism(Payload):
    id: Id = None
    party: Id = None
    type: Text = ""
    value: Text = ""
    name: Text = ""


class Address(Payload):
    party: Id = None
    attn: Text = ""
    full_address: Text = ""


class Sale(Payload):
    id: Any = None
    party: Id = None
    number: Text = ""
    state: Text = ""
    quotation_date: IsoDate = ""
    total_amount: Any = None
    currency_: Nested[Party] = _through("currency")


def open_deal_of(row: Opportunity) -> dict:
    """One entry of an item's open deals."""
    stage = row.stage
    if row.conversion_probability is not None:
        stage = gettext("%(stage)s (%(percent)s%% likely)") % {
            "stage": stage,
            "percent": row.conversion_probability,
        }
    lines = (line.strip() for line in row.comment.splitlines())
    return open_deal(
        title=row.title,
        amount=row.amount,
        currency=row.currency_.code,
        stage=stage,
        next_step=next((line for line in lines if line), ""),
    )


def deal_record(row: Opportunity, found: dict) -> Record:
    deal = open_deal_of(row)
    contact = found.get(("mechanism", row.contact)) or found.get(("party", row.party))
    fields = {
        "id": row.id,
        "number": row.number,
        "reference": row.reference,
        "title": deal["title"],
        "customer": row.party_.name,
        "party_id": row.party,
        "contact": contact or {},
        "amount": deal["amount"],
        "currency": row.currency_.code,
        "stage": deal["stage"],
        "state": row.state,
        "probability": row.conversion_probability,
        "next_step": deal.get("next_step", ""),
        "notes": row.comment,
        "start_date": row.start_date,
        "end_date": row.end_date,
        "owner": row.employee_.party_.name,
        "open_deals": [deal],
    }
    return Record(str(row.id), "deal", deal["title"], fields)


def client_record(party_id: int, party: Party, rows, found, quote: dict) -> Record:
    """A client: the party, its open opportunities and its last quote."""
    name = party.name or rows[0].party_.name
    open_rows = [row for row in rows if row.state in OPEN_STATES]
    deals = [open_deal_of(row) for row in open_rows]
    fields = {
        "id": party_id,
        "name": name,
        "code": party.code,
        "customer": name,
        "contact": found.get(("party", party_id), {}),
        **{
            key: found.get((key, party_id), "") for key in ("email", "phone", "address")
        },
        "open_deals": deals,
        "open_deal_count": len(deals),
        "opportunities": [row.id for row in open_rows],
        "last_quote": quote.get("text"),
        "quote": quote.get("details"),
    }
    return Record(str(party_id), "client", name, fields)


def search(rpc: TrytonSession, model, domain, fields, *, order=None, context=None):
    return rpc.call(
        model, "search_read", domain, 0, None, order, fields, context=context
    )


def opportunities(rpc: TrytonSession, domain) -> list[Opportunity]:
    order = [("start_date", "DESC"), ("id", "DESC")]
    rows = search(rpc, "sale.opportunity", domain, OPPORTUNITY_FIELDS, order=order)
    return list(parse_each(Opportunity, rows))


def deals(rpc: TrytonSession, employee_ids: list) -> list[Record]:
    mine = ("employee", "in", employee_ids)
    rows = opportunities(rpc, [mine, ("state", "in", list(OPEN_STATES))])
    parties = {row.party for row in rows} - {None}
    found = _contacts(rpc, parties, {row.contact for row in rows} - {None})
    return [deal_record(row, found) for row in rows]


def clients(rpc: TrytonSession, employee_ids: list) -> list[Record]:
    domain = [("employee", "in", employee_ids), ("state", "in", list(CLIENT_STATES))]
    by_party: dict[int, list] = {}
    for row in opportunities(rpc, [*domain, ("party", "!=", None)]):
        if row.party is not None:
            by_party.setdefault(row.party, []).append(row)
    if not by_party:
        return []
    read = rpc.call("party.party", "read", sorted(by_party), ["name", "code"])
    parties = {party.id: party for party in parse_each(Party, read) if party.id}
    found = _contacts(rpc, set(by_party), set())
    quotes = _last_quotes(rpc, sorted(by_party))
    records = [
        client_record(
            party_id,
            parties.get(party_id, Party()),
            rows,
            found,
            quotes.get(party_id, {}),
        )
        for party_id, rows in by_party.items()
    ]
    return sorted(records, key=lambda record: record.title.casefold())


def _contacts(rpc: TrytonSession, party_ids: set, mechanism_ids: set) -> dict:
    """Per party (``("party", id)``) its contact person: its first e-mail and
    phone, named by a contact mechanism's name or else an address's attention
    line; per contact mechanism an opportunity names (``("mechanism", id)``)
    that one. Also each party's first ``"email"``, ``"phone"``, ``"address"``."""
    if not party_ids and not mechanism_ids:
        return {}
    of_parties = ("party", "in", sorted(party_ids))
    wanted = of_parties
    if mechanism_ids:
        wanted = ["OR", of_parties, ("id", "in", sorted(mechanism_ids))]
    kinds = ("type", "in", ["email", "phone", "mobile"])
    fields = ["party", "type", "value", "name"]
    mechanisms = search(
        rpc, "party.contact_mechanism", [kinds, wanted], fields, order=IN_ORDER
    )
    fields = ["party", "attn", "full_address"]
    addresses = search(rpc, "party.address", [of_parties], fields, order=IN_ORDER)
    found: dict = {}
    for address in parse_each(Address, addresses):
        if address.party is not None and address.attn:
            found.setdefault(("attn", address.party), address.attn)
        text = " ".join(address.full_address.split())
        if address.party is not None and text:
            found.setdefault(("address", address.party), text[:TEXT_LIMIT])
    for mechanism in parse_each(Mechanism, mechanisms):
        kind = "email" if mechanism.type == "email" else "phone"
        if mechanism.party is None or not mechanism.value:
            continue
        found.setdefault((kind, mechanism.party), mechanism.value)
        if mechanism.name:
            found.setdefault(("name", mechanism.party), mechanism.name)
        if mechanism.id in mechanism_ids:
            found[("mechanism", mechanism.id)] = contact_person(
                name=mechanism.name, **{kind: mechanism.value}
            )
    for party_id in party_ids:
        found[("party", party_id)] = contact_person(
            name=found.get(("name", party_id)) or found.get(("attn", party_id)),
            email=found.get(("email", party_id)),
            phone=found.get(("phone", party_id)),
        )
    return found


def _last_quotes(rpc: TrytonSession, party_ids: list) -> dict:
    """Party id -> its latest quotation; none when this login may not read
    sales (the rest of the client is still worth having)."""
    domain = [("party", "in", party_ids), QUOTED, ("quotation_date", "!=", None)]
    order = [("quotation_date", "DESC"), ("id", "DESC")]
    try:
        sales = search(rpc, "sale.sale", domain, SALE_FIELDS, order=order)
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
