"""The LDAP / Active Directory type: finding the employee's account and
listing it and its groups as records. The connection is ``connection``'s,
access changes ``access``'s, the directory listing ``directory``'s."""

from __future__ import annotations

import re
import uuid

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
from .access import LdapAccess
from .connection import LdapConnection
from .directory import LdapDirectory
from .entries import Entry, normal_dn, rdn_value
from .settings import (
    ACTIVE_DIRECTORY,
    AD_USER_FILTER,
    DEFAULT_USER_FILTER,
    MATCH_BY_CHOICES,
    SETTINGS,
)

__all__ = ["LdapConnector"]

# An attribute description: a name (letters, digits, hyphens) or an OID.
ATTRIBUTE_NAME = re.compile(r"^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$")


class LdapConnector(
    LdapDirectory, LdapAccess, LdapConnection, OptionsMixin, ConnectorType
):
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

    # Settings -----------------------------------------------------------------------

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
        value = str(self.option(name) or "").strip()
        if not value:
            spec = next(spec for spec in self.settings if spec.name == name)
            raise MisconfiguredError(str(spec.missing))
        return value

    def _match_by(self) -> str:
        match_by = self.option("match_by")
        return match_by if match_by in dict(MATCH_BY_CHOICES) else "email"

    def _detail(self) -> str:
        """The employee detail matched, as a message names it."""
        return str(dict(MATCH_BY_CHOICES)[self._match_by()]).lower()

    # Test ---------------------------------------------------------------------------

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

    # Discover -----------------------------------------------------------------------

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
        if self.is_ad:
            names += [
                "sAMAccountName",
                "userPrincipalName",
                "userAccountControl",
                "objectGUID",
            ]
        else:
            names += ["uid", "entryUUID", *self._status_attributes()]
        names.append(self._attribute("match_attribute"))
        return sorted(set(filter(None, names)), key=str.lower)

    def _accounts(self, value) -> list[Entry]:
        """The accounts whose match attribute holds ``value``."""
        match_attribute = self._attribute("match_attribute") or "mail"
        assertion = f"({match_attribute}={escape_filter_chars(value)})"
        entries = self._search(
            self._base_dn("user_base_dn"),
            f"(&{self._filter('user_filter')}{assertion})",
            self._user_attributes(),
        )
        return sorted(entries, key=lambda entry: entry.dn.lower())

    def _stable_id(self, entry: Entry) -> str:
        if self.is_ad:
            raw = entry.raw_values("objectGUID")
            if raw and len(raw[0]) == 16:
                return str(uuid.UUID(bytes_le=raw[0]))
            return entry.dn
        return entry.first("entryUUID") or entry.dn

    def _login(self, entry: Entry) -> str:
        names = ("sAMAccountName", "userPrincipalName") if self.is_ad else ("uid",)
        return next(filter(None, map(entry.first, (*names, "mail", "cn"))), "")

    def _account_record(self, entry: Entry) -> Record:
        external_id = self._stable_id(entry)
        login = self._login(entry)
        if not login:
            return Record(
                external_id=external_id,
                kind="account",
                title="",
                error=gettext(
                    "The directory entry %(dn)s has no login name, email or "
                    "common name."
                )
                % {"dn": entry.dn},
            )
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
        return Record(
            external_id=external_id, kind="account", title=login, fields=fields
        )

    def _system_name(self) -> str:
        name = str(self.option("system_name") or "").strip()
        return name or self._endpoint()[0]

    # Groups -------------------------------------------------------------------------

    def _groups_listing(self, dns, attributes, *, conn=None, filtered=True):
        """The groups under the group base DN listing any of ``dns`` as a
        member (only those the group filter accepts when ``filtered``)."""
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
        attributes = ["cn", "description", "owner", "managedBy"]
        attributes.append("objectGUID" if self.is_ad else "entryUUID")
        groups = self._groups_listing([entry.dn for entry in accounts], attributes)
        own = {normal_dn(entry.dn): self._login(entry) for entry in accounts}
        records = [self._group_record(group, own) for group in groups]
        return sorted(
            records, key=lambda record: (record.title.lower(), record.external_id)
        )

    def _group_record(self, group: Entry, own: dict) -> Record:
        external_id = self._stable_id(group)
        cn = group.first("cn")
        if not cn:
            return Record(
                external_id=external_id,
                kind="group",
                title="",
                error=gettext("The group %(dn)s has no common name (cn).")
                % {"dn": group.dn},
            )
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
        return Record(external_id=external_id, kind="group", title=cn, fields=fields)
