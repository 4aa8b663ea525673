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
    ConnectorError,
    MisconfiguredError,
    Record,
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
    url_setting,
    webhook_secret_setting,
)
from ...sdk.http import Header, Offset, dig
from ...sdk.payloads import parse, parse_each
from ...sdk.trackers import Assignee, TrackerConnector
from .payloads import Issue, User
from .projects import RedmineProjects

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
SETTINGS = (
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

GONE = _("Issue #%(id)s is no longer in Redmine, or the API key may not see it.")
NOT_ASSIGNABLE = _(
    "The successor must be a member of the issue's project with a role that "
    "issues can be assigned to."
)


class RedmineConnector(RedmineProjects, TrackerConnector):
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
    settings = SETTINGS
    auth = Header(secret="api_key", header="X-Redmine-API-Key")  # noqa: S106
    pagination = Offset(offset_param="offset", size_param="limit", total="total_count")
    max_pages = 500
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

    def test_connection(self) -> str:
        me = self.read(User, "/users/current.json", "user")
        if me.id is None:
            raise self._not_redmine()
        values = {"host": self.host, "login": me.login or me.id}
        if me.admin is True:
            return (
                _("Connected to Redmine at %(host)s as %(login)s (administrator).")
                % values
            )
        return (
            _(
                "Connected to Redmine at %(host)s as %(login)s. Not an administrator: "
                "Baton finds only the people listed in the Redmine user ids."
            )
            % values
        )

    # Issues -----------------------------------------------------------------------

    def issues_of(self, account, record_kind, status_map):
        issues = self.paginate(
            "/issues.json",
            {"assigned_to_id": account, "status_id": "open", "sort": "id"},
            pagination=self.pages(items="issues"),
        )
        return [
            self._issue(issue, record_kind, status_map)
            for issue in parse_each(Issue, issues)
        ]

    def _issue(self, issue: Issue, record_kind: str, status_map: dict) -> Record:
        status, done_ratio = issue.status, issue.done_ratio
        return self.issue_record(
            record_kind,
            issue_id=issue.id,
            key=issue.id,
            title=issue.subject,
            description=issue.description,
            due=issue.due_date,
            fields={
                "subject": issue.subject,
                "status": status.name,
                "status_id": status.id,
                "is_closed": status.is_closed,
                "task_status": _task_status(status, done_ratio, status_map),
                "done_ratio": done_ratio,
                "tracker": issue.tracker.name,
                "priority": issue.priority.name,
                "project": issue.project.name,
                "project_id": issue.project.id,
                "author": issue.author.name,
                "assigned_to": issue.assigned_to.name,
                "assigned_to_id": issue.assigned_to.id,
                "start_date": issue.start_date,
                "updated_on": issue.updated_on,
                "url": f"{self.base_url}/issues/{issue.id}",
            },
        )

    def _not_redmine(self) -> ConnectorError:
        return ConnectorError(
            _("%(host)s did not answer like Redmine.") % {"host": self.host}
        )

    # People -----------------------------------------------------------------------

    def mapped_person(self, value: str) -> int | None:
        mapped = super().mapped_person(value)
        if mapped is None:
            return None
        if not mapped.isdigit() or int(mapped) <= 0:
            raise MisconfiguredError(
                _(
                    "The Redmine user id for “%(value)s” must be a positive "
                    "number, not “%(id)s”."
                )
                % {"value": value, "id": mapped}
            )
        return int(mapped)

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
        users = parse_each(User, dig(self.json_of(response), "users") or [])
        for user in users:
            if getattr(user, field).casefold() == value.casefold() and user.id:
                return user.id
        return None

    # Write-backs ------------------------------------------------------------------

    def describe_transfer(self, *, record, owner, successor) -> str:
        values = transfer_values(record, owner, successor)
        if record.kind == "project":
            return (
                _(
                    "Give %(successor)s the roles %(owner)s has in project “%(title)s” "
                    "in Redmine."
                )
                % values
            )
        return _(
            "Reassign issue #%(id)s “%(title)s” in Redmine from %(owner)s to "
            "%(successor)s."
        ) % {"id": record.external_id, **values}

    def assignee_of(self, issue_id: str) -> Assignee:
        response = self.call(
            "GET",
            f"/issues/{issue_id}.json",
            refusals={status: GONE % {"id": issue_id} for status in (403, 404)},
        )
        current = parse(Issue, dig(self.json_of(response), "issue"), system=self.host)
        if not current.id:
            raise self._not_redmine()
        return Assignee(issue_id, current.assigned_to.id, current.assigned_to.name)

    def reassign(self, issue_id, successor_id, note, *, key):
        refused = _("Redmine refused to reassign issue #%(id)s: %(reason)s")

        def explain(response):
            reason = self.reasons(response)
            text = str(refused % {"id": issue_id, "reason": reason})
            if "assign" in reason.casefold():
                text += " " + str(NOT_ASSIGNABLE)
            return text

        body = {"issue": {"assigned_to_id": successor_id, "notes": str(note)}}
        response = self.call(
            "PUT", f"/issues/{issue_id}.json", json=body, refusals={422: explain}
        )
        return response, {}


def _task_status(status, done_ratio, status_map: dict) -> str:
    for key in (status.name.casefold(), status.id):
        if key and key in status_map:
            return status_map[key]
    if status.is_closed is True:
        return "done"
    return "in_progress" if done_ratio else "not_started"
