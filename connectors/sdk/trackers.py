"""What issue trackers (Jira, Redmine) share: open issues (kinds "issue" and
"task") and projects; an issue is reassigned to the successor with Baton's note
unless it already is theirs or someone else took it over, then read back. A type
implements ``search_account``, ``issues_of`` and ``projects_of`` (building records
with ``issue_record`` and ``project_record``), ``assignee_of``, ``reassign``,
``transfer_project`` and ``project_transferred``, and words its messages; account
ids are compared as text.

Code hosts (GitHub, GitLab) share their record kinds (``code_host_mappings``)
and how a repository someone maintains reads (``maintainers_fields``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _
from pydantic import AliasPath, BeforeValidator, Field

from .base import ConnectorError, MisconfiguredError, Record, TransferResult
from .common import (
    NO_VALUE,
    due_on,
    match_label,
    next_version_step,
    read_status_map,
    transfer_values,
    unreadable,
    who,
)
from .http import HttpConnector, dig
from .payloads import Payload, TextList, parse
from .people import FindsPeople

__all__ = [
    "Assignee",
    "Percent",
    "Refusal",
    "TrackerConnector",
    "at",
    "code_host_mappings",
    "first_due",
    "maintainers_fields",
]


def _percent(value):
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return round(value) if number and 0 <= value <= 100 else None


# A share of work done: a whole number from 0 to 100, anything else None.
Percent = Annotated[int | None, BeforeValidator(_percent)]


def at(*path: str, default: Any = "", **options):
    """A payload field read from ``path`` in the answer (``default`` where the
    way ends), so that a tracker's nested objects read as flat records;
    ``options`` go to pydantic's ``Field`` (``exclude=True``: not a record field)."""
    return Field(default, validation_alias=AliasPath(*path), **options)


class Refusal(Payload):
    """A tracker's error envelope: Jira's ``errorMessages`` and ``errors``
    (field → message), Redmine's ``errors`` (a list)."""

    errorMessages: TextList = []
    errors: Any = None

    def texts(self) -> list[str]:
        errors = self.errors
        if isinstance(errors, dict):
            errors = list(errors.values())
        if not isinstance(errors, list):
            errors = []
        found = [str(error).strip() for error in errors if isinstance(error, str)]
        return [*self.errorMessages, *filter(None, found)]


@dataclass(frozen=True)
class Assignee:
    """Who an issue is assigned to now; ``key`` is how messages name the issue."""

    key: str
    id: str = ""
    name: str = ""


def first_due(versions) -> tuple[str, str] | None:
    """The (name, due date) of the version due first, one without a date last."""
    return min(versions, key=lambda version: (not version[1], version[1]), default=None)


def code_host_mappings(*, title: str, location: str, account_id: str) -> dict:
    """The default mappings of a code host: the repositories a person maintains
    (``title`` and ``location`` are record fields), and their accounts."""
    return {
        "repository": {"title": title, "location": location, "notes": "notes"},
        "account": {
            "system": "system",
            "account_id": account_id,
            "role_permission": "role_permission",
        },
    }


def maintainers_fields(description: str, others: list) -> dict:
    """The fields of a repository someone maintains: who else maintains it
    (``others``), and notes that say when nobody else can administer it."""
    notes = [description] if description else []
    if not others:
        notes.append(str(_("Sole maintainer: nobody else can administer it.")))
    return {
        "sole_maintainer": not others,
        "other_maintainers": sorted(others, key=str.casefold),
        "notes": "\n".join(notes),
    }


