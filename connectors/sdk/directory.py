"""What directory types (``supports_directory``: LDAP, SCIM…) share: the
settings that say which attribute holds what and which values mean leaving or
disabled, the rule that turns those values into a status, and the person they
list — cms's own ``DirectoryValues`` (a module of cms without models:
connectors import cms, never the other way round), which
``connectors.directory`` hands to cms as it is.

    settings = (
        ...,
        *directory_settings(
            defaults={"employee_number": "employeeNumber"},
            help_texts={"manager": _("Holds the DN of the person's manager.")},
        ),
    )
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping

from django.utils.translation import gettext_lazy as _

from cms.services.employees.values import DirectoryValues

from .base import DIRECTORY_SYNC, INTAKE_MODE, Setting

__all__ = [
    "ACTIVE",
    "ATTRIBUTE_FIELDS",
    "DISABLED",
    "LEAVING",
    "DirectoryValues",
    "attribute_setting",
    "directory_settings",
    "person_status",
    "status_values",
    "with_managers",
]

ACTIVE, LEAVING, DISABLED = "active", "leaving", "disabled"
# The values of a person read from one attribute each, named by the setting
# ``directory_<field>_attribute``.
ATTRIBUTE_FIELDS = (
    "employee_number",
    "department_code",
    "department_name",
    "position",
    "manager",
    "status",
    "last_working_day",
)
_LABELS = {
    "id": _("Directory id attribute"),
    "employee_number": _("Employee number attribute"),
    "department_code": _("Department code attribute"),
    "department_name": _("Department name attribute"),
    "position": _("Position attribute"),
    "manager": _("Manager attribute"),
    "status": _("Status attribute"),
    "leaving_values": _("Leaving values"),
    "disabled_values": _("Disabled values"),
    "last_working_day": _("Last working day attribute"),
}
_VALUES = ("leaving_values", "disabled_values")
# How the admin form lists them: the status values right after the status.
_ORDER = ("id", *ATTRIBUTE_FIELDS[:-1], *_VALUES, ATTRIBUTE_FIELDS[-1])
_DEFAULTS = {"position": "title", "leaving_values": "leaving"}
_HELP_TEXTS = {
    "leaving_values": _("Status values meaning “leaving”, separated by commas."),
}


def attribute_setting(field: str) -> str:
    """The name of the setting naming the attribute that holds ``field``."""
    return f"directory_{field}_attribute"


def directory_settings(
    *,
    defaults: Mapping[str, str] | None = None,
    help_texts: Mapping | None = None,
    id_choices: tuple = (),
    extra: Mapping[str, Iterable[Setting]] | None = None,
) -> tuple[Setting, ...]:
    """The directory settings in the order the admin form shows them: whether
    the directory sync uses the connector, what a resignation does, which
    attribute holds each value, and the values meaning leaving or disabled.
    ``defaults`` and ``help_texts`` are keyed by field ("id", "manager",
    "leaving_values"…); ``extra`` adds a type's own settings after the one
    named (e.g. ``{"intake_mode": (FILTER,)}``)."""
    defaults = {**_DEFAULTS, **(defaults or {})}
    help_texts = {**_HELP_TEXTS, **(help_texts or {})}
    extra = extra or {}
    settings = []
    for spec in (DIRECTORY_SYNC, INTAKE_MODE):
        settings += [spec, *extra.get(spec.name, ())]
    for field in _ORDER:
        spec = Setting(
            f"directory_{field}" if field in _VALUES else attribute_setting(field),
            _LABELS[field],
            help_text=help_texts.get(field, ""),
            required=False,
            default=defaults.get(field, ""),
            choices=id_choices if field == "id" else (),
        )
        settings += [spec, *extra.get(spec.name, ())]
    return tuple(settings)


def status_values(connector, name: str) -> frozenset:
    """A setting of comma-separated status values (``directory_leaving_values``,
    ``directory_disabled_values``), case-folded."""
    text = str(connector.option(name) or "")
    return frozenset(
        value.strip().casefold() for value in text.split(",") if value.strip()
    )


def person_status(
    connector, *, disabled: bool, values: Iterable[str], leaving: bool = False
) -> str:
    """ "disabled" when the account is (``disabled``) or a status value says so,
    else "leaving" when a status value says so (or ``leaving``), else
    "active". ``values`` are what the status attribute holds."""
    found = {value.casefold() for value in values}
    if disabled or found & status_values(connector, "directory_disabled_values"):
        return DISABLED
    if leaving or found & status_values(connector, "directory_leaving_values"):
        return LEAVING
    return ACTIVE


def with_managers(
    listed: Iterable[tuple[str, DirectoryValues]],
) -> Iterator[DirectoryValues]:
    """Everyone of ``listed`` — (the key the directory refers to a person by,
    the person whose ``manager_directory_id`` holds their manager's key) — with
    the manager named by directory id ("" when the manager is not listed)."""
    listed = list(listed)
    ids = {key: person.directory_id for key, person in listed if key}
    for _key, person in listed:
        manager = ids.get(person.manager_directory_id, "")
        if manager != person.manager_directory_id:
            person = dataclasses.replace(person, manager_directory_id=manager)
        yield person
