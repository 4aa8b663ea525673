"""Connector configs in the admin: adding one starts with its type, the form
then shows that type's own settings and write-only secrets
(``connector_form``); "Test connection" is a button on the list and on the
edit page; the list downloads as XLSX / CSV (never a secret or a setting)."""

import django_filters
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.snippets.views.snippets import (
    CreateView,
    EditView,
    IndexView,
)

from cms.admin_views.breadcrumbs import TranslatedSnippetViewSet
from cms.errors import BatonError
from cms.exports import SafeSpreadsheetExportMixin

from .. import services
from ..models import ConnectorConfig
from ..permissions import can_manage_connectors
from ..registry import get_type, type_choices, types
from .columns import ConnectionColumn, YesNoColumn
from .connector_form import ConnectorFormBase, connector_edit_handler

__all__ = [
    "ConnectorCreateView",
    "ConnectorEditView",
    "ConnectorFormBase",
    "ConnectorIndexView",
    "ConnectorTestView",
    "ConnectorViewSet",
]

INDEX_URL = "wagtailsnippets_connectors_connectorconfig:list"
EDIT_URL = "wagtailsnippets_connectors_connectorconfig:edit"


def _type_of(slug):
    try:
        return get_type(slug or "")
    except LookupError:
        return None


class ConnectorIndexView(SafeSpreadsheetExportMixin, IndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        buttons.append(
            MenuItem(
                _("Sync log"),
                url=reverse("sync_runs:index") + f"?connector={instance.pk}",
                icon_name="history",
                priority=30,
            )
        )
        return buttons


class ConnectorCreateView(CreateView):
    """Without a type (``?type=``), the list of types to choose from; with
    one, the form of that type."""

    page_title = _("New")

    def setup(self, request, *args, **kwargs):
        # Before super(): the panels are built for the type in setup().
        self.connector_type = _type_of(
            request.GET.get("type") or request.POST.get("type")
        )
        super().setup(request, *args, **kwargs)

    def get_panel(self):
        return connector_edit_handler(self.connector_type)

    def get_form_class(self):
        return self.panel.get_form_class()

    def post(self, request, *args, **kwargs):
        if self.connector_type is None:
            return self.get(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)

    def get_add_url(self):
        url = super().get_add_url()
        if self.connector_type is not None:
            separator = "&" if "?" in url else "?"
            url = f"{url}{separator}type={self.connector_type.slug}"
        return url

    def get_page_subtitle(self):
        if self.connector_type is None:
            return gettext("Choose the type of connector")
        return gettext("%(type)s connector") % {"type": self.connector_type.label}

    def get_template_names(self):
        if self.connector_type is None:
            return ["connectors/admin/connector_choose_type.html"]
        return super().get_template_names()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.connector_type is None:
            # No form yet: no status or usage side panels either.
            context["side_panels"] = None
            add_url = reverse("wagtailsnippets_connectors_connectorconfig:add")
            registered = types()
            context["connector_types"] = [
                {
                    "label": label,
                    "description": registered[slug].description,
                    "url": f"{add_url}?type={slug}",
                }
                for slug, label in type_choices()
            ]
        return context


class ConnectorEditView(EditView):
    """The form of the connector's type, and the connection test above it."""

    def get_panel(self):
        return connector_edit_handler(_type_of(self.object.type))

    def get_form_class(self):
        return self.panel.get_form_class()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["connector"] = self.object
        context["test_url"] = reverse("connectors_test", args=[self.object.pk])
        context["next_url"] = reverse(EDIT_URL, args=[self.object.pk])
        return context


class ConnectorFilterSet(WagtailFilterSet):
    type = django_filters.ChoiceFilter(label=_("Type"), choices=type_choices)

    class Meta:
        model = ConnectorConfig
        fields = ["type", "enabled"]


class ConnectorViewSet(TranslatedSnippetViewSet):
    model = ConnectorConfig
    icon = "download"
    menu_label = _("Connectors")
    menu_name = "connectors"
    list_display = [
        "name",
        "slug",
        Column("type", label=_("Type"), accessor="get_type_display"),
        YesNoColumn(
            "enabled",
            label=capfirst(ConnectorConfig._meta.get_field("enabled").verbose_name),
            true_text=_("Enabled"),
            false_text=_("Disabled"),
        ),
        ConnectionColumn("last_test_ok", label=_("Connection")),
    ]
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
    filterset_class = ConnectorFilterSet
    search_fields = ["name", "slug"]
    ordering = ["name"]
    list_per_page = 50
    index_view_class = ConnectorIndexView
    add_view_class = ConnectorCreateView
    edit_view_class = ConnectorEditView
    edit_template_name = "connectors/admin/connector_edit.html"
    copy_view_enabled = False

    def get_edit_handler(self):
        # The connector's own fields; the add and edit views build the panels
        # of the type they show (``connector_edit_handler``).
        return connector_edit_handler(None)


class ConnectorTestView(WagtailAdminTemplateMixin, View):
    """GET shows the last result and a button; POST tests the connection now
    and goes back where the button was (the list, the edit page) or here."""

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

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(INDEX_URL), "label": _("Connectors")},
            {
                "url": reverse(EDIT_URL, args=[self.connector.pk]),
                "label": str(self.connector),
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["connector"] = self.connector
        context["edit_url"] = reverse(EDIT_URL, args=[self.connector.pk])
        return context

    def get(self, request, pk):
        return self.render_to_response(self.get_context_data())

    def post(self, request, pk):
        try:
            ok, message = services.connector_test(
                actor=request.user, connector=self.connector
            )
        except BatonError as error:
            ok, message = False, str(error.message)
        result = (
            gettext("Connection to “%(name)s” works: %(result)s")
            if ok
            else gettext("Connection to “%(name)s” failed: %(result)s")
        ) % {"name": self.connector.name, "result": message}
        (messages.success if ok else messages.error)(request, result)
        return redirect(self._next_url(request))

    def _next_url(self, request):
        next_url = request.POST.get("next", "")
        if next_url and url_has_allowed_host_and_scheme(
            next_url,
            allowed_hosts={request.get_host()},
            require_https=request.is_secure(),
        ):
            return next_url
        return reverse("connectors_test", args=[self.connector.pk])
