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
    MisconfiguredError,
    Setting,
    TransferResult,
)
from ...sdk.common import (
    TIMEOUT,
    VERIFY_TLS,
    clean_text,
    map_setting,
    optional,
    page_size_setting,
    secret_setting,
    status_map_setting,
    tracker_mappings,
    url_setting,
    webhook_secret_setting,
)
from ...sdk.http import Basic, Cursor, Offset, dig
from ...sdk.payloads import parse_each, records_from
from ...sdk.trackers import Assignee, TrackerConnector, first_due
from .payloads import Issue, Project, User, Version, adf_document, jql_string

__all__ = ["DEFAULT_STATUS_MAP", "JiraConnector", "adf_text", "jql_string"]

# Status names (lower-cased) that mean "stuck" although Jira files them under
# "In Progress"; everything else follows the status category.
DEFAULT_STATUS_MAP = dict.fromkeys(
    ("blocked", "on hold", "waiting for customer"), "blocked"
)
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
_ISSUE_KEY = re.compile(r"/browse/([A-Z][A-Z0-9_]*-\d+)/?$")


# Jira's text formats ---------------------------------------------------------------


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
    settings = (
        url_setting(
            _("Site URL"), _("Your Jira Cloud site, e.g. https://example.atlassian.net")
        ),
        Setting(
            "email",
            _("Account e-mail address"),
            _("The Atlassian account the API token belongs to."),
        ),
        secret_setting(
            "api_token",
            _("API token"),
            _(
                "Created at id.atlassian.com → Security → API tokens. The account "
                "needs “Browse users and groups” to find people, and to be a Jira "
                "administrator to change project leads."
            ),
        ),
        optional(
            "jql",
            _("Extra JQL"),
            _(
                "Narrows the issues, e.g. project in (FIN, WEB). Combined with the "
                "employee's unresolved issues by AND."
            ),
            default="",
        ),
        map_setting(
            "account_id_map",
            _("Atlassian account ids"),
            _(
                "Employee value (as the connector matches people, e.g. e-mail) → "
                "Atlassian account id. Needed where Jira hides e-mail addresses, "
                "or to match by anything but e-mail."
            ),
        ),
        status_map_setting(
            _(
                "Jira status name → task status (not_started, in_progress, blocked "
                "or done). Unlisted statuses follow their category: To Do → "
                "not_started, In Progress → in_progress, Done → done; Blocked, On "
                "Hold and Waiting for customer count as blocked."
            )
        ),
        page_size_setting(
            50, _("Issues read per search request; Jira Cloud sends at most 100.")
        ),
        TIMEOUT,
        VERIFY_TLS,
        webhook_secret_setting(
            _(
                "For an automation rule or bridge that signs its calls to Baton's "
                "hook when issues change."
            )
        ),
    )
    auth = Basic(username="email", secret="api_token")  # noqa: S106 - names
    # Issue searches page by token; ``page_size`` sets ``size`` per call.
    pagination = Cursor(
        param="nextPageToken",
        next="nextPageToken",
        items="issues",
        size_param="maxResults",
    )
    request_id_headers = ("X-AREQUESTID",)  # Atlassian's, for their support
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
    describe_issue_message = _(
        "Reassign issue %(key)s “%(title)s” in Jira from %(owner)s to "
        "%(successor)s, with a comment."
    )
    describe_project_message = _(
        "Make %(successor)s the lead of project “%(title)s” in Jira instead of "
        "%(owner)s."
    )

    def test_connection(self) -> str:
        me = self.read(User, "/rest/api/3/myself")
        return _("Connected to Jira at %(host)s as %(name)s.") % {
            "host": self.host,
            "name": me.displayName or me.accountId,
        }

    # Issues and projects ----------------------------------------------------------

    def issues_of(self, account, record_kind, status_map):
        jql = f"assignee = {jql_string(account)} AND statusCategory != Done"
        if extra := str(self.option("jql") or "").strip():
            jql += f" AND ({extra})"
        query = {"jql": f"{jql} ORDER BY created ASC", "fields": ISSUE_FIELDS}
        found = self.paginate("/rest/api/3/search/jql", query, pagination=self.pages())
        return records_from(
            Issue,
            found,
            lambda issue: self.issue_record(
                record_kind,
                issue,
                title=issue.summary,
                task_status=status_map.get(issue.status.casefold())
                or CATEGORY_STATUS.get(issue.status_category, "in_progress"),
                url=self._browse(issue.key or issue.id),
            ),
            kind=record_kind,
            error=self.no_id_message % {"system": self.system_name},
        )

    def projects_of(self, account):
        found = self.paginate(
            "/rest/api/3/project/search",
            {"expand": "lead,description"},
            pagination=self.pages(Offset(items="values", total="total")),
        )
        return records_from(
            Project,
            found,
            lambda project: (
                self._project(project)
                if project.lead_id == account and project.archived is not True
                else None
            ),
            kind="project",
            error=_("Jira returned a project without an id or key."),
        )

    def _project(self, project: Project):
        scope = f"project = {jql_string(project.key)}"
        total = self._count(scope)
        done = self._count(f"{scope} AND statusCategory = Done")
        versions = self.request(
            "GET",
            f"/rest/api/3/project/{project.id}/version",
            params={"status": "unreleased", "orderBy": "releaseDate", "maxResults": 50},
        )
        version = first_due(
            (version.name, version.releaseDate)
            for version in parse_each(Version, self.entries_of(versions, "values"))
            if not version.archived
        )
        return self.project_record(
            project,
            project.name or project.key,
            total=total,
            done=done,
            version=version,
            url=self._browse(project.key),
            document=_("Project in Jira"),
            issues_done=done,
        )

    def _count(self, jql: str) -> int:
        answer = self.post("/rest/api/3/search/approximate-count", {"jql": jql})
        return int(dig(answer, "count") or 0)

    def _browse(self, key: str) -> str:
        return f"{self.base_url}/browse/{key}"

    # People -----------------------------------------------------------------------

    def search_account(self, *, value, match_by, active_only):
        response = self.call(
            "GET",
            "/rest/api/3/user/search",
            params={"query": value, "maxResults": 50},
            refusals={403: BROWSE_USERS_MISSING},
        )
        people = [
            user
            for user in parse_each(User, self.json_of(response))
            if user.accountType == "atlassian"
            and (user.active is not False or not active_only)
        ]
        found = [u for u in people if u.emailAddress.casefold() == value.casefold()]
        # Jira hides the address of people who chose so, but still matches it:
        # one person without a visible address is the one searched for.
        if not found and len(people) == 1 and not people[0].emailAddress:
            found = people
        if found:
            return found[0].accountId
        if not self._may_browse_users:
            raise MisconfiguredError(BROWSE_USERS_MISSING)
        return None

    @cached_property
    def _may_browse_users(self) -> bool:
        """Whether the account has “Browse users and groups”: without it Jira
        answers every user search with nobody."""
        answer = self.get("/rest/api/3/mypermissions", {"permissions": "USER_PICKER"})
        return dig(answer, "permissions.USER_PICKER.havePermission") is True

    # Write-backs ------------------------------------------------------------------

    def issue_key(self, record) -> str:
        key = _ISSUE_KEY.search(str(record.fields.get("location") or ""))
        return key.group(1) if key else record.external_id

    def assignee_of(self, issue_id: str) -> Assignee:
        missing = _("Issue %(id)s is no longer in Jira, or the account may not see it.")
        issue = self.read(
            Issue,
            f"/rest/api/3/issue/{issue_id}",
            params={"fields": "assignee,summary"},
            not_found=missing % {"id": issue_id},
        )
        return Assignee(issue.key or issue_id, issue.assignee_id, issue.assignee)

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
        return response, {"comment": clean_text(dig(comment, "id"))}

    def project_transferred(self, project_id, successor_id) -> bool:
        return self._read_project(project_id).lead_id == successor_id

    def transfer_project(self, record, owner, successor) -> TransferResult:
        project_id = self.record_id(record)
        successor_id = self.successor_account(successor)
        project = self._read_project(project_id)
        done = {"project": project.key or project_id, "lead": successor_id}
        if project.lead_id == successor_id:
            return TransferResult(response=done)
        admins = _("Only Jira administrators may change the lead of project %(key)s.")
        response = self.call(
            "PUT",
            f"/rest/api/3/project/{project_id}",
            json={"leadAccountId": successor_id},
            refusals={403: admins % {"key": done["project"]}},
        )
        return TransferResult(
            response={**done, "status": response.status_code},
            request_id=self.request_id(response),
        )

    def _read_project(self, project_id: str) -> Project:
        missing = _(
            "Project %(id)s is no longer in Jira, or the account may not see it."
        )
        path = f"/rest/api/3/project/{project_id}"
        return self.read(Project, path, not_found=missing % {"id": project_id})

    def check_response(self, response, *, not_found=None) -> None:
        if response.status_code == 400:
            raise MisconfiguredError(
                _("Jira rejected the request: %(reason)s")
                % {"reason": self.reasons(response)},
                request_id=self.request_id(response),
            )
        super().check_response(response, not_found=not_found)
