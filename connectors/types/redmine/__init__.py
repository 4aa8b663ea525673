"""Redmine (REST API, JSON, API key): the employee's open issues and the
projects they are a member of; an issue is reassigned with Baton's note, a
project's roles are given to the successor, both read back. Only administrators
may list users: with another key, ``user_id_map`` names everyone Baton must find.

Not python-redmine: it drops its ``timeout``, its exceptions carry neither
status nor response (no ``X-Request-Id``), and its paging overlaps below a page
size of 100."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ...sdk.base import (
    DISCOVER,
    TRANSFER,
    WEBHOOK,
    MisconfiguredError,
    TransferResult,
)
from ...sdk.common import (
    TIMEOUT,
    VERIFY_TLS,
    map_setting,
    page_size_setting,
    secret_setting,
    status_map_setting,
    tracker_mappings,
    transfer_values,
    unreadable,
    url_setting,
    webhook_secret_setting,
)
from ...sdk.http import Header, Offset, dig
from ...sdk.payloads import (
    parse,
    parse_each,
    records_from,
)
from ...sdk.trackers import Assignee, TrackerConnector, first_due
from .payloads import Issue, Membership, Project, User, Version

__all__ = ["DEFAULT_STATUS_MAP", "RedmineConnector"]

# Redmine's default statuses (lower-cased names) → Baton's task status.
DEFAULT_STATUS_MAP = {
    "new": "not_started",
    "in progress": "in_progress",
    "feedback": "blocked",
    "resolved": "done",
    "closed": "done",
    "rejected": "done",
}
PROJECT_ACTIVE = 1
GONE = _("Issue #%(id)s is no longer in Redmine, or the API key may not see it.")


class RedmineConnector(TrackerConnector):
    slug = "redmine"
    label = _("Redmine")
    description = _(
        "Finds the employee's open issues and the projects they are a member of in "
        "Redmine, and hands them to the successor: issues are reassigned, project "
        "roles are given to the successor."
    )
    capabilities = frozenset({DISCOVER, TRANSFER, WEBHOOK})
    default_mappings = tracker_mappings(
        issue_progress="done_ratio", project_fields=("contacts",)
    )
    settings = (
        url_setting(
            _("Base URL"), _("The address of Redmine, e.g. https://redmine.example.com")
        ),
        secret_setting(
            "api_key",
            _("API key"),
            _(
                "From “My account” → API access key in Redmine. Use an "
                "administrator's key: only administrators may look people up. "
                "The REST API must be enabled (Administration → Settings → API)."
            ),
        ),
        map_setting(
            "user_id_map",
            _("Redmine user ids"),
            _(
                "Employee value (as the connector matches people, e.g. e-mail) → "
                'Redmine user id, e.g. {"sales@example.com": 7}. Needed when the '
                "API key is not an administrator's, or to match by employee number."
            ),
        ),
        status_map_setting(
            _(
                "Redmine status name → task status (not_started, in_progress, "
                "blocked or done); added to the defaults New → not_started, In "
                "Progress → in_progress, Feedback → blocked, Resolved and Closed → "
                "done. Other statuses: closed ones count as done, the rest as in "
                "progress once work has started."
            )
        ),
        page_size_setting(100, _("Records per request; Redmine sends at most 100.")),
        TIMEOUT,
        VERIFY_TLS,
        webhook_secret_setting(
            _(
                "Redmine sends no webhooks itself; set this only for a plugin or "
                "bridge that calls Baton's hook when issues change."
            )
        ),
    )
    auth = Header(secret="api_key", header="X-Redmine-API-Key")  # noqa: S106
    pagination = Offset(offset_param="offset", size_param="limit", total="total_count")
    people_map_setting = "user_id_map"
    searchable_by = ("email", "username")
    assignee_field = "assigned_to_id"
    reason_separator = "; "
    system_name = "Redmine"
    default_status_map = DEFAULT_STATUS_MAP
    refused_message = _(
        "Redmine refused the API key. Check the key, and that the REST API is "
        "enabled in Redmine (Administration → Settings → API)."
    )
    forbidden_message = _(
        "Redmine does not allow the API key's user to do this (HTTP 403)."
    )
    search_by_message = _(
        "Redmine finds people by e-mail address or user name only. Add “%(value)s” "
        "to the Redmine user ids of this connector."
    )
    no_successor_message = _(
        "%(person)s has no active account in Redmine (looked up by %(field)s "
        "“%(value)s”). Create the account, or add it to the Redmine user ids of "
        "this connector, then try again."
    )
    moved_on_message = _(
        "Issue #%(id)s is now assigned to %(assignee)s, not to %(owner)s: Baton "
        "leaves it as it is."
    )
    untitled_message = _("Issue #%(id)s has no subject in Redmine.")
    describe_issue_message = _(
        "Reassign issue #%(id)s “%(title)s” in Redmine from %(owner)s to %(successor)s."
    )
    describe_project_message = _(
        "Give %(successor)s the roles %(owner)s has in project “%(title)s” in Redmine."
    )

    def test_connection(self) -> str:
        me = self.read(User, "/users/current.json", "user")
        if me.admin is True:
            message = _(
                "Connected to Redmine at %(host)s as %(login)s (administrator)."
            )
        else:
            message = _(
                "Connected to Redmine at %(host)s as %(login)s. Not an administrator: "
                "Baton finds only the people listed in the Redmine user ids."
            )
        return message % {"host": self.host, "login": me.login or me.id}

    # Issues -----------------------------------------------------------------------

    def issues_of(self, account, record_kind, status_map):
        issues = self.paginate(
            "/issues.json",
            {"assigned_to_id": account, "status_id": "open", "sort": "id"},
            pagination=self.pages(items="issues"),
        )
        return records_from(
            Issue,
            issues,
            lambda issue: self.issue_record(
                record_kind,
                issue,
                title=issue.subject,
                task_status=_task_status(issue, status_map),
                url=f"{self.base_url}/issues/{issue.id}",
            ),
            kind=record_kind,
            error=self.no_id_message % {"system": self.system_name},
        )

    # Projects ---------------------------------------------------------------------

    def projects_of(self, account):
        params = {"include": "memberships"}
        user = self.read(User, f"/users/{account}.json", "user", params=params)
        projects = {m.project.id: m for m in user.memberships if m.project.id}
        records = [
            self._project(membership, str(account)) for membership in projects.values()
        ]
        return [record for record in records if record is not None]

    def _project(self, membership: Membership, user_id: str):
        project_id = membership.project.id
        path = f"/projects/{project_id}.json"
        response = self.request("GET", path, allow=(403, 404))
        if response.status_code in (403, 404):
            return None  # archived, or hidden from the key: nothing to hand over
        answer = dig(self.json_of(response), "project")
        project = next(parse_each(Project, [answer]), None)
        if project is None:
            error = _("Redmine sent project %(id)s in a form Baton cannot read.")
            return unreadable("project", project_id, error % {"id": project_id})
        if project.status != PROJECT_ACTIVE:
            return None  # closed projects are read-only in Redmine
        total, closed = self._count(project_id, "*"), self._count(project_id, "closed")
        contacts = [
            {"name": member.name, "role": ", ".join(role.name for role in member.roles)}
            for member in self._members(project_id)
            if member.user.id != user_id and member.name
        ]
        versions = self.request("GET", f"/projects/{project_id}/versions.json")
        version = first_due(
            (version.name, version.due_date)
            for version in parse_each(Version, self.entries_of(versions, "versions"))
            if version.status == "open" and version.project_id in ("", project_id)
        )
        roles = [role.name for role in membership.roles]
        identifier = project.identifier or project_id
        return self.project_record(
            project,
            project.name or membership.project.name or project_id,
            total=total,
            done=closed,
            version=version,
            url=f"{self.base_url}/projects/{identifier}",
            document=_("Project page in Redmine"),
            identifier=identifier,
            roles=roles,
            role_names=", ".join(roles),
            issues_closed=closed,
            contacts=contacts,
        )

    def _count(self, project_id: str, status: str) -> int:
        params = {"project_id": project_id, "subproject_id": "!*", "limit": 1}
        answer = self.get("/issues.json", {**params, "status_id": status})
        return int(dig(answer, "total_count") or 0)

    def _members(self, project_id: str) -> list[Membership]:
        """Every membership of a project, of users and of groups."""
        found = self.paginate(
            f"/projects/{project_id}/memberships.json",
            pagination=self.pages(items="memberships"),
        )
        return [
            member
            for member in parse_each(Membership, found)
            if member.user.id or member.group.id
        ]

    # People -----------------------------------------------------------------------

    def mapped_person(self, value: str) -> int | None:
        mapped = super().mapped_person(value)
        if mapped is not None and not (mapped.isdigit() and int(mapped) > 0):
            raise MisconfiguredError(
                _(
                    "The Redmine user id for “%(value)s” must be a positive "
                    "number, not “%(id)s”."
                )
                % {"value": value, "id": mapped}
            )
        return None if mapped is None else int(mapped)

    def search_account(self, *, value, match_by, active_only):
        # Redmine lists active users unless asked for every status.
        params = {"name": value, "limit": 100, "status": "1" if active_only else ""}
        admins_only = _(
            "Redmine lets only administrators look people up. Use an "
            "administrator's API key, or fill in the Redmine user ids of this "
            "connector."
        )
        response = self.call(
            "GET", "/users.json", params=params, refusals={403: admins_only}
        )
        field = "mail" if match_by == "email" else "login"
        for user in parse_each(User, self.entries_of(response, "users")):
            if getattr(user, field).casefold() == value.casefold():
                return user.id
        return None

    # Write-backs ------------------------------------------------------------------

    def assignee_of(self, issue_id: str) -> Assignee:
        response = self.call(
            "GET",
            f"/issues/{issue_id}.json",
            refusals={status: GONE % {"id": issue_id} for status in (403, 404)},
        )
        current = parse(Issue, dig(self.json_of(response), "issue"), system=self.host)
        return Assignee(issue_id, current.assigned_to_id, current.assigned_to)

    def reassign(self, issue_id, successor_id, note, *, key):
        def explain(response):
            reason = self.reasons(response)
            text = str(
                _("Redmine refused to reassign issue #%(id)s: %(reason)s")
                % {"id": issue_id, "reason": reason}
            )
            if "assign" in reason.casefold():
                text += " " + str(
                    _(
                        "The successor must be a member of the issue's project "
                        "with a role that issues can be assigned to."
                    )
                )
            return text

        body = {"issue": {"assigned_to_id": successor_id, "notes": str(note)}}
        response = self.call(
            "PUT", f"/issues/{issue_id}.json", json=body, refusals={422: explain}
        )
        return response, {}

    def project_transferred(self, project_id, successor_id) -> bool:
        return any(m.user.id == successor_id for m in self._members(project_id))

    def transfer_project(self, record, owner, successor) -> TransferResult:
        project_id = self.record_id(record)
        successor_id = self.successor_account(successor)
        owner_id = self.account_id(owner)
        members = {member.user.id: member for member in self._members(project_id)}
        owned = members.get(str(owner_id)) if owner_id is not None else None
        values = transfer_values(record, owner, successor)
        if owned is None or not owned.own_roles:
            raise MisconfiguredError(
                _(
                    "%(owner)s is no longer a member of project “%(title)s” in "
                    "Redmine, so Baton cannot tell which roles to give. Add "
                    "%(successor)s to the project by hand."
                )
                % values
            )
        given = {role.id for role in owned.own_roles}
        current = members.get(str(successor_id))
        held = {role.id for role in current.own_roles} if current else set()
        summary = {
            "project": project_id,
            "user_id": successor_id,
            "roles": [role.name for role in owned.own_roles],
        }
        if current is not None and given <= held:
            return TransferResult(response=summary)
        if current is None:
            method, path = "POST", f"/projects/{project_id}/memberships.json"
            body = {"user_id": successor_id, "role_ids": sorted(given | held)}
        else:
            method, path = "PUT", f"/memberships/{current.id}.json"
            body = {"role_ids": sorted(given | held)}
        refused = _(
            "Redmine refused to add %(successor)s to project “%(title)s”: %(reason)s"
        )
        response = self.call(
            method,
            path,
            json={"membership": body},
            refusals={422: lambda r: refused % {**values, "reason": self.reasons(r)}},
        )
        summary["status"] = response.status_code
        return TransferResult(response=summary, request_id=self.request_id(response))


def _task_status(issue: Issue, status_map: dict) -> str:
    for key in (issue.status.casefold(), issue.status_id):
        if key and key in status_map:
            return status_map[key]
    if issue.is_closed is True:
        return "done"
    return "in_progress" if issue.done_ratio else "not_started"
