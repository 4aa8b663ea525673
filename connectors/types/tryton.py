"""Tryton CRM (the ``sale_opportunity`` module): the employee's clients and
open opportunities, and reassigning opportunities to the successor.

Tryton keeps no owner on a party; what belongs to a salesperson is an
opportunity, whose ``employee`` (a ``company.employee``) is the person in
charge. So:

* a **deal** is an open opportunity (state Lead or Opportunity) of the
  employee;
* a **client** is a party the employee has opportunities with that are open,
  converted into a sale, or won (lost and cancelled ones are history). Its
  item lists the open opportunities and the latest quotation sent to the
  party.

The employee is found through the employee record's party, by the setting
``match_attribute``: its e-mail contact mechanism (default), its party code
(the employee number), or the login of a Tryton user linked to the employee.
An employee without a record in Tryton simply has nothing there.

Talks XML-RPC to ``<url>/<database>/rpc/`` with proteus, one HTTP Basic
authenticated call at a time, each bounded by the connector's timeout.
Every failure becomes a ``ConnectorError`` (an outage: worth retrying) or a
``MisconfiguredError`` (wrong password, unknown database, no such employee:
an admin must act). Messages never carry the password.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import http.client
import socket
import ssl
import xml.parsers.expat
import xmlrpc.client
from decimal import Decimal
from urllib.parse import quote, urlsplit

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ..registry import register
from ._common import VERIFY_TLS, is_on, timeout_setting, transfer_values, who
from ._crm import CURRENCIES, PHONE_LIMIT, TEXT_LIMIT, MatchByMixin, money
from ._http import OptionsMixin
from .base import (
    DISCOVER,
    TRANSFER,
    UNKNOWN_RECORD_KIND,
    ConnectorError,
    ConnectorType,
    EmployeeRef,
    MisconfiguredError,
    Record,
    Setting,
    TransferResult,
)

__all__ = ["TrytonConnector"]

MATCH_BY_CHOICES = (
    ("email", _("Email address")),
    ("employee_number", _("Employee number")),
    ("directory_id", _("Directory ID")),
    ("username", _("Username")),
)
MATCH_ATTRIBUTE_CHOICES = (
    ("email", _("E-mail address of the employee's party")),
    ("party_code", _("Code of the employee's party")),
    ("login", _("Login of the Tryton user linked to the employee")),
)
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
# Sales that were quoted: their latest is the client's last quote.
QUOTED_SALE_STATES = ("quotation", "confirmed", "processing", "done")
# Tryton's UserError and UserWarning, LoginException and ConcurrencyException.
FAULT_USER_ERROR = 1
FAULT_USER_WARNING = 2
FAULT_LOGIN = 3
FAULT_CONCURRENCY = 4
DETAIL_LIMIT = 200
DEAL_MAPPING = {
    "customer": "customer",
    "contact_person": "contact",
    "open_deals": "open_deals",
    "last_quote": "last_quote",
}


class _SessionMixin:
    """Sends Tryton's session header once logged in, and bounds every
    connection by the connector's timeout."""

    timeout: float
    authorization: str | None = None

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection

    def send_headers(self, connection, headers):
        if self.authorization:
            headers = [*headers, ("Authorization", self.authorization)]
        super().send_headers(connection, headers)


class _Transport(_SessionMixin, xmlrpc.client.Transport):
    def __init__(self, timeout: float):
        super().__init__(use_builtin_types=True)
        self.timeout = timeout


class _SafeTransport(_SessionMixin, xmlrpc.client.SafeTransport):
    def __init__(self, timeout: float, context: ssl.SSLContext):
        super().__init__(use_builtin_types=True, context=context)
        self.timeout = timeout


