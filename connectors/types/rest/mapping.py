"""Reading the configured system's answers: request templates filled with
the employee's values, and the JMESPath expressions that find the records and
their fields."""

from __future__ import annotations

import string
from urllib.parse import quote

import jmespath
from django.utils.translation import gettext_lazy as _
from jmespath.exceptions import JMESPathError

from ...sdk.base import (
    ConnectorError,
    MisconfiguredError,
    Record,
)
from ...sdk.common import (
    clean_text,
    unreadable,
)
from .settings import VARIABLES

__all__ = ["Expressions", "render", "search"]


_FAILED = object()


def render(template, employee, setting: str, *, encode=False):
    """``template`` with every string's ``{variables}`` filled in from the
    employee; ``encode`` quotes the values for a path (a slash in a value
    cannot change the path)."""
    if isinstance(template, list):
        return [render(item, employee, setting) for item in template]
    if isinstance(template, dict):
        return {key: render(item, employee, setting) for key, item in template.items()}
    if not isinstance(template, str):
        return template
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        raise MisconfiguredError(
            _(
                "The setting “%(setting)s” has an unmatched { or }: "
                "use {{ and }} for braces."
            )
            % {"setting": setting}
        ) from None
    unknown = sorted(
        {
            "{" + name + "}"
            for _text, name, spec, conversion in parts
            if name is not None and (name not in VARIABLES or spec or conversion)
        }
    )
    if unknown:
        raise MisconfiguredError(
            _(
                "The setting “%(setting)s” uses unknown variables %(unknown)s. "
                "Allowed: %(allowed)s."
            )
            % {
                "setting": setting,
                "unknown": ", ".join(unknown),
                "allowed": ", ".join("{" + name + "}" for name in VARIABLES),
            }
        )
    rendered = []
    for literal, name, _spec, _conversion in parts:
        value = employee.value(name) if name is not None else ""
        if name is not None and not value:
            raise ConnectorError(
                _("The employee has no %(variable)s, which the request needs.")
                % {"variable": name.replace("_", " ")},
                retryable=False,
            )
        rendered.append(literal + (quote(value, safe="") if encode else value))
    return "".join(rendered)


def search(expression, data, failed=None):
    """What ``expression`` finds in ``data``; ``failed`` where it cannot apply."""
    try:
        return expression.search(data)
    except JMESPathError:
        return failed


def _compile(expression, setting):
    if not isinstance(expression, str) or not expression.strip():
        raise MisconfiguredError(
            _("The setting “%(setting)s” needs a JMESPath expression.")
            % {"setting": setting}
        )
    try:
        return jmespath.compile(expression)
    except JMESPathError:
        raise MisconfiguredError(
            _(
                "The setting “%(setting)s” is not a valid JMESPath expression: "
                "%(expression)s"
            )
            % {"setting": setting, "expression": expression[:200]}
        ) from None


class Expressions:
    """The records, their ids, titles and fields (and the next cursor when
    paging by cursor) as the connector's settings say; a wrong one is named."""

    def __init__(self, option, *, cursor: bool):
        self.id_path = option("id_path")
        self.records = _compile(option("records_path"), "records_path")
        self.id = _compile(self.id_path, "id_path")
        self.title = _compile(option("title_path"), "title_path")
        self.fields = {
            str(name): _compile(path, f"field_paths.{name}")
            for name, path in option("field_paths").items()
        }
        if cursor:
            self.cursor = _compile(option("cursor_path"), "cursor_path")

    def record(self, item, kind: str, *, page: int, position: int) -> Record:
        """One record; an entry without an id or with a field that cannot be
        read is a record with an error (the engine reports it and goes on)."""
        external_id = clean_text(search(self.id, item))
        if not external_id:
            message = _("Record %(position)s on page %(page)s has no id at “%(path)s”.")
            where = {"position": position, "page": page, "path": self.id_path}
            return unreadable(kind, "", message % where)
        fields = dict(item) if isinstance(item, dict) else {"value": item}
        if self.fields:
            fields = {
                name: search(expression, item, failed=_FAILED)
                for name, expression in self.fields.items()
            }
        for name, value in fields.items():
            if value is _FAILED:
                message = _("Record %(id)s: the field “%(field)s” could not be read.")
                where = {"id": external_id, "field": name}
                return unreadable(kind, external_id, message % where)
        title = clean_text(search(self.title, item)) or external_id
        return Record(external_id, kind, title, fields)