class TrackerConnector(FindsPeople, HttpConnector):
    """The shared part of an issue tracker (see the module docstring)."""

    # Names the tracker in the records' "system" field (not translated).
    system_name: ClassVar[str] = ""
    default_status_map: ClassVar[dict] = {}
    # What ``match_by`` values the tracker can search people by.
    searchable_by: ClassVar[tuple] = ("email",)
    # The key of the successor's id in a reassignment's summary.
    assignee_field: ClassVar[str] = "assignee"
    max_page_size: ClassVar[int] = 100
    # Both trackers answer an overload with a Retry-After far longer than a
    # quick retry waits, and a reassignment's PUT adds its note again when it
    # is repeated: the sync engine's backoff retries the run instead.
    retries = 0
    max_pages = 500
    # Joins the reasons of a refusal.
    reason_separator: ClassVar[str] = " "

    # The tracker's own words (``%(system)s`` is ``system_name``): a 404 of a
    # path (``%(url)s``, ``%(path)s``); no value to match by, a ``match_by`` it
    # cannot search by (``%(value)s``); a successor without an active account
    # (``%(person)s``, ``%(field)s``, ``%(value)s``); an issue someone else has
    # now (``%(key)s``/``%(id)s``, ``%(assignee)s``, ``%(owner)s``); a foreign
    # external id (``%(id)s``); an issue without a title (``%(key)s``).
    unknown_path_message: ClassVar[Any] = _(
        "%(system)s at %(url)s does not know %(path)s. Check the URL."
    )
    no_value_message: ClassVar[Any] = NO_VALUE
    search_by_message: ClassVar[Any] = None
    no_successor_message: ClassVar[Any] = None
    moved_on_message: ClassVar[Any] = None
    not_an_id_message: ClassVar[Any] = _("“%(id)s” is not a %(system)s id.")
    untitled_message: ClassVar[Any] = None
    no_id_message: ClassVar[Any] = _("%(system)s returned an issue without an id.")
    # What a write-back will change, as people see it first (``%(title)s``,
    # ``%(owner)s``, ``%(successor)s``; an issue's ``%(key)s``, ``%(id)s``).
    describe_issue_message: ClassVar[Any] = None
    describe_project_message: ClassVar[Any] = None

    # The contract -------------------------------------------------------------------

    def list_records(self, *, employee, record_kind):
        status_map = read_status_map(self.option("status_map"), self.default_status_map)
        account = self.account_id(employee)
        if account is None:
            return []  # no account there: nothing of theirs to hand over
        if record_kind == "project":
            return self.projects_of(account)
        return self.issues_of(account, record_kind, status_map)

    def describe_transfer(self, *, record, owner, successor) -> str:
        values = transfer_values(record, owner, successor)
        if record.kind == "project":
            return self.describe_project_message % values
        key = self.issue_key(record)
        return self.describe_issue_message % {**values, "key": key, "id": key}

    def issue_key(self, record) -> str:
        """How the tracker's people name the issue of a write-back's record."""
        return record.external_id

    def transfer(self, *, record, owner, successor, note) -> TransferResult:
        if record.kind == "project":
            return self.transfer_project(record, owner, successor)
        issue_id = self.record_id(record)
        successor_id = self.successor_account(successor)
        current = self.assignee_of(issue_id)
        done = {"issue": current.key, self.assignee_field: successor_id}
        if current.id == str(successor_id):
            # Already done (a retry after a lost answer): change nothing twice.
            return TransferResult(response=done)
        owner_id = self.account_id(owner) if current.id else None
        if owner_id is not None and current.id != str(owner_id):
            raise ConnectorError(
                self.moved_on_message
                % {
                    "key": current.key,
                    "id": issue_id,
                    "assignee": current.name or current.id,
                    "owner": who(owner),
                },
                retryable=False,
            )
        response, more = self.reassign(issue_id, successor_id, note, key=current.key)
        return TransferResult(
            response={**done, "status": response.status_code, **more},
            request_id=self.request_id(response),
        )

    def verify_transfer(self, *, record, successor) -> bool:
        successor_id = str(self.successor_account(successor))
        if record.kind == "project":
            return self.project_transferred(self.record_id(record), successor_id)
        return self.assignee_of(self.record_id(record)).id == successor_id

    # People -------------------------------------------------------------------------

    def account_id(self, person, *, active_only: bool = False):
        """The account id of ``person``, or None when the tracker has no such
        (active, with ``active_only``) account."""
        value = self.match_value(person)
        if not value:
            raise ConnectorError(
                self.no_value_message
                % {"value": match_label(self.match_by()), "system": self.system_name},
                retryable=False,
            )
        mapped = self.mapped_person(value)
        if mapped:
            return mapped
        if self.match_by() not in self.searchable_by:
            raise MisconfiguredError(self.search_by_message % {"value": value})
        found = self.__dict__.setdefault("_accounts", {})
        key = (self.match_by(), value.casefold(), active_only)
        if key not in found:
            found[key] = self.search_account(
                value=value, match_by=self.match_by(), active_only=active_only
            )
        return found[key]

    def successor_account(self, successor):
        """The successor's active account; without one only an admin can help."""
        found = self.account_id(successor, active_only=True)
        if found is None:
            raise MisconfiguredError(
                self.no_successor_message
                % {
                    "person": who(successor),
                    "field": match_label(self.match_by()),
                    "value": successor.value(self.match_by()),
                }
            )
        return found

    # Records ------------------------------------------------------------------------

    def issue_record(self, kind, issue, *, title, **fields):
        """``issue`` (a payload with ``id``, ``description`` and ``due_date``;
        its other fields are record fields too) as a record with ``fields``;
        reported, not imported, without a title."""
        if not title:
            key = getattr(issue, "key", "") or issue.id
            return unreadable(
                kind, issue.id, self.untitled_message % {"key": key, "id": issue.id}
            )
        description, due = issue.description, issue.due_date
        return Record(
            external_id=issue.id,
            kind=kind,
            title=title,
            fields={
                **issue.model_dump(),
                **fields,
                "details": f"{title}\n\n{description}" if description else title,
                "next_step": due_on(due),
                "system": self.system(),
            },
        )

    def project_record(
        self, project, name, *, total, done, version, url, document, **fields
    ):
        """``project`` (a payload with ``id``; its other fields are record
        fields too) as a record named ``name`` with ``fields``: progress by
        closed issues (``total``, ``done``), the next (name, due date)
        ``version``, its page at ``url`` (named by ``document``)."""
        version_name, due = version or ("", "")
        step = {"name": version_name, "due": due} if version else {}
        return Record(
            external_id=project.id,
            kind="project",
            title=name,
            fields={
                **project.model_dump(),
                **fields,
                "name": name,
                "issues_total": total,
                "stage": "in_progress",
                "progress_percent": round(100 * done / total) if total else None,
                "next_version": version_name,
                "next_version_due": due,
                "next_step": next_version_step(step, "due"),
                "documents": [{"title": str(document), "location": url}],
                "url": url,
                "system": self.system(),
            },
        )

    def system(self) -> str:
        return f"{self.system_name} ({self.host})"

    def record_id(self, record) -> str:
        value = str(record.external_id or "").strip()
        if not value.isdigit():
            raise MisconfiguredError(
                self.not_an_id_message % {"id": value[:50], "system": self.system_name}
            )
        return value

    # Requests -----------------------------------------------------------------------

    def pages(self, pagination=None, **changes):
        """``pagination`` (the type's by default) with the ``page_size`` setting
        (1 to ``max_page_size``)."""
        try:
            size = int(self.option("page_size"))
        except (TypeError, ValueError):
            size = next(s.default for s in self.settings if s.name == "page_size")
        size = max(1, min(size, self.max_page_size))
        return replace(pagination or self.pagination, size=size, **changes)

    def read(self, model, path: str, key: str | None = None, **kwargs):
        """A GET answer (the object at ``key`` of it) as ``model``."""
        return parse(model, dig(self.get(path, **kwargs), key), system=self.host)

    def call(self, method: str, path: str, *, refusals: dict, **kwargs):
        """``request``, with the tracker's own words for the statuses in
        ``refusals`` (status → message, or a function of the response giving
        one): only an admin or the successor's rights can fix those."""
        response = self.request(method, path, allow=tuple(refusals), **kwargs)
        explain = refusals.get(response.status_code)
        if explain is None:
            return response
        message = explain(response) if callable(explain) else explain
        raise MisconfiguredError(message, request_id=self.request_id(response))

    def check_response(self, response, *, not_found=None) -> None:
        if response.status_code == 404 and not_found is None:
            not_found = self.unknown_path_message % {
                "system": self.system_name,
                "url": self.base_url,
                "path": urlsplit(response.url).path,
            }
        super().check_response(response, not_found=not_found)

    def reasons(self, response) -> str:
        """Why the tracker refused, as it says it; else the status."""
        try:
            texts = Refusal.model_validate(response.json()).texts()
        except ValueError:  # not JSON, or not an error envelope
            texts = []
        text = self.reason_separator.join(texts) or self.http.detail_of(response)
        return self.http.scrub(text) or str(
            _("HTTP %(status)s") % {"status": response.status_code}
        )
