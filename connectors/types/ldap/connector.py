"""The LDAP / Active Directory type: the employee's account and its groups as
records, and everyone under the user base DN for the directory sync. A person
is *disabled* by the rule ``suspend_account`` follows or a "disabled" status
value; *leaving* by a "leaving" status value or the leaving group."""

from __future__ import annotations

import datetime
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
    UNKNOWN_RECORD_KIND,
    ConnectorError,
    ConnectorType,
    EmployeeRef,
    MisconfiguredError,
    Record,
)
from ...sdk.client import OptionsMixin
from ...sdk.directory import (
    ATTRIBUTE_FIELDS,
    DirectoryValues,
    attribute_setting,
    person_status,
    with_managers,
)
from .access import LdapAccess
from .connection import LdapConnection
from .entries import Entry, ldap_date, normal_dn, rdn_value
from .settings import (
    ACTIVE_DIRECTORY,
    AD_USER_FILTER,
    DEFAULT_USER_FILTER,
    MATCH_BY_CHOICES,
    SETTINGS,
)

__all__ = ["LdapConnector"]

logger = logging.getLogger(__name__)

# An attribute description: a name (letters, digits, hyphens) or an OID.
ATTRIBUTE_NAME = re.compile(r"^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$")


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

    def _setting_label(self, name):
        return next((spec.label for spec in self.settings if spec.name == name), name)

    def _filter(self, name) -> str:
        value = str(self.option(name) or "").strip()
        if name == "user_filter" and self.is_ad and value == DEFAULT_USER_FILTER:
            value = AD_USER_FILTER
        return value if value.startswith("(") else f"({value})"

    def _attribute(self, name) -> str:
        value = str(self.option(name) or "").strip()
        if value and not ATTRIBUTE_NAME.match(value):
            raise MisconfiguredError(
                gettext("“%(value)s” is not an LDAP attribute name (%(setting)s).")
                % {"value": value, "setting": self._setting_label(name)}
            )
        return value

    def _base_dn(self, name) -> str:
        self.require_settings()
        return str(self.option(name)).strip()

    def _match_by(self) -> str:
        match_by = self.option("match_by")
        return match_by if match_by in dict(MATCH_BY_CHOICES) else "email"

    def _detail(self) -> str:
        return str(dict(MATCH_BY_CHOICES)[self._match_by()]).lower()

    def test_connection(self) -> str:
        user_base = self._base_dn("user_base_dn")
        try:
            for base in (user_base, self._base_dn("group_base_dn")):
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

    def discover(self, *, employee: EmployeeRef, record_kind: str) -> list[Record]:
        if record_kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        value = employee.value(self._match_by()).strip()
        if not value:
            raise ConnectorError(
                gettext("The employee has no %(detail)s to look up in the directory.")
                % {"detail": self._detail()},
                retryable=False,
            )
        accounts = self._accounts(value)
        if record_kind == "account":
            return [self._account_record(entry) for entry in accounts]
        return self._group_records(accounts)

    def _user_attributes(self) -> list[str]:
        names = ["cn", "mail", "displayName", "employeeNumber", "memberOf"]
        names.append(self._attribute("match_attribute"))
        return self._with_status(names, "sAMAccountName", "userPrincipalName")

    def _with_status(self, names, *ad_names) -> list[str]:
        """``names``, the stable id and what ``_disabled`` reads, sorted."""
        if self.is_ad:
            names += [*ad_names, "userAccountControl", "objectGUID"]
        else:
            names += ["uid", "entryUUID", *self._status_attributes()]
        return sorted(set(filter(None, names)), key=str.lower)

    def _accounts(self, value) -> list[Entry]:
        match_attribute = self._attribute("match_attribute") or "mail"
        assertion = f"({match_attribute}={escape_filter_chars(value)})"
        entries = self._search(
            self._base_dn("user_base_dn"),
            f"(&{self._filter('user_filter')}{assertion})",
            self._user_attributes(),
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

    def _groups_listing(self, dns, attributes, *, conn=None, filtered=True):
        """The groups listing any of ``dns`` as a member (only those the group
        filter accepts when ``filtered``)."""
        clauses = "".join(
            f"({name}={escape_filter_chars(dn)})"
            for dn in dns
            for name in self.member_attributes
        )
        search_filter = f"(|{clauses})"
        if filtered:
            search_filter = f"(&{self._filter('group_filter')}{search_filter})"
        return self._search(
            self._base_dn("group_base_dn"),
            search_filter,
            [*attributes, *self.member_attributes],
            conn=conn,
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
        normal_members = {normal_dn(member) for member in members}
        owner = group.first("owner") or group.first("managedBy")
        fields = {
            "system": self._system_name(),
            "account": ", ".join(
                login for dn, login in own.items() if dn in normal_members
            ),
            "dn": group.dn,
            "cn": cn,
            "description": group.first("description"),
            "member_count": len(normal_members),
            "member_count_complete": complete,
            "sole_member": complete
            and bool(normal_members)
            and normal_members <= own.keys(),
            "owner": owner,
            "owner_name": rdn_value(owner),
        }
        return Record(external_id, "group", cn, fields=fields)

    def list_people(self) -> Iterator[DirectoryValues]:
        names = ["cn", "displayName", "mail", "telephoneNumber"]
        names += [self._directory_id_attribute()]
        names += [self._directory_attribute(field) for field in ATTRIBUTE_FIELDS]
        entries = self._search(
            self._base_dn("user_base_dn"),
            self._filter("user_filter"),
            self._with_status(names),
        )
        leaving = self._leaving_members()
        yield from with_managers(
            (normal_dn(entry.dn), person)
            for entry in entries
            if (person := self._person(entry, leaving)) is not None
        )

    def _directory_attribute(self, field) -> str:
        value = self._attribute(attribute_setting(field))
        if field == "department_name" and not value:
            return "department" if self.is_ad else "ou"
        return value

    def _directory_id_attribute(self) -> str:
        # Employees matched by directory id carry the match attribute's value.
        by_match = self.option("match_by") == "directory_id"
        return self._attribute(attribute_setting("id")) or (
            self._attribute("match_attribute") if by_match else ""
        )

    def _leaving_members(self) -> set[str]:
        group_dn = self._text("directory_leaving_group")
        groups = group_dn and self._search(
            group_dn, "(objectClass=*)", ["member", "uniqueMember"], scope=ldap3.BASE
        )
        return (
            {normal_dn(member) for member in groups[0].members()[0]}
            if groups
            else set()
        )

    def _person(self, entry: Entry, leaving: set[str]) -> DirectoryValues | None:
        """None (and a warning) without a directory id; the manager's
        normalised DN stands in for their directory id (``with_managers``)."""
        id_attribute = self._directory_id_attribute()
        directory_id = (
            entry.first(id_attribute).strip()
            if id_attribute
            else self._stable_id(entry)
        )
        if not directory_id:
            logger.warning("Directory entry %s has no directory id.", entry.dn)
            return None

        def read(field):
            return entry.first(self._directory_attribute(field)).strip()

        manager = read("manager")
        return DirectoryValues(
            directory_id=directory_id,
            employee_number=read("employee_number"),
            name=entry.first("displayName").strip() or entry.first("cn").strip(),
            email=entry.first("mail").strip(),
            department_code=read("department_code"),
            department_name=read("department_name"),
            position=read("position"),
            manager_directory_id=normal_dn(manager) if manager else "",
            phone=entry.first("telephoneNumber").strip(),
            status=person_status(
                self,
                disabled=self._disabled(entry),
                values=entry.texts(self._directory_attribute("status")),
                leaving=normal_dn(entry.dn) in leaving,
            ),
            last_working_day=self._last_working_day(entry, read("last_working_day")),
        )

    def _last_working_day(self, entry: Entry, value: str) -> datetime.date | None:
        attribute = self._directory_attribute("last_working_day")
        try:
            return ldap_date(value, attribute) if attribute else None
        except (ValueError, OverflowError):
            # One unreadable value must not hold up everyone else's sync.
            logger.warning(
                "Directory entry %s: %s=%r is not a date.", entry.dn, attribute, value
            )
            return None
