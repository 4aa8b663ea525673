"""The LDAP / Active Directory connector as a directory: everyone under the user
base DN as ``DirectoryPerson`` rows, for the directory sync
(``connectors.directory``).

Which attribute holds what is a setting (defaults follow inetOrgPerson and
Active Directory). A person is *disabled* by the same rule ``suspend_account``
follows (AD: the disabled bit of userAccountControl; OpenLDAP: the configured
disabled attribute, password policy lock or unusable password) or by a
"disabled" value of the status attribute; *leaving* by a "leaving" value of the
status attribute (e.g. employeeType) or by membership of the leaving group.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Iterator

import ldap3
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import DIRECTORY_SYNC, INTAKE_MODE, DirectoryPerson, Setting

__all__ = ["DIRECTORY_SETTINGS", "LdapDirectoryMixin", "ldap_date"]

logger = logging.getLogger(__name__)

DEFAULT_DEPARTMENT_NAME = {"openldap": "ou", "ad": "department"}
ACTIVE, LEAVING, DISABLED = "active", "leaving", "disabled"
# Active Directory's FILETIME: 100-nanosecond ticks since 1601-01-01 UTC; 0 and
# the largest value mean "never expires".
FILETIME_EPOCH = datetime.datetime(1601, 1, 1, tzinfo=datetime.UTC)
FILETIME_NEVER = (0, 0x7FFFFFFFFFFFFFFF)
UNIX_EPOCH = datetime.date(1970, 1, 1)
# 2026-12-31, 20261231 or a generalized time 20261231160000Z.
TEXT_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})")

DIRECTORY_SETTINGS = (
    DIRECTORY_SYNC,
    INTAKE_MODE,
    Setting(
        "directory_id_attribute",
        _("Directory id attribute"),
        help_text=_(
            "Which attribute identifies a person for good. Empty: the entry's "
            "entryUUID (objectGUID on Active Directory), or the match attribute "
            "when employees are matched by directory id."
        ),
        required=False,
        default="",
    ),
    Setting(
        "directory_employee_number_attribute",
        _("Employee number attribute"),
        required=False,
        default="employeeNumber",
    ),
    Setting(
        "directory_department_code_attribute",
        _("Department code attribute"),
        required=False,
        default="departmentNumber",
    ),
    Setting(
        "directory_department_name_attribute",
        _("Department name attribute"),
        help_text=_("Empty: ou (department on Active Directory)."),
        required=False,
        default="",
    ),
    Setting(
        "directory_position_attribute",
        _("Position attribute"),
        required=False,
        default="title",
    ),
    Setting(
        "directory_manager_attribute",
        _("Manager attribute"),
        help_text=_("Holds the DN of the person's manager."),
        required=False,
        default="manager",
    ),
    Setting(
        "directory_status_attribute",
        _("Status attribute"),
        help_text=_(
            "An attribute whose value says someone is leaving or disabled, e.g. "
            "employeeType. Empty: only disabled accounts and the leaving group "
            "count."
        ),
        required=False,
        default="",
    ),
    Setting(
        "directory_leaving_values",
        _("Leaving values"),
        help_text=_("Status values meaning “leaving”, separated by commas."),
        required=False,
        default="leaving",
    ),
    Setting(
        "directory_disabled_values",
        _("Disabled values"),
        help_text=_(
            "Status values meaning “disabled”, separated by commas, e.g. "
            "terminated. Disabled accounts count as disabled anyway."
        ),
        required=False,
        default="",
    ),
    Setting(
        "directory_leaving_group",
        _("Leaving group"),
        help_text=_(
            "DN of a group whose members are leaving, e.g. "
            "cn=leavers,ou=groups,dc=example,dc=com."
        ),
        required=False,
        default="",
    ),
    Setting(
        "directory_last_working_day_attribute",
        _("Last working day attribute"),
        help_text=_(
            "An attribute holding the last working day: a date (2026-12-31, "
            "20261231 or a generalized time), accountExpires on Active Directory "
            "or shadowExpire (the account's expiry: the day before is the last "
            "working day)."
        ),
        required=False,
        default="",
    ),
)


def ldap_date(value, attribute: str) -> datetime.date | None:
    """The last working day an attribute value stands for; None when it says
    "never" or nothing; ValueError when it is no date Baton can read."""
    text = _text(value).strip()
    if not text:
        return None
    name = attribute.lower()
    if name == "shadowexpire":
        days = int(text)
        # shadow(5): the account is expired from that day on; -1 is "never".
        return UNIX_EPOCH + datetime.timedelta(days=days - 1) if days > 0 else None
    if name == "accountexpires" or (text.isdigit() and len(text) > 14):
        ticks = int(text)
        if ticks in FILETIME_NEVER:
            return None
        expires = FILETIME_EPOCH + datetime.timedelta(microseconds=ticks // 10)
        # "End of 31 December" is stored as midnight starting 1 January (local).
        return timezone.localtime(expires - datetime.timedelta(seconds=1)).date()
    match = TEXT_DATE.match(text)
    if match is None:
        raise ValueError(text)
    return datetime.date(*(int(part) for part in match.groups()))


class LdapDirectoryMixin:
    """``list_people`` for ``LdapConnector`` (which provides the connection,
    the paged search and the disabled rule)."""

    supports_directory = True

    def list_people(self) -> Iterator[DirectoryPerson]:
        # ldap.py imports this module for its settings: its helpers come late.
        from .ldap import _normal_dn

        entries = self._search(
            self._base_dn("user_base_dn"),
            self._filter("user_filter"),
            self._people_attributes(),
        )
        leaving_members = self._leaving_members()
        ids = {}
        for entry in entries:
            directory_id = self._person_id(entry)
            if directory_id:
                ids[_normal_dn(entry["dn"])] = directory_id
        for entry in entries:
            directory_id = ids.get(_normal_dn(entry["dn"]))
            if not directory_id:
                logger.warning("Directory entry %s has no directory id.", entry["dn"])
                continue
            yield self._person(entry, directory_id, ids, leaving_members)

    # Settings ---------------------------------------------------------------------

    def _directory_attribute(self, name) -> str:
        value = self._attribute(name)
        if name == "directory_department_name_attribute" and not value:
            return DEFAULT_DEPARTMENT_NAME[self.flavour]
        return value

    def _directory_id_attribute(self) -> str:
        explicit = self._attribute("directory_id_attribute")
        if explicit:
            return explicit
        if self._setting("match_by") == "directory_id":
            # Employees already carry the match attribute's value as their
            # directory id: keep matching them by it.
            return self._attribute("match_attribute")
        return ""

    def _values_setting(self, name) -> frozenset:
        text = str(self._setting(name) or "")
        return frozenset(
            value.strip().casefold() for value in text.split(",") if value.strip()
        )

    def _people_attributes(self) -> list:
        names = [
            "cn",
            "displayName",
            "mail",
            "telephoneNumber",
            self._directory_id_attribute(),
            *(
                self._directory_attribute(f"directory_{name}_attribute")
                for name in (
                    "employee_number",
                    "department_code",
                    "department_name",
                    "position",
                    "manager",
                    "status",
                    "last_working_day",
                )
            ),
        ]
        if self.is_ad:
            names += ["objectGUID", "userAccountControl"]
        else:
            names += ["entryUUID", *self._status_attributes()]
        return sorted(set(filter(None, names)), key=str.lower)

    # People -----------------------------------------------------------------------

    def _person_id(self, entry) -> str:
        attribute = self._directory_id_attribute()
        if attribute:
            return _first_text(entry, attribute)
        return self._stable_id(entry)

    def _leaving_members(self) -> set:
        """The normalised DNs of the leaving group's members (none without one)."""
        from .ldap import _members, _normal_dn

        group_dn = str(self._setting("directory_leaving_group") or "").strip()
        if not group_dn:
            return set()
        groups = self._search(
            group_dn, "(objectClass=*)", ["member", "uniqueMember"], scope=ldap3.BASE
        )
        if not groups:
            return set()
        members, _complete = _members(groups[0]["attributes"])
        return {_normal_dn(member) for member in members}

    def _person(self, entry, directory_id, ids, leaving_members) -> DirectoryPerson:
        from .ldap import _normal_dn

        def read(name):
            return _first_text(entry, self._directory_attribute(name))

        manager_dn = read("directory_manager_attribute")
        return DirectoryPerson(
            directory_id=directory_id,
            employee_number=read("directory_employee_number_attribute"),
            name=_first_text(entry, "displayName") or _first_text(entry, "cn"),
            email=_first_text(entry, "mail"),
            department_code=read("directory_department_code_attribute"),
            department_name=read("directory_department_name_attribute"),
            position=read("directory_position_attribute"),
            manager_directory_id=ids.get(_normal_dn(manager_dn), "")
            if manager_dn
            else "",
            phone=_first_text(entry, "telephoneNumber"),
            status=self._person_status(entry, leaving_members),
            last_working_day=self._last_working_day(entry),
        )

    def _person_status(self, entry, leaving_members) -> str:
        from .ldap import _normal_dn

        attribute = self._directory_attribute("directory_status_attribute")
        values = (
            {value.casefold() for value in _texts(entry, attribute)}
            if attribute
            else set()
        )
        if self._disabled(entry) or values & self._values_setting(
            "directory_disabled_values"
        ):
            return DISABLED
        if values & self._values_setting("directory_leaving_values"):
            return LEAVING
        if _normal_dn(entry["dn"]) in leaving_members:
            return LEAVING
        return ACTIVE

    def _last_working_day(self, entry) -> datetime.date | None:
        attribute = self._directory_attribute("directory_last_working_day_attribute")
        if not attribute:
            return None
        value = _first_text(entry, attribute)
        try:
            return ldap_date(value, attribute)
        except (ValueError, OverflowError):
            # One unreadable value must not hold up everyone else's sync.
            logger.warning(
                "Directory entry %s: %s=%r is not a date.",
                entry["dn"],
                attribute,
                value,
            )
            return None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _texts(entry, name) -> list[str]:
    """Every value of an attribute as text, whatever case the server used."""
    wanted = name.lower()
    for key, value in entry["attributes"].items():
        if key.lower() == wanted:
            # Without the server's schema (``get_info=NONE``) ldap3 returns
            # every value as received: text, or bytes when not UTF-8.
            values = value if isinstance(value, list | tuple) else [value]
            return [_text(item) for item in values if item not in (None, "")]
    return []


def _first_text(entry, name) -> str:
    if not name:
        return ""
    values = _texts(entry, name)
    return values[0].strip() if values else ""