@register
class TrytonConnector(MatchByMixin, OptionsMixin, ConnectorType):
    slug = "tryton"
    match_by_choices = MATCH_BY_CHOICES
    label = _("Tryton CRM")
    description = _(
        "Finds the employee's clients and open opportunities in Tryton (module "
        "sale_opportunity) and can reassign opportunities to the successor."
    )
    capabilities = frozenset({DISCOVER, TRANSFER})
    default_mappings = {"client": DEAL_MAPPING, "deal": DEAL_MAPPING}
    settings = (
        Setting(
            "url",
            _("Server URL"),
            _("Where the Tryton server answers, e.g. https://tryton.example.com/"),
        ),
        Setting("database", _("Database"), _("The Tryton database name.")),
        Setting(
            "username",
            _("User name"),
            _("A Tryton login allowed to read parties, opportunities and sales."),
        ),
        Setting(
            "match_by",
            _("Match employees by"),
            help_text=_("Which of the employee's details is looked up in Tryton."),
            required=False,
            default="email",
            choices=MATCH_BY_CHOICES,
        ),
        Setting(
            "match_attribute",
            _("Compared with"),
            help_text=_("Where Tryton holds that detail for its employees."),
            required=False,
            default="email",
            choices=MATCH_ATTRIBUTE_CHOICES,
        ),
        timeout_setting(_("How long to wait for each call.")),
        VERIFY_TLS,
        Setting("password", _("Password"), secret=True),
    )

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self.url = str(self.option("url") or "").strip()
        self.database = str(self.option("database") or "").strip()
        self.username = str(self.option("username") or "").strip()
        self.password = str(self.secrets.get("password") or "")
        parts = _split(self.url)
        self.host = parts.netloc.rpartition("@")[2] if parts else ""
        self._config = None

    def close(self) -> None:
        config, self._config = self._config, None
        if config is None:
            return
        with contextlib.suppress(Exception):
            config.server.common.db.logout()
        with contextlib.suppress(Exception):
            config.server("close")()

    # Talking to the server ----------------------------------------------------------

    def test_connection(self) -> str:
        self._connect()
        count = self._call("sale.opportunity", "search_count", [])
        return ngettext(
            "Connected to database “%(database)s” on %(host)s as %(user)s "
            "(%(count)d opportunity).",
            "Connected to database “%(database)s” on %(host)s as %(user)s "
            "(%(count)d opportunities).",
            count,
        ) % {
            "database": self.database,
            "host": self.host,
            "user": self.username,
            "count": count,
        }

    def discover(self, *, employee: EmployeeRef, record_kind: str):
        if record_kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        value = self._match_value(employee)
        if not value:
            raise ConnectorError(
                _("The employee has no %(value)s to look up in Tryton.")
                % {"value": self._match_label()},
                retryable=False,
            )
        employee_ids = self._employee_ids(value, active_only=False)
        if not employee_ids:
            return []
        if record_kind == "deal":
            return self._deals(employee_ids)
        return self._clients(employee_ids)

    # Deals and clients ----------------------------------------------------------------

    def _opportunities(self, domain, order=None) -> list[dict]:
        return self._call(
            "sale.opportunity",
            "search_read",
            domain,
            0,
            None,
            order or [("start_date", "DESC"), ("id", "DESC")],
            [
                "number",
                "reference",
                "description",
                "comment",
                "state",
                "amount",
                "currency.code",
                "conversion_probability",
                "start_date",
                "end_date",
                "party",
                "party.name",
                "contact",
                "employee",
                "employee.party.name",
                "company",
            ],
        )

    def _deals(self, employee_ids) -> list[Record]:
        opportunities = self._opportunities(
            [("employee", "in", employee_ids), ("state", "in", list(OPEN_STATES))]
        )
        contacts = self._contacts(
            {_id(row.get("party")) for row in opportunities} - {None},
            {_id(row.get("contact")) for row in opportunities} - {None},
        )
        return [self._deal_record(row, contacts) for row in opportunities]

    def _deal_record(self, row: dict, contacts: dict) -> Record:
        opportunity_id = _id(row.get("id"))
        if opportunity_id is None:
            return Record(
                external_id="",
                kind="deal",
                title="",
                error=str(_("Tryton returned an opportunity without an id.")),
            )
        deal = _deal(row)
        party_id = _id(row.get("party"))
        contact = contacts.get(("mechanism", _id(row.get("contact")))) or contacts.get(
            ("party", party_id), {}
        )
        return Record(
            external_id=str(opportunity_id),
            kind="deal",
            title=deal["title"],
            fields={
                "id": opportunity_id,
                "number": _text(row.get("number")),
                "reference": _text(row.get("reference")),
                "title": deal["title"],
                "customer": _related(row, "party", "name"),
                "party_id": party_id,
                "contact": contact,
                "amount": deal["amount"],
                "currency": _related(row, "currency", "code"),
                "stage": deal["stage"],
                "state": _text(row.get("state")),
                "probability": _percent(row.get("conversion_probability")),
                "next_step": deal.get("next_step", ""),
                "notes": _text(row.get("comment")),
                "start_date": _date(row.get("start_date")),
                "end_date": _date(row.get("end_date")),
                "owner": _related(row, "employee", "party", "name"),
                "open_deals": [deal],
            },
        )

    def _clients(self, employee_ids) -> list[Record]:
        opportunities = self._opportunities(
            [
                ("employee", "in", employee_ids),
                ("state", "in", list(CLIENT_STATES)),
                ("party", "!=", None),
            ]
        )
        by_party: dict[int, list] = {}
        for row in opportunities:
            party_id = _id(row.get("party"))
            if party_id is not None:
                by_party.setdefault(party_id, []).append(row)
        if not by_party:
            return []
        parties = {
            row["id"]: row
            for row in self._call(
                "party.party", "read", sorted(by_party), ["name", "code"]
            )
            if isinstance(row, dict) and _id(row.get("id")) is not None
        }
        contacts = self._contacts(set(by_party), set())
        quotes = self._last_quotes(set(by_party))
        records = []
        for party_id, rows in by_party.items():
            party = parties.get(party_id, {})
            name = _text(party.get("name")) or _related(rows[0], "party", "name")
            open_rows = [row for row in rows if row.get("state") in OPEN_STATES]
            deals = [_deal(row) for row in open_rows]
            quote = quotes.get(party_id)
            records.append(
                Record(
                    external_id=str(party_id),
                    kind="client",
                    title=name,
                    fields={
                        "id": party_id,
                        "name": name,
                        "code": _text(party.get("code")),
                        "customer": name,
                        "contact": contacts.get(("party", party_id), {}),
                        "email": contacts.get(("email", party_id), ""),
                        "phone": contacts.get(("phone", party_id), ""),
                        "address": contacts.get(("address", party_id), ""),
                        "open_deals": deals,
                        "open_deal_count": len(deals),
                        "opportunities": [_id(row.get("id")) for row in open_rows],
                        "last_quote": quote["text"] if quote else None,
                        "quote": quote["details"] if quote else None,
                    },
                )
            )
        records.sort(key=lambda record: record.title.casefold())
        return records

    def _contacts(self, party_ids: set, mechanism_ids: set) -> dict:
        """Contact persons: per party (its e-mail and phone contact mechanisms,
        named by the mechanism's name or the address's attention line) and per
        contact mechanism an opportunity names."""
        if not party_ids and not mechanism_ids:
            return {}
        domain = [("type", "in", ["email", "phone", "mobile"])]
        if mechanism_ids:
            domain = [
                *domain,
                [
                    "OR",
                    ("party", "in", sorted(party_ids)),
                    ("id", "in", sorted(mechanism_ids)),
                ],
            ]
        else:
            domain = [*domain, ("party", "in", sorted(party_ids))]
        mechanisms = self._call(
            "party.contact_mechanism",
            "search_read",
            domain,
            0,
            None,
            [("sequence", "ASC"), ("id", "ASC")],
            ["party", "type", "value", "name"],
        )
        addresses = self._call(
            "party.address",
            "search_read",
            [("party", "in", sorted(party_ids))],
            0,
            None,
            [("sequence", "ASC"), ("id", "ASC")],
            ["party", "attn", "full_address"],
        )
        found: dict = {}
        for address in addresses:
            party_id = _id(address.get("party"))
            if party_id is None:
                continue
            if _text(address.get("attn")):
                found.setdefault(("attn", party_id), _text(address["attn"]))
            text = " ".join(_text(address.get("full_address")).split())
            if text:
                found.setdefault(("address", party_id), text[:TEXT_LIMIT])
        for mechanism in mechanisms:
            party_id = _id(mechanism.get("party"))
            kind = "email" if mechanism.get("type") == "email" else "phone"
            value = _text(mechanism.get("value")).strip()
            if party_id is None or not value:
                continue
            found.setdefault((kind, party_id), value)
            if _text(mechanism.get("name")):
                found.setdefault(("name", party_id), _text(mechanism["name"]))
            if mechanism.get("id") in mechanism_ids:
                found[("mechanism", mechanism["id"])] = _person(
                    name=_text(mechanism.get("name")),
                    **{kind: value},
                )
        for party_id in party_ids:
            found[("party", party_id)] = _person(
                name=found.get(("name", party_id)) or found.get(("attn", party_id)),
                email=found.get(("email", party_id)),
                phone=found.get(("phone", party_id)),
            )
        return found

    def _last_quotes(self, party_ids: set) -> dict:
        """The latest quotation per party; none when this login may not read
        sales (the rest of the client is still worth having)."""
        try:
            sales = self._call(
                "sale.sale",
                "search_read",
                [
                    ("party", "in", sorted(party_ids)),
                    ("state", "in", list(QUOTED_SALE_STATES)),
                    ("quotation_date", "!=", None),
                ],
                0,
                None,
                [("quotation_date", "DESC"), ("id", "DESC")],
                [
                    *("party", "number", "reference", "state", "quotation_date"),
                    *("total_amount", "currency.code"),
                ],
            )
        except ConnectorError as error:
            if error.retryable:
                raise
            return {}
        quotes = {}
        for sale in sales:
            party_id = _id(sale.get("party"))
            if party_id is None or party_id in quotes:
                continue
            amount = money(sale.get("total_amount"))
            currency = _related(sale, "currency", "code")
            date = _date(sale.get("quotation_date"))
            number = _text(sale.get("number")) or str(sale.get("id"))
            text = _("%(amount)s %(currency)s, quote %(number)s of %(date)s") % {
                "amount": amount or "?",
                "currency": currency,
                "number": number,
                "date": date,
            }
            quotes[party_id] = {
                "text": str(text)[:TEXT_LIMIT],
                "details": {
                    "id": sale.get("id"),
                    "number": number,
                    "amount": amount,
                    "currency": currency,
                    "date": date,
                    "state": _text(sale.get("state")),
                },
            }
        return quotes

    # Employees ------------------------------------------------------------------------

    def _employee_ids(self, value: str, *, active_only: bool) -> list[int]:
        attribute = self.option("match_attribute")
        if attribute == "email":
            domain = [
                (
                    "party.contact_mechanisms",
                    "where",
                    [("type", "=", "email"), ("value", "ilike", _like(value))],
                )
            ]
        elif attribute == "party_code":
            domain = [("party.code", "=", value)]
        elif attribute == "login":
            users = self._call(
                "res.user",
                "search_read",
                [("login", "=", value)],
                0,
                None,
                None,
                ["employees"],
                context={"active_test": False},
            )
            ids = sorted({i for user in users for i in user.get("employees") or ()})
            if not ids:
                return []
            domain = [("id", "in", ids)]
        else:
            raise MisconfiguredError(
                _("Unknown Tryton attribute “%(attribute)s” to match employees by.")
                % {"attribute": attribute}
            )
        context = {} if active_only else {"active_test": False}
        found = self._call(
            "company.employee", "search", domain, 0, None, None, context=context
        )
        return [i for i in found if isinstance(i, int)]

    def _successor_employees(self, successor: EmployeeRef) -> list[dict]:
        value = self._match_value(successor)
        if not value:
            raise MisconfiguredError(
                _("%(person)s has no %(value)s to look up in Tryton.")
                % {"person": who(successor), "value": self._match_label()}
            )
        ids = self._employee_ids(value, active_only=True)
        if not ids:
            raise MisconfiguredError(
                _(
                    "%(person)s has no employee record in Tryton: no employee "
                    "matches “%(value)s” (%(attribute)s). Create one, then try again."
                )
                % {
                    "person": who(successor),
                    "attribute": str(
                        dict(MATCH_ATTRIBUTE_CHOICES).get(
                            self.option("match_attribute"), ""
                        )
                    ),
                    "value": value,
                }
            )
        return self._call("company.employee", "read", ids, ["company", "party.name"])

    # Write-backs ----------------------------------------------------------------------

    def describe_transfer(self, *, record, owner, successor) -> str:
        values = transfer_values(record, owner, successor)
        if record.kind == "client":
            return (
                _(
                    "Reassign %(owner)s's open opportunities with “%(title)s” in "
                    "Tryton to %(successor)s."
                )
                % values
            )
        return (
            _(
                "Reassign opportunity “%(title)s” in Tryton from %(owner)s to "
                "%(successor)s."
            )
            % values
        )

    def transfer(self, *, record, owner, successor, note) -> TransferResult:
        if record.kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record.kind})
        record_id = _record_id(record)
        successors = self._successor_employees(successor)
        if record.kind == "deal":
            rows = self._read_opportunities([record_id], record)
        else:
            value = self._match_value(owner)
            owners = self._employee_ids(value, active_only=False) if value else []
            rows = self._opportunities(
                [
                    ("party", "=", record_id),
                    ("state", "in", list(OPEN_STATES)),
                    ("employee", "in", owners),
                ]
            )
        changed = [
            self._reassign(row, record, owner, successor, successors, note)
            for row in rows
        ]
        if record.kind == "deal":
            return TransferResult(response=changed[0])
        return TransferResult(response={"party": record_id, "opportunities": changed})

    def verify_transfer(self, *, record, successor) -> bool:
        record_id = _record_id(record)
        value = self._match_value(successor)
        mine = set(self._employee_ids(value, active_only=False)) if value else set()
        if record.kind == "deal":
            row = self._read_opportunities([record_id], record)[0]
            return _id(row.get("employee")) in mine
        # A client: the open opportunities it was discovered with (its upstream
        # fields list them) now belong to the successor; those closed since
        # have nothing left to move.
        listed = [i for i in (record.fields or {}).get("opportunities") or () if _id(i)]
        domain = [("party", "=", record_id), ("state", "in", list(OPEN_STATES))]
        if listed:
            rows = self._opportunities([*domain, ("id", "in", listed)])
            return all(_id(row.get("employee")) in mine for row in rows)
        rows = self._opportunities(domain)
        return not rows or any(_id(row.get("employee")) in mine for row in rows)

    def _read_opportunities(self, ids, record) -> list[dict]:
        rows = self._opportunities([("id", "in", ids)])
        if not rows:
            raise ConnectorError(
                _("Opportunity “%(title)s” (%(id)s) no longer exists in Tryton.")
                % {"title": record.title, "id": record.external_id},
                retryable=False,
            )
        return rows

    def _reassign(self, row, record, owner, successor, successors, note) -> dict:
        from proteus import Model

        opportunity_id = row["id"]
        title = _deal(row)["title"]
        current = _id(row.get("employee"))
        company = _id(row.get("company"))
        target = next(
            (
                _id(employee.get("id"))
                for employee in successors
                if _id(employee.get("company")) == company
            ),
            None,
        )
        if target is None:
            raise MisconfiguredError(
                _(
                    "%(person)s has no employee record in the Tryton company of "
                    "opportunity “%(title)s”. Create one there, then try again."
                )
                % {"person": who(successor), "title": title}
            )
        response = {
            "opportunity": opportunity_id,
            "number": _text(row.get("number")),
            "from_employee": current,
            "to_employee": target,
        }
        if current == target:
            # Already done (a retry after a lost answer): change nothing twice.
            return {**response, "changed": False}
        if row.get("state") not in OPEN_STATES:
            raise ConnectorError(
                _(
                    "Opportunity “%(title)s” is no longer open in Tryton (it is "
                    "%(state)s), so it keeps its employee."
                )
                % {
                    "title": title,
                    "state": str(STAGES.get(row.get("state"), row.get("state"))),
                },
                retryable=False,
            )
        if record.kind == "deal" and current is not None:
            value = self._match_value(owner)
            owners = self._employee_ids(value, active_only=False) if value else []
            if current not in owners:
                raise ConnectorError(
                    _(
                        "Opportunity “%(title)s” now belongs to %(current)s in "
                        "Tryton, not to %(owner)s; Baton leaves it alone."
                    )
                    % {
                        "title": title,
                        "current": _related(row, "employee", "party", "name")
                        or str(current),
                        "owner": who(owner),
                    },
                    retryable=False,
                )
        config = self._connect()
        with self._errors():
            Opportunity = Model.get("sale.opportunity", config=config)
            Employee = Model.get("company.employee", config=config)
            opportunity = Opportunity(opportunity_id)
            opportunity.employee = Employee(target)
            opportunity.save()
        if note:
            self._add_note(opportunity_id, note)
        return {**response, "changed": True}

    def _add_note(self, opportunity_id: int, note: str) -> None:
        """Baton's explanation as a note on the opportunity. The reassignment is
        what matters: a login that may not write notes only loses the note."""
        try:
            self._call(
                "ir.note",
                "create",
                [{"resource": f"sale.opportunity,{opportunity_id}", "message": note}],
            )
        except ConnectorError as error:
            if error.retryable:
                raise

    # XML-RPC ------------------------------------------------------------------------

    def _check_settings(self) -> None:
        parts = _split(self.url)
        if parts is None or parts.scheme not in ("http", "https") or not self.host:
            raise MisconfiguredError(
                _(
                    "The Tryton server URL must start with https:// (or http://), "
                    "e.g. https://tryton.example.com/"
                )
            )
        if not self.database:
            raise MisconfiguredError(_("Enter the name of the Tryton database."))
        if not self.username:
            raise MisconfiguredError(_("Enter the Tryton user name."))
        if not self.password:
            raise MisconfiguredError(_("Enter the password of the Tryton user."))

    def _rpc_url(self) -> str:
        parts = _split(self.url)
        path = parts.path.rstrip("/")
        return (
            f"{parts.scheme}://{self.host}{path}/{quote(self.database, safe='')}/rpc/"
        )

    def _transport(self):
        if _split(self.url).scheme == "https":
            context = ssl.create_default_context()
            if not is_on(self.option("verify_tls")):
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            return _SafeTransport(self.timeout, context)
        return _Transport(self.timeout)

    def _connect(self):
        """The proteus configuration of a logged-in session (one password
        check per run instead of one per call)."""
        if self._config is None:
            self._check_settings()
            from proteus import config as proteus_config

            transport = self._transport()
            server = xmlrpc.client.ServerProxy(
                self._rpc_url(), transport=transport, allow_none=True
            )
            with self._errors():
                answer = server.common.db.login(
                    self.username, {"password": self.password}, "en"
                )
                try:
                    user_id, session = int(answer[0]), str(answer[1])
                except (TypeError, ValueError, IndexError):
                    raise xmlrpc.client.ResponseError() from None
                token = f"{self.username}:{user_id}:{session}".encode()
                transport.authorization = "Session " + base64.b64encode(token).decode()
                self._config = proteus_config.XmlrpcConfig(
                    self._rpc_url(), transport=transport
                )
        return self._config

    def _call(self, model: str, method: str, *args, context=None):
        config = self._connect()
        full_context = {**config.context, "company_filter": "all", **(context or {})}
        with self._errors():
            proxy = config.get_proxy(model)
            return getattr(proxy, method)(*args, full_context)

    def _errors(self):
        return _ErrorTranslator(self)

    def _scrub(self, text: str) -> str:
        text = str(text or "")
        if self.password:
            text = text.replace(self.password, "•••")
        text = " ".join(text.split()).rstrip(" -")
        if len(text) > DETAIL_LIMIT:
            text = text[: DETAIL_LIMIT - 1] + "…"
        return text


