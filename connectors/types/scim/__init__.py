"""SCIM 2.0 (RFC 7643/7644): the employee's account and group memberships in an
identity provider such as Okta, Entra ID, Keycloak or authentik; as a
directory, every user in it.

Built on ``HttpConnector`` (bearer or basic auth, ``startIndex``/``count``
paging declared as an ``Offset``). No vendor client: SCIM is a standard each
identity provider implements, and the generic one (scim2-client) validates
whole resources against schema models, where Baton must read what real
servers send (string booleans, partial resources) and mark one unreadable
user rather than fail the list.

Here: the settings, finding the employee's accounts and their groups, and every
user as the directory sync reads them; ``access``: the access changes;
``payloads``: SCIM resources as Baton reads them."""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Iterator
from functools import cached_property

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ...sdk.auth import Basic, Bearer
from ...sdk.base import DISCOVER, REVOKE, ConnectorError, MisconfiguredError, Record
from ...sdk.common import (
    NO_VALUE,
    clean_text,
    match_label,
    unreadable,
)
from ...sdk.directory import (
    ATTRIBUTE_FIELDS,
    DirectoryValues,
    attribute_setting,
    person_status,
    with_managers,
)
from ...sdk.http import HttpConnector, Offset
from ...sdk.payloads import parse, parse_each
from ...sdk.people import FindsPeople
from .access import ScimAccess
from .payloads import Group, Page, Total, User, scim_filter, scim_value
from .settings import SETTINGS

__all__ = ["ScimConnector", "scim_filter"]

logger = logging.getLogger(__name__)

DIRECTORY_PAGE_SIZE = 200
# Read from every user besides the attributes the settings name.
SCIM_PATHS = {
    "formatted": "name.formatted",
    "givenName": "name.givenName",
    "familyName": "name.familyName",
    "phone": "phoneNumbers",
}


