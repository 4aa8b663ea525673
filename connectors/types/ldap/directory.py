"""The LDAP / Active Directory connector as a directory: everyone under the
user base DN, for the directory sync (``connectors.directory``).

Which attribute holds what is a setting (defaults follow inetOrgPerson and
Active Directory). A person is *disabled* by the same rule ``suspend_account``
follows or by a "disabled" value of the status attribute; *leaving* by a
"leaving" value of the status attribute (e.g. employeeType) or by membership
of the leaving group.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator

import ldap3

from ...sdk.directory import (
    ATTRIBUTE_FIELDS,
    DirectoryValues,
    attribute_setting,
    person_status,
    with_managers,
)
from .entries import Entry, ldap_date, normal_dn

__all__ = ["LdapDirectory"]

logger = logging.getLogger(__name__)


class LdapDirectory:
    """``list_people`` for ``LdapConnector`` (which provides the connection,
    the paged search and the disabled rule)."""

    supports_directory = True

    def list_people(self) -> Iterator[DirectoryValues]:
        entries = self._search(
            self._base_dn("user_base_dn"),
            self._filter("user_filter"),
            self._people_attributes(),
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
        explicit = self._attribute(attribute_setting("id"))
        if explicit:
            return explicit
        if self.option("match_by") == "directory_id":
            # Employees already carry the match attribute's value as their
            # directory id: keep matching them by it.
            return self._attribute("match_attribute")
        return ""

    def _people_attributes(self) -> list[str]:
        names = ["cn", "displayName", "mail", "telephoneNumber"]
        names += [self._directory_id_attribute()]
        names += [self._directory_attribute(field) for field in ATTRIBUTE_FIELDS]
        if self.is_ad:
            names += ["objectGUID", "userAccountControl"]
        else:
            names += ["entryUUID", *self._status_attributes()]
        return sorted(set(filter(None, names)), key=str.lower)

    def _leaving_members(self) -> set[str]:
        """The normalised DNs of the leaving group's members (none without one)."""
        group_dn = str(self.option("directory_leaving_group") or "").strip()
        if not group_dn:
            return set()
        groups = self._search(
            group_dn, "(objectClass=*)", ["member", "uniqueMember"], scope=ldap3.BASE
        )
        if not groups:
            return set()
        return {normal_dn(member) for member in groups[0].members()[0]}

    def _person(self, entry: Entry, leaving: set[str]) -> DirectoryValues | None:
        """The person an entry is; None (and a warning) without a directory id.
        ``manager_directory_id`` holds the manager's normalised DN for now."""
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
