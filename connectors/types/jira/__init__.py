"""Jira Cloud (REST API v3, e-mail and API token): the employee's unresolved
issues and the projects they lead; an issue is reassigned with Baton's note as a
comment, a project gets the successor as lead, both read back. People: by e-mail
(needs “Browse users and groups”) or ``account_id_map``.

Not atlassian-python-api: it folds the refusals Baton words differently (403 on
a lead, 400 on an assignee, 404) into one ``HTTPError``, returns no
``X-AREQUESTID``, and sleeps out a 429's Retry-After inside a sync run."""

from __future__ import annotations

import re
from functools import cached_property

from django.utils.translation import gettext_lazy as _

from ...sdk.base import (
    DISCOVER,
    TRANSFER,
    WEBHOOK,
    ConnectorError,
    MisconfiguredError,
    Record,
    TransferResult,
)
from ...sdk.common import tracker_mappings, transfer_values, who
from ...sdk.http import Basic, Cursor, Offset
from ...sdk.payloads import parse, parse_each
from ...sdk.trackers import Assignee, TrackerConnector, first_due, unreadable
from .payloads import (
    Count,
    Issue,
    Permissions,
    Project,
    Ref,
    User,
    Versions,
    adf_document,
    adf_text,
    jql_string,
)
from .settings import DEFAULT_STATUS_MAP, SETTINGS

__all__ = ["DEFAULT_STATUS_MAP", "JiraConnector", "adf_text", "jql_string"]

CATEGORY_STATUS = {"new": "not_started", "indeterminate": "in_progress", "done": "done"}
ISSUE_FIELDS = (
    "summary,status,description,duedate,priority,issuetype,project,assignee,"
    "updated,progress"
)
BROWSE_USERS_MISSING = _(
    "The Jira account may not look people up. Give it the global permission "
    "“Browse users and groups”, or fill in the Atlassian account ids of this "
    "connector."
)
# What a transfer will change, as people see it first.
MAKE_LEAD = _(
    "Make %(successor)s the lead of project “%(title)s” in Jira instead of %(owner)s."
)
REASSIGN_KEYED = _(
    "Reassign issue %(key)s “%(title)s” in Jira from %(owner)s to %(successor)s, "
    "with a comment."
)
REASSIGN = _(
    "Reassign issue “%(title)s” in Jira from %(owner)s to %(successor)s, with a "
    "comment."
)
# Atlassian's own request id, for their support.
ATLASSIAN_REQUEST_ID = "X-AREQUESTID"
_ISSUE_KEY = re.compile(r"/browse/([A-Z][A-Z0-9_]*-\d+)/?$")


