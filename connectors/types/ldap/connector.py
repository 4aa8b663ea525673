"""The LDAP / Active Directory type: the employee's account and its groups as
records, access changes on them, and everyone under the user base DN for the
directory sync. A person is *disabled* by the rule ``suspend_account``
follows or a "disabled" status value; *leaving* by a "leaving" status value or
the leaving group.

Every access change (and the read it depends on) goes through the write bind;
only entries under the connector's base DNs are ever touched. Suspending:
Active Directory sets the disabled bit of userAccountControl; OpenLDAP, by
``disable_method``, writes the disabled attribute, a password policy lock
(pwdAccountLockedTime) or an unusable password (its hash kept in a backup
attribute for restoring). ``_disabled`` tells a suspended account by the same
rule, so discover, access_state and the directory sync agree with it."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator

import ldap3
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from ldap3.utils.conv import escape_filter_chars

from ...sdk.base import (
    DISCOVER,
    REVOKE,
    ConnectorError,
    ConnectorType,
    EmployeeRef,
    MisconfiguredError,
    Record,
)
from ...sdk.client import OptionsMixin
from ...sdk.common import match_label
from ...sdk.directory import (
    ATTRIBUTE_FIELDS,
    DirectoryValues,
    attribute_setting,
    person_status,
    with_managers,
)
from .access import LdapAccess
from .connection import (
    Entry,
    LdapConnection,
    dn_parts,
    ldap_date,
    normal_dn,
)
from .settings import (
    ACTIVE_DIRECTORY,
    AD_USER_FILTER,
    DEFAULT_USER_FILTER,
    METHOD_PASSWORD,
    METHOD_PPOLICY,
    SETTINGS,
)

__all__ = ["LdapConnector"]

logger = logging.getLogger(__name__)

# An attribute description: a name (letters, digits, hyphens) or an OID.
ATTRIBUTE_NAME = re.compile(r"^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$")
# The person's values taken from their attributes as they are.
AS_READ = ("employee_number", "department_code", "department_name", "position")


class LdapConnector(LdapAccess, LdapConnection, OptionsMixin, ConnectorType):
    slug = "ldap"
    label = _("LDAP / Active Directory")
    description = _(
        "Lists the employee's directory account and the groups it belongs to, "
        "from OpenLDAP, Active Directory or another LDAP server."
    )
    capabilities = frozenset({DISCOVER, REVOKE})
    default_mappings = {
        "account": {"system": "system", "account_id": "account"},
        "group": {
            "system": "system",
            "account_id": "account",
            "role_permission": "cn",
        },
    }
    settings = SETTINGS
    supports_directory = True

    @property
    def is_ad(self) -> bool:
        return self.option("flavour") == ACTIVE_DIRECTORY

    @property
    def member_attributes(self) -> tuple[str, ...]:
        return ("member",) if self.is_ad else ("member", "uniqueMember")

    def _filter(self, name) -> str:
        value = self._text(name)
        if name == "user_filter" and self.is_ad and value == DEFAULT_USER_FILTER:
            value = AD_USER_FILTER
        return value if value.startswith("(") else f"({value})"

    def _attribute(self, name) -> str:
        value = self._text(name)
        if value and not ATTRIBUTE_NAME.match(value):
            raise MisconfiguredError(
                gettext("“%(value)s” is not an LDAP attribute name (%(setting)s).")
                % {
                    "value": value,
                    "setting": next(s.label for s in self.settings if s.name == name),
                }
            )
        return value

    def test_connection(self) -> str:
        user_base = self._text("user_base_dn")
        try:
            for base in (user_base, self._text("group_base_dn")):
                self._search(base, "(objectClass=*)", ["1.1"], scope=ldap3.BASE)
            count = len(self._search(user_base, self._filter("user_filter"), ["1.1"]))
        finally:
            self.close()
        return ngettext(
            "Connected to %(uri)s as %(who)s; %(count)s account under %(base)s.",
            "Connected to %(uri)s as %(who)s; %(count)s accounts under %(base)s.",
            count,
        ) % {
            "uri": self.uri,
            "who": self.bind_dn or gettext("anonymous"),
            "count": count,
            "base": user_base,
        }

    def list_records(self, *, employee: EmployeeRef, record_kind: str) -> list[Record]:
        accounts = self._accounts(employee)
        if record_kind == "account":
            return [self._account_record(entry) for entry in accounts]
        return self._group_records(accounts)

    def _attributes(self, *names) -> list[str]:
        """``names``, and what gives an account's login and stable id and
        tells whether it is disabled."""
        if self.is_ad:
            names += ("sAMAccountName", "userPrincipalName")
            names += ("userAccountControl", "objectGUID")
        else:
            method = self.option("disable_method")
            status = {METHOD_PPOLICY: METHOD_PPOLICY, METHOD_PASSWORD: "userPassword"}
            names += ("uid", "entryUUID", status.get(method))
            names += (self._attribute("disabled_attribute"),)
        return sorted(set(filter(None, names)), key=str.lower)

    def _accounts(self, person: EmployeeRef) -> list[Entry]:
        """The accounts whose match attribute holds ``person``'s value."""
        value = person.value(self.option("match_by")).strip()
        if not value:
            raise ConnectorError(
                gettext("The employee has no %(detail)s to look up in the directory.")
                % {"detail": match_label(self.option("match_by"))},
                retryable=False,
            )
        match = f"({self._attribute('match_attribute')}={escape_filter_chars(value)})"
        entries = self._search(
            self._text("user_base_dn"),
            f"(&{self._filter('user_filter')}{match})",
            self._attributes(
                *("cn", "mail", "displayName", "employeeNumber", "memberOf"),
                self._attribute("match_attribute"),
            ),
        )
        return sorted(entries, key=lambda entry: entry.dn.lower())

    def _stable_id(self, entry: Entry) -> str:
        if not self.is_ad:
            return entry.first("entryUUID") or entry.dn
        raw = entry.raw_values("objectGUID")
        return (
            str(uuid.UUID(bytes_le=raw[0])) if raw and len(raw[0]) == 16 else entry.dn
        )

    def _login(self, entry: Entry) -> str:
        names = ("sAMAccountName", "userPrincipalName") if self.is_ad else ("uid",)
        return next(filter(None, map(entry.first, (*names, "mail", "cn"))), "")

    def _account_record(self, entry: Entry) -> Record:
        external_id, login = self._stable_id(entry), self._login(entry)
        if not login:
            error = gettext(
                "The directory entry %(dn)s has no login name, email or common name."
            )
            return Record(external_id, "account", "", error=error % {"dn": entry.dn})
        fields = {
            "system": self._system_name(),
            "account": login,
            "dn": entry.dn,
            "uid": login,
            "mail": entry.first("mail"),
            "cn": entry.first("cn"),
            "display_name": entry.first("displayName"),
            "employee_number": entry.first("employeeNumber"),
            "disabled": self._disabled(entry),
            "member_of": entry.texts("memberOf"),
        }
        if self.is_ad:
            fields["user_principal_name"] = entry.first("userPrincipalName")
        return Record(external_id, "account", login, fields=fields)

    def _system_name(self) -> str:
        return self._text("system_name") or self._endpoint()[0]

    def _groups_listing(self, dns, attributes, *, write=False):
        """The groups listing any of ``dns`` as a member: those the group filter
        accepts, or all of them for a change (``write``)."""
        clauses = "".join(
            f"({name}={escape_filter_chars(dn)})"
            for dn in dns
            for name in self.member_attributes
        )
        search_filter = f"(|{clauses})"
        if not write:
            search_filter = f"(&{self._filter('group_filter')}{search_filter})"
        return self._search(
            self._text("group_base_dn"),
            search_filter,
            [*attributes, *self.member_attributes],
            write=write,
        )

    def _group_records(self, accounts: list[Entry]) -> list[Record]:
        if not accounts:
            return []
        guid = "objectGUID" if self.is_ad else "entryUUID"
        attributes = ["cn", "description", "owner", "managedBy", guid]
        groups = self._groups_listing([entry.dn for entry in accounts], attributes)
        own = {normal_dn(entry.dn): self._login(entry) for entry in accounts}
        records = [self._group_record(group, own) for group in groups]
        return sorted(
            records, key=lambda record: (record.title.lower(), record.external_id)
        )

    def _group_record(self, group: Entry, own: dict) -> Record:
        external_id, cn = self._stable_id(group), group.first("cn")
        if not cn:
            error = gettext("The group %(dn)s has no common name (cn).")
            return Record(external_id, "group", "", error=error % {"dn": group.dn})
        members, complete = group.members()
        owner = group.first("owner") or group.first("managedBy")
        owner_rdn = dn_parts(owner)
        fields = {
            "system": self._system_name(),
            "account": ", ".join(login for dn, login in own.items() if dn in members),
            "dn": group.dn,
            "cn": cn,
            "description": group.first("description"),
            "member_count": len(members),
            "member_count_complete": complete,
            "sole_member": complete and bool(members) and members.keys() <= own.keys(),
            "owner": owner,
            "owner_name": owner_rdn[0][1] if owner_rdn else owner,
        }
        return Record(external_id, "group", cn, fields=fields)

    def list_people(self) -> Iterator[DirectoryValues]:
        named = {
            field: self._attribute(attribute_setting(field))
            for field in ATTRIBUTE_FIELDS
        }
        named["department_name"] = named["department_name"] or (
            "department" if self.is_ad else "ou"
        )
        # Employees matched by directory id carry the match attribute's value.
        by_match = self.option("match_by") == "directory_id"
        named["id"] = self._attribute(attribute_setting("id")) or (
            self._attribute("match_attribute") if by_match else ""
        )
        entries = self._search(
            self._text("user_base_dn"),
            self._filter("user_filter"),
            self._attributes(
                "cn", "displayName", "mail", "telephoneNumber", *named.values()
            ),
        )
        leaving = {}
        if group_dn := self._text("directory_leaving_group"):
            members = ["member", "uniqueMember"]
            group = self._search(group_dn, "(objectClass=*)", members, scope=ldap3.BASE)
            leaving = group[0].members()[0] if group else {}
        yield from with_managers(
            (normal_dn(entry.dn), person)
            for entry in entries
            if (person := self._person(entry, named, leaving)) is not None
        )

    def _person(self, entry: Entry, named, leaving) -> DirectoryValues | None:
        """The person of ``entry`` (``named``: field -> attribute); None (and a
        warning) without a directory id. The manager's normalised DN stands in
        for their directory id (``with_managers``)."""
        read = {field: entry.first(name).strip() for field, name in named.items()}
        directory_id = read["id"] if named["id"] else self._stable_id(entry)
        if not directory_id:
            logger.warning("Directory entry %s has no directory id.", entry.dn)
            return None
        try:
            last_day = ldap_date(read["last_working_day"], named["last_working_day"])
        except (ValueError, OverflowError):
            # One unreadable value must not hold up everyone else's sync.
            logger.warning(
                "Directory entry %s: the last working day is not a date.", entry.dn
            )
            last_day = None
        return DirectoryValues(
            directory_id=directory_id,
            name=entry.first("displayName").strip() or entry.first("cn").strip(),
            email=entry.first("mail").strip(),
            phone=entry.first("telephoneNumber").strip(),
            manager_directory_id=normal_dn(read["manager"]) if read["manager"] else "",
            status=person_status(
                self,
                disabled=self._disabled(entry),
                values=entry.texts(named["status"]),
                leaving=normal_dn(entry.dn) in leaving,
            ),
            last_working_day=last_day,
            **{field: read[field] for field in AS_READ},
        )
