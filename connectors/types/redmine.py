"""Redmine: the employee's open issues and the projects they are a member of,
through Redmine's REST API (JSON) with an API key.

Finding people: Redmine lists users (``GET /users.json``) to administrators
only, so the API key should be an administrator's. With a key of an ordinary
user, fill in the ``user_id_map`` setting (employee e-mail or user name →
Redmine user id) for everyone Baton has to find: departing employees and
successors.

Write-back (capability TRANSFER): an issue is reassigned to the successor with
Baton's note in its history (``PUT /issues/<id>.json``); for a project the
successor gets the project roles the departing employee has. Both are read back
to verify.

Redmine has no webhooks of its own: periodic re-sync keeps items current, and a
Redmine plugin or webhook bridge may call Baton's hook (capability WEBHOOK) to
re-sync sooner.
"""

from __future__ import annotations

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
# Redmine answers at most 100 records per page whatever the limit asks for.
MAX_PAGE_SIZE = 100
MAX_PAGES = 500
PROJECT_ACTIVE = 1
ISSUE_KINDS = ("issue", "task")


@register
class RedmineConnector(HttpTypeMixin, ConnectorType):
    slug = "redmine"
    label = _("Redmine")
    description = _(
        "Finds the employee's open issues and the projects they are a member of in "
        "Redmine, and hands them to the successor: issues are reassigned, project "
        "roles are given to the successor."
    )
    capabilities = frozenset({DISCOVER, TRANSFER, WEBHOOK})
    _issue_mapping = {
        "description": "details",
        "status": "task_status",
        "progress_percent": "done_ratio",
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
            "contacts": "contacts",
            "documents": "documents",
        },
    }
    settings = (
        Setting(
            "base_url",
            _("Base URL"),
            _("The address of Redmine, e.g. https://redmine.example.com"),
        ),
        Setting(
            "api_key",
            _("API key"),
            _(
                "From “My account” → API access key in Redmine. Use an "
                "administrator's key: only administrators may look people up. "
                "The REST API must be enabled (Administration → Settings → API)."
            ),
            secret=True,
        ),
        Setting(
            "user_id_map",
            _("Redmine user ids"),
            _(
                "Employee value (as the connector matches people, e.g. e-mail) → "
                'Redmine user id, e.g. {"sales@example.com": 7}. Needed when the '
                "API key is not an administrator's, or to match by employee number."
            ),
            required=False,
            default={},
            type="object",
        ),
        Setting(
            "status_map",
            _("Status mapping"),
            _(
                "Redmine status name → task status (not_started, in_progress, "
                "blocked or done); added to the defaults New → not_started, In "
                "Progress → in_progress, Feedback → blocked, Resolved and Closed → "
                "done. Other statuses: closed ones count as done, the rest as in "
                "progress once work has started."
            ),
            required=False,
            default={},
            type="object",
        ),
        Setting(
            "page_size",
            _("Page size"),
            _("Records per request; Redmine sends at most 100."),
            required=False,
            default=MAX_PAGE_SIZE,
            type="integer",
        ),
        TIMEOUT,
        VERIFY_TLS,
        webhook_secret_setting(
            _(
                "Redmine sends no webhooks itself; set this only for a plugin or "
                "bridge that calls Baton's hook when issues change."
            )
        ),
    )

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self.base_url = self.url_option()
        self.host = host_of(self.base_url) or self.base_url
        api_key = str(self.secrets.get("api_key") or "").strip()
        self.http = self.make_http(
            headers={"Accept": "application/json", "X-Redmine-API-Key": api_key},
            secrets=(api_key, self.secrets.get("webhook_secret")),
        )
        self._users = {}

    # The contract -----------------------------------------------------------------

    def test_connection(self) -> str:
        self._check_settings()
        me = self._get("/users/current.json").get("user")
        if not isinstance(me, dict):
            raise ConnectorError(self._not_redmine())
        login = as_text(me.get("login")) or as_text(me.get("id"))
        if me.get("admin") is True:
            return _(
                "Connected to Redmine at %(host)s as %(login)s (administrator)."
            ) % {"host": self.host, "login": login}
        return _(
            "Connected to Redmine at %(host)s as %(login)s. Not an administrator: "
            "Baton finds only the people listed in the Redmine user ids."
        ) % {"host": self.host, "login": login}

    def discover(self, *, employee: EmployeeRef, record_kind: str):
        if record_kind not in self.default_mappings:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        self._check_settings()
        status_map = self._status_map()
        user_id = self._user_id(employee, active_only=False)
        if user_id is None:
            # No Redmine account: nothing of theirs to hand over.
            return []
        if record_kind == "project":
            return self._projects(user_id)
        issues = self._list(
            "/issues.json",
            "issues",
            {"assigned_to_id": user_id, "status_id": "open", "sort": "id"},
        )
        return [self._issue(issue, record_kind, status_map) for issue in issues]

    # Issues -----------------------------------------------------------------------

    def _issue(self, issue, record_kind: str, status_map: dict) -> Record:
        issue_id = as_text(issue.get("id")) if isinstance(issue, dict) else ""
        if not issue_id:
            return Record(
                external_id="",
                kind=record_kind,
                title="",
                error=str(_("Redmine returned an issue without an id.")),
            )
        subject = as_text(issue.get("subject")).strip()
        if not subject:
            return Record(
                external_id=issue_id,
                kind=record_kind,
                title="",
                error=str(
                    _("Issue #%(id)s has no subject in Redmine.") % {"id": issue_id}
                ),
            )
        status = _named(issue.get("status"))
        description = _lines(issue.get("description"))
        done_ratio = issue.get("done_ratio")
        if not isinstance(done_ratio, int) or not 0 <= done_ratio <= 100:
            done_ratio = None
        due_date = as_text(issue.get("due_date"))
        return Record(
            external_id=issue_id,
            kind=record_kind,
            title=subject,
            fields={
                "id": issue_id,
                "subject": subject,
                "description": description,
                "details": f"{subject}\n\n{description}" if description else subject,
                "status": status["name"],
                "status_id": status["id"],
                "is_closed": status["is_closed"],
                "task_status": self._task_status(status, done_ratio, status_map),
                "done_ratio": done_ratio,
                "tracker": _named(issue.get("tracker"))["name"],
                "priority": _named(issue.get("priority"))["name"],
                "project": _named(issue.get("project"))["name"],
                "project_id": _named(issue.get("project"))["id"],
                "author": _named(issue.get("author"))["name"],
                "assigned_to": _named(issue.get("assigned_to"))["name"],
                "assigned_to_id": _named(issue.get("assigned_to"))["id"],
                "start_date": as_text(issue.get("start_date")),
                "due_date": due_date,
                "updated_on": as_text(issue.get("updated_on")),
                "next_step": due_on(due_date),
                "url": f"{self.base_url}/issues/{issue_id}",
                "system": f"Redmine ({self.host})",
            },
        )

    def _status_map(self) -> dict:
        return read_status_map(self.option("status_map"), DEFAULT_STATUS_MAP)

    @staticmethod
    def _task_status(status: dict, done_ratio, status_map: dict) -> str:
        for key in (status["name"].strip().casefold(), status["id"]):
            if key and key in status_map:
                return status_map[key]
        if status["is_closed"] is True:
            return "done"
        return "in_progress" if done_ratio else "not_started"

    # Projects ---------------------------------------------------------------------

    def _projects(self, user_id: int) -> list:
        user = self._get(f"/users/{user_id}.json", params={"include": "memberships"})
        memberships = (user.get("user") or {}).get("memberships")
        if not isinstance(memberships, list):
            memberships = []
        records = []
        seen = set()
        for membership in memberships:
            if not isinstance(membership, dict):
                continue
            project = _named(membership.get("project"))
            if not project["id"] or project["id"] in seen:
                continue
            seen.add(project["id"])
            roles = [
                _named(role)["name"]
                for role in membership.get("roles") or []
                if isinstance(role, dict)
            ]
            record = self._project(project, roles, user_id)
            if record is not None:
                records.append(record)
        return records

    def _project(self, reference: dict, roles: list, user_id: int) -> Record | None:
        project_id = reference["id"]
        response = self._send("GET", f"/projects/{project_id}.json", missing_ok=True)
        if response.status_code in (403, 404):
            # Archived, or hidden from the key: nothing Baton can hand over.
            return None
        project = self._json(response).get("project")
        if not isinstance(project, dict):
            return Record(
                external_id=project_id,
                kind="project",
                title="",
                error=str(
                    _("Redmine sent project %(id)s in a form Baton cannot read.")
                    % {"id": project_id}
                ),
            )
        if project.get("status") != PROJECT_ACTIVE:
            # Closed projects are read-only in Redmine: nothing left to hand over.
            return None
        name = as_text(project.get("name")).strip() or reference["name"] or project_id
        total = self._count(project_id, "*")
        closed = self._count(project_id, "closed")
        progress = round(100 * closed / total) if total else None
        version = self._next_version(project_id)
        identifier = as_text(project.get("identifier")) or project_id
        url = f"{self.base_url}/projects/{identifier}"
        contacts = [
            {"name": member["name"], "role": ", ".join(member["all_role_names"])}
            for member in self._members(project_id, groups=True)
            if member["user_id"] != str(user_id) and member["name"]
        ]
        return Record(
            external_id=project_id,
            kind="project",
            title=name,
            fields={
                "id": project_id,
                "identifier": identifier,
                "name": name,
                "description": _lines(project.get("description")),
                "homepage": as_text(project.get("homepage")),
                "parent": _named(project.get("parent"))["name"],
                "roles": roles,
                "role_names": ", ".join(roles),
                "stage": "in_progress",
                "issues_total": total,
                "issues_closed": closed,
                "progress_percent": progress,
                "next_version": version.get("name", ""),
                "next_version_due": version.get("due_date", ""),
                "next_step": next_version_step(version, "due_date"),
                "contacts": contacts,
                "documents": [
                    {"title": str(_("Project page in Redmine")), "location": url}
                ],
                "url": url,
                "system": f"Redmine ({self.host})",
            },
        )

    def _count(self, project_id: str, status: str) -> int:
        page = self._get(
            "/issues.json",
            params={
                "project_id": project_id,
                "subproject_id": "!*",
                "status_id": status,
                "limit": 1,
            },
        )
        total = page.get("total_count")
        return total if isinstance(total, int) else 0

    def _next_version(self, project_id: str) -> dict:
        """The open version of the project due first (without a date: last)."""
        page = self._get(f"/projects/{project_id}/versions.json")
        versions = [
            version
            for version in page.get("versions") or []
            if isinstance(version, dict)
            and version.get("status") == "open"
            and _named(version.get("project"))["id"] in ("", project_id)
        ]
        if not versions:
            return {}
        versions.sort(
            key=lambda version: (
                not version.get("due_date"),
                version.get("due_date") or "",
            )
        )
        return {
            "name": as_text(versions[0].get("name")),
            "due_date": as_text(versions[0].get("due_date")),
        }

    # People -----------------------------------------------------------------------

    def _user_id(self, person: EmployeeRef, *, active_only: bool) -> int | None:
        """The Redmine user id of ``person``, or None when Redmine has no such
        (active, with ``active_only``) account."""
        match_by = str(self.option("match_by") or "email")
        value = person.value(match_by).strip()
        if not value:
            raise ConnectorError(
                _("The employee has no %(value)s to look up in Redmine.")
                % {"value": MATCH_LABELS.get(match_by, match_by)},
                retryable=False,
            )
        mapped = self._mapped_id(value)
        if mapped is not None:
            return mapped
        if match_by not in ("email", "username"):
            raise MisconfiguredError(
                _(
                    "Redmine finds people by e-mail address or user name only. Add "
                    "“%(value)s” to the Redmine user ids of this connector."
                )
                % {"value": value}
            )
        key = (value.casefold(), active_only)
        if key in self._users:
            return self._users[key]
        params = {"name": value, "limit": MAX_PAGE_SIZE}
        # Redmine lists active users unless asked for every status.
        params["status"] = "1" if active_only else ""
        response = self._send("GET", "/users.json", params=params, forbidden_ok=True)
        if response.status_code == 403:
            raise MisconfiguredError(
                _(
                    "Redmine lets only administrators look people up. Use an "
                    "administrator's API key, or fill in the Redmine user ids of "
                    "this connector."
                ),
                request_id=request_id_of(response),
            )
        users = self._json(response).get("users")
        field = "mail" if match_by == "email" else "login"
        found = None
        for user in users if isinstance(users, list) else []:
            if (
                isinstance(user, dict)
                and as_text(user.get(field)).casefold() == value.casefold()
                and isinstance(user.get("id"), int)
            ):
                found = user["id"]
                break
        self._users[key] = found
        return found

    def _mapped_id(self, value: str) -> int | None:
        mapping = self.option("user_id_map") or {}
        if not isinstance(mapping, dict):
            raise must_be_object("user_id_map")
        for key, user_id in mapping.items():
            if str(key).strip().casefold() != value.casefold():
                continue
            try:
                number = int(str(user_id).strip())
            except ValueError:
                number = 0
            if number <= 0:
                raise MisconfiguredError(
                    _(
                        "The Redmine user id for “%(value)s” must be a positive "
                        "number, not “%(id)s”."
                    )
                    % {"value": key, "id": user_id}
                )
            return number
        return None

    def _successor_id(self, successor: EmployeeRef) -> int:
        user_id = self._user_id(successor, active_only=True)
        if user_id is None:
            match_by = str(self.option("match_by") or "email")
            raise MisconfiguredError(
                _(
                    "%(person)s has no active account in Redmine (looked up by "
                    "%(field)s “%(value)s”). Create the account, or add it to the "
                    "Redmine user ids of this connector, then try again."
                )
                % {
                    "person": who(successor),
                    "field": MATCH_LABELS.get(match_by, match_by),
                    "value": successor.value(match_by),
                }
            )
        return user_id

    # Write-backs ------------------------------------------------------------------

    def describe_transfer(self, *, record, owner, successor) -> str:
        if record.kind == "project":
            return _(
                "Give %(successor)s the roles %(owner)s has in project “%(title)s” "
                "in Redmine."
            ) % transfer_values(record, owner, successor)
        return _(
            "Reassign issue #%(id)s “%(title)s” in Redmine from %(owner)s to "
            "%(successor)s."
        ) % {"id": record.external_id, **transfer_values(record, owner, successor)}

    def transfer(self, *, record, owner, successor, note) -> TransferResult:
        self._check_settings()
        if record.kind == "project":
            return self._transfer_project(record, owner, successor)
        if record.kind not in ISSUE_KINDS:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record.kind})
        issue_id = self._record_id(record)
        successor_id = self._successor_id(successor)
        issue = self._read_issue(issue_id)
        assignee = _named(issue.get("assigned_to"))
        if assignee["id"] == str(successor_id):
            # Already done (a retry after a lost answer): change nothing twice.
            return TransferResult(
                response={"issue": issue_id, "assigned_to_id": successor_id}
            )
        if assignee["id"]:
            owner_id = self._user_id(owner, active_only=False)
            if owner_id is not None and assignee["id"] != str(owner_id):
                raise ConnectorError(
                    _(
                        "Issue #%(id)s is now assigned to %(assignee)s, not to "
                        "%(owner)s: Baton leaves it as it is."
                    )
                    % {
                        "id": issue_id,
                        "assignee": assignee["name"] or assignee["id"],
                        "owner": who(owner),
                    },
                    retryable=False,
                )
        body = {"issue": {"assigned_to_id": successor_id, "notes": str(note)}}
        response = self._send(
            "PUT", f"/issues/{issue_id}.json", json=body, invalid_ok=True
        )
        if response.status_code == 422:
            raise MisconfiguredError(
                self._refusal(
                    _("Redmine refused to reassign issue #%(id)s: %(reason)s")
                    % {"id": issue_id, "reason": self._errors(response)},
                    response,
                ),
                request_id=request_id_of(response),
            )
        return TransferResult(
            response={
                "issue": issue_id,
                "assigned_to_id": successor_id,
                "status": response.status_code,
            },
            request_id=request_id_of(response),
        )

    def verify_transfer(self, *, record, successor) -> bool:
        self._check_settings()
        successor_id = self._successor_id(successor)
        if record.kind == "project":
            return any(
                member["user_id"] == str(successor_id)
                for member in self._members(self._record_id(record))
            )
        issue = self._read_issue(self._record_id(record))
        return _named(issue.get("assigned_to"))["id"] == str(successor_id)

    def _read_issue(self, issue_id: str) -> dict:
        response = self._send("GET", f"/issues/{issue_id}.json", missing_ok=True)
        if response.status_code in (403, 404):
            raise MisconfiguredError(
                _(
                    "Issue #%(id)s is no longer in Redmine, or the API key may not "
                    "see it."
                )
                % {"id": issue_id},
                request_id=request_id_of(response),
            )
        issue = self._json(response).get("issue")
        if not isinstance(issue, dict):
            raise ConnectorError(self._not_redmine())
        return issue

    def _transfer_project(self, record, owner, successor) -> TransferResult:
        project_id = self._record_id(record)
        successor_id = str(self._successor_id(successor))
        owner_id = self._user_id(owner, active_only=False)
        members = self._members(project_id)
        owned = next(
            (
                m
                for m in members
                if owner_id is not None and m["user_id"] == str(owner_id)
            ),
            None,
        )
        if owned is None or not owned["role_ids"]:
            raise MisconfiguredError(
                _(
                    "%(owner)s is no longer a member of project “%(title)s” in "
                    "Redmine, so Baton cannot tell which roles to give. Add "
                    "%(successor)s to the project by hand."
                )
                % {
                    "owner": who(owner),
                    "title": record.title,
                    "successor": who(successor),
                }
            )
        current = next((m for m in members if m["user_id"] == successor_id), None)
        wanted = sorted(
            set(owned["role_ids"]) | set(current["role_ids"] if current else ())
        )
        response_summary = {
            "project": project_id,
            "user_id": int(successor_id),
            "roles": owned["role_names"],
        }
        if current is not None and set(owned["role_ids"]) <= set(current["role_ids"]):
            return TransferResult(response=response_summary)
        if current is None:
            body = {"membership": {"user_id": int(successor_id), "role_ids": wanted}}
            path = f"/projects/{project_id}/memberships.json"
            method = "POST"
        else:
            body = {"membership": {"role_ids": wanted}}
            path = f"/memberships/{current['id']}.json"
            method = "PUT"
        response = self._send(method, path, json=body, invalid_ok=True)
        if response.status_code == 422:
            raise MisconfiguredError(
                _(
                    "Redmine refused to add %(successor)s to project “%(title)s”: "
                    "%(reason)s"
                )
                % {
                    "successor": who(successor),
                    "title": record.title,
                    "reason": self._errors(response),
                },
                request_id=request_id_of(response),
            )
        response_summary["status"] = response.status_code
        return TransferResult(
            response=response_summary, request_id=request_id_of(response)
        )

    def _members(self, project_id: str, *, groups=False) -> list:
        """The user memberships of a project (and group ones with ``groups``):
        id, user id, name, the role ids and names given directly (not
        inherited; all of them for a group)."""
        members = []
        for membership in self._list(
            f"/projects/{project_id}/memberships.json", "memberships", {}
        ):
            if not isinstance(membership, dict):
                continue
            user = _named(membership.get("user"))
            group = _named(membership.get("group")) if groups else user
            if not (user["id"] or group["id"]):
                continue
            roles = [
                role
                for role in membership.get("roles") or []
                if isinstance(role, dict)
                and isinstance(role.get("id"), int)
                and not (role.get("inherited") and user["id"])
            ]
            members.append(
                {
                    "id": as_text(membership.get("id")),
                    "user_id": user["id"],
                    "name": user["name"] or group["name"],
                    "role_ids": [role["id"] for role in roles],
                    "role_names": [as_text(role.get("name")) for role in roles],
                    "all_role_names": [
                        as_text(role.get("name"))
                        for role in membership.get("roles") or []
                        if isinstance(role, dict)
                    ],
                }
            )
        return members

    @staticmethod
    def _record_id(record) -> str:
        value = str(record.external_id or "").strip()
        if not value.isdigit():
            raise MisconfiguredError(
                _("“%(id)s” is not a Redmine id.") % {"id": value[:50]}
            )
        return value

    def _refusal(self, message, response):
        text = str(message)
        lowered = self._errors(response).casefold()
        if "assign" in lowered:
            text += " " + str(
                _(
                    "The successor must be a member of the issue's project with a "
                    "role that issues can be assigned to."
                )
            )
        return text

    def _errors(self, response) -> str:
        try:
            errors = response.json().get("errors")
        except (ValueError, AttributeError):
            errors = None
        if isinstance(errors, list):
            text = "; ".join(str(error) for error in errors if error)
        else:
            text = self.http.detail_of(response)
        return self.http.scrub(text) or str(
            _("HTTP %(status)s") % {"status": response.status_code}
        )

    # HTTP -------------------------------------------------------------------------

    def _check_settings(self) -> None:
        if not self.base_url.lower().startswith(("http://", "https://")):
            raise MisconfiguredError(
                _("The Redmine base URL must start with https:// (or http://).")
            )
        if not str(self.secrets.get("api_key") or "").strip():
            raise MisconfiguredError(_("Enter the Redmine API key."))

    def _page_size(self) -> int:
        try:
            size = int(self.option("page_size"))
        except (TypeError, ValueError):
            size = MAX_PAGE_SIZE
        return max(1, min(size, MAX_PAGE_SIZE))

    def _send(
        self,
        method: str,
        path: str,
        *,
        params=None,
        json=None,
        missing_ok=False,
        forbidden_ok=False,
        invalid_ok=False,
    ):
        kwargs = {"params": params}
        if json is not None:
            kwargs["json"] = json
        response = self.http.send(method, self.base_url + path, **kwargs)
        status = response.status_code
        if (
            (missing_ok and status in (403, 404))
            or (forbidden_ok and status == 403)
            or (invalid_ok and status == 422)
        ):
            return response
        if status == 403:
            raise MisconfiguredError(
                _("Redmine does not allow the API key's user to do this (HTTP 403)."),
                request_id=request_id_of(response),
            )
        return self.http.check(
            response,
            refused=_(
                "Redmine refused the API key. Check the key, and that the REST API "
                "is enabled in Redmine (Administration → Settings → API)."
            ),
            not_found=_(
                "Redmine at %(url)s does not know %(path)s. Check the base URL."
            )
            % {"url": self.base_url, "path": path},
        )

    def _get(self, path: str, *, params=None) -> dict:
        return self._json(self._send("GET", path, params=params))

    def _json(self, response) -> dict:
        body = self.http.json_of(
            response, system=_("Redmine at %(host)s") % {"host": self.host}
        )
        if not isinstance(body, dict):
            raise ConnectorError(
                self._not_redmine(), request_id=request_id_of(response)
            )
        return body

    def _not_redmine(self):
        return _("%(host)s did not answer like Redmine.") % {"host": self.host}

    def _list(self, path: str, key: str, params: dict) -> list:
        """Every record of a list, following offset/limit."""
        size = self._page_size()
        records = []
        for _page in range(MAX_PAGES):
            page = self._get(
                path, params={**params, "offset": len(records), "limit": size}
            )
            batch = page.get(key)
            if not isinstance(batch, list):
                raise ConnectorError(self._not_redmine())
            records.extend(batch)
            total = page.get("total_count")
            if not batch or not isinstance(total, int) or len(records) >= total:
                return records
        raise too_many_pages(self.host, MAX_PAGES)


def _lines(value) -> str:
    """Text as Redmine stores it (CRLF line ends) with plain newlines."""
    return as_text(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _named(value) -> dict:
    """``{"id", "name", "is_closed"}`` of a Redmine reference such as
    ``{"id": 2, "name": "In Progress"}``; empty strings when absent."""
    if not isinstance(value, dict):
        return {"id": "", "name": "", "is_closed": None}
    closed = value.get("is_closed")
    return {
        "id": as_text(value.get("id")),
        "name": as_text(value.get("name")),
        "is_closed": closed if isinstance(closed, bool) else None,
    }