class _ErrorTranslator:
    """Turns what xmlrpc.client and the network raise into connector errors."""

    def __init__(self, connector: TrytonConnector):
        self.connector = connector

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        if exc is None or isinstance(exc, ConnectorError):
            return False
        error = self.translate(exc)
        if error is None:
            return False
        raise error from None

    def translate(self, exc) -> ConnectorError | None:
        connector = self.connector
        host = connector.host
        if isinstance(exc, xmlrpc.client.Fault):
            detail = connector._scrub(exc.faultString)
            if exc.faultCode == FAULT_LOGIN:
                return MisconfiguredError(_refused(connector))
            if exc.faultCode in (FAULT_USER_ERROR, FAULT_USER_WARNING):
                return ConnectorError(
                    _("Tryton refused: %(detail)s") % {"detail": detail},
                    retryable=False,
                )
            if exc.faultCode == FAULT_CONCURRENCY:
                return ConnectorError(
                    _(
                        "Someone changed the record in Tryton at the same time: "
                        "%(detail)s"
                    )
                    % {"detail": detail}
                )
            return ConnectorError(
                _("The Tryton server at %(host)s failed while answering: %(detail)s")
                % {"host": host, "detail": detail}
            )
        if isinstance(exc, xmlrpc.client.ProtocolError):
            status = exc.errcode
            if status in (401, 403):
                return MisconfiguredError(_refused(connector))
            if status == 404:
                return MisconfiguredError(
                    _(
                        "There is no database “%(database)s” on the Tryton server at "
                        "%(host)s."
                    )
                    % {"database": connector.database, "host": host}
                )
            if status == 429:
                return ConnectorError(
                    _(
                        "The Tryton server at %(host)s is refusing logins for a while "
                        "after too many failed attempts (HTTP 429)."
                    )
                    % {"host": host}
                )
            if status >= 500 or status == 408:
                return ConnectorError(
                    _(
                        "The Tryton server at %(host)s failed to answer (HTTP "
                        "%(status)s)."
                    )
                    % {"host": host, "status": status}
                )
            return MisconfiguredError(
                _(
                    "%(host)s rejected the call (HTTP %(status)s). Is %(url)s the "
                    "address of a Tryton server?"
                )
                % {"host": host, "status": status, "url": _public_url(connector.url)}
            )
        if isinstance(exc, socket.timeout | TimeoutError):
            return ConnectorError(
                _(
                    "The Tryton server at %(host)s did not answer within "
                    "%(seconds)s seconds."
                )
                % {"host": host, "seconds": f"{connector.timeout:g}"}
            )
        if isinstance(exc, ssl.SSLCertVerificationError | ssl.CertificateError):
            return MisconfiguredError(
                _(
                    "The TLS certificate of %(host)s could not be verified. Fix the "
                    "certificate or, for a test system only, turn off TLS verification."
                )
                % {"host": host}
            )
        if isinstance(exc, OSError | http.client.HTTPException):
            return ConnectorError(
                _(
                    "Could not connect to the Tryton server at %(host)s. Is it "
                    "running and reachable?"
                )
                % {"host": host}
            )
        if isinstance(exc, xml.parsers.expat.ExpatError | xmlrpc.client.ResponseError):
            return MisconfiguredError(
                _("%(host)s did not answer like a Tryton server. Check the server URL.")
                % {"host": host}
            )
        if isinstance(exc, ValueError | TypeError | KeyError | IndexError):
            # proteus or xmlrpc.client choking on an unexpected answer.
            return ConnectorError(
                _("%(host)s did not answer like a Tryton server. Check the server URL.")
                % {"host": host},
                retryable=False,
            )
        return None


