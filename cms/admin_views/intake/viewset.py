"""The "Intake" menu of HR admins: the queue of resignation events and bulk
start, under ``/admin/intake/``."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.model import ModelViewSet

from cms.models import ResignationEvent

from .bulk import BulkPreviewView, BulkResultsView, BulkSampleView, BulkUploadView
from .decide import EventChangeView, EventDismissView, EventStartView
from .queue import EventFilterSet, EventIndexView, IntakeMenuItem

__all__ = ["IntakeViewSet"]


class IntakeViewSet(ModelViewSet):
    """Read and decide only: events are written by intake, never edited."""

    model = ResignationEvent
    name = "intake"
    icon = "clipboard-list"
    menu_label = _("Intake")
    menu_name = "intake"
    menu_order = 151
    add_to_admin_menu = True
    menu_item_class = IntakeMenuItem

    index_view_class = EventIndexView
    filterset_class = EventFilterSet
    search_fields = ["employee__name", "employee__employee_number", "external_id"]
    search_backend_name = None
    ordering = "-received_at"
    list_per_page = 50
    copy_view_enabled = False
    inspect_view_enabled = False
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
        index_url = self.get_url_name("index")
        views = {
            "start": EventStartView.as_view(index_url_name=index_url),
            "change": EventChangeView.as_view(index_url_name=index_url),
            "dismiss": EventDismissView.as_view(index_url_name=index_url),
        }
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("<int:pk>/start/", views["start"], name="start"),
            path("<int:pk>/change/", views["change"], name="change"),
            path("<int:pk>/dismiss/", views["dismiss"], name="dismiss"),
            path("bulk/", BulkUploadView.as_view(), name="bulk"),
            path("bulk/sample/", BulkSampleView.as_view(), name="bulk_sample"),
            path("bulk/<str:token>/", BulkPreviewView.as_view(), name="bulk_preview"),
            path(
                "bulk/<str:token>/results/",
                BulkResultsView.as_view(),
                name="bulk_results",
            ),
        ]

    def register_admin_url_finder(self):
        pass

    def register_permissions(self):
        # HR admins only (HRAdminRequiredMixin), not model permissions.
        pass
