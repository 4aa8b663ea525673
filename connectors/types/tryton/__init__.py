"""Tryton CRM (module ``sale_opportunity``): the employee's clients and open
opportunities, and reassigning opportunities to the successor.

Tryton keeps no owner on a party; what belongs to a salesperson is an
opportunity, whose ``employee`` (a ``company.employee``) is in charge. A
**deal** is an open opportunity (Lead or Opportunity) of the employee; a
**client** is a party they have open, converted or won opportunities with (lost
and cancelled ones are history), listing the open ones and the party's latest
quotation. The employee is found through the employee record's party, by the
``match_attribute`` setting: its e-mail (default), its party code (the employee
number) or the login of a Tryton user linked to it; someone without an
employee record simply has nothing there.

``records``: listing deals and clients; ``rpc``: the XML-RPC session through
proteus (the maintained client) and its error translation.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ...sdk.base import (
    DISCOVER,
    TRANSFER,
    UNKNOWN_RECORD_KIND,
    ConnectorError,
    ConnectorType,
    MisconfiguredError,
    Record,
    Setting,
    TransferResult,
)
from ...sdk.client import OptionsMixin
from ...sdk.common import (
    VERIFY_TLS,
    optional,
    secret_setting,
    timeout_setting,
    transfer_values,
    who,
)
from ...sdk.crm import MatchByMixin
from . import records
from .records import IS_OPEN, OPEN_STATES, Opportunity
from .rpc import TrytonRpc

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
MAPPING = {
    "customer": "customer",
    "contact_person": "contact",
    "open_deals": "open_deals",
    "last_quote": "last_quote",
}
BAD_URL = _(
    "The Tryton server URL must start with https:// (or http://), e.g. "
    "https://tryton.example.com/"
)
DESCRIPTIONS = {
    "client": _(
        "Reassign %(owner)s's open opportunities with “%(title)s” in Tryton to "
        "%(successor)s."
    ),
    "deal": _(
        "Reassign opportunity “%(title)s” in Tryton from %(owner)s to %(successor)s."
    ),
}
EVERYONE = {"active_test": False}  # former employees and users too


class TrytonConnector(TrytonRpc, MatchByMixin, OptionsMixin, ConnectorType):
    slug = "tryton"
    match_by_choices = MATCH_BY_CHOICES
    label = _("Tryton CRM")
    description = _(
        "Finds the employee's clients and open opportunities in Tryton (module "
        "sale_opportunity) and can reassign opportunities to the successor."
    )
    capabilities = frozenset({DISCOVER, TRANSFER})
    default_mappings = {"client": MAPPING, "deal": MAPPING}
    settings = (
        Setting(
            "url",
            _("Server URL"),
            _("Where the Tryton server answers, e.g. https://tryton.example.com/"),
            type="url",
            missing=BAD_URL,
            invalid=BAD_URL,
        ),
        Setting("database", _("Database"), _("The Tryton database name.")),
        Setting(
            "username",
            _("User name"),
            _("A Tryton login allowed to read parties, opportunities and sales."),
        ),
        optional(
            "match_by",
            _("Match employees by"),
            _("Which of the employee's details is looked up in Tryton."),
            default="email",
            choices=MATCH_BY_CHOICES,
        ),
        optional(
            "match_attribute",
            _("Compared with"),
            _("Where Tryton holds that detail for its employees."),
            default="email",
            choices=MATCH_ATTRIBUTE_CHOICES,
        ),
        timeout_setting(_("How long to wait for each call.")),
        VERIFY_TLS,
        secret_setting(
            "password",
            _("Password"),
            _(
                "The password of the Tryton login above. Stored encrypted; never "
                "shown again."
            ),
        ),
    )

    def test_connection(self) -> str:
        count = self.call("sale.opportunity", "search_count", [])
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

    def find_person(self, *, value: str, match_by: str) -> tuple[int, ...]:
        """Every employee record of the person (one per company, former ones
        too), by where ``match_attribute`` says Tryton holds ``value``."""
        attribute = self.option("match_attribute")
        if attribute == "email":
            # Matched literally: ilike's wildcards in an address are no wildcards.
            literal = (
                value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            )
            email = [("type", "=", "email"), ("value", "ilike", literal)]
            domain = [("party.contact_mechanisms", "where", email)]
        elif attribute == "party_code":
            domain = [("party.code", "=", value)]
        else:  # "login" (the choices are checked when the settings are saved)
            login = [("login", "=", value)]
            users = self.search_read("res.user", login, ["employees"], context=EVERYONE)
            ids = sorted({i for user in users for i in user.get("employees") or ()})
            domain = [("id", "in", ids)]
        found = self.call(
            "company.employee", "search", domain, 0, None, None, context=EVERYONE
        )
        return tuple(i for i in found if isinstance(i, int))

    def _employees(self, person) -> tuple[int, ...]:
        return self.person_id(person, required=False) or ()

    def list_records(self, *, employee, record_kind):
        employee_ids = list(self.listed_person(employee, system="Tryton") or ())
        if not employee_ids:
            return []
        if record_kind == "deal":
            return records.deals(self, employee_ids)
        return records.clients(self, employee_ids)

    # Write-backs ----------------------------------------------------------------------

    def describe_transfer(self, *, record, owner, successor) -> str:
        kind = "client" if record.kind == "client" else "deal"
        return DESCRIPTIONS[kind] % transfer_values(record, owner, successor)

    def transfer(self, *, record, owner, successor, note) -> TransferResult:
        if record.kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record.kind})
        record_id = _record_id(record)
        # The successor's current employee record in each company.
        ids = list(self._employees(successor))
        rows = self.call("company.employee", "read", ids, ["company", "active"])
        targets = {row["company"]: row["id"] for row in rows if row["active"]}
        if not targets:
            attribute = dict(MATCH_ATTRIBUTE_CHOICES).get(
                self.option("match_attribute")
            )
            raise MisconfiguredError(
                _(
                    "%(person)s has no employee record in Tryton: no employee "
                    "matches “%(value)s” (%(attribute)s). Create one, then try again."
                )
                % {
                    "person": who(successor),
                    "attribute": attribute,
                    "value": self.match_value(successor),
                }
            )
        if record.kind == "deal":
            rows = [self._opportunity(record)]
        else:
            owners = ("employee", "in", list(self._employees(owner)))
            party = ("party", "=", record_id)
            rows = records.opportunities(self, [party, IS_OPEN, owners])
        changed = [
            self._reassign(row, owner, successor, targets.get(row.company), note)
            for row in rows
        ]
        if record.kind == "deal":
            return TransferResult(response=changed[0])
        return TransferResult(response={"party": record_id, "opportunities": changed})

    def verify_transfer(self, *, record, successor) -> bool:
        mine = set(self._employees(successor))
        if record.kind == "deal":
            return self._opportunity(record).employee in mine
        # A client: the open opportunities it was discovered with (its upstream
        # fields list them) now belong to the successor; those closed since
        # have nothing left to move.
        listed = [i for i in (record.fields or {}).get("opportunities") or () if i]
        domain = [("party", "=", _record_id(record)), IS_OPEN]
        if listed:
            rows = records.opportunities(self, [*domain, ("id", "in", listed)])
            return all(row.employee in mine for row in rows)
        rows = records.opportunities(self, domain)
        return not rows or any(row.employee in mine for row in rows)

    def _opportunity(self, record: Record) -> Opportunity:
        rows = records.opportunities(self, [("id", "=", _record_id(record))])
        if not rows:
            raise ConnectorError(
                _("Opportunity “%(title)s” (%(id)s) no longer exists in Tryton.")
                % {"title": record.title, "id": record.external_id},
                retryable=False,
            )
        return rows[0]

    def _reassign(self, row: Opportunity, owner, successor, target, note) -> dict:
        if target is None:
            raise MisconfiguredError(
                _(
                    "%(person)s has no employee record in the Tryton company of "
                    "opportunity “%(title)s”. Create one there, then try again."
                )
                % {"person": who(successor), "title": row.title}
            )
        response = {"opportunity": row.id, "number": row.number}
        response.update(from_employee=row.employee, to_employee=target)
        if row.employee == target:
            # Already done (a retry after a lost answer): change nothing twice.
            return {**response, "changed": False}
        if row.state not in OPEN_STATES:
            raise ConnectorError(
                _(
                    "Opportunity “%(title)s” is no longer open in Tryton (it is "
                    "%(state)s), so it keeps its employee."
                )
                % {"title": row.title, "state": row.stage},
                retryable=False,
            )
        if row.employee not in (None, *self._employees(owner)):
            raise ConnectorError(
                _(
                    "Opportunity “%(title)s” now belongs to %(current)s in "
                    "Tryton, not to %(owner)s; Baton leaves it alone."
                )
                % {
                    "title": row.title,
                    "current": row.employee_.party_.name or str(row.employee),
                    "owner": who(owner),
                },
                retryable=False,
            )
        self.point("sale.opportunity", row.id, "employee", "company.employee", target)
        if note:
            # What matters is the reassignment: a login that may not write
            # notes only loses Baton's explanation.
            note = {"resource": f"sale.opportunity,{row.id}", "message": note}
            try:
                self.call("ir.note", "create", [note])
            except ConnectorError as error:
                if error.retryable:
                    raise
        return {**response, "changed": True}


def _record_id(record: Record) -> int:
    try:
        return int(str(record.external_id).strip())
    except ValueError:
        raise MisconfiguredError(
            _("“%(id)s” is not the id of a Tryton record.") % {"id": record.external_id}
        ) from None
