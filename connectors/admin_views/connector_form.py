"""The connector form of one type: the connector's own fields, then exactly
the settings and secrets that type declares, grouped under headings.

A connector keeps its type once created (its settings would not fit another),
so the form is built for the type being added or edited: a field per declared
setting (``settings_fields``), a write-only password field per declared secret.
Saving goes through ``services.connector_save`` like the API does."""

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    HelpPanel,
    MultiFieldPanel,
    ObjectList,
)

from cms.errors import BatonError

from .. import services
from ..models import ConnectorConfig
from ..sdk.settings import settings_errors
from .settings_fields import (
    MODEL_SETTINGS,
    from_field,
    initial_value,
    secret_field,
    secret_field_name,
    setting_field,
    setting_field_name,
    shown_settings,
)

__all__ = ["ConnectorFormBase", "connector_edit_handler", "connector_form_class"]

# Settings every type accepts without declaring them; kept as stored.
_ALWAYS_KEPT = ("timeout",)


class ConnectorFormBase(WagtailAdminModelForm):
    """Secrets are typed into password fields that never show the stored value:
    left empty, a secret is kept; "forget" deletes them all."""

    # The ConnectorType class the form is for (set by ``connector_form_class``).
    connector_type = None

    forget_secrets = forms.BooleanField(
        label=_("Forget all stored secrets"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.connector_type is None:
            return
        stored = self.instance.settings or {}
        for spec in shown_settings(self.connector_type):
            self.initial.setdefault(
                setting_field_name(spec), initial_value(spec, stored)
            )
        kept = set(self.instance.secret_names) if self.instance.pk else set()
        for spec in self.connector_type.setting_specs(secret=True):
            self.fields[secret_field_name(spec)] = secret_field(
                spec, stored=spec.name in kept
            )
        self._fit_match_by()

    def _fit_match_by(self):
        """The type's own label, help and choices for "match employees by"."""
        spec = _declared(self.connector_type, "match_by")
        field = self.fields.get("match_by")
        if spec is None or field is None or not spec.choices:
            return
        field.choices = list(spec.choices)
        field.label = spec.label
        field.help_text = spec.help_text
        if not self.instance.pk:
            self.initial["match_by"] = spec.default

    # What the form saves -------------------------------------------------------------

    def settings_value(self) -> dict:
        """The stored settings this form does not show (kept), with the shown
        ones as typed; an emptied field drops its setting, so the default
        applies."""
        declared = {spec.name for spec in self.connector_type.settings}
        shown = shown_settings(self.connector_type)
        kept = (declared & set(MODEL_SETTINGS) | set(_ALWAYS_KEPT)) - {
            spec.name for spec in shown
        }
        settings = {
            name: value
            for name, value in (self.instance.settings or {}).items()
            if name in kept
        }
        for spec in shown:
            value = from_field(spec, self.cleaned_data.get(setting_field_name(spec)))
            if value is not None:
                settings[spec.name] = value
        return settings

    def secrets(self) -> dict:
        typed = {
            spec.name: self.cleaned_data[secret_field_name(spec)]
            for spec in self.connector_type.setting_specs(secret=True)
            if self.cleaned_data.get(secret_field_name(spec))
        }
        if self.cleaned_data.get("forget_secrets"):
            return {**dict.fromkeys(self.instance.secret_names, ""), **typed}
        return typed

    def _data(self) -> dict:
        data = {
            field: self.cleaned_data.get(field)
            for field in (
                "name",
                "slug",
                "enabled",
                "match_by",
                "sync_interval_minutes",
            )
            if field in self.fields
        }
        data["type"] = self.connector_type.slug
        data["settings"] = self.settings_value()
        secrets = self.secrets()
        if secrets:
            data["secrets"] = secrets
        return data

    def clean(self):
        cleaned = super().clean()
        if self.connector_type is None:
            raise forms.ValidationError(
                gettext("This connector's type is not installed; it cannot be saved.")
            )
        if self.errors:
            return cleaned
        # The declarations' own checks, as the API runs them: anything the
        # fields did not catch lands on the field it names.
        for message in settings_errors(self.connector_type, self.settings_value()):
            self.add_error(self._field_named_in(message), message)
        return cleaned

    def _field_named_in(self, message: str) -> str | None:
        for spec in shown_settings(self.connector_type):
            if f"“{spec.name}”" in message:
                return setting_field_name(spec)
        return None

    def save(self, commit=True):
        try:
            return services.connector_save(
                actor=self.for_user,
                connector=self.instance if self.instance.pk else None,
                data=self._data(),
            )
        except BatonError as error:
            # Validated in clean(); reaching here means the rules changed under us.
            raise forms.ValidationError(str(error.message)) from error


def _declared(type_class, name):
    for spec in type_class.settings:
        if spec.name == name:
            return spec
    return None


def connector_form_class(type_class):
    """The form of ``type_class``: its settings and secrets as declared fields
    (so Wagtail's panels find them)."""
    fields = {"connector_type": type_class}
    if type_class is not None:
        for spec in shown_settings(type_class):
            fields[setting_field_name(spec)] = setting_field(spec)
        for spec in type_class.setting_specs(secret=True):
            fields[secret_field_name(spec)] = secret_field(spec, stored=False)
    return type("ConnectorForm", (ConnectorFormBase,), fields)


# The panels -------------------------------------------------------------------------

# Headings for settings that belong together, by the start of their names.
_GROUPS = (
    (_("Employee directory"), ("directory_",)),
    (_("Resignations"), ("resignation_", "intake_mode")),
)


def _group_of(spec):
    for heading, prefixes in _GROUPS:
        if spec.name.startswith(prefixes):
            return heading
    return None


def _settings_panels(type_class) -> list:
    shown = shown_settings(type_class)
    groups = [(_("Settings"), [spec for spec in shown if _group_of(spec) is None])]
    groups += [
        (heading, [spec for spec in shown if _group_of(spec) == heading])
        for heading, _prefixes in _GROUPS
    ]
    return [
        MultiFieldPanel(
            [FieldPanel(setting_field_name(spec)) for spec in specs], heading=heading
        )
        for heading, specs in groups
        if specs
    ]


def _type_intro(type_class):
    if type_class is None:
        return format_html(
            "<p class='help-block help-critical'>{}</p>",
            gettext("This connector's type is not installed; it cannot be saved."),
        )
    return format_html(
        "<p><strong>{}</strong></p><p>{}</p>",
        type_class.label,
        type_class.description or "",
    )


def connector_edit_handler(type_class):
    """The panels of the connector form for ``type_class`` (None: a type that
    is not installed, only the connector's own fields)."""
    panels = [
        MultiFieldPanel(
            [
                HelpPanel(content=_type_intro(type_class)),
                FieldRowPanel([FieldPanel("name"), FieldPanel("slug")]),
                FieldRowPanel(
                    [FieldPanel("enabled"), FieldPanel("sync_interval_minutes")]
                ),
                FieldPanel("match_by"),
            ],
            heading=_("Connector"),
        )
    ]
    if type_class is not None:
        panels += _settings_panels(type_class)
        secrets = type_class.setting_specs(secret=True)
        if secrets:
            panels.append(
                MultiFieldPanel(
                    [
                        *(FieldPanel(secret_field_name(spec)) for spec in secrets),
                        FieldPanel("forget_secrets"),
                    ],
                    heading=_("Secrets (write-only)"),
                )
            )
    return ObjectList(
        panels, base_form_class=connector_form_class(type_class)
    ).bind_to_model(ConnectorConfig)
