"""Jira Cloud: the employee's unresolved issues and the projects they lead,
through Jira's REST API v3 with an Atlassian account's e-mail address and API
token (basic authentication).

Finding people: Jira Cloud has no user names; people are found by e-mail
address (``GET /rest/api/3/user/search``), which needs the global permission
“Browse users and groups”. Where Jira hides e-mail addresses, fill in the
``account_id_map`` setting (employee value → Atlassian account id).

Write-back (capability TRANSFER): an issue is assigned to the successor
(``PUT /rest/api/3/issue/{id}/assignee``) and Baton's note is added as a
comment; a project gets the successor as its lead (needs a Jira
administrator). Both are read back to verify.

Jira's own webhooks are not signed the way Baton's hook expects: periodic
re-sync keeps items current, and an automation rule or bridge that signs its
calls may use Baton's hook (capability WEBHOOK) to re-sync sooner.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from ..registry import register
from ._common import (
    MATCH_LABELS,
    TIMEOUT,
    VERIFY_TLS,
    as_text,
    due_on,
    must_be_object,
    next_version_step,
    read_status_map,
    too_many_pages,
    transfer_values,
    webhook_secret_setting,
    who,
)
from ._http import HttpTypeMixin, host_of, request_id_of
from .base import (
    DISCOVER,
    TRANSFER,
    UNKNOWN_RECORD_KIND,
    WEBHOOK,
    ConnectorError,
    ConnectorType,
    EmployeeRef,
    MisconfiguredError,
    Record,
    Setting,
    TransferResult,
)

__all__ = ["DEFAULT_STATUS_MAP", "JiraConnector", "adf_text", "jql_string"]

# Status names (lower-cased) that mean "stuck" although Jira files them under
# "In Progress"; everything else follows the status category.
DEFAULT_STATUS_MAP = {
    "blocked": "blocked",
    "on hold": "blocked",
    "waiting for customer": "blocked",
}
CATEGORY_STATUS = {"new": "not_started", "indeterminate": "in_progress", "done": "done"}
ISSUE_FIELDS = (
    "summary",
    "status",
    "description",
    "duedate",
    "priority",
    "issuetype",
    "project",
    "assignee",
    "updated",
    "progress",
)
MAX_PAGE_SIZE = 100
MAX_PAGES = 500
ISSUE_KINDS = ("issue", "task")
BROWSE_USERS_MISSING = _(
    "The Jira account may not look people up. Give it the global permission "
    "“Browse users and groups”, or fill in the Atlassian account ids of this "
    "connector."
)
# Atlassian's own request id, for their support.
ATLASSIAN_REQUEST_ID = "X-AREQUESTID"
_ISSUE_KEY = re.compile(r"/browse/([A-Z][A-Z0-9_]*-\d+)/?$")


def jql_string(value: str) -> str:
    """``value`` as a quoted JQL string."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def adf_text(node) -> str:
    """Plain text of an Atlassian Document Format value (v3 rich text):
    paragraphs and list items on their own lines, mentions and emoji by their
    text."""
    if isinstance(node, str):
        return node
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text") or "")
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji", "status", "date"):
        attrs = node.get("attrs") or {}
        return str(attrs.get("text") or attrs.get("shortName") or "")
    parts = [adf_text(child) for child in node.get("content") or []]
    if kind in ("doc", "bulletList", "orderedList", "table", "tableRow"):
        return "\n".join(part for part in parts if part)
    if kind == "listItem":
        return "- " + "\n".join(part for part in parts if part)
    return "".join(parts)


