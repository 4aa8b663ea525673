"""The SCIM connector: its settings, and finding the employee's accounts and
their groups."""

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
from ...sdk.common import (
    TIMEOUT,
    VERIFY_TLS,
    match_label,
    optional,
    secret_setting,
    url_setting,
)
from ...sdk.directory import directory_settings
from ...sdk.http import HttpConnector, Offset
from ...sdk.payloads import parse, parse_each
from ...sdk.people import FindsPeople, match_by_setting
from .access import ScimAccess
from .directory import ScimDirectory
from .payloads import ENTERPRISE, ID_ATTRIBUTES, Group, Page, Total, User, scim_filter

__all__ = ["ScimConnector"]

SETTINGS = (
    url_setting(
        _("Base URL"), _("The SCIM endpoint, e.g. https://idp.example.com/scim/v2")
    ),
    optional(
        "auth",
        _("Authentication"),
        default="bearer",
        choices=(
            ("bearer", _("Bearer token")),
            ("basic", _("User name and password")),
            ("none", _("None")),
        ),
    ),
    optional(
        "username", _("User name"), _("Only for user name and password authentication.")
    ),
    optional(
        "match_attribute",
        _("SCIM attribute to search"),
        _("The user attribute compared with the employee's value."),
        default="emails.value",
        choices=(
            ("emails.value", _("E-mail address (emails.value)")),
            ("userName", _("User name (userName)")),
            ("externalId", _("External id (externalId)")),
            (
                f"{ENTERPRISE}:employeeNumber",
                _("Employee number (enterprise extension)"),
            ),
        ),
    ),
    match_by_setting(
        ("email", "employee_number", "directory_id", "username"),
        label=_("Employee value to search for"),
        help_text="",
    ),
    TIMEOUT,
    VERIFY_TLS,
    secret_setting("token", _("Bearer token"), required=False),
    secret_setting("password", _("Password"), required=False),
    secret_setting(
        "write_token",
        _("Write token"),
        _(
            "A bearer token with write rights, used to suspend, restore and "
            "delete accounts and to change group members. Leave empty to "
            "write with the credentials above."
        ),
        required=False,
    ),
    *directory_settings(
        defaults={
            "employee_number": f"{ENTERPRISE}:employeeNumber",
            "department_name": f"{ENTERPRISE}:department",
            "manager": f"{ENTERPRISE}:manager.value",
        },
        help_texts={
            "department_code": _("Empty: departments are matched by name."),
            "manager": _("Holds the SCIM id of the person's manager."),
            "status": _(
                "An attribute whose value says someone is leaving or disabled, e.g. "
                "userType. Empty: only inactive users count (as disabled)."
            ),
            "disabled_values": _(
                "Status values meaning “disabled”, separated by commas. Inactive "
                "users count as disabled anyway."
            ),
            "last_working_day": _(
                "An attribute holding the last working day as a date or date-time, "
                "e.g. urn:example:params:scim:schemas:extension:hr:2.0:User:"
                "lastWorkingDay."
            ),
        },
        id_choices=ID_ATTRIBUTES,
        extra={
            "intake_mode": (
                optional(
                    "directory_filter",
                    _("Which users are employees"),
                    _('A SCIM filter, e.g. userType eq "Employee". Empty: every user.'),
                    default="",
                ),
            )
        },
    ),
)


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
        "startIndex", "count", items="Resources", total="totalResults", first=1
    )
    # 200,000 people in pages of 200: more is a server ignoring startIndex.
    max_pages = 1000

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

    # The contract -------------------------------------------------------------------

    def test_connection(self) -> str:
        response = self.request("GET", "/ServiceProviderConfig", missing_ok=True)
        if response.status_code != 404:
            self.json_of(response)
        page = self.get("/Users", {"count": 1}, not_found=self.not_found)
        total = parse(Total, page, system=self.host).totalResults
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
        if not value:
            message = _("The employee has no %(value)s to look up on the SCIM server.")
            message %= {"value": match_label(self.match_by())}
            if misconfigured:
                raise MisconfiguredError(message)
            raise ConnectorError(message, retryable=False)
        return value

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
        try:
            if not user.id:
                raise ConnectorError(
                    _("The SCIM server returned a user without an id.")
                )
            active = user.flag(user.userName or user.id)
        except ConnectorError as error:
            return Record(user.id, "account", "", error=str(error))
        groups = self._membership_names(user)
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
        return [name for group in groups if (name := group.displayName or group.id)]

    def _group_records(self, users) -> list:
        records, seen = [], set()
        for user in (user for user in users if user.id):
            for group in self._groups_of(user):
                # A reference without a value is left out; a group without an
                # id among the groups found is the server's error to show.
                if not group.id and user.groups is None:
                    message = str(_("The SCIM server returned a group without an id."))
                    records.append(Record("", "group", "", error=message))
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
