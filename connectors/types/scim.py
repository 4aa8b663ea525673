"""SCIM 2.0 (RFC 7643/7644): the employee's account and group memberships in an
identity provider such as Okta, Entra ID, Keycloak or authentik; as a
directory, every user in it (``scim_directory``)."""

from __future__ import annotations

import re
from urllib.parse import quote

import requests
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..registry import register
from ._common import TIMEOUT, VERIFY_TLS, as_text
from ._http import HttpTypeMixin, host_of, request_id_of
from .base import (
    DISCOVER,
    REVOKE,
    UNKNOWN_RECORD_KIND,
    AccessState,
    ConnectorError,
    ConnectorType,
    EmployeeRef,
    MisconfiguredError,
    Record,
    Setting,
    TransferResult,
)
from .scim_directory import DIRECTORY_SETTINGS, ENTERPRISE, ScimDirectoryMixin

__all__ = ["ScimConnector", "scim_filter"]
MATCH_ATTRIBUTES = (
    ("emails.value", _("E-mail address (emails.value)")),
    ("userName", _("User name (userName)")),
    ("externalId", _("External id (externalId)")),
    (f"{ENTERPRISE}:employeeNumber", _("Employee number (enterprise extension)")),
)
MATCH_BY = (
    ("email", _("E-mail address")),
    ("employee_number", _("Employee number")),
    ("directory_id", _("Directory id")),
    ("username", _("User name")),
)
AUTH_CHOICES = (
    ("bearer", _("Bearer token")),
    ("basic", _("User name and password")),
    ("none", _("None")),
)
# What a SCIM attribute path may look like; anything else could change the filter.
_ATTRIBUTE_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_.:$-]*$")
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
# What a server that cannot PATCH answers; Baton then PUTs the whole resource.
PATCH_REFUSED = frozenset({405, 501})
# Attributes a server sets itself; left out of a PUT.
READ_ONLY_ATTRIBUTES = ("meta", "groups")
PAGE_SIZE = 100
MAX_PAGES = 100
_TRUE = "true"
_FALSE = "false"


def scim_filter(attribute: str, value: str) -> str:
    """``attribute eq "value"`` with the value quoted as a JSON string."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{attribute} eq "{escaped}"'


def active_flag(value):
    """SCIM's ``active`` as a bool, ``None`` when absent; ``ValueError`` when it
    is neither a boolean nor the string "true"/"false" in any case."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text == _TRUE:
            return True
        if text == _FALSE:
            return False
    raise ValueError(value)


