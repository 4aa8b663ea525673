"""One form field per setting a connector type declares (``Setting``).

The label, help text, choices, default and checks all come from the type's
declaration, so the admin sees exactly the settings of the type it configures,
each with the widget its kind asks for, instead of one JSON box with every
type's keys. Secrets become password fields that never show what is stored.
"""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

__all__ = [
    "MODEL_SETTINGS",
    "from_field",
    "initial_value",
    "secret_field",
    "secret_field_name",
    "setting_field",
    "setting_field_name",
    "shown_settings",
]

# Not shown among the settings: the connector's own "match employees by"
# field is given to the type as this setting (``ConnectorConfig.client``), so
# the form offers that field, with the type's choices, instead.
MODEL_SETTINGS = ("match_by",)
# Text settings that hold several lines (a PEM certificate, a message).
_MULTILINE = ("ca_certificate", "transfer_message")


def setting_field_name(spec) -> str:
    return f"setting_{spec.name}"


def secret_field_name(spec) -> str:
    return f"secret_{spec.name}"


def shown_settings(type_class) -> list:
    return [
        spec
        for spec in type_class.settings
        if not spec.secret and spec.name not in MODEL_SETTINGS
    ]


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _needed(spec) -> bool:
    return spec.required and _empty(spec.default)


def _placeholder(spec) -> dict:
    if _empty(spec.default) or isinstance(spec.default, (dict, list)):
        return {}
    return {"placeholder": str(spec.default)}


def _required_message(spec):
    if spec.missing:
        return spec.missing
    return _("Enter “%(setting)s”.") % {"setting": spec.label}


# Field kinds ----------------------------------------------------------------------


class ObjectField(forms.JSONField):
    """A JSON object, typed into a text area and shown indented."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget", forms.Textarea(attrs={"rows": 5, "class": "monospace"})
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if value is None:
            return ""
        if isinstance(value, str):
            return super().prepare_value(value)
        return json.dumps(value, ensure_ascii=False, indent=2)

    def validate(self, value):
        super().validate(value)
        if value not in self.empty_values and not isinstance(value, dict):
            raise ValidationError(
                gettext('Enter a JSON object in braces, e.g. {"name": "value"}.'),
                code="not_object",
            )


class ListField(forms.CharField):
    """A list of values, one per line (or a JSON array, for other values)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            if all(isinstance(item, str) and "\n" not in item for item in value):
                return "\n".join(value)
            return json.dumps(value, ensure_ascii=False)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return []
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if not isinstance(parsed, list):
                raise ValidationError(
                    gettext("Enter one value per line, or a JSON list in brackets."),
                    code="not_list",
                )
            return parsed
        return [line.strip() for line in text.splitlines() if line.strip()]


class WebAddressField(forms.CharField):
    """A web address, checked as the type's declaration says (http(s)://)."""

    widget = forms.URLInput

    def __init__(self, *, invalid, **kwargs):
        self.invalid = invalid
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value and not value.lower().startswith(("http://", "https://")):
            raise ValidationError(self.invalid, code="invalid")


def _url_invalid(spec):
    if spec.invalid:
        return spec.invalid
    return _("“%(setting)s” must start with https:// (or http://).") % {
        "setting": spec.label
    }


def _choice(spec, common):
    choices = [(value, label) for value, label in spec.choices]
    has_blank = any(value == "" for value, _label in choices)
    if not has_blank and _empty(spec.default) and not spec.required:
        choices.insert(0, ("", "—"))
        has_blank = True
    return forms.ChoiceField(choices=choices, **{**common, "required": not has_blank})


def _text(spec, common):
    if spec.name in _MULTILINE:
        widget = forms.Textarea(attrs={"rows": 4, **_placeholder(spec)})
    else:
        widget = forms.TextInput(attrs=_placeholder(spec))
    return forms.CharField(widget=widget, **common)


def _url(spec, common):
    return WebAddressField(
        invalid=_url_invalid(spec),
        widget=forms.URLInput(attrs=_placeholder(spec)),
        **common,
    )


def _integer(spec, common):
    return forms.IntegerField(
        widget=forms.NumberInput(attrs=_placeholder(spec)), **common
    )


def _number(spec, common):
    return forms.FloatField(
        widget=forms.NumberInput(attrs={"step": "any", **_placeholder(spec)}),
        **common,
    )


def _boolean(spec, common):
    return forms.BooleanField(**{**common, "required": False})


def _object(spec, common):
    return ObjectField(**common)


def _array(spec, common):
    help_text = common.pop("help_text")
    one_per_line = _("One per line.")
    return ListField(
        help_text=format_lazy("{} {}", help_text, one_per_line)
        if help_text
        else one_per_line,
        **common,
    )


_KINDS = {
    "string": _text,
    "url": _url,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "object": _object,
    "array": _array,
}


def setting_field(spec) -> forms.Field:
    """The form field of one (non-secret) declared setting."""
    common = {
        "label": spec.label,
        "help_text": spec.help_text or "",
        "required": _needed(spec),
        "error_messages": {"required": _required_message(spec)},
    }
    if spec.choices:
        return _choice(spec, common)
    return _KINDS.get(spec.type, _text)(spec, common)


def initial_value(spec, settings: dict):
    """What the field shows: the stored value, else the default where the
    widget has to show one (a check box, a list of choices)."""
    value = settings.get(spec.name)
    if not _empty(value):
        return value
    if spec.type == "boolean" or spec.choices:
        return spec.default
    return None


def from_field(spec, value):
    """The setting's value from the field's cleaned value; None when the
    field was left empty, so that the type's default applies."""
    if spec.type == "boolean" and not spec.choices:
        return bool(value)
    if _empty(value):
        return None
    if spec.type == "number" and float(value).is_integer():
        return int(value)
    return value


def secret_field(spec, *, stored: bool) -> forms.CharField:
    """A write-only field: it never shows the stored secret, and left empty it
    keeps it."""
    state = (
        _("A value is stored; leave empty to keep it.")
        if stored
        else _("Nothing stored.")
    )
    return forms.CharField(
        label=spec.label,
        required=False,
        strip=False,
        help_text=format_lazy("{} {}", spec.help_text, state)
        if spec.help_text
        else state,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password"}
        ),
    )
