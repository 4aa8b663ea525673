"""The SCIM 2.0 connector as a directory: every user of the identity provider as
``DirectoryValues``, for the directory sync (``connectors.directory``).

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
from collections.abc import Iterator

from ...sdk.base import ConnectorError
from ...sdk.common import clean_text, too_many_pages
from ...sdk.directory import (
    ATTRIBUTE_FIELDS,
    DirectoryValues,
    attribute_setting,
    person_status,
    with_managers,
)
from .payloads import PRIMARY, User
from .settings import ID_ATTRIBUTES, attribute_path

__all__ = ["ScimDirectory", "scim_value"]

logger = logging.getLogger(__name__)

DIRECTORY_PAGE_SIZE = 200
# 200,000 people: more pages than that is a server ignoring startIndex.
MAX_DIRECTORY_PAGES = 1000


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


class ScimDirectory:
    """``list_people`` for ``ScimConnector`` (which provides the requests)."""

    supports_directory = True

    def list_people(self) -> Iterator[DirectoryValues]:
        self.require_settings()
        paths = {
            name: attribute_path(
                str(self.option(attribute_setting(name)) or "").strip()
            )
            for name in ATTRIBUTE_FIELDS
        }
        id_attribute = self._directory_id_path()
        # The manager attribute holds a SCIM id: say it as the directory id.
        yield from with_managers(
            (clean_text(user.get("id")), person)
            for user in self._all_users()
            if (person := self._directory_person(user, id_attribute, paths)) is not None
        )

    def _directory_id_path(self) -> str:
        explicit = str(self.option(attribute_setting("id")) or "").strip()
        if explicit:
            return attribute_path(explicit, choices=ID_ATTRIBUTES)
        match_attribute = str(self.option("match_attribute") or "")
        if self.match_by() == "directory_id" and match_attribute in (
            "externalId",
            "userName",
        ):
            # Employees already carry that value as their directory id.
            return match_attribute
        return "id"

    def _all_users(self) -> Iterator[dict]:
        """Every user, page by page (``startIndex`` is 1-based)."""
        query = str(self.option("directory_filter") or "").strip()
        pager = dataclasses.replace(self.pagination, size=DIRECTORY_PAGE_SIZE)
        pages = pager.pages(
            self,
            "GET",
            "/Users",
            {"filter": query} if query else {},
            None,
            not_found=self.not_found,
        )
        for count, users in enumerate(pages, start=1):
            yield from users
            if count >= MAX_DIRECTORY_PAGES:
                if next(pages, None):
                    raise too_many_pages(self.host, MAX_DIRECTORY_PAGES)
                return

    def _directory_person(self, raw, id_attribute, paths) -> DirectoryValues | None:
        user = User.model_validate(raw)
        directory_id = clean_text(scim_value(raw, id_attribute))
        if not directory_id:
            logger.warning(
                "SCIM user %s has no %s; left out of the directory sync.",
                user.id or user.userName,
                id_attribute,
            )
            return None

        def read(name):
            return clean_text(scim_value(raw, paths[name]))

        return DirectoryValues(
            directory_id=directory_id,
            employee_number=read("employee_number"),
            name=_name_of(raw, user),
            email=user.email,
            department_code=read("department_code"),
            department_name=read("department_name"),
            position=read("position"),
            manager_directory_id=read("manager"),
            phone=clean_text(scim_value(raw, "phoneNumbers")),
            status=self._directory_status(user, read("status")),
            last_working_day=_date_of(
                user.id, paths["last_working_day"], read("last_working_day")
            ),
        )

    def _directory_status(self, user: User, status: str) -> str:
        try:
            active = user.flag(user.id)
        except ConnectorError:
            logger.warning(
                "SCIM user %s: “active” is %r, read as active.", user.id, user.active
            )
            active = None
        return person_status(
            self, disabled=active is False, values=[status] if status else []
        )


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
        if isinstance(entry, dict) and entry.get("primary") in PRIMARY:
            return entry
    return entries[0] if entries else None


def _name_of(raw: dict, user: User) -> str:
    formatted = clean_text(scim_value(raw, "name.formatted"))
    parts = [
        clean_text(scim_value(raw, f"name.{part}"))
        for part in ("givenName", "familyName")
    ]
    given_family = " ".join(part for part in parts if part)
    return user.displayName or formatted or given_family or user.userName


def _date_of(user_id: str, path: str, text: str) -> datetime.date | None:
    """A date or date-time attribute as the date it names (its own calendar
    date: "2026-12-31T00:00:00Z" is the 31st wherever Baton runs)."""
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        logger.warning("SCIM user %s: %s=%r is not a date.", user_id, path, text)
        return None
