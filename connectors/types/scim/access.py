"""Access changes of the SCIM connector: suspend and restore (``active``),
delete, and group membership, each by one PATCH operation (RFC 7644 §3.5.2),
or — for a server that cannot PATCH — by PUTting the whole resource back."""

from __future__ import annotations

from urllib.parse import quote

from django.utils.translation import gettext_lazy as _

from ...sdk.base import AccessState, MisconfiguredError, TransferResult
from ...sdk.payloads import parse
from .payloads import Group, User, scim_filter

__all__ = ["ScimAccess"]

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
# What a server that cannot PATCH answers; Baton then PUTs the whole resource.
PATCH_REFUSED = (405, 501)
# Attributes a server sets itself; left out of a PUT.
READ_ONLY_ATTRIBUTES = ("meta", "groups")


class ScimAccess:
    """Access changes for ``ScimConnector`` (which finds people and groups)."""

    def access_state(self, *, account_id: str) -> AccessState:
        response = self.request("GET", self._path("Users", account_id), missing_ok=True)
        if response.status_code == 404:
            return AccessState(exists=False, active=False, groups=[])
        user = parse(User, self.json_of(response), system=self.host)
        user.id = account_id
        ids = [group.id for group in self._groups_of(user) if group.id]
        # SCIM leaves "active" out when the server does not manage it.
        active = user.flag(account_id) is not False
        return AccessState(exists=True, active=active, groups=list(dict.fromkeys(ids)))

    def suspend_account(self, *, account_id: str) -> TransferResult:
        return self._set_active(account_id, active=False)

    def restore_account(self, *, account_id: str) -> TransferResult:
        return self._set_active(account_id, active=True)

    def delete_account(self, *, account_id: str) -> TransferResult:
        response = self._write("DELETE", "Users", account_id, allow=(404,))
        changed = response.status_code != 404
        return self._result("delete", account_id, response, changed=changed)

    def remove_member(self, *, group_id: str, account_id: str) -> TransferResult:
        members = self._members_of(group_id)
        if members is False:
            return self._result(
                "remove_member", group_id, changed=False, group_gone=True
            )
        if members is not None and account_id not in members:
            return self._result(
                "remove_member", group_id, changed=False, member=account_id
            )
        response = self._patch(
            "Groups",
            group_id,
            {"op": "remove", "path": f"members[{scim_filter('value', account_id)}]"},
            lambda group: [m for m in _members(group) if m.get("value") != account_id],
            no_target_ok=True,
        )
        changed = response.status_code < 400
        return self._result(
            "remove_member", group_id, response, changed=changed, member=account_id
        )

    def add_member(self, *, group_id: str, person) -> TransferResult:
        user_id = self.person_id(person, required=False)
        if user_id is None:
            raise MisconfiguredError(
                _("%(person)s has no account on the SCIM server %(host)s.")
                % {"person": person.name or self.match_value(person), "host": self.host}
            )
        members = self._members_of(group_id)
        if members is False:
            raise MisconfiguredError(self._missing("Groups", group_id))
        if members is not None and user_id in members:
            return self._result("add_member", group_id, changed=False, member=user_id)
        member = {"value": user_id}
        response = self._patch(
            "Groups",
            group_id,
            {"op": "add", "path": "members", "value": [member]},
            lambda group: [*_members(group), member],
        )
        return self._result(
            "add_member", group_id, response, changed=True, member=user_id
        )

    # Requests -----------------------------------------------------------------------

    def _set_active(self, account_id: str, *, active: bool) -> TransferResult:
        operation = {"op": "replace", "path": "active", "value": active}
        response = self._patch("Users", account_id, operation, lambda user: active)
        operation = "restore" if active else "suspend"
        return self._result(operation, account_id, response, active=active)

    def _members_of(self, group_id: str):
        """The ids of the group's members; None when the server does not list
        them, False when the group is gone."""
        response = self.request(
            "GET",
            self._path("Groups", group_id),
            params={"attributes": "members"},
            missing_ok=True,
        )
        if response.status_code == 404:
            return False
        return parse(Group, self.json_of(response), system=self.host).member_ids

    def _patch(self, kind, resource_id, operation, value, *, no_target_ok=False):
        """PATCH one operation; a server that cannot PATCH gets the whole
        resource back by PUT, with ``value(resource)`` as its members (a group)
        or ``active`` (a user). ``no_target_ok``: a remove that finds nothing
        to remove (400 noTarget) is no failure."""
        body = {"schemas": [PATCH_OP], "Operations": [operation]}
        allow = (*PATCH_REFUSED, 400) if no_target_ok else PATCH_REFUSED
        response = self._write("PATCH", kind, resource_id, json=body, allow=allow)
        if response.status_code == 400:
            if self.value_at(response, "scimType") != "noTarget":
                self.check_response(response)
            return response
        if response.status_code not in PATCH_REFUSED:
            return response
        resource = self.json_of(self._write("GET", kind, resource_id))
        parse(Group, resource, system=self.host)  # an object, or "cannot read"
        resource["members" if kind == "Groups" else "active"] = value(resource)
        for name in READ_ONLY_ATTRIBUTES:
            resource.pop(name, None)
        return self._write("PUT", kind, resource_id, json=resource)

    def _write(self, method, kind, resource_id, *, json=None, allow=()):
        """A request with the write credentials (the write token when set)."""
        token = self.secrets.get("write_token")
        response = self.request(
            method,
            self._path(kind, resource_id),
            json=json,
            headers={"Content-Type": "application/scim+json"} if json else None,
            auth=_bearer(token) if token else None,
            allow=(401, 403, *allow),
            not_found=self._missing(kind, resource_id),
        )
        if response.status_code not in (401, 403):
            return response
        if token:
            refused = _("The SCIM server refused the write token.")
        elif self.option("auth") == "bearer":
            refused = _(
                "The SCIM server refused the change with this token; it may only "
                "read. Add a write token with write rights."
            )
        elif self.option("auth") == "basic":
            refused = _("The SCIM server refused the change with this user name.")
        else:
            refused = self.refused_message
        raise MisconfiguredError(refused, request_id=self.request_id(response))

    def _missing(self, kind: str, resource_id: str):
        if kind == "Groups":
            message = _("The SCIM server %(host)s has no group %(id)s.")
        else:
            message = _("The SCIM server %(host)s has no user %(id)s.")
        return message % {"host": self.host, "id": resource_id}

    def _path(self, kind: str, resource_id) -> str:
        resource_id = str(resource_id or "").strip()
        if not resource_id:
            raise MisconfiguredError(_("No SCIM resource id was given."))
        return f"/{kind}/{quote(resource_id, safe='')}"

    def _result(self, operation, resource_id, response=None, **extra):
        """What the server answered (``response``; none when nothing needed
        changing), for the audit trail."""
        summary = {"operation": operation, "id": resource_id, **extra}
        if response is not None:
            summary["status"] = response.status_code
        return TransferResult(response=summary, request_id=self.request_id(response))


def _bearer(token: str):
    """Authorization for one request, over the session's own credentials."""

    def sign(request):
        request.headers["Authorization"] = f"Bearer {token}"
        return request

    return sign


def _members(resource: dict) -> list:
    members = resource.get("members") or ()
    return [member for member in members if isinstance(member, dict)]