def adf_document(text: str) -> dict:
    """``text`` as an ADF document, one paragraph per line."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]}
        for line in str(text).splitlines()
        if line.strip()
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


@register
class JiraConnector(HttpTypeMixin, ConnectorType):
    slug = "jira"
    label = _("Jira")
    description = _(
        "Finds the employee's unresolved issues and the projects they lead in Jira "
        "Cloud, and hands them to the successor: issues are reassigned with a "
        "comment, projects get the successor as lead."
    )
    capabilities = frozenset({DISCOVER, TRANSFER, WEBHOOK})
    _issue_mapping = {
        "description": "details",
        "status": "task_status",
        "progress_percent": "progress_percent",
        "next_step": "next_step",
        "location": "url",
    }
    default_mappings = {
        "issue": _issue_mapping,
        "task": _issue_mapping,
        "project": {
            "project_name": "name",
            "stage": "stage",
            "progress_percent": "progress_percent",
            "next_step": "next_step",
            "documents": "documents",
        },
    }
    settings = (
        Setting(
            "base_url",
            _("Site URL"),
            _("Your Jira Cloud site, e.g. https://example.atlassian.net"),
        ),
        Setting(
            "email",
            _("Account e-mail address"),
            _("The Atlassian account the API token belongs to."),
        ),
        Setting(
            "api_token",
            _("API token"),
            _(
                "Created at id.atlassian.com → Security → API tokens. The account "
                "needs “Browse users and groups” to find people, and to be a Jira "
                "administrator to change project leads."
            ),
            secret=True,
        ),
        Setting(
            "jql",
            _("Extra JQL"),
            _(
                "Narrows the issues, e.g. project in (FIN, WEB). Combined with the "
                "employee's unresolved issues by AND."
            ),
            required=False,
            default="",
        ),
        Setting(
            "account_id_map",
            _("Atlassian account ids"),
            _(
                "Employee value (as the connector matches people, e.g. e-mail) → "
                "Atlassian account id. Needed where Jira hides e-mail addresses, "
                "or to match by anything but e-mail."
            ),
            required=False,
            default={},
            type="object",
        ),
        Setting(
            "status_map",
            _("Status mapping"),
            _(
                "Jira status name → task status (not_started, in_progress, blocked "
                "or done). Unlisted statuses follow their category: To Do → "
                "not_started, In Progress → in_progress, Done → done; Blocked, On "
                "Hold and Waiting for customer count as blocked."
            ),
            required=False,
            default={},
            type="object",
        ),
        Setting(
            "page_size",
            _("Page size"),
            required=False,
            default=50,
            type="integer",
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

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self.base_url = self.url_option()
        self.host = host_of(self.base_url) or self.base_url
        token = str(self.secrets.get("api_token") or "")
        self.http = self.make_http(
            headers={"Accept": "application/json"},
            secrets=(token, self.secrets.get("webhook_secret")),
        )
        self.http.session.auth = (str(self.option("email") or "").strip(), token)
        self._people = {}
        self._browse_users = None

    # The contract -----------------------------------------------------------------

    def test_connection(self) -> str:
        self._check_settings()
        me = self._get("/rest/api/3/myself")
        if not me.get("accountId"):
            raise ConnectorError(self._not_jira())
        return _("Connected to Jira at %(host)s as %(name)s.") % {
            "host": self.host,
            "name": as_text(me.get("displayName")) or as_text(me.get("accountId")),
        }

    def discover(self, *, employee: EmployeeRef, record_kind: str):
        if record_kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        self._check_settings()
        status_map = self._status_map()
        account_id = self._account_id(employee, active_only=False)
        if account_id is None:
            return []
        if record_kind == "project":
            return self._projects(account_id)
        jql = f"assignee = {jql_string(account_id)} AND statusCategory != Done"
        extra = str(self.option("jql") or "").strip()
        if extra:
            jql += f" AND ({extra})"
        jql += " ORDER BY created ASC"
        return [
            self._issue(issue, record_kind, status_map) for issue in self._search(jql)
        ]

    # Issues -----------------------------------------------------------------------

    def _search(self, jql: str) -> list:
        issues = []
        token = None
        for _page in range(MAX_PAGES):
            params = {
                "jql": jql,
                "fields": ",".join(ISSUE_FIELDS),
                "maxResults": self._page_size(),
            }
            if token:
                params["nextPageToken"] = token
            page = self._get("/rest/api/3/search/jql", params=params)
            batch = page.get("issues")
            if not isinstance(batch, list):
                raise ConnectorError(self._not_jira())
            issues.extend(batch)
            token = page.get("nextPageToken")
            if page.get("isLast") is True or not token or not batch:
                return issues
        raise too_many_pages(self.host, MAX_PAGES)

    def _issue(self, issue, record_kind: str, status_map: dict) -> Record:
        issue_id = as_text(issue.get("id")) if isinstance(issue, dict) else ""
        if not issue_id:
            return Record(
                external_id="",
                kind=record_kind,
                title="",
                error=str(_("Jira returned an issue without an id.")),
            )
        key = as_text(issue.get("key")) or issue_id
        fields = issue.get("fields") if isinstance(issue.get("fields"), dict) else {}
        summary = as_text(fields.get("summary")).strip()
        if not summary:
            return Record(
                external_id=issue_id,
                kind=record_kind,
                title="",
                error=str(_("Issue %(key)s has no summary in Jira.") % {"key": key}),
            )
        status = fields.get("status") if isinstance(fields.get("status"), dict) else {}
        status_name = as_text(status.get("name"))
        category = status.get("statusCategory")
        category_key = (
            as_text(category.get("key")) if isinstance(category, dict) else ""
        )
        description = adf_text(fields.get("description")).strip()
        progress = fields.get("progress")
        percent = progress.get("percent") if isinstance(progress, dict) else None
        if not isinstance(percent, int | float) or not 0 <= percent <= 100:
            percent = None
        due_date = as_text(fields.get("duedate"))
        project = (
            fields.get("project") if isinstance(fields.get("project"), dict) else {}
        )
        assignee = (
            fields.get("assignee") if isinstance(fields.get("assignee"), dict) else {}
        )
        return Record(
            external_id=issue_id,
            kind=record_kind,
            title=summary,
            fields={
                "id": issue_id,
                "key": key,
                "summary": summary,
                "description": description,
                "details": f"{summary}\n\n{description}" if description else summary,
                "status": status_name,
                "status_category": category_key,
                "task_status": _task_status(status_name, category_key, status_map),
                "progress_percent": round(percent) if percent is not None else None,
                "issue_type": _name(fields.get("issuetype")),
                "priority": _name(fields.get("priority")),
                "project": as_text(project.get("name")),
                "project_key": as_text(project.get("key")),
                "assignee": as_text(assignee.get("displayName")),
                "due_date": due_date,
                "updated": as_text(fields.get("updated")),
                "next_step": due_on(due_date),
                "url": f"{self.base_url}/browse/{key}",
                "system": f"Jira ({self.host})",
            },
        )

    def _status_map(self) -> dict:
        return read_status_map(self.option("status_map"), DEFAULT_STATUS_MAP)

    # Projects ---------------------------------------------------------------------

    def _projects(self, account_id: str) -> list:
        records = []
        start = 0
        for _page in range(MAX_PAGES):
            page = self._get(
                "/rest/api/3/project/search",
                params={
                    "expand": "lead,description",
                    "startAt": start,
                    "maxResults": self._page_size(),
                },
            )
            batch = page.get("values")
            if not isinstance(batch, list):
                raise ConnectorError(self._not_jira())
            for project in batch:
                if not isinstance(project, dict):
                    continue
                lead = project.get("lead")
                if not isinstance(lead, dict) or lead.get("accountId") != account_id:
                    continue
                if project.get("archived") is True:
                    continue
                records.append(self._project(project))
            start += len(batch)
            if page.get("isLast") is True or not batch:
                return records
        raise too_many_pages(self.host, MAX_PAGES)

    def _project(self, project: dict) -> Record:
        project_id = as_text(project.get("id"))
        key = as_text(project.get("key"))
        if not project_id or not key:
            return Record(
                external_id=project_id,
                kind="project",
                title="",
                error=str(_("Jira returned a project without an id or key.")),
            )
        name = as_text(project.get("name")).strip() or key
        scope = f"project = {jql_string(key)}"
        total = self._count(scope)
        done = self._count(f"{scope} AND statusCategory = Done")
        version = self._next_version(project_id)
        url = f"{self.base_url}/browse/{key}"
        return Record(
            external_id=project_id,
            kind="project",
            title=name,
            fields={
                "id": project_id,
                "key": key,
                "name": name,
                "description": as_text(project.get("description")).strip(),
                "category": _name(project.get("projectCategory")),
                "lead": as_text((project.get("lead") or {}).get("displayName")),
                "stage": "in_progress",
                "issues_total": total,
                "issues_done": done,
                "progress_percent": round(100 * done / total) if total else None,
                "next_version": version.get("name", ""),
                "next_version_due": version.get("releaseDate", ""),
                "next_step": next_version_step(version, "releaseDate"),
                "documents": [{"title": str(_("Project in Jira")), "location": url}],
                "url": url,
                "system": f"Jira ({self.host})",
            },
        )

    def _count(self, jql: str) -> int:
        response = self._send(
            "POST", "/rest/api/3/search/approximate-count", json={"jql": jql}
        )
        count = self._json(response).get("count")
        return count if isinstance(count, int) else 0

    def _next_version(self, project_id: str) -> dict:
        page = self._get(
            f"/rest/api/3/project/{project_id}/version",
            params={"status": "unreleased", "orderBy": "releaseDate", "maxResults": 50},
        )
        versions = [
            version
            for version in page.get("values") or []
            if isinstance(version, dict)
            and not version.get("released")
            and not version.get("archived")
        ]
        if not versions:
            return {}
        versions.sort(
            key=lambda version: (
                not version.get("releaseDate"),
                as_text(version.get("releaseDate")),
            )
        )
        return {
            "name": as_text(versions[0].get("name")),
            "releaseDate": as_text(versions[0].get("releaseDate")),
        }

    # People -----------------------------------------------------------------------

    def _account_id(self, person: EmployeeRef, *, active_only: bool) -> str | None:
        match_by = str(self.option("match_by") or "email")
        value = person.value(match_by).strip()
        if not value:
            raise ConnectorError(
                _("The employee has no %(value)s to look up in Jira.")
                % {"value": MATCH_LABELS.get(match_by, match_by)},
                retryable=False,
            )
        mapping = self.option("account_id_map") or {}
        if not isinstance(mapping, dict):
            raise must_be_object("account_id_map")
        for key, account_id in mapping.items():
            if str(key).strip().casefold() == value.casefold() and str(account_id):
                return str(account_id).strip()
        if match_by != "email":
            raise MisconfiguredError(
                _(
                    "Jira finds people by e-mail address only. Add “%(value)s” to "
                    "the Atlassian account ids of this connector."
                )
                % {"value": value}
            )
        cache_key = (value.casefold(), active_only)
        if cache_key not in self._people:
            found = self._search_user(value, active_only)
            if found is None and not self._may_browse_users():
                raise MisconfiguredError(BROWSE_USERS_MISSING)
            self._people[cache_key] = found
        return self._people[cache_key]

    def _may_browse_users(self) -> bool:
        """Whether the account has “Browse users and groups”: without it Jira
        answers every user search with nobody."""
        if self._browse_users is None:
            page = self._get(
                "/rest/api/3/mypermissions", params={"permissions": "USER_PICKER"}
            )
            permission = (page.get("permissions") or {}).get("USER_PICKER")
            self._browse_users = (
                isinstance(permission, dict)
                and permission.get("havePermission") is True
            )
        return self._browse_users

    def _search_user(self, email: str, active_only: bool) -> str | None:
        response = self._send(
            "GET",
            "/rest/api/3/user/search",
            params={"query": email, "maxResults": 50},
            forbidden=BROWSE_USERS_MISSING,
        )
        users = self.http.json_of(
            response, system=_("Jira at %(host)s") % {"host": self.host}
        )
        people = [
            user
            for user in (users if isinstance(users, list) else [])
            if isinstance(user, dict)
            and user.get("accountId")
            and user.get("accountType", "atlassian") == "atlassian"
            and (user.get("active") is not False or not active_only)
        ]
        exact = [
            user
            for user in people
            if as_text(user.get("emailAddress")).casefold() == email.casefold()
        ]
        if exact:
            return as_text(exact[0]["accountId"])
        # Jira hides the address of people who chose so, but still matches it:
        # one person without a visible address is the one searched for.
        hidden = [user for user in people if not user.get("emailAddress")]
        if len(people) == 1 and hidden:
            return as_text(hidden[0]["accountId"])
        return None

    def _successor_id(self, successor: EmployeeRef) -> str:
        account_id = self._account_id(successor, active_only=True)
        if account_id is None:
            match_by = str(self.option("match_by") or "email")
            raise MisconfiguredError(
                _(
                    "%(person)s has no active Atlassian account in Jira (looked up "
                    "by %(field)s “%(value)s”). Invite them, or add their account "
                    "id to this connector, then try again."
                )
                % {
                    "person": who(successor),
                    "field": MATCH_LABELS.get(match_by, match_by),
                    "value": successor.value(match_by),
                }
            )
        return account_id

    # Write-backs ------------------------------------------------------------------

    def describe_transfer(self, *, record, owner, successor) -> str:
        values = transfer_values(record, owner, successor)
        if record.kind == "project":
            return (
                _(
                    "Make %(successor)s the lead of project “%(title)s” in Jira "
                    "instead of %(owner)s."
                )
                % values
            )
        key = _key_of(record)
        if key:
            return _(
                "Reassign issue %(key)s “%(title)s” in Jira from %(owner)s to "
                "%(successor)s, with a comment."
            ) % {**values, "key": key}
        return (
            _(
                "Reassign issue “%(title)s” in Jira from %(owner)s to %(successor)s, "
                "with a comment."
            )
            % values
        )

    def transfer(self, *, record, owner, successor, note) -> TransferResult:
        self._check_settings()
        if record.kind == "project":
            return self._transfer_project(record, successor)
        if record.kind not in ISSUE_KINDS:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record.kind})
        issue_id = self._record_id(record)
        successor_id = self._successor_id(successor)
        issue = self._read_issue(issue_id)
        key = as_text(issue.get("key")) or issue_id
        assignee = (issue.get("fields") or {}).get("assignee")
        current = (
            as_text(assignee.get("accountId")) if isinstance(assignee, dict) else ""
        )
        if current == successor_id:
            # Already done (a retry after a lost answer): change nothing twice.
            return TransferResult(response={"issue": key, "assignee": successor_id})
        if current:
            owner_id = self._account_id(owner, active_only=False)
            if owner_id is not None and current != owner_id:
                raise ConnectorError(
                    _(
                        "Issue %(key)s is now assigned to %(assignee)s, not to "
                        "%(owner)s: Baton leaves it as it is."
                    )
                    % {
                        "key": key,
                        "assignee": as_text(assignee.get("displayName")) or current,
                        "owner": who(owner),
                    },
                    retryable=False,
                )
        response = self._send(
            "PUT",
            f"/rest/api/3/issue/{issue_id}/assignee",
            json={"accountId": successor_id},
            refused_400=True,
        )
        if response.status_code == 400:
            reason = self._detail(response)
            raise MisconfiguredError(
                _(
                    "Jira refused to reassign issue %(key)s: %(reason)s The "
                    "successor needs the “Assignable user” permission in the "
                    "issue's project."
                )
                % {"key": key, "reason": reason},
                request_id=self._request_id(response),
            )
        summary = {"issue": key, "assignee": successor_id, "status": 204}
        comment = self._send(
            "POST",
            f"/rest/api/3/issue/{issue_id}/comment",
            json={"body": adf_document(str(note))},
        )
        summary["comment"] = as_text(self._json(comment).get("id"))
        return TransferResult(response=summary, request_id=self._request_id(response))

    def verify_transfer(self, *, record, successor) -> bool:
        self._check_settings()
        successor_id = self._successor_id(successor)
        if record.kind == "project":
            project = self._read_project(self._record_id(record))
            lead = project.get("lead")
            return isinstance(lead, dict) and lead.get("accountId") == successor_id
        issue = self._read_issue(self._record_id(record))
        assignee = (issue.get("fields") or {}).get("assignee")
        return isinstance(assignee, dict) and assignee.get("accountId") == successor_id

    def _transfer_project(self, record, successor) -> TransferResult:
        project_id = self._record_id(record)
        successor_id = self._successor_id(successor)
        project = self._read_project(project_id)
        key = as_text(project.get("key")) or project_id
        lead = project.get("lead") if isinstance(project.get("lead"), dict) else {}
        if lead.get("accountId") == successor_id:
            return TransferResult(response={"project": key, "lead": successor_id})
        response = self._send(
            "PUT",
            f"/rest/api/3/project/{project_id}",
            json={"leadAccountId": successor_id},
            forbidden=_(
                "Only Jira administrators may change the lead of project %(key)s."
            )
            % {"key": key},
            refused_400=True,
        )
        if response.status_code == 400:
            raise MisconfiguredError(
                _("Jira refused to make %(successor)s the lead of %(key)s: %(reason)s")
                % {
                    "successor": who(successor),
                    "key": key,
                    "reason": self._detail(response),
                },
                request_id=self._request_id(response),
            )
        return TransferResult(
            response={"project": key, "lead": successor_id, "status": 200},
            request_id=self._request_id(response),
        )

    def _read_issue(self, issue_id: str) -> dict:
        response = self._send(
            "GET",
            f"/rest/api/3/issue/{issue_id}",
            params={"fields": "assignee,summary"},
            missing=_(
                "Issue %(id)s is no longer in Jira, or the account may not see it."
            )
            % {"id": issue_id},
        )
        return self._json(response)

    def _read_project(self, project_id: str) -> dict:
        response = self._send(
            "GET",
            f"/rest/api/3/project/{project_id}",
            missing=_(
                "Project %(id)s is no longer in Jira, or the account may not see it."
            )
            % {"id": project_id},
        )
        return self._json(response)

    @staticmethod
    def _record_id(record) -> str:
        value = str(record.external_id or "").strip()
        if not value.isdigit():
            raise MisconfiguredError(
                _("“%(id)s” is not a Jira id.") % {"id": value[:50]}
            )
        return value

    # HTTP -------------------------------------------------------------------------

    def _check_settings(self) -> None:
        if not self.base_url.lower().startswith(("http://", "https://")):
            raise MisconfiguredError(
                _("The Jira site URL must start with https:// (or http://).")
            )
        if not str(self.option("email") or "").strip():
            raise MisconfiguredError(_("Enter the e-mail address of the Jira account."))
        if not str(self.secrets.get("api_token") or "").strip():
            raise MisconfiguredError(_("Enter the Jira API token."))

    def _page_size(self) -> int:
        try:
            size = int(self.option("page_size"))
        except (TypeError, ValueError):
            size = 50
        return max(1, min(size, MAX_PAGE_SIZE))

    def _request_id(self, response) -> str | None:
        return request_id_of(response) or (
            (response.headers.get(ATLASSIAN_REQUEST_ID) or "").strip()[:200] or None
        )

    def _send(
        self,
        method,
        path,
        *,
        params=None,
        json=None,
        missing=None,
        forbidden=None,
        refused_400=False,
    ):
        kwargs = {"params": params}
        if json is not None:
            kwargs["json"] = json
        response = self.http.send(method, self.base_url + path, **kwargs)
        status = response.status_code
        request_id = self._request_id(response)
        if status == 400 and refused_400:
            return response
        if status == 400:
            raise MisconfiguredError(
                _("Jira rejected the request: %(reason)s")
                % {"reason": self._detail(response)},
                request_id=request_id,
            )
        if status == 403:
            raise MisconfiguredError(
                forbidden
                or _("Jira does not allow the account to do this (HTTP 403)."),
                request_id=request_id,
            )
        if status == 404 and missing is not None:
            raise MisconfiguredError(missing, request_id=request_id)
        try:
            return self.http.check(
                response,
                refused=_(
                    "Jira refused the e-mail address or API token. Check both; API "
                    "tokens expire."
                ),
                not_found=_(
                    "Jira at %(url)s does not know %(path)s. Check the site URL."
                )
                % {"url": self.base_url, "path": path},
            )
        except ConnectorError as error:
            if error.request_id is None:
                error.request_id = request_id
            raise

    def _get(self, path: str, *, params=None) -> dict:
        return self._json(self._send("GET", path, params=params))

    def _json(self, response) -> dict:
        body = self.http.json_of(
            response, system=_("Jira at %(host)s") % {"host": self.host}
        )
        if not isinstance(body, dict):
            raise ConnectorError(
                self._not_jira(), request_id=self._request_id(response)
            )
        return body

    def _detail(self, response) -> str:
        """Jira's reasons: ``errorMessages`` and the messages in ``errors``."""
        try:
            body = response.json()
        except ValueError:
            body = None
        reasons = []
        if isinstance(body, dict):
            messages = body.get("errorMessages")
            if isinstance(messages, list):
                reasons.extend(str(message) for message in messages if message)
            errors = body.get("errors")
            if isinstance(errors, dict):
                reasons.extend(str(message) for message in errors.values() if message)
        text = " ".join(reasons) or self.http.detail_of(response)
        return self.http.scrub(text) or str(
            _("HTTP %(status)s") % {"status": response.status_code}
        )

    def _not_jira(self):
        return _("%(host)s did not answer like Jira.") % {"host": self.host}


def _name(value) -> str:
    return as_text(value.get("name")) if isinstance(value, dict) else ""


def _task_status(name: str, category: str, status_map: dict) -> str:
    mapped = status_map.get(name.strip().casefold())
    if mapped:
        return mapped
    return CATEGORY_STATUS.get(category, "in_progress")


def _key_of(record) -> str:
    """The issue key, when the item still links to the issue."""
    location = (record.fields or {}).get("location")
    match = _ISSUE_KEY.search(location) if isinstance(location, str) else None
    return match.group(1) if match else ""
