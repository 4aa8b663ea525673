"""The SCIM 2.0 connector as a directory: every user of the identity provider as
``DirectoryValues``, for the directory sync (``connectors.directory``).

The employee number, department and manager come from the enterprise extension
(RFC 7643 §4.3) unless the settings name other attributes; ``active: false``
means disabled; a status attribute (e.g. ``userType``) may say leaving or
disabled; the last working day is read from an attribute the settings name
(a custom extension, typically)."""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Iterator

from ...sdk.base import ConnectorError
from ...sdk.common import clean_text
from ...sdk.directory import (
    ATTRIBUTE_FIELDS,
    DirectoryValues,
    attribute_setting,
    person_status,
    with_managers,
)
from .payloads import ID_ATTRIBUTES, User, attribute_path, scim_value

__all__ = ["ScimDirectory"]

logger = logging.getLogger(__name__)

DIRECTORY_PAGE_SIZE = 200


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
        query = str(self.option("directory_filter") or "").strip()
        users = self.paginate(
            "/Users",
            {"filter": query} if query else {},
            pagination=dataclasses.replace(self.pagination, size=DIRECTORY_PAGE_SIZE),
            not_found=self.not_found,
        )
        # The manager attribute holds a SCIM id: say it as the directory id.
        yield from with_managers(
            (clean_text(user.get("id")), person)
            for user in users
            if (person := self._directory_person(user, id_attribute, paths)) is not None
        )

    def _directory_id_path(self) -> str:
        explicit = str(self.option(attribute_setting("id")) or "").strip()
        if explicit:
            return attribute_path(explicit, choices=ID_ATTRIBUTES)
        match_attribute = str(self.option("match_attribute") or "")
        # Employees matched by directory id already carry that value.
        if self.match_by() == "directory_id" and match_attribute in (
            "externalId",
            "userName",
        ):
            return match_attribute
        return "id"

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
        read = {name: clean_text(scim_value(raw, path)) for name, path in paths.items()}
        name_parts = (
            scim_value(raw, f"name.{part}") for part in ("givenName", "familyName")
        )
        given_family = " ".join(filter(None, map(clean_text, name_parts)))
        try:
            active = user.flag(user.id)
        except ConnectorError:
            logger.warning(
                "SCIM user %s: “active” is %r, read as active.", user.id, user.active
            )
            active = None
        status = read["status"]
        return DirectoryValues(
            directory_id=directory_id,
            employee_number=read["employee_number"],
            name=user.displayName
            or clean_text(scim_value(raw, "name.formatted"))
            or given_family
            or user.userName,
            email=user.email,
            department_code=read["department_code"],
            department_name=read["department_name"],
            position=read["position"],
            manager_directory_id=read["manager"],
            phone=clean_text(scim_value(raw, "phoneNumbers")),
            status=person_status(
                self, disabled=active is False, values=[status] if status else []
            ),
            last_working_day=_date_of(
                user.id, paths["last_working_day"], read["last_working_day"]
            ),
        )


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
