"""Connector configs in the admin: secrets are write-only, a "test
connection" page, and the list as XLSX / CSV (never a secret or a setting)."""

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet

from cms.errors import BatonError
from cms.exports import SafeSpreadsheetExportMixin

from .. import services
from ..models import ConnectorConfig
from ..permissions import can_manage_connectors
from ..registry import type_choices, types

__all__ = [
    "ConnectorFormBase",
    "ConnectorIndexView",
    "ConnectorTestView",
    "ConnectorViewSet",
]


def _secret_specs():
    """Every secret any type declares, one field per name."""
    specs = {}
    for type_class in types().values():
        for spec in type_class.setting_specs(secret=True):
            specs.setdefault(spec.name, (spec, []))[1].append(str(type_class.label))
    return specs


def _settings_help() -> str:
    lines = []
    for slug, type_class in sorted(types().items()):
        names = [
            f"{spec.name}{'*' if spec.required and spec.default in (None, '') else ''}"
            for spec in type_class.settings
            if not spec.secret
        ]
        lines.append(f"{slug}: {', '.join(names) or '—'}")
    return gettext("A JSON object. Settings per type (* required): %(list)s") % {
        "list": "; ".join(lines)
    }


class ConnectorFormBase(WagtailAdminModelForm):
    """Secrets are typed into password fields that never show the stored value:
    left empty, a secret is kept; "forget" deletes it."""

    type = forms.ChoiceField(label=_("Type"), choices=())
    settings = forms.JSONField(
        label=_("Settings"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "class": "monospace"}),
    )
    forget_secrets = forms.BooleanField(
        label=_("Forget all stored secrets"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = type_choices()
        self.fields["settings"].help_text = _settings_help()
        stored = set(self.instance.secret_names) if self.instance.pk else set()
        for name, (_spec, type_labels) in _secret_specs().items():
            state = (
                gettext("A value is stored; leave empty to keep it.")
                if name in stored
                else gettext("Nothing stored.")
            )
            self.fields[
                f"secret_{name}"
            ].help_text = f"{', '.join(type_labels)}. {state}"

    def secrets(self):
        if self.cleaned_data.get("forget_secrets"):
            return dict.fromkeys(self.instance.secret_names, "")
        return {
            name: self.cleaned_data[f"secret_{name}"]
            for name in _secret_specs()
            if self.cleaned_data.get(f"secret_{name}")
        }

    def _data(self):
        data = {
            field: self.cleaned_data.get(field)
            for field in (
                "type",
                "name",
                "slug",
                "enabled",
                "match_by",
                "sync_interval_minutes",
            )
        }
        data["settings"] = self.cleaned_data.get("settings") or {}
        secrets = self.secrets()
        if secrets:
            data["secrets"] = secrets
        return data

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        from ..registry import get_type
        from ..services.configs import _settings_errors

        try:
            type_class = get_type(cleaned.get("type"))
        except LookupError as error:
            self.add_error("type", str(error))
            return cleaned
        for message in _settings_errors(type_class, cleaned.get("settings") or {}).get(
            "settings", []
        ):
            self.add_error("settings", message)
        allowed = {spec.name for spec in type_class.setting_specs(secret=True)}
        for name in self.secrets():
            if name not in allowed and not cleaned.get("forget_secrets"):
                self.add_error(
                    f"secret_{name}",
                    gettext("A %(type)s connector has no such secret.")
                    % {"type": type_class.label},
                )
        return cleaned

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


def _connector_form_class():
    """The form with one write-only password field per secret name the
    registered types declare (declared fields, so Wagtail's panels find them)."""
    fields = {
        f"secret_{name}": forms.CharField(
            label=spec.label,
            required=False,
            strip=False,
            widget=forms.PasswordInput(
                render_value=False, attrs={"autocomplete": "new-password"}
            ),
        )
        for name, (spec, _labels) in sorted(_secret_specs().items())
    }
    return type("ConnectorForm", (ConnectorFormBase,), fields)


class ConnectorIndexView(SafeSpreadsheetExportMixin, IndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        buttons.append(
            MenuItem(
                _("Test connection"),
                url=reverse("connectors_test", args=[instance.pk]),
                icon_name="link",
                priority=20,
            )
        )
        buttons.append(
            MenuItem(
                _("Sync log"),
                url=reverse("sync_runs:index") + f"?connector={instance.pk}",
                icon_name="history",
                priority=30,
            )
        )
        return buttons


class ConnectorViewSet(SnippetViewSet):
    model = ConnectorConfig
    icon = "download"
    menu_label = _("Connectors")
    menu_name = "connectors"
    list_display = ["name", "slug", "get_type_display", "enabled", "last_test_ok"]
    # What a connector is and how it last did; its settings and secrets never
    # leave the admin.
    list_export = [
        "name",
        "slug",
        "type",
        "enabled",
        "match_by",
        "sync_interval_minutes",
        "transfer_on_accept",
        "last_tested_at",
        "last_test_ok",
        "last_test_message",
    ]
    export_headings = {
        "last_tested_at": _("Last tested"),
        "last_test_ok": _("Last test passed"),
        "last_test_message": _("Last test result"),
    }
    export_filename = "connectors"
    list_filter = ["type", "enabled"]
    search_fields = ["name", "slug"]
    ordering = ["name"]
    list_per_page = 50
    index_view_class = ConnectorIndexView
    copy_view_enabled = False

    def get_edit_handler(self):
        # Built when the admin's URLs are, after every app's hooks have listed
        # their types: one password field per secret any of them declares.
        secrets = sorted(_secret_specs())
        return ObjectList(
            [
                FieldRowPanel([FieldPanel("name"), FieldPanel("slug")]),
                FieldRowPanel([FieldPanel("type"), FieldPanel("enabled")]),
                FieldRowPanel(
                    [FieldPanel("match_by"), FieldPanel("sync_interval_minutes")]
                ),
                FieldPanel("settings"),
                MultiFieldPanel(
                    [
                        *(FieldPanel(f"secret_{name}") for name in secrets),
                        FieldPanel("forget_secrets"),
                    ],
                    heading=_("Secrets (write-only)"),
                ),
            ],
            base_form_class=_connector_form_class(),
        ).bind_to_model(self.model)


class ConnectorTestView(WagtailAdminTemplateMixin, View):
    """GET shows the last result and a button; POST tests the connection now."""

    template_name = "connectors/admin/test_connection.html"
    page_title = _("Test connection")
    header_icon = "link"

    def dispatch(self, request, *args, **kwargs):
        if not can_manage_connectors(request.user):
            raise Http404
        self.connector = get_object_or_404(ConnectorConfig, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.connector)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["connector"] = self.connector
        context["edit_url"] = reverse(
            "wagtailsnippets_connectors_connectorconfig:edit", args=[self.connector.pk]
        )
        return context

    def get(self, request, pk):
        return self.render_to_response(self.get_context_data())

    def post(self, request, pk):
        ok, message = services.connector_test(
            actor=request.user, connector=self.connector
        )
        if ok:
            messages.success(request, message)
        else:
            messages.error(request, message)
        return redirect("connectors_test", pk)
