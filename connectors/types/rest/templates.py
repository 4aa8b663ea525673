"""Request templates: the employee's values put into the path, the query and
the body where the admin wrote ``{email}``, ``{username}``…"""

from __future__ import annotations

import string
from urllib.parse import quote

from django.utils.translation import gettext_lazy as _

from ...sdk.base import ConnectorError, EmployeeRef, MisconfiguredError

__all__ = ["VARIABLES", "render"]

# Employee values a request template may use, as {name}.
VARIABLES = ("email", "employee_number", "directory_id", "username", "name")


def render(template, employee: EmployeeRef, setting: str, *, encode=False):
    """``template`` with every string's variables filled in; ``encode`` quotes
    the values for a path (a slash in a value cannot change the path)."""
    if isinstance(template, str):
        return _substitute(template, employee, setting, encode=encode)
    if isinstance(template, list):
        return [render(item, employee, setting) for item in template]
    if isinstance(template, dict):
        return {
            str(key): render(value, employee, setting)
            for key, value in template.items()
        }
    return template


def _substitute(template: str, employee: EmployeeRef, setting: str, *, encode):
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
        rendered.append(literal)
        if name is None:
            continue
        value = employee.value(name)
        if not value:
            raise ConnectorError(
                _("The employee has no %(variable)s, which the request needs.")
                % {"variable": name.replace("_", " ")},
                retryable=False,
            )
        rendered.append(quote(value, safe="") if encode else value)
    return "".join(rendered)
