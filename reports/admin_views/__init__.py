"""Baton's reports in the Wagtail admin: an index of the reports a person may
see and one page per report (filters, summary, chart, table, downloads).

Anyone whose scope cannot see a report gets 404, as for an unknown report.
"""

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton

from reports.figures import reports_for

from .presenters import (
    definition_or_404,
    export_response,
    report_page,
    request_scope,
)

__all__ = ["REPORT_ICONS", "ReportIndexView", "ReportView"]

# Wagtail's admin icons, one per report (menu and page header).
REPORT_ICONS = {
    "cycle-time": "time",
    "acceptance": "circle-check",
    "questions": "help",
    "access": "key",
    "connectors": "rotate",
    "workload": "tasks",
}
DEFAULT_ICON = "table"


class _ScopedMixin(WagtailAdminTemplateMixin):
    """Only people with a reporting scope; everyone else gets 404."""

    def dispatch(self, request, *args, **kwargs):
        self.scope = request_scope(request)
        if self.scope is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def index_breadcrumb(self):
        return {"url": reverse("reports_index"), "label": _("Baton reports")}


class ReportIndexView(_ScopedMixin, TemplateView):
    template_name = "reports/admin/index.html"
    page_title = _("Baton reports")
    header_icon = "table"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["reports"] = [
            (
                definition,
                reverse("reports_report", args=[definition.key]),
                REPORT_ICONS.get(definition.key, DEFAULT_ICON),
            )
            for definition in reports_for(self.scope)
        ]
        return context


class ReportView(_ScopedMixin, TemplateView):
    template_name = "reports/admin/report.html"

    def get(self, request, key):
        self.definition = definition_or_404(self.scope, key)
        self.page = report_page(request, self.scope, self.definition)
        download = export_response(self.page, request)
        if download is not None:
            return download
        return super().get(request, key=key)

    def get_page_title(self):
        return self.definition.title

    def get_header_icon(self):
        return REPORT_ICONS.get(self.definition.key, DEFAULT_ICON)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            self.index_breadcrumb(),
            {"url": "", "label": self.definition.title},
        ]

    def get_header_buttons(self):
        return [
            HeaderButton(label, url, icon_name="download", priority=index)
            for index, (label, url) in enumerate(self.page.downloads)
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["report_page"] = self.page
        return context
