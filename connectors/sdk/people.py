"""Finding the person: who an employee is in the upstream system, the same
way for every type.

1. An explicit map in the settings (``people_map_setting``, e.g. GitHub's
   "logins": employee match value → upstream id) wins.
2. Otherwise the employee value the ``match_by`` setting names (e-mail by
   default) is looked up with the type's own ``find_person``.
3. The answer is remembered for the connector's run; nobody found is a
   ``ConnectorError`` that retrying cannot fix, naming the person.

A type implements only ``find_person(value=…, match_by=…)`` (return the
upstream id, or None) and says how unknown people are reported.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from .base import ConnectorError, EmployeeRef, MisconfiguredError, Setting
from .common import MATCH_LABELS, must_be_object

__all__ = ["FindsPeople", "match_by_setting"]


def match_by_setting(choices=("email", "username", "employee_number"), **kwargs):
    """The ``match_by`` setting: which employee value finds them upstream."""
    return Setting(
        "match_by",
        kwargs.pop("label", _("Find people by")),
        kwargs.pop("help_text", _("Which employee value identifies them there.")),
        required=False,
        default=kwargs.pop("default", choices[0]),
        choices=tuple((name, MATCH_LABELS.get(name, name)) for name in choices),
        **kwargs,
    )


class FindsPeople:
    """Mixin for ``ConnectorType`` subclasses (needs ``option``)."""

    # The setting mapping employee values to upstream ids, if the type has one.
    people_map_setting: ClassVar[str | None] = None
    match_by_default: ClassVar[str] = "email"
    # Said when nobody is found; ``%(person)s`` is the employee's value.
    unknown_person_message: ClassVar[Any] = _(
        "Baton could not find %(person)s in %(host)s."
    )

    def match_by(self) -> str:
        return str(self.option("match_by") or self.match_by_default)

    def match_value(self, person: EmployeeRef) -> str:
        return person.value(self.match_by()).strip()

    def mapped_person(self, value: str) -> str | None:
        if not self.people_map_setting or not value:
            return None
        mapping = self.option(self.people_map_setting) or {}
        if not isinstance(mapping, dict):
            raise must_be_object(self.people_map_setting)
        for key, upstream in mapping.items():
            if str(key).strip().casefold() == value.casefold() and upstream:
                return str(upstream).strip()
        return None

    def person_id(self, person: EmployeeRef, *, required: bool = True) -> str | None:
        """The upstream id of ``person`` (None when not found and not
        ``required``)."""
        value = self.match_value(person)
        cache = self.__dict__.setdefault("_people_found", {})
        key = (self.match_by(), value)
        if key not in cache:
            found = self.mapped_person(value)
            if found is None and value:
                found = self.find_person(value=value, match_by=self.match_by())
            cache[key] = found
        if cache[key] is None and required:
            raise ConnectorError(
                self.unknown_person_message
                % {
                    "person": value or person.name or "?",
                    "host": getattr(self, "host", ""),
                },
                retryable=False,
            )
        return cache[key]

    def find_person(self, *, value: str, match_by: str) -> str | None:
        """Look ``value`` up upstream; the id, or None when nobody matches."""
        return None

    def successor_id(self, successor: EmployeeRef) -> str:
        """``person_id`` for the successor of a write-back: a successor nobody
        finds upstream is for an admin to fix (``MisconfiguredError``), not an
        outage to retry."""
        try:
            return self.person_id(successor)
        except MisconfiguredError:
            raise
        except ConnectorError as error:
            if error.retryable:
                raise
            raise MisconfiguredError(
                error.message, request_id=error.request_id
            ) from None

    def shown_as(self, person: EmployeeRef) -> str:
        """How a preview names ``person``: their upstream id when it can be
        found, else their e-mail or name (a preview never fails on it)."""
        try:
            return self.person_id(person)
        except ConnectorError:
            return person.email or person.name
