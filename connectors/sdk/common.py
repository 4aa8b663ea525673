"""Small pieces several connector types share: the settings most of them
declare the same way, reading upstream values as text, naming people and the
messages that go with status mappings, due dates and endless paging."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _

from .base import ConnectorError, EmployeeRef, MisconfiguredError, Record, Setting

__all__ = [
    "MATCH_LABELS",
    "TASK_STATUSES",
    "TIMEOUT",
    "VERIFY_TLS",
    "as_text",
    "clean_text",
    "due_on",
    "is_on",
    "match_label",
    "must_be_object",
    "next_version_step",
    "object_dict",
    "read_status_map",
    "timeout_setting",
    "too_many_pages",
    "tracker_mappings",
    "transfer_values",
    "webhook_secret_setting",
    "who",
]

TASK_STATUSES = ("not_started", "in_progress", "blocked", "done")
# How each way of matching people is named in messages.
MATCH_LABELS = {
    "email": _("e-mail address"),
    "username": _("user name"),
    "employee_number": _("employee number"),
    "directory_id": _("directory id"),
}


# Settings ----------------------------------------------------------------------------


def timeout_setting(help_text) -> Setting:
    return Setting(
        "timeout",
        _("Timeout (seconds)"),
        help_text,
        required=False,
        default=10,
        type="number",
    )


TIMEOUT = timeout_setting(_("How long to wait for each request."))
VERIFY_TLS = Setting(
    "verify_tls",
    _("Verify the TLS certificate"),
    _("Turn off only for a test system with a self-signed certificate."),
    required=False,
    default=True,
    type="boolean",
)


def webhook_secret_setting(help_text) -> Setting:
    return Setting(
        "webhook_secret",
        _("Webhook secret"),
        help_text,
        required=False,
        secret=True,
    )


def is_on(value) -> bool:
    """A boolean setting as forms and JSON may hold it ("false", "0", 0…)."""
    return value not in (False, "false", "0", 0)


# Reading upstream values -------------------------------------------------------------


def as_text(value) -> str:
    """A scalar as text; "" for nothing, objects and lists."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value)


def clean_text(value) -> str:
    """A scalar as trimmed text; "" for nothing, booleans, objects and lists."""
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    return str(value).strip()


def object_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


# People ----------------------------------------------------------------------------


def who(person: EmployeeRef) -> str:
    return person.name or person.username or person.email or person.employee_number


def transfer_values(record, owner: EmployeeRef, successor: EmployeeRef) -> dict:
    """What a write-back's description names: the record and both people."""
    return {"title": record.title, "owner": who(owner), "successor": who(successor)}


def match_label(match_by: str) -> str:
    return str(MATCH_LABELS.get(match_by, match_by))


# Messages --------------------------------------------------------------------------


def must_be_object(setting: str) -> MisconfiguredError:
    return MisconfiguredError(
        _("The setting “%(setting)s” must be an object.") % {"setting": setting}
    )


def too_many_pages(host: str, pages: int) -> ConnectorError:
    return ConnectorError(
        _("%(host)s kept returning more results after %(count)d pages.")
        % {"host": host, "count": pages},
        retryable=False,
    )


def read_status_map(configured, defaults: dict) -> dict:
    """``defaults`` (lower-cased status name → task status) with the
    connector's ``status_map`` setting added; a wrong value is an admin's to fix."""
    configured = configured or {}
    if not isinstance(configured, dict):
        raise must_be_object("status_map")
    mapping = dict(defaults)
    for name, status in configured.items():
        if status not in TASK_STATUSES:
            raise MisconfiguredError(
                _(
                    "The status mapping sends “%(name)s” to “%(status)s”; use "
                    "one of %(allowed)s."
                )
                % {
                    "name": name,
                    "status": status,
                    "allowed": ", ".join(TASK_STATUSES),
                }
            )
        mapping[str(name).strip().casefold()] = status
    return mapping


def due_on(value: str):
    """ "Due on <date>." for an ISO date, else None."""
    try:
        date = datetime.date.fromisoformat(value)
    except ValueError:
        return None
    return str(_("Due on %(date)s.") % {"date": date.isoformat()})


def next_version_step(version: dict, date_key: str):
    """The next step a project's next version (``name`` and ``date_key``) sets."""
    if not version:
        return None
    if version.get(date_key):
        return str(
            _("Next version: %(name)s, due on %(date)s.")
            % {"name": version["name"], "date": version[date_key]}
        )
    return str(_("Next version: %(name)s.") % {"name": version["name"]})


def tracker_mappings(*, issue_progress="progress_percent", project_fields=()) -> dict:
    """The default mappings of an issue tracker (Jira, Redmine): issues and
    tasks become task items, projects project items. ``issue_progress`` is the
    record field holding an issue's progress; ``project_fields`` are more
    project item properties read from record fields of the same name."""
    issue = {
        "description": "details",
        "status": "task_status",
        "progress_percent": issue_progress,
        "next_step": "next_step",
        "location": "url",
    }
    project = {
        "project_name": "name",
        "stage": "stage",
        "progress_percent": "progress_percent",
        "next_step": "next_step",
        **{name: name for name in project_fields},
        "documents": "documents",
    }
    return {"issue": issue, "task": issue, "project": project}


# Setting factories (one declaration for what many types ask the same way) ------------


def optional(name: str, label, help_text="", *, default=None, type="string", **kw):
    """A setting an admin may leave empty (then ``default``)."""
    return Setting(
        name, label, help_text, required=False, default=default, type=type, **kw
    )


def secret_setting(name: str, label, help_text="", **kw) -> Setting:
    return Setting(name, label, help_text, secret=True, **kw)


def url_setting(label, help_text, default=None, name="base_url") -> Setting:
    """Where the system's API lives; required unless it has a ``default``."""
    if default is None:
        return Setting(name, label, help_text, type="url")
    return optional(name, label, help_text, default=default, type="url")


def map_setting(name: str, label, help_text) -> Setting:
    """An object setting, e.g. employee match value → upstream id."""
    return optional(name, label, help_text, default={}, type="object")


def flag_setting(name: str, label, help_text="", default=False) -> Setting:
    return optional(name, label, help_text, default=default, type="boolean")


def status_map_setting(help_text) -> Setting:
    return map_setting("status_map", _("Status mapping"), help_text)


def page_size_setting(default: int, help_text="") -> Setting:
    return optional(
        "page_size", _("Page size"), help_text, default=default, type="integer"
    )


# Said when the employee lacks the value a type looks people up by.
NO_VALUE = _("The employee has no %(value)s to look up in %(system)s.")


def unreadable(kind: str, external_id: str, error) -> Record:
    """A record the engine skips and reports (``error`` says why)."""
    return Record(external_id=external_id, kind=kind, title="", error=str(error))