class ScimConnector(ScimAccess, FindsPeople, HttpConnector):
    slug = "scim"
    label = _("SCIM 2.0 (Okta, Entra ID, Keycloak, authentik…)")
    description = _(
        "Finds the employee's account and the groups they belong to in an identity "
        "provider that speaks SCIM 2.0."
    )
    capabilities = frozenset({DISCOVER, REVOKE})
    # An account's role is its groups; a group's, its name.
    default_mappings = {
        kind: {"system": "system", "account_id": "userName", "role_permission": role}
        for kind, role in (("account", "group_names"), ("group", "displayName"))
    }
    settings = SETTINGS
    default_headers = {"Accept": "application/scim+json, application/json"}
    # RFC 7644 §3.4.2.4: 1-based startIndex and count.
    pagination = Offset(
        "startIndex", "count", items="Resources", total="totalResults", first=1
    )
    # 200,000 people in pages of 200: more is a server ignoring startIndex.
    max_pages = 1000
    supports_directory = True

    @cached_property
    def auth(self):
        return {"bearer": Bearer("token"), "basic": Basic()}.get(self.option("auth"))

    @property
    def refused_message(self):
        return {
            "bearer": _("The SCIM server refused the token."),
            "basic": _("The SCIM server refused the user name or password."),
        }.get(self.option("auth"), _("The SCIM server requires credentials."))

    @property
    def not_found(self):
        return _("There is no SCIM service at %(url)s. Check the base URL.") % {
            "url": self.base_url
        }

    def require_settings(self) -> None:
        super().require_settings()
        name = {"bearer": "token", "basic": "username"}.get(self.option("auth"))
        if name and not (self.secrets.get(name) or self.option(name)):
            label = next(spec.label for spec in self.settings if spec.name == name)
            raise MisconfiguredError(_("Enter “%(setting)s”.") % {"setting": label})

    def entries_of(self, response, items):
        if response.status_code == 404:
            return []
        return parse(Page, self.json_of(response), system=self.host).Resources

    def test_connection(self) -> str:
        page = self.get("/Users", {"count": 1}, not_found=self.not_found)
        total = parse(Total, page, system=self.host).totalResults
        return ngettext(
            "Connected to %(host)s (%(count)d user).",
            "Connected to %(host)s (%(count)d users).",
            total,
        ) % {"host": self.host, "count": total}

    # Finding people -----------------------------------------------------------------

    def _users(self, value: str) -> list[User]:
        query = scim_filter(self.option("match_attribute"), value)
        found = self.paginate("/Users", {"filter": query}, not_found=self.not_found)
        return list(parse_each(User, found))

    def find_person(self, *, value: str, match_by: str) -> str | None:
        ids = [user.id for user in self._users(value) if user.id]
        if len(ids) > 1:
            raise MisconfiguredError(
                _(
                    "%(count)d SCIM accounts match %(person)s; Baton does not guess "
                    "which one to use."
                )
                % {"count": len(ids), "person": value}
            )
        return ids[0] if ids else None

    def _groups_of(self, user: User) -> list[Group]:
        """The user's groups: from its ``groups`` attribute, else by a search
        (a server may not say either way)."""
        if user.groups is not None:
            return [Group(id=ref.value, displayName=ref.display) for ref in user.groups]
        found = self.paginate(
            "/Groups", {"filter": scim_filter("members.value", user.id)}
        )
        return list(parse_each(Group, found))

    # Records ------------------------------------------------------------------------

    def list_records(self, *, employee, record_kind):
        value = self.match_value(employee)
        if not value:
            raise ConnectorError(
                NO_VALUE % {"value": match_label(self.match_by()), "system": self.host},
                retryable=False,
            )
        users = self._users(value)
        if record_kind == "account":
            return [self._account(user) for user in users]
        return self._group_records(users)

    def _account(self, user: User) -> Record:
        if not user.id:
            error = _("The SCIM server returned a user without an id.")
            return unreadable("account", "", error)
        try:
            active = user.flag(user.userName or user.id)
        except ConnectorError as error:
            return unreadable("account", user.id, error)
        # A server that will not say (no ``groups`` attribute and no right to
        # search groups) leaves the groups empty rather than failing the account.
        try:
            groups = [group.displayName or group.id for group in self._groups_of(user)]
        except ConnectorError as error:
            if error.retryable:
                raise
            groups = []
        fields = user.model_dump(
            include={"id", "userName", "displayName", "externalId", "title"}
        )
        return Record(
            external_id=user.id,
            kind="account",
            title=user.userName or user.id,
            fields={
                **fields,
                "email": user.email,
                "emails": [entry.value for entry in user.emails if entry.value],
                "active": active,
                "employeeNumber": user.enterprise.employeeNumber,
                "department": user.enterprise.department,
                "system": self.host,
                "groups": list(filter(None, groups)),
                "group_names": ", ".join(filter(None, groups)),
            },
        )

    def _group_records(self, users) -> list[Record]:
        records, seen = [], set()
        for user in (user for user in users if user.id):
            for group in self._groups_of(user):
                # A reference without a value is left out; a group without an
                # id among the groups found is the server's error to show.
                if not group.id and user.groups is None:
                    error = _("The SCIM server returned a group without an id.")
                    records.append(unreadable("group", "", error))
                elif group.id and group.id not in seen:
                    seen.add(group.id)
                    records.append(self._group_record(group, user))
        return records

    def _group_record(self, group: Group, user: User) -> Record:
        """The whole group a reference points to (for its members), or the
        reference alone when the group has vanished meanwhile."""
        if group.members is None:
            response = self.request(
                "GET", self._path("Groups", group.id), missing_ok=True
            )
            if response.status_code != 404:
                group = parse(Group, self.json_of(response), system=self.host)
        count = None if group.members is None else len(group.members)
        sole = None if count is None else count == 1 and user.id in group.member_ids
        display_name = group.displayName or group.id
        return Record(
            external_id=group.id,
            kind="group",
            title=display_name,
            fields={
                "id": group.id,
                "displayName": display_name,
                "externalId": group.externalId,
                "member_count": count,
                "sole_member": sole,
                "system": self.host,
                "userName": user.userName,
            },
        )

    # The directory (``supports_directory``) ---------------------------------------
    # The employee number, department and manager come from the enterprise
    # extension (RFC 7643 §4.3) unless the settings name other attributes;
    # ``active: false`` means disabled; a status attribute (e.g. ``userType``) may
    # say leaving or disabled; the last working day is read from an attribute the
    # settings name (a custom extension, typically).

    def list_people(self) -> Iterator[DirectoryValues]:
        paths = {
            name: str(self.option(attribute_setting(name)) or "").strip()
            for name in ("id", *ATTRIBUTE_FIELDS)
        }
        # Employees matched by directory id already carry that value.
        matched = self.option("match_attribute")
        if self.match_by() == "directory_id" and matched in ("externalId", "userName"):
            paths["id"] = paths["id"] or matched
        paths = {**SCIM_PATHS, **paths, "id": paths["id"] or "id"}
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
            if (person := self._directory_person(user, paths)) is not None
        )

    def _directory_person(self, raw: dict, paths: dict) -> DirectoryValues | None:
        user = User.model_validate(raw)
        read = {name: clean_text(scim_value(raw, path)) for name, path in paths.items()}
        if not read["id"]:
            logger.warning(
                "SCIM user %s has no %s; left out of the directory sync.",
                user.id or user.userName,
                paths["id"],
            )
            return None
        try:
            active = user.flag(user.id)
        except ConnectorError:
            logger.warning(
                "SCIM user %s: “active” is %r, read as active.", user.id, user.active
            )
            active = None
        given_family = " ".join(filter(None, (read["givenName"], read["familyName"])))
        return DirectoryValues(
            directory_id=read["id"],
            employee_number=read["employee_number"],
            name=user.displayName or read["formatted"] or given_family or user.userName,
            email=user.email,
            department_code=read["department_code"],
            department_name=read["department_name"],
            position=read["position"],
            manager_directory_id=read["manager"],
            phone=read["phone"],
            status=person_status(
                self, disabled=active is False, values={read["status"]} - {""}
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
