"""What connectors did, in the admin: the sync log and the write-backs (read
only, each list downloadable as XLSX / CSV), and running a failed write-back
again."""

import json

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.models import IndexView as ModelIndexView
from wagtail.admin.viewsets.model import ModelViewSet, ViewSetGroup

from cms.errors import BatonError
from cms.exports import SafeSpreadsheetExportMixin

from ..models import SyncRun, Transfer
from ..permissions import can_manage_connectors

__all__ = [
    "ConnectorWorkGroup",
    "SyncRunViewSet",
    "TransferRetryView",
    "TransferViewSet",
]


class ReadOnlyViewSet(ModelViewSet):
    """A listing and an inspect page: rows written by Baton, never by hand."""

    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_reference_index = False

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            **{
                "add_url_name": None,
                "edit_url_name": None,
                "delete_url_name": None,
                "history_url_name": None,
                "usage_url_name": None,
                **kwargs,
            }
        )

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<str:pk>/", self.inspect_view, name="inspect"),
        ]

    def register_permissions(self):
        pass


def errors_text(errors) -> str:
    """A run's errors as one cell: the JSON list, readable."""
    if not errors:
        return ""
    return json.dumps(errors, ensure_ascii=False)


class SyncRunIndexView(SafeSpreadsheetExportMixin, ModelIndexView):
    custom_field_preprocess = {
        "errors": {
            SafeSpreadsheetExportMixin.FORMAT_CSV: errors_text,
            SafeSpreadsheetExportMixin.FORMAT_XLSX: errors_text,
        }
    }

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("connector", "handover")


class SyncRunViewSet(ReadOnlyViewSet):
    """The sync log: every run of every connector, newest first."""

    model = SyncRun
    name = "sync_runs"
    icon = "history"
    menu_label = _("Sync log")
    index_view_class = SyncRunIndexView
    list_display = [
        "started_at",
        "connector",
        "handover",
        "trigger",
        "state",
        "done",
        "seen",
        "created",
        "updated",
        "resolved",
        "skipped",
    ]
    list_export = [
        "started_at",
        "finished_at",
        "connector",
        "handover.number",
        "trigger",
        "state",
        "attempt",
        "done",
        "total",
        "seen",
        "created",
        "updated",
        "resolved",
        "skipped",
        "conflicts",
        "request_id",
        "errors",
    ]
    export_headings = {"handover.number": _("Handover")}
    export_filename = "sync-log"
    list_filter = ["connector", "state", "trigger"]
    search_fields = ["handover__number", "request_id"]
    search_backend_name = None
    ordering = "-started_at"
    list_per_page = 50
    inspect_view_fields = [
        "connector",
        "handover",
        "block_id",
        "trigger",
        "state",
        "attempt",
        "resumed_from",
        "worker",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "done",
        "total",
        "seen",
        "created",
        "updated",
        "resolved",
        "skipped",
        "conflicts",
        "request_id",
        "errors",
    ]


class TransferIndexView(SafeSpreadsheetExportMixin, ModelIndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("connector", "handover", "successor")
        )

    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if instance.state == Transfer.State.FAILED:
            buttons.append(
                MenuItem(
                    _("Run again"),
                    url=reverse("connectors_transfer_retry", args=[instance.pk]),
                    icon_name="rotate",
                    priority=10,
                )
            )
        buttons.append(
            MenuItem(
                _("Open the handover"),
                url=reverse("participant:detail", args=[instance.handover_id])
                + f"#item-{instance.item_id}",
                icon_name="link-external",
                priority=20,
            )
        )
        return buttons


class TransferViewSet(ReadOnlyViewSet):
    """IT/HR's queue of write-backs: pending and failed ones first."""

    model = Transfer
    name = "write_backs"
    icon = "resubmit"
    menu_label = _("Write-backs")
    index_view_class = TransferIndexView
    list_display = [
        "requested_at",
        "preview",
        "handover",
        "connector",
        "state",
        "attempts",
        "error",
    ]
    list_export = [
        "requested_at",
        "finished_at",
        "preview",
        "handover.number",
        "connector",
        "external_id",
        "successor",
        "state",
        "attempts",
        "retry_at",
        "error",
        "request_id",
    ]
    export_headings = {"handover.number": _("Handover")}
    export_filename = "write-backs"
    list_filter = ["state", "connector"]
    search_fields = ["external_id", "handover__number", "preview"]
    search_backend_name = None
    ordering = "-requested_at"
    list_per_page = 50
    inspect_view_fields = [
        "preview",
        "handover",
        "item",
        "connector",
        "external_id",
        "successor",
        "state",
        "attempts",
        "retry_at",
        "error",
        "request_id",
        "response",
        "requested_at",
        "finished_at",
    ]


class TransferRetryView(WagtailAdminTemplateMixin, View):
    """Confirm, then run a failed write-back again."""

    template_name = "connectors/admin/transfer_retry.html"
    page_title = _("Run the write-back again")
    header_icon = "rotate"

    def dispatch(self, request, *args, **kwargs):
        if not can_manage_connectors(request.user):
            raise Http404
        self.transfer = get_object_or_404(Transfer, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["transfer"] = self.transfer
        context["index_url"] = reverse("write_backs:index")
        return context

    def get(self, request, pk):
        return self.render_to_response(self.get_context_data())

    def post(self, request, pk):
        from ..writeback import transfer_retry

        try:
            transfer_retry(actor=request.user, transfer=self.transfer)
        except BatonError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, gettext("Queued: the write-back runs again."))
        return redirect("write_backs:index")


class ConnectorWorkGroup(ViewSetGroup):
    items = (TransferViewSet, SyncRunViewSet)
    menu_icon = "download"
    menu_label = _("Connector work")
    menu_name = "connector_work"
