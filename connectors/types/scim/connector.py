"""The SCIM connector: finding the employee's accounts and their groups."""

from __future__ import annotations

from functools import cached_property

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ...sdk.auth import Basic, Bearer
from ...sdk.base import (
    DISCOVER,
    REVOKE,
    UNKNOWN_RECORD_KIND,
    ConnectorError,
    EmployeeRef,
    MisconfiguredError,
    Record,
)
from ...sdk.http import HttpConnector, Offset
from ...sdk.payloads import parse, parse_each
from ...sdk.people import FindsPeople
from .access import ScimAccess
from .directory import ScimDirectory
from .payloads import Group, User, scim_filter
from .settings import AUTH_CHOICES, MATCH_BY, SETTINGS, attribute_path

__all__ = ["ScimConnector", "scim_filter"]


class ScimConnector(ScimAccess, ScimDirectory, FindsPeople, HttpConnector):
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
        offset_param="startIndex",
        size_param="count",
        items="Resources",
        total="totalResults",
        first=1,
    )

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
        attribute_path(str(self.option("match_attribute") or "") or "?")
        if self.match_by() not in dict(MATCH_BY):
            raise MisconfiguredError(
                _("Unknown employee value “%(value)s” to search by.")
                % {"value": self.match_by()}
            )
        auth = self.option("auth")
        if auth not in dict(AUTH_CHOICES):
            raise MisconfiguredError(
                _("Unknown authentication “%(auth)s”.") % {"auth": auth}
            )
        if auth == "bearer" and not self.secrets.get("token"):
            raise MisconfiguredError(_("Enter the bearer token of the SCIM server."))
        if auth == "basic" and not self.option("username"):
            raise MisconfiguredError(_("Enter the user name for the SCIM server."))

    def entries_of(self, response, items):
        """The resources of a list answer ("resources" in any case)."""
        if response.status_code == 404:
            return []
        answer = self.json_of(response)
        if not isinstance(answer, dict):
            raise self.not_scim()
        if items and items not in answer and items.lower() in answer:
            items = items.lower()
        return super().entries_of(response, items)

    def not_scim(self) -> ConnectorError:
        return ConnectorError(
            _("%(host)s did not answer like a SCIM server.") % {"host": self.host}
        )

    # The contract -------------------------------------------------------------------

    def test_connection(self) -> str:
        response = self.request("GET", "/ServiceProviderConfig", missing_ok=True)
        if response.status_code != 404:
            self.json_of(response)
        page = self.get("/Users", {"count": 1}, not_found=self.not_found)
        total = page.get("totalResults") if isinstance(page, dict) else None
        if not isinstance(total, int):
            raise self.not_scim()
        return ngettext(
            "Connected to %(host)s (%(count)d user).",
            "Connected to %(host)s (%(count)d users).",
            total,
        ) % {"host": self.host, "count": total}

    def discover(self, *, employee: EmployeeRef, record_kind: str):
        if record_kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        self.require_settings()
        users = self._users(self._value_of(employee))
        if record_kind == "account":
            return [self._account(user) for user in users]
        return self._group_records(parse_each(User, users))

    # Finding people -----------------------------------------------------------------

    def _value_of(self, person: EmployeeRef, *, misconfigured=False) -> str:
        value = self.match_value(person)
        if value:
            return value
        label = dict(MATCH_BY).get(self.match_by(), self.match_by())
        message = _("The employee has no %(value)s to look up on the SCIM server.") % {
            "value": str(label).lower()
        }
        if misconfigured:
            raise MisconfiguredError(message)
        raise ConnectorError(message, retryable=False)

    def _users(self, value: str) -> list:
        query = scim_filter(self.option("match_attribute"), value)
        return list(
            self.paginate("/Users", {"filter": query}, not_found=self.not_found)
        )

    def find_person(self, *, value: str, match_by: str) -> str | None:
        ids = [user.id for user in parse_each(User, self._users(value)) if user.id]
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

    def _account(self, raw) -> Record:
        user = parse(User, raw, system=self.host)
        if not user.id:
            return _error(
                "account", "", _("The SCIM server returned a user without an id.")
            )
        try:
            active = user.flag(user.userName or user.id)
        except ConnectorError as error:
            return _error("account", user.id, error.message)
        groups = self._membership_names(user)
        return Record(
            external_id=user.id,
            kind="account",
            title=user.userName or user.id,
            fields={
                "id": user.id,
                "userName": user.userName,
                "displayName": user.displayName,
                "externalId": user.externalId,
                "email": user.email,
                "emails": user.email_list,
                "active": active,
                "title": user.title,
                "employeeNumber": user.enterprise.employeeNumber,
                "department": user.enterprise.department,
                "system": self.host,
                "groups": groups,
                "group_names": ", ".join(groups),
            },
        )

    def _membership_names(self, user: User) -> list:
        """Display names of the user's groups. A server that will not say (no
        ``groups`` attribute and no right to search groups) gives an empty list
        rather than failing the account itself."""
        try:
            groups = self._groups_of(user)
        except ConnectorError as error:
            if error.retryable:
                raise
            return []
        return [
            group.displayName or group.id
            for group in groups
            if group.displayName or group.id
        ]

    def _group_records(self, users) -> list:
        records, seen = [], set()
        for user in users:
            if not user.id:
                continue
            for group in self._groups_of(user):
                # A reference without a value is left out; a group without an
                # id among the groups found is the server's error to show.
                if not group.id and user.groups is None:
                    message = _("The SCIM server returned a group without an id.")
                    records.append(_error("group", "", message))
                elif group.id and group.id not in seen:
                    seen.add(group.id)
                    records.append(self._group_record(self._full(group), user))
        return records

    def _full(self, group: Group) -> Group:
        """The whole group a reference points to (for its members); the
        reference alone when the group has vanished meanwhile."""
        if group.members is not None:
            return group
        response = self.request("GET", self._path("Groups", group.id), missing_ok=True)
        if response.status_code == 404:
            return group
        return parse(Group, self.json_of(response), system=self.host)

    def _group_record(self, group: Group, user: User) -> Record:
        members = group.member_ids
        count = None if group.members is None else len(group.members)
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
                "sole_member": None
                if count is None
                else count == 1 and user.id in members,
                "system": self.host,
                "userName": user.userName,
            },
        )


def _error(kind: str, external_id: str, message) -> Record:
    return Record(external_id=external_id, kind=kind, title="", error=str(message))