class JiraConnector(TrackerConnector):
    slug = "jira"
    label = _("Jira")
    description = _(
        "Finds the employee's unresolved issues and the projects they lead in Jira "
        "Cloud, and hands them to the successor: issues are reassigned with a "
        "comment, projects get the successor as lead."
    )
    capabilities = frozenset({DISCOVER, TRANSFER, WEBHOOK})
    default_mappings = tracker_mappings()
    settings = SETTINGS
    auth = Basic(username="email", secret="api_token")  # noqa: S106 - names
    # Issue searches page by token; ``page_size`` sets ``size`` per call.
    pagination = Cursor(
        param="nextPageToken",
        next="nextPageToken",
        items="issues",
        size_param="maxResults",
    )
    project_pages = Offset(items="values", total="total")
    request_id_headers = (ATLASSIAN_REQUEST_ID,)
    max_pages = 500
    people_map_setting = "account_id_map"
    system_name = "Jira"
    default_status_map = DEFAULT_STATUS_MAP
    refused_message = _(
        "Jira refused the e-mail address or API token. Check both; API tokens expire."
    )
    forbidden_message = _("Jira does not allow the account to do this (HTTP 403).")
    search_by_message = _(
        "Jira finds people by e-mail address only. Add “%(value)s” to the "
        "Atlassian account ids of this connector."
    )
    no_successor_message = _(
        "%(person)s has no active Atlassian account in Jira (looked up by "
        "%(field)s “%(value)s”). Invite them, or add their account id to this "
        "connector, then try again."
    )
    moved_on_message = _(
        "Issue %(key)s is now assigned to %(assignee)s, not to %(owner)s: Baton "
        "leaves it as it is."
    )
    untitled_message = _("Issue %(key)s has no summary in Jira.")

    def test_connection(self) -> str:
        me = self.read(User, "/rest/api/3/myself")
        if not me.accountId:
            raise ConnectorError(
                _("%(host)s did not answer like Jira.") % {"host": self.host}
            )
        return _("Connected to Jira at %(host)s as %(name)s.") % {
            "host": self.host,
            "name": me.displayName or me.accountId,
        }

    # Issues and projects ----------------------------------------------------------

    def issues_of(self, account, record_kind, status_map):
        jql = f"assignee = {jql_string(account)} AND statusCategory != Done"
        extra = str(self.option("jql") or "").strip()
        if extra:
            jql += f" AND ({extra})"
        issues = self.paginate(
            "/rest/api/3/search/jql",
            {"jql": f"{jql} ORDER BY created ASC", "fields": ISSUE_FIELDS},
            pagination=self.pages(),
        )
        return [
            self._issue(issue, record_kind, status_map)
            for issue in parse_each(Issue, issues)
        ]

    def _issue(self, issue: Issue, record_kind: str, status_map: dict) -> Record:
        key, fields = issue.key or issue.id, issue.fields
        status, percent = fields.status, fields.progress.percent
        category = status.statusCategory.key
        return self.issue_record(
            record_kind,
            issue_id=issue.id,
            key=key,
            title=fields.summary,
            description=adf_text(fields.description).strip(),
            due=fields.duedate,
            fields={
                "key": key,
                "summary": fields.summary,
                "status": status.name,
                "status_category": category,
                "task_status": status_map.get(status.name.casefold())
                or CATEGORY_STATUS.get(category, "in_progress"),
                "progress_percent": round(percent) if percent is not None else None,
                "issue_type": fields.issuetype.name,
                "priority": fields.priority.name,
                "project": fields.project.name,
                "project_key": fields.project.key,
                "assignee": fields.assignee.displayName,
                "updated": fields.updated,
                "url": self._browse(key),
            },
        )

    def projects_of(self, account):
        found = self.paginate(
            "/rest/api/3/project/search",
            {"expand": "lead,description"},
            pagination=self.pages(self.project_pages),
        )
        return [
            self._project(project)
            for project in parse_each(Project, found)
            if project.lead.accountId == account and project.archived is not True
        ]

    def _project(self, project: Project) -> Record:
        if not project.id or not project.key:
            error = _("Jira returned a project without an id or key.")
            return unreadable("project", project.id, error)
        name = project.name or project.key
        scope = f"project = {jql_string(project.key)}"
        total = self._count(scope)
        done = self._count(f"{scope} AND statusCategory = Done")
        fields = self.project_fields(
            total=total,
            done=done,
            version=self._next_version(project.id),
            url=self._browse(project.key),
            document=_("Project in Jira"),
        )
        return Record(
            external_id=project.id,
            kind="project",
            title=name,
            fields={
                "id": project.id,
                "key": project.key,
                "name": name,
                "description": project.description,
                "category": project.projectCategory.name,
                "lead": project.lead.displayName,
                "issues_total": total,
                "issues_done": done,
                **fields,
            },
        )

    def _count(self, jql: str) -> int:
        answer = self.post("/rest/api/3/search/approximate-count", {"jql": jql})
        return parse(Count, answer, system=self.host).count

    def _next_version(self, project_id: str):
        params = {"status": "unreleased", "orderBy": "releaseDate", "maxResults": 50}
        found = self.read(
            Versions, f"/rest/api/3/project/{project_id}/version", params=params
        )
        return first_due(
            (version.name, version.releaseDate)
            for version in found.values
            if not version.released and not version.archived
        )

    def _browse(self, key: str) -> str:
        return f"{self.base_url}/browse/{key}"

    # People -----------------------------------------------------------------------

    def search_account(self, *, value, match_by, active_only):
        found = self._search_user(value, active_only)
        if found is None and not self._may_browse_users:
            raise MisconfiguredError(BROWSE_USERS_MISSING)
        return found

    @cached_property
    def _may_browse_users(self) -> bool:
        """Whether the account has “Browse users and groups”: without it Jira
        answers every user search with nobody."""
        params = {"permissions": "USER_PICKER"}
        found = self.read(Permissions, "/rest/api/3/mypermissions", params=params)
        picker = found.permissions.get("USER_PICKER")
        return picker is not None and picker.havePermission is True

    def _search_user(self, email: str, active_only: bool) -> str | None:
        response = self.call(
            "GET",
            "/rest/api/3/user/search",
            params={"query": email, "maxResults": 50},
            refusals={403: BROWSE_USERS_MISSING},
        )
        people = [
            user
            for user in parse_each(User, self.json_of(response))
            if user.accountId
            and user.accountType == "atlassian"
            and (user.active is not False or not active_only)
        ]
        exact = [u for u in people if u.emailAddress.casefold() == email.casefold()]
        if exact:
            return exact[0].accountId
        # Jira hides the address of people who chose so, but still matches it:
        # one person without a visible address is the one searched for.
        if len(people) == 1 and not people[0].emailAddress:
            return people[0].accountId
        return None

    # Write-backs ------------------------------------------------------------------

    def describe_transfer(self, *, record, owner, successor) -> str:
        values = transfer_values(record, owner, successor)
        location = (record.fields or {}).get("location")
        key = _ISSUE_KEY.search(location) if isinstance(location, str) else None
        if record.kind == "project":
            return MAKE_LEAD % values
        if key:
            return REASSIGN_KEYED % {**values, "key": key.group(1)}
        return REASSIGN % values

    def assignee_of(self, issue_id: str) -> Assignee:
        missing = _("Issue %(id)s is no longer in Jira, or the account may not see it.")
        issue = self.read(
            Issue,
            f"/rest/api/3/issue/{issue_id}",
            params={"fields": "assignee,summary"},
            not_found=missing % {"id": issue_id},
        )
        current = issue.fields.assignee
        return Assignee(issue.key or issue_id, current.accountId, current.displayName)

    def reassign(self, issue_id, successor_id, note, *, key):
        refused = _(
            "Jira refused to reassign issue %(key)s: %(reason)s The successor "
            "needs the “Assignable user” permission in the issue's project."
        )
        response = self.call(
            "PUT",
            f"/rest/api/3/issue/{issue_id}/assignee",
            json={"accountId": successor_id},
            refusals={400: lambda r: refused % {"key": key, "reason": self.reasons(r)}},
        )
        comment = self.post(
            f"/rest/api/3/issue/{issue_id}/comment", {"body": adf_document(str(note))}
        )
        return response, {"comment": parse(Ref, comment, system=self.host).id}

    def project_transferred(self, project_id, successor_id) -> bool:
        return self._read_project(project_id).lead.accountId == successor_id

    def transfer_project(self, record, owner, successor) -> TransferResult:
        project_id = self.record_id(record)
        successor_id = self.successor_account(successor)
        project = self._read_project(project_id)
        key = project.key or project_id
        if project.lead.accountId == successor_id:
            return TransferResult(response={"project": key, "lead": successor_id})
        admins = _("Only Jira administrators may change the lead of project %(key)s.")
        refused = _(
            "Jira refused to make %(successor)s the lead of %(key)s: %(reason)s"
        )
        values = {"successor": who(successor), "key": key}
        response = self.call(
            "PUT",
            f"/rest/api/3/project/{project_id}",
            json={"leadAccountId": successor_id},
            refusals={
                403: admins % values,
                400: lambda r: refused % {**values, "reason": self.reasons(r)},
            },
        )
        done = {"project": key, "lead": successor_id, "status": response.status_code}
        return TransferResult(response=done, request_id=self.request_id(response))

    def _read_project(self, project_id: str) -> Project:
        missing = _(
            "Project %(id)s is no longer in Jira, or the account may not see it."
        )
        path = f"/rest/api/3/project/{project_id}"
        return self.read(Project, path, not_found=missing % {"id": project_id})

    # Jira's refusals --------------------------------------------------------------

    def check_response(self, response, *, not_found=None) -> None:
        if response.status_code == 400:
            raise MisconfiguredError(
                _("Jira rejected the request: %(reason)s")
                % {"reason": self.reasons(response)},
                request_id=self.request_id(response),
            )
        super().check_response(response, not_found=not_found)