@register
class ScimConnector(ScimDirectoryMixin, HttpTypeMixin, ConnectorType):
    slug = "scim"
    label = _("SCIM 2.0 (Okta, Entra ID, Keycloak, authentik…)")
    description = _(
        "Finds the employee's account and the groups they belong to in an identity "
        "provider that speaks SCIM 2.0."
    )
    capabilities = frozenset({DISCOVER, REVOKE})
    default_mappings = {
        "account": {
            "system": "system",
            "account_id": "userName",
            "role_permission": "group_names",
        },
        "group": {
            "system": "system",
            "account_id": "userName",
            "role_permission": "displayName",
        },
    }
    settings = (
        Setting(
            "base_url",
            _("Base URL"),
            _("The SCIM endpoint, e.g. https://idp.example.com/scim/v2"),
        ),
        Setting(
            "auth",
            _("Authentication"),
            default="bearer",
            choices=AUTH_CHOICES,
        ),
        Setting(
            "username",
            _("User name"),
            _("Only for user name and password authentication."),
            required=False,
        ),
        Setting(
            "match_attribute",
            _("SCIM attribute to search"),
            _("The user attribute compared with the employee's value."),
            required=False,
            default="emails.value",
            choices=MATCH_ATTRIBUTES,
        ),
        Setting(
            "match_by",
            _("Employee value to search for"),
            required=False,
            default="email",
            choices=MATCH_BY,
        ),
        TIMEOUT,
        VERIFY_TLS,
        Setting(
            "token",
            _("Bearer token"),
            required=False,
            secret=True,
        ),
        Setting(
            "password",
            _("Password"),
            required=False,
            secret=True,
        ),
        Setting(
            "write_token",
            _("Write token"),
            _(
                "A bearer token with write rights, used to suspend, restore and "
                "delete accounts and to change group members. Leave empty to "
                "write with the credentials above."
            ),
            required=False,
            secret=True,
        ),
        *DIRECTORY_SETTINGS,
    )

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self.base_url = self.url_option()
        self.host = host_of(self.base_url)
        self.system = self.host or "SCIM"
        self.auth = self.option("auth")
        self.http = self.make_http(
            headers={"Accept": "application/scim+json, application/json"},
            secrets=(
                self.secrets.get("token"),
                self.secrets.get("password"),
                self.secrets.get("write_token"),
            ),
        )
        if self.auth == "bearer" and self.secrets.get("token"):
            token = self.secrets["token"]
            self.http.session.headers["Authorization"] = f"Bearer {token}"
        elif self.auth == "basic":
            self.http.session.auth = (
                str(self.option("username") or ""),
                str(self.secrets.get("password") or ""),
            )

    # Talking to the server ----------------------------------------------------------

    def test_connection(self) -> str:
        self._check_settings()
        response = self._send("/ServiceProviderConfig", not_found_ok=True)
        if response.status_code != 404:
            self._json(response)
        page = self._json(self._send("/Users", params={"count": 1}))
        total = page.get("totalResults") if isinstance(page, dict) else None
        if not isinstance(total, int):
            raise ConnectorError(
                _("%(host)s did not answer like a SCIM server.") % {"host": self.system}
            )
        return ngettext(
            "Connected to %(host)s (%(count)d user).",
            "Connected to %(host)s (%(count)d users).",
            total,
        ) % {"host": self.system, "count": total}

    def discover(self, *, employee: EmployeeRef, record_kind: str):
        if record_kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        self._check_settings()
        users = self._find_users(employee)
        if record_kind == "account":
            return [self._account(user) for user in users]
        return self._groups(users)

    # Accounts ---------------------------------------------------------------------

    def _find_users(self, employee: EmployeeRef, *, required=None) -> list:
        match_by = self.option("match_by")
        value = employee.value(match_by).strip()
        if not value:
            label = dict(MATCH_BY).get(match_by, match_by)
            message = _(
                "The employee has no %(value)s to look up on the SCIM server."
            ) % {"value": str(label).lower()}
            if required is not None:
                raise required(message)
            raise ConnectorError(message, retryable=False)
        query = scim_filter(self.option("match_attribute"), value)
        return self._list("/Users", query)

    def _account(self, user) -> Record:
        if not isinstance(user, dict) or not as_text(user.get("id")):
            return Record(
                external_id="",
                kind="account",
                title="",
                error=str(_("The SCIM server returned a user without an id.")),
            )
        user_id = as_text(user["id"])
        try:
            active = active_flag(user.get("active"))
        except ValueError:
            return Record(
                external_id=user_id,
                kind="account",
                title="",
                error=str(
                    _(
                        "User %(user)s has an “active” value that is neither true "
                        "nor false: %(value)s"
                    )
                    % {
                        "user": as_text(user.get("userName")) or user_id,
                        "value": str(user.get("active"))[:50],
                    }
                ),
            )
        groups = self._membership_names(user)
        enterprise = (
            user.get(ENTERPRISE) if isinstance(user.get(ENTERPRISE), dict) else {}
        )
        emails = _emails(user.get("emails"))
        return Record(
            external_id=user_id,
            kind="account",
            title=as_text(user.get("userName")) or user_id,
            fields={
                "id": user_id,
                "userName": as_text(user.get("userName")),
                "displayName": as_text(user.get("displayName")),
                "externalId": as_text(user.get("externalId")),
                "email": _primary_email(user.get("emails")),
                "emails": emails,
                "active": active,
                "title": as_text(user.get("title")),
                "employeeNumber": as_text(enterprise.get("employeeNumber")),
                "department": as_text(enterprise.get("department")),
                "system": self.system,
                "groups": groups,
                "group_names": ", ".join(groups),
            },
        )

    def _membership_names(self, user) -> list:
        """Display names of the user's groups. A server that will not say (no
        ``groups`` attribute and no right to search groups) gives an empty list
        rather than failing the account itself."""
        references = user.get("groups")
        if isinstance(references, list):
            return [
                as_text(ref.get("display")) or as_text(ref.get("value"))
                for ref in references
                if isinstance(ref, dict) and (ref.get("display") or ref.get("value"))
            ]
        try:
            groups = self._list("/Groups", scim_filter("members.value", user["id"]))
        except ConnectorError as error:
            if error.retryable:
                raise
            return []
        return [
            as_text(group.get("displayName")) or as_text(group.get("id"))
            for group in groups
            if isinstance(group, dict)
        ]

    # Groups -----------------------------------------------------------------------

    def _groups(self, users) -> list:
        records = []
        seen = set()
        for user in users:
            if not isinstance(user, dict) or not as_text(user.get("id")):
                continue
            user_id = as_text(user["id"])
            references = user.get("groups")
            if isinstance(references, list):
                groups = []
                for reference in references:
                    group_id = (
                        as_text(reference.get("value"))
                        if isinstance(reference, dict)
                        else ""
                    )
                    if group_id and group_id not in seen:
                        groups.append(self._group(group_id, reference))
            else:
                groups = self._list("/Groups", scim_filter("members.value", user_id))
            for group in groups:
                group_id = as_text(group.get("id")) if isinstance(group, dict) else ""
                if not group_id:
                    records.append(
                        Record(
                            external_id="",
                            kind="group",
                            title="",
                            error=str(
                                _("The SCIM server returned a group without an id.")
                            ),
                        )
                    )
                    continue
                if group_id in seen:
                    continue
                seen.add(group_id)
                records.append(self._group_record(group, user))
        return records

    def _group(self, group_id: str, reference: dict) -> dict:
        """The full group a ``groups`` reference points to (for its members);
        the reference alone when the group has vanished meanwhile."""
        response = self._send(f"/Groups/{group_id}", not_found_ok=True)
        if response.status_code == 404:
            return {"id": group_id, "displayName": as_text(reference.get("display"))}
        group = self._json(response)
        return group if isinstance(group, dict) else {"id": group_id}

    def _group_record(self, group: dict, user: dict) -> Record:
        group_id = as_text(group["id"])
        members = group.get("members")
        member_count = len(members) if isinstance(members, list) else None
        sole_member = None
        if member_count is not None:
            member_ids = {
                as_text(member.get("value"))
                for member in members
                if isinstance(member, dict)
            }
            sole_member = member_count == 1 and as_text(user.get("id")) in member_ids
        display_name = as_text(group.get("displayName")) or group_id
        return Record(
            external_id=group_id,
            kind="group",
            title=display_name,
            fields={
                "id": group_id,
                "displayName": display_name,
                "externalId": as_text(group.get("externalId")),
                "member_count": member_count,
                "sole_member": sole_member,
                "system": self.system,
                "userName": as_text(user.get("userName")),
            },
        )

    # Access changes ---------------------------------------------------------------

    def access_state(self, *, account_id: str) -> AccessState:
        self._check_settings()
        path = self._resource_path("Users", account_id)
        response = self._send(path, not_found_ok=True)
        if response.status_code == 404:
            return AccessState(exists=False, active=False, groups=[])
        user = self._json(response)
        if not isinstance(user, dict):
            raise ConnectorError(
                _("%(host)s did not answer like a SCIM server.") % {"host": self.system}
            )
        try:
            active = active_flag(user.get("active"))
        except ValueError:
            raise ConnectorError(
                _(
                    "User %(user)s has an “active” value that is neither true "
                    "nor false: %(value)s"
                )
                % {"user": account_id, "value": str(user.get("active"))[:50]},
                retryable=False,
            ) from None
        return AccessState(
            exists=True,
            # SCIM leaves "active" out when the server does not manage it.
            active=active is not False,
            groups=self._group_ids(user, account_id),
        )

    def suspend_account(self, *, account_id: str) -> TransferResult:
        return self._set_active(account_id, active=False)

    def restore_account(self, *, account_id: str) -> TransferResult:
        return self._set_active(account_id, active=True)

    def delete_account(self, *, account_id: str) -> TransferResult:
        self._check_settings()
        response = self._write(
            "DELETE", self._resource_path("Users", account_id), not_found_ok=True
        )
        return self._result(
            "delete", account_id, response, changed=response.status_code != 404
        )

    def remove_member(self, *, group_id: str, account_id: str) -> TransferResult:
        self._check_settings()
        group = self._group_members(group_id)
        if group is None:
            return TransferResult(
                response={
                    "operation": "remove_member",
                    "id": group_id,
                    "changed": False,
                    "group_gone": True,
                }
            )
        if group["member_ids"] is not None and account_id not in group["member_ids"]:
            return TransferResult(
                response={
                    "operation": "remove_member",
                    "id": group_id,
                    "member": account_id,
                    "changed": False,
                }
            )
        operation = {
            "op": "remove",
            "path": f"members[{scim_filter('value', account_id)}]",
        }
        response = self._patch(
            "Groups",
            group_id,
            operation,
            fallback=lambda resource: _without_member(resource, account_id),
            no_target_ok=True,
        )
        return self._result(
            "remove_member",
            group_id,
            response,
            changed=response.status_code < 400,
            member=account_id,
        )

    def add_member(self, *, group_id: str, person: EmployeeRef) -> TransferResult:
        self._check_settings()
        users = [
            user
            for user in self._find_users(person, required=MisconfiguredError)
            if isinstance(user, dict) and as_text(user.get("id"))
        ]
        label = person.name or person.value(self.option("match_by"))
        if not users:
            raise MisconfiguredError(
                _("%(person)s has no account on the SCIM server %(host)s.")
                % {"person": label, "host": self.system}
            )
        if len(users) > 1:
            raise MisconfiguredError(
                _(
                    "%(count)d SCIM accounts match %(person)s; Baton does not guess "
                    "which one to use."
                )
                % {"count": len(users), "person": label}
            )
        user_id = as_text(users[0]["id"])
        group = self._group_members(group_id)
        if group is None:
            raise MisconfiguredError(
                _("The SCIM server %(host)s has no group %(id)s.")
                % {"host": self.system, "id": group_id}
            )
        if group["member_ids"] is not None and user_id in group["member_ids"]:
            return TransferResult(
                response={
                    "operation": "add_member",
                    "id": group_id,
                    "member": user_id,
                    "changed": False,
                }
            )
        operation = {"op": "add", "path": "members", "value": [{"value": user_id}]}
        response = self._patch(
            "Groups",
            group_id,
            operation,
            fallback=lambda resource: _with_member(resource, user_id),
        )
        return self._result(
            "add_member", group_id, response, changed=True, member=user_id
        )

    def _set_active(self, account_id: str, *, active: bool) -> TransferResult:
        self._check_settings()
        operation = {"op": "replace", "path": "active", "value": active}
        response = self._patch(
            "Users",
            account_id,
            operation,
            fallback=lambda resource: {**resource, "active": active},
        )
        return self._result(
            "restore" if active else "suspend", account_id, response, active=active
        )

    def _group_ids(self, user: dict, user_id: str) -> list:
        """Ids of the user's groups, as ``discover`` gives them."""
        references = user.get("groups")
        if isinstance(references, list):
            groups = references
            key = "value"
        else:
            groups = self._list("/Groups", scim_filter("members.value", user_id))
            key = "id"
        ids = []
        for group in groups:
            group_id = as_text(group.get(key)) if isinstance(group, dict) else ""
            if group_id and group_id not in ids:
                ids.append(group_id)
        return ids

    def _group_members(self, group_id: str):
        """{"group": the group, "member_ids": set} or None when it is gone.
        ``member_ids`` is None when the server did not list the members."""
        response = self._send(
            self._resource_path("Groups", group_id),
            params={"attributes": "members"},
            not_found_ok=True,
        )
        if response.status_code == 404:
            return None
        group = self._json(response)
        if not isinstance(group, dict):
            raise ConnectorError(
                _("%(host)s did not answer like a SCIM server.") % {"host": self.system}
            )
        members = group.get("members")
        if not isinstance(members, list):
            return {"group": group, "member_ids": None}
        return {
            "group": group,
            "member_ids": {
                as_text(member.get("value"))
                for member in members
                if isinstance(member, dict)
            },
        }

    def _patch(
        self, resource_type, resource_id, operation, *, fallback, no_target_ok=False
    ):
        """PATCH one operation; a server that cannot PATCH gets the whole
        resource back by PUT, changed by ``fallback``. ``no_target_ok``: a
        remove that finds nothing to remove (400 noTarget) is no failure."""
        path = self._resource_path(resource_type, resource_id)
        body = {"schemas": [PATCH_OP], "Operations": [operation]}
        response = self._write("PATCH", path, json=body, check=False)
        if no_target_ok and response.status_code == 400 and _no_target(response):
            return response
        if response.status_code not in PATCH_REFUSED:
            return self._check_write(response, resource_type, resource_id)
        current = self._write("GET", path)
        resource = self._json(current)
        if not isinstance(resource, dict):
            raise ConnectorError(
                _("%(host)s did not answer like a SCIM server.") % {"host": self.system}
            )
        changed = {
            key: value
            for key, value in fallback(resource).items()
            if key not in READ_ONLY_ATTRIBUTES
        }
        return self._write("PUT", path, json=changed)

    def _resource_path(self, resource_type: str, resource_id) -> str:
        resource_id = str(resource_id or "").strip()
        if not resource_id:
            raise MisconfiguredError(_("No SCIM resource id was given."))
        return f"/{resource_type}/{quote(resource_id, safe='')}"

    def _write(self, method, path, *, json=None, not_found_ok=False, check=True):
        """A request with the write credentials (the write token when set)."""
        headers = {"Content-Type": "application/scim+json"} if json is not None else {}
        token = self.secrets.get("write_token")
        response = self.http.send(
            method,
            self.base_url + path,
            json=json,
            headers=headers,
            auth=_Bearer(token) if token else None,
        )
        if not check or (not_found_ok and response.status_code == 404):
            return response
        resource_type, _sep, resource_id = path.strip("/").partition("/")
        return self._check_write(response, resource_type, resource_id)

    def _check_write(self, response, resource_type, resource_id):
        if response.status_code == 404:
            if resource_type == "Groups":
                message = _("The SCIM server %(host)s has no group %(id)s.")
            else:
                message = _("The SCIM server %(host)s has no user %(id)s.")
            raise MisconfiguredError(
                message % {"host": self.system, "id": resource_id},
                request_id=request_id_of(response),
            )
        if self.secrets.get("write_token"):
            refused = _("The SCIM server refused the write token.")
        elif self.auth == "bearer":
            refused = _(
                "The SCIM server refused the change with this token; it may only "
                "read. Add a write token with write rights."
            )
        elif self.auth == "basic":
            refused = _("The SCIM server refused the change with this user name.")
        else:
            refused = _("The SCIM server requires credentials.")
        return self.http.check(response, refused=refused)

    def _result(self, operation, resource_id, response, **extra) -> TransferResult:
        summary = {"operation": operation, "id": resource_id}
        summary.update(extra)
        summary["status"] = response.status_code
        return TransferResult(response=summary, request_id=request_id_of(response))

    # HTTP -------------------------------------------------------------------------

    def _check_settings(self) -> None:
        if not self.base_url.lower().startswith(("http://", "https://")):
            raise MisconfiguredError(
                _("The SCIM base URL must start with https:// (or http://).")
            )
        attribute = str(self.option("match_attribute") or "")
        if not _ATTRIBUTE_PATH.match(attribute):
            raise MisconfiguredError(
                _("“%(attribute)s” is not a SCIM attribute name.")
                % {"attribute": attribute}
            )
        if self.option("match_by") not in dict(MATCH_BY):
            raise MisconfiguredError(
                _("Unknown employee value “%(value)s” to search by.")
                % {"value": self.option("match_by")}
            )
        if self.auth not in dict(AUTH_CHOICES):
            raise MisconfiguredError(
                _("Unknown authentication “%(auth)s”.") % {"auth": self.auth}
            )
        if self.auth == "bearer" and not self.secrets.get("token"):
            raise MisconfiguredError(_("Enter the bearer token of the SCIM server."))
        if self.auth == "basic" and not self.option("username"):
            raise MisconfiguredError(_("Enter the user name for the SCIM server."))

    def _send(self, path: str, *, params=None, not_found_ok=False):
        response = self.http.send("GET", self.base_url + path, params=params)
        if not_found_ok and response.status_code == 404:
            return response
        if self.auth == "bearer":
            refused = _("The SCIM server refused the token.")
        elif self.auth == "basic":
            refused = _("The SCIM server refused the user name or password.")
        else:
            refused = _("The SCIM server requires credentials.")
        return self.http.check(
            response,
            refused=refused,
            not_found=_("There is no SCIM service at %(url)s. Check the base URL.")
            % {"url": self.base_url},
        )

    def _json(self, response):
        return self.http.json_of(
            response, system=_("The SCIM server at %(host)s") % {"host": self.system}
        )

    def _list(self, path: str, query: str) -> list:
        """Every resource of a filtered list, following startIndex/count."""
        resources = []
        start = 1
        for _page in range(MAX_PAGES):
            params = {"filter": query, "startIndex": start, "count": PAGE_SIZE}
            page = self._json(self._send(path, params=params))
            if not isinstance(page, dict):
                raise ConnectorError(
                    _("%(host)s did not answer like a SCIM server.")
                    % {"host": self.system}
                )
            batch = page.get("Resources", page.get("resources")) or []
            if not isinstance(batch, list):
                raise ConnectorError(
                    _("%(host)s did not answer like a SCIM server.")
                    % {"host": self.system}
                )
            resources.extend(batch)
            total = page.get("totalResults")
            if not batch or not isinstance(total, int) or len(resources) >= total:
                return resources
            start += len(batch)
        raise ConnectorError(
            _("%(host)s kept returning more results after %(count)d pages.")
            % {"host": self.system, "count": MAX_PAGES},
            retryable=False,
        )


class _Bearer(requests.auth.AuthBase):
    """Authorization for one request, over the session's own credentials."""

    def __init__(self, token: str):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def _no_target(response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("scimType") == "noTarget"


def _without_member(group: dict, member_id: str) -> dict:
    members = group.get("members") if isinstance(group.get("members"), list) else []
    return {
        **group,
        "members": [
            member
            for member in members
            if not (
                isinstance(member, dict) and as_text(member.get("value")) == member_id
            )
        ],
    }


def _with_member(group: dict, member_id: str) -> dict:
    members = group.get("members") if isinstance(group.get("members"), list) else []
    return {**group, "members": [*members, {"value": member_id}]}


def _emails(value) -> list:
    if not isinstance(value, list):
        return []
    return [
        as_text(entry.get("value"))
        for entry in value
        if isinstance(entry, dict) and entry.get("value")
    ]


def _primary_email(value) -> str:
    if not isinstance(value, list):
        return ""
    entries = [
        entry for entry in value if isinstance(entry, dict) and entry.get("value")
    ]
    for entry in entries:
        if entry.get("primary") in (True, "true", "True"):
            return as_text(entry["value"])
    return as_text(entries[0]["value"]) if entries else ""
