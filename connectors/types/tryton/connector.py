"""The Tryton CRM type: find the employee, list their deals and clients,
reassign opportunities to the successor and read that back."""

from __future__ import annotations

from functools import cached_property

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ...sdk.base import (
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
from ...sdk.client import OptionsMixin, host_of
from ...sdk.common import VERIFY_TLS, is_on, timeout_setting, transfer_values, who
from ...sdk.crm import MatchByMixin
from . import records
from .records import OPEN_STATES, Opportunity
from .rpc import TrytonSession

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


class TrytonConnector(MatchByMixin, OptionsMixin, ConnectorType):
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
        Setting(
            "database",
            _("Database"),
            _("The Tryton database name."),
        ),
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
        Setting(
            "password",
            _("Password"),
            secret=True,
        ),
    )

    @cached_property
    def rpc(self) -> TrytonSession:
        """The session, once the settings are known to be usable."""
        self.require_settings()
        url = str(self.option("url")).strip()
        if not host_of(url):
            raise MisconfiguredError(BAD_URL)
        return TrytonSession(
            url=url,
            database=str(self.option("database")).strip(),
            username=str(self.option("username")).strip(),
            password=str(self.secrets["password"]),
            timeout=self.timeout,
            verify_tls=is_on(self.option("verify_tls")),
        )

    def close(self) -> None:
        if "rpc" in self.__dict__:
            self.rpc.close()

    def test_connection(self) -> str:
        count = self.rpc.call("sale.opportunity", "search_count", [])
        return ngettext(
            "Connected to database “%(database)s” on %(host)s as %(user)s "
            "(%(count)d opportunity).",
            "Connected to database “%(database)s” on %(host)s as %(user)s "
            "(%(count)d opportunities).",
            count,
        ) % {
            "database": self.rpc.database,
            "host": self.rpc.host,
            "user": self.rpc.username,
            "count": count,
        }

    # Finding the person ---------------------------------------------------------------

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
            users = records.search(
                self.rpc, "res.user", login, ["employees"], context=EVERYONE
            )
            ids = sorted({i for user in users for i in user.get("employees") or ()})
            domain = [("id", "in", ids)]
            if not ids:
                return ()
        found = self.rpc.call(
            "company.employee", "search", domain, 0, None, None, context=EVERYONE
        )
        return tuple(i for i in found if isinstance(i, int))

    def _employees(self, person: EmployeeRef) -> tuple[int, ...]:
        return self.person_id(person, required=False) or ()

    def _successor_employees(self, successor: EmployeeRef) -> list[dict]:
        """The successor's current employee records, with their company."""
        value = self.match_value(successor)
        if not value:
            raise MisconfiguredError(
                _("%(person)s has no %(value)s to look up in Tryton.")
                % {"person": who(successor), "value": self._match_label()}
            )
        ids = list(self._employees(successor))
        rows = self.rpc.call("company.employee", "read", ids, ["company", "active"])
        if not any(row.get("active") for row in rows):
            attribute = dict(MATCH_ATTRIBUTE_CHOICES).get(
                self.option("match_attribute"), ""
            )
            raise MisconfiguredError(
                _(
                    "%(person)s has no employee record in Tryton: no employee "
                    "matches “%(value)s” (%(attribute)s). Create one, then try again."
                )
                % {
                    "person": who(successor),
                    "attribute": str(attribute),
                    "value": value,
                }
            )
        return [row for row in rows if row.get("active")]

    # Listing records ------------------------------------------------------------------

    def discover(self, *, employee: EmployeeRef, record_kind: str):
        if record_kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        if not self.match_value(employee):
            raise ConnectorError(
                _("The employee has no %(value)s to look up in Tryton.")
                % {"value": self._match_label()},
                retryable=False,
            )
        employee_ids = list(self._employees(employee))
        if not employee_ids:
            return []
        if record_kind == "deal":
            return records.deals(self.rpc, employee_ids)
        return records.clients(self.rpc, employee_ids)

    # Write-backs ----------------------------------------------------------------------

    def describe_transfer(self, *, record, owner, successor) -> str:
        kind = "client" if record.kind == "client" else "deal"
        return DESCRIPTIONS[kind] % transfer_values(record, owner, successor)

    def transfer(self, *, record, owner, successor, note) -> TransferResult:
        if record.kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record.kind})
        record_id = _record_id(record)
        successors = self._successor_employees(successor)
        if record.kind == "deal":
            rows = self._existing(record_id, record)
        else:
            owners = ("employee", "in", list(self._employees(owner)))
            open_ones = ("state", "in", list(OPEN_STATES))
            rows = records.opportunities(
                self.rpc, [("party", "=", record_id), open_ones, owners]
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
        mine = set(self._employees(successor))
        if record.kind == "deal":
            return self._existing(record_id, record)[0].employee in mine
        # A client: the open opportunities it was discovered with (its upstream
        # fields list them) now belong to the successor; those closed since
        # have nothing left to move.
        listed = [i for i in (record.fields or {}).get("opportunities") or () if i]
        domain = [("party", "=", record_id), ("state", "in", list(OPEN_STATES))]
        if listed:
            rows = records.opportunities(self.rpc, [*domain, ("id", "in", listed)])
            return all(row.employee in mine for row in rows)
        rows = records.opportunities(self.rpc, domain)
        return not rows or any(row.employee in mine for row in rows)

    def _existing(self, record_id: int, record: Record) -> list[Opportunity]:
        rows = records.opportunities(self.rpc, [("id", "in", [record_id])])
        if not rows:
            raise ConnectorError(
                _("Opportunity “%(title)s” (%(id)s) no longer exists in Tryton.")
                % {"title": record.title, "id": record.external_id},
                retryable=False,
            )
        return rows

    def _reassign(self, row, record, owner, successor, successors, note) -> dict:
        same_company = (e["id"] for e in successors if e.get("company") == row.company)
        target = next(same_company, None)
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
        if record.kind == "deal" and row.employee not in (
            None,
            *self._employees(owner),
        ):
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
        self.rpc.point(
            "sale.opportunity", row.id, "employee", "company.employee", target
        )
        if note:
            # What matters is the reassignment: a login that may not write
            # notes only loses Baton's explanation.
            note = {"resource": f"sale.opportunity,{row.id}", "message": note}
            try:
                self.rpc.call("ir.note", "create", [note])
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
