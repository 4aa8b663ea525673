"""The SCIM 2.0 connector as a directory: every user of the identity provider as
``DirectoryPerson`` rows, for the directory sync (``connectors.directory``).

Users are paged with ``startIndex`` and ``count`` (RFC 7644 §3.4.2.4). The
employee number, department and manager come from the enterprise extension
(RFC 7643 §4.3) unless the settings name other attributes; ``active: false``
means disabled; a status attribute (e.g. ``userType``) may say leaving or
disabled; the last working day is read from an attribute the settings name
(a custom extension, typically).
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import re
from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from ._common import as_text, too_many_pages
from .base import (
    DIRECTORY_SYNC,
    INTAKE_MODE,
    ConnectorError,
    DirectoryPerson,
    MisconfiguredError,
    Setting,
)

__all__ = ["DIRECTORY_SETTINGS", "ScimDirectoryMixin", "scim_value"]

logger = logging.getLogger(__name__)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ACTIVE, LEAVING, DISABLED = "active", "leaving", "disabled"
DIRECTORY_PAGE_SIZE = 200
# 200,000 people: more pages than that is a server ignoring startIndex.
MAX_DIRECTORY_PAGES = 1000
# An attribute path: "title", "name.formatted" or "<schema URN>:<attribute>".
ATTRIBUTE_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_.:$-]*$")
ID_ATTRIBUTES = (
    ("", _("The SCIM id (or the match attribute when matching by directory id)")),
    ("id", _("The SCIM id (id)")),
    ("externalId", _("External id (externalId)")),
    ("userName", _("User name (userName)")),
)

DIRECTORY_SETTINGS = (
    DIRECTORY_SYNC,
    INTAKE_MODE,
    Setting(
        "directory_filter",
        _("Which users are employees"),
        help_text=_('A SCIM filter, e.g. userType eq "Employee". Empty: every user.'),
        required=False,
        default="",
    ),
    Setting(
        "directory_id_attribute",
        _("Directory id attribute"),
        required=False,
        default="",
        choices=ID_ATTRIBUTES,
    ),
    Setting(
        "directory_employee_number_attribute",
        _("Employee number attribute"),
        required=False,
        default=f"{ENTERPRISE}:employeeNumber",
    ),
    Setting(
        "directory_department_code_attribute",
        _("Department code attribute"),
        help_text=_("Empty: departments are matched by name."),
        required=False,
        default="",
    ),
    Setting(
        "directory_department_name_attribute",
        _("Department name attribute"),
        required=False,
        default=f"{ENTERPRISE}:department",
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
        help_text=_("Holds the SCIM id of the person's manager."),
        required=False,
        default=f"{ENTERPRISE}:manager.value",
    ),
    Setting(
        "directory_status_attribute",
        _("Status attribute"),
        help_text=_(
            "An attribute whose value says someone is leaving or disabled, e.g. "
            "userType. Empty: only inactive users count (as disabled)."
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
            "Status values meaning “disabled”, separated by commas. Inactive "
            "users count as disabled anyway."
        ),
        required=False,
        default="",
    ),
    Setting(
        "directory_last_working_day_attribute",
        _("Last working day attribute"),
        help_text=_(
            "An attribute holding the last working day as a date or date-time, "
            "e.g. urn:example:params:scim:schemas:extension:hr:2.0:User:"
            "lastWorkingDay."
        ),
        required=False,
        default="",
    ),
)


def scim_value(resource: dict, path: str):
    """The value at an attribute path of a SCIM resource, or None. Names are
    matched in any case (RFC 7643 §2.1); of a multi-valued attribute the
    primary (else the first) value counts."""
    if not path:
        return None
    current = resource
    if path.lower().startswith("urn:"):
        schema, _sep, path = path.rpartition(":")
        current = _member(resource, schema)
    for name in path.split("."):
        current = _member(_single(current), name)
        if current is None:
            return None
    current = _single(current)
    if isinstance(current, dict):
        return current.get("value")
    return current


class ScimDirectoryMixin:
    """``list_people`` for ``ScimConnector`` (which provides the requests, the
    settings check and the answers' parsing)."""

    supports_directory = True

    def list_people(self) -> Iterator[DirectoryPerson]:
        self._check_settings()
        paths = self._directory_paths()
        id_attribute = self._directory_id_path()
        people, ids = [], {}
        for user in self._all_users():
            person = self._directory_person(user, id_attribute, paths)
            if person is None:
                continue
            people.append(person)
            ids[as_text(user.get("id"))] = person.directory_id
        for person in people:
            # The manager attribute holds a SCIM id: say it as the directory id.
            manager = ids.get(person.manager_directory_id, "")
            if manager != person.manager_directory_id:
                person = dataclasses.replace(person, manager_directory_id=manager)
            yield person

    # Settings ---------------------------------------------------------------------

    def _directory_path(self, name) -> str:
        value = str(self.option(name) or "").strip()
        if value and not ATTRIBUTE_PATH.match(value):
            raise MisconfiguredError(
                _("“%(attribute)s” is not a SCIM attribute name.")
                % {"attribute": value}
            )
        return value

    def _directory_paths(self) -> dict:
        return {
            name: self._directory_path(f"directory_{name}_attribute")
            for name in (
                "employee_number",
                "department_code",
                "department_name",
                "position",
                "manager",
                "status",
                "last_working_day",
            )
        }

    def _directory_id_path(self) -> str:
        explicit = str(self.option("directory_id_attribute") or "").strip()
        if explicit:
            if explicit not in dict(ID_ATTRIBUTES):
                raise MisconfiguredError(
                    _("“%(attribute)s” is not a SCIM attribute name.")
                    % {"attribute": explicit}
                )
            return explicit
        match_attribute = str(self.option("match_attribute") or "")
        if self.option("match_by") == "directory_id" and match_attribute in (
            "externalId",
            "userName",
        ):
            # Employees already carry that value as their directory id.
            return match_attribute
        return "id"

    def _status_values(self, name) -> frozenset:
        text = str(self.option(name) or "")
        return frozenset(
            value.strip().casefold() for value in text.split(",") if value.strip()
        )

    # Listing ----------------------------------------------------------------------

    def _all_users(self) -> Iterator[dict]:
        """Every user, page by page (``startIndex`` is 1-based)."""
        query = str(self.option("directory_filter") or "").strip()
        start = 1
        for _page in range(MAX_DIRECTORY_PAGES):
            params = {"startIndex": start, "count": DIRECTORY_PAGE_SIZE}
            if query:
                params["filter"] = query
            page = self._json(self._send("/Users", params=params))
            batch = (
                page.get("Resources", page.get("resources"))
                if isinstance(page, dict)
                else None
            )
            if not isinstance(page, dict) or not isinstance(batch or [], list):
                raise ConnectorError(
                    _("%(host)s did not answer like a SCIM server.")
                    % {"host": self.system}
                )
            batch = batch or []
            yield from (user for user in batch if isinstance(user, dict))
            start += len(batch)
            total = page.get("totalResults")
            if not batch or not isinstance(total, int) or start > total:
                return
        raise too_many_pages(self.system, MAX_DIRECTORY_PAGES)

    def _directory_person(self, user, id_attribute, paths) -> DirectoryPerson | None:
        from .scim import _primary_email

        directory_id = as_text(scim_value(user, id_attribute)).strip()
        if not directory_id:
            logger.warning(
                "SCIM user %s has no %s; left out of the directory sync.",
                as_text(user.get("id")) or as_text(user.get("userName")),
                id_attribute,
            )
            return None

        def read(name):
            return as_text(scim_value(user, paths[name])).strip()

        return DirectoryPerson(
            directory_id=directory_id,
            employee_number=read("employee_number"),
            name=_name_of(user),
            email=_primary_email(user.get("emails")),
            department_code=read("department_code"),
            department_name=read("department_name"),
            position=read("position"),
            manager_directory_id=read("manager"),
            phone=as_text(scim_value(user, "phoneNumbers")).strip(),
            status=self._directory_status(user, paths["status"]),
            last_working_day=_date_of(user, paths["last_working_day"]),
        )

    def _directory_status(self, user, status_path) -> str:
        from .scim import active_flag

        try:
            active = active_flag(user.get("active"))
        except ValueError:
            logger.warning(
                "SCIM user %s: “active” is %r, read as active.",
                as_text(user.get("id")),
                user.get("active"),
            )
            active = None
        status = as_text(scim_value(user, status_path)).strip().casefold()
        if active is False or status in self._status_values(
            "directory_disabled_values"
        ):
            return DISABLED
        if status and status in self._status_values("directory_leaving_values"):
            return LEAVING
        return ACTIVE


def _member(value, name):
    if not isinstance(value, dict):
        return None
    if name in value:
        return value[name]
    wanted = name.lower()
    for key, item in value.items():
        if key.lower() == wanted:
            return item
    return None


def _single(value):
    if not isinstance(value, list):
        return value
    entries = [entry for entry in value if entry not in (None, "")]
    for entry in entries:
        if isinstance(entry, dict) and entry.get("primary") in (True, "true", "True"):
            return entry
    return entries[0] if entries else None


def _name_of(user: dict) -> str:
    display = as_text(user.get("displayName")).strip()
    if display:
        return display
    formatted = as_text(scim_value(user, "name.formatted")).strip()
    if formatted:
        return formatted
    parts = [
        as_text(scim_value(user, f"name.{part}")).strip()
        for part in ("givenName", "familyName")
    ]
    return " ".join(part for part in parts if part) or as_text(user.get("userName"))


def _date_of(user: dict, path: str) -> datetime.date | None:
    """A date or date-time attribute as the date it names (its own calendar
    date: "2026-12-31T00:00:00Z" is the 31st wherever Baton runs)."""
    text = as_text(scim_value(user, path)).strip()
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        logger.warning(
            "SCIM user %s: %s=%r is not a date.", as_text(user.get("id")), path, text
        )
        return None
