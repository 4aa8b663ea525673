"""Settings checked from their declarations (``Setting``), in one place: the
admin form and the API when a connector is saved (``settings_errors``), and
every type before its first call upstream (``first_problem``)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

__all__ = ["first_problem", "settings_errors"]

_JSON_TYPES = {
    "string": str,
    "url": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
}
# Settings every type accepts without declaring them.
_ALWAYS_KNOWN = ("timeout",)


def _empty(value) -> bool:
    return value is None or value == ""


def _bad_url(value) -> bool:
    return not str(value).strip().lower().startswith(("http://", "https://"))


def settings_errors(type_class, settings) -> list[str]:
    """Every problem of ``settings`` (not secrets) against the declarations of
    ``type_class``, as translated sentences; [] when they are fine."""
    if not isinstance(settings, dict):
        return [gettext("Send the settings as an object.")]
    errors = []
    known = {spec.name: spec for spec in type_class.settings if not spec.secret}
    for name in settings:
        if name not in known and name not in _ALWAYS_KNOWN:
            errors.append(
                gettext("Unknown setting “%(name)s”. Known settings: %(known)s.")
                % {"name": name, "known": ", ".join(sorted(known)) or "—"}
            )
    for name, spec in known.items():
        value = settings.get(name)
        if _empty(value):
            if spec.required and _empty(spec.default):
                errors.append(
                    gettext("The setting “%(name)s” is required.") % {"name": name}
                )
            continue
        expected = _JSON_TYPES.get(spec.type, object)
        wrong = not isinstance(value, expected) or (
            spec.type in ("integer", "number") and isinstance(value, bool)
        )
        if wrong:
            errors.append(
                gettext("The setting “%(name)s” must be of type %(type)s.")
                % {"name": name, "type": "string" if spec.type == "url" else spec.type}
            )
        elif spec.type == "url" and _bad_url(value):
            errors.append(str(_url_message(spec)))
        elif spec.choices and value not in [choice[0] for choice in spec.choices]:
            errors.append(
                gettext("The setting “%(name)s” must be one of: %(choices)s.")
                % {
                    "name": name,
                    "choices": ", ".join(str(choice[0]) for choice in spec.choices),
                }
            )
    return errors


def _url_message(spec):
    if spec.invalid:
        return spec.invalid
    return _("“%(setting)s” must start with https:// (or http://).") % {
        "setting": spec.label
    }


def first_problem(type_class, settings, secrets) -> str | None:
    """The first required setting or secret that is missing, or a URL setting
    that is not one: what a connector says before calling upstream."""
    for spec in type_class.settings:
        source = secrets if spec.secret else settings
        value = source.get(spec.name)
        if _empty(value) and not spec.secret:
            value = spec.default
        if _empty(value):
            if spec.required:
                if spec.missing:
                    return str(spec.missing)
                return str(_("Enter “%(setting)s”.") % {"setting": spec.label})
            continue
        if spec.type == "url" and _bad_url(value):
            return str(_url_message(spec))
    return None