def _refused(connector: TrytonConnector):
    return _(
        "Tryton refused the user name or password for database “%(database)s”."
    ) % {"database": connector.database}


# Values -------------------------------------------------------------------------------


def _split(url: str):
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return parts if parts.netloc else None


def _public_url(url: str) -> str:
    parts = _split(url)
    if parts is None:
        return str(url)[:200]
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"[:200]


def _like(value: str) -> str:
    """A value matched literally by Tryton's (i)like."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _id(value):
    if isinstance(value, bool):
        return None
    return value if isinstance(value, int) else None


def _record_id(record: Record) -> int:
    try:
        return int(str(record.external_id).strip())
    except ValueError:
        raise MisconfiguredError(
            _("“%(id)s” is not the id of a Tryton record.") % {"id": record.external_id}
        ) from None


def _text(value) -> str:
    if value is None or value is False or isinstance(value, dict | list):
        return ""
    return str(value)


def _related(row: dict, *path: str) -> str:
    """A value read through a relation: search_read names ``party.name`` as
    ``{"party.": {"name": ...}}``."""
    current = row
    for part in path[:-1]:
        current = current.get(f"{part}.") if isinstance(current, dict) else None
    return _text(current.get(path[-1])) if isinstance(current, dict) else ""


def _date(value) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return ""


def _percent(value) -> int | None:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return round(float(value) * 100)
    return None


def _person(*, name=None, email=None, phone=None) -> dict:
    person = {}
    if name:
        person["name"] = str(name)[:TEXT_LIMIT]
    if email:
        person["email"] = str(email)[:TEXT_LIMIT]
    if phone:
        person["phone"] = str(phone)[:PHONE_LIMIT]
    return person


def _deal(row: dict) -> dict:
    """One entry of a client item's open deals."""
    title = _text(row.get("description")).strip() or _text(row.get("number"))
    if not title:
        title = gettext("Opportunity %(id)s") % {"id": row.get("id")}
    amount = money(row.get("amount"))
    currency = _related(row, "currency", "code")
    if amount is not None and currency and currency not in CURRENCIES:
        # The item holds a few currencies only: keep the amount readable.
        title = f"{title} ({amount} {currency})"
        amount = None
    stage = str(STAGES.get(row.get("state"), _text(row.get("state"))))
    percent = _percent(row.get("conversion_probability"))
    if percent is not None:
        stage = gettext("%(stage)s (%(percent)s%% likely)") % {
            "stage": stage,
            "percent": percent,
        }
    comment = _text(row.get("comment"))
    next_step = next(
        (line.strip() for line in comment.splitlines() if line.strip()), ""
    )
    deal = {
        "title": title[:TEXT_LIMIT],
        "amount": amount,
        "currency": currency if currency in CURRENCIES and amount is not None else None,
        "stage": stage[:TEXT_LIMIT],
    }
    if next_step:
        deal["next_step"] = next_step[:TEXT_LIMIT]
    return deal
