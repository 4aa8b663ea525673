"""Baton's reports in the Wagtail admin: the dashboard on the admin home, one
Reports menu item per report, the report pages, and the Handovers list filters
the dashboard's numbers link to.

People with a reporting scope (HR, IT) get Baton's panels in place of
Wagtail's page-centric ones; everyone else keeps Wagtail's home as it is.
"""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.home import (
    LockedPagesPanel,
    RecentEditsPanel,
    UserObjectsInWorkflowModerationPanel,
    WhatsNewInWagtailVersionPanel,
)
from wagtail.admin.widgets.button import ListingButton

from cms.hooks import API_V1_URLS, HANDOVER_LIST_FILTERS
from cms.models import Employee
from cms.permissions import is_hr_admin

from .admin_views import REPORT_ICONS, ReportIndexView, ReportView
from .admin_views.presenters import request_scope
from .admin_views.subject import (
    ErasureRequestCreateView,
    ErasureRequestIndexView,
    ErasureRequestReviewView,
    SubjectExportView,
)
from .figures import REPORTS, dashboard_for
from .figures.list_filters import handover_list_filters
from .panels import DashboardPanel

__all__ = ["HRAdminMenuItem", "ReportMenuItem"]

# Wagtail's home panels about pages (the site's content), which say nothing to
# HR or IT running handovers. Moderation of templates waiting for *their*
# review stays ("Awaiting your review"): the HR head approves templates there.
PAGE_PANELS = (
    LockedPagesPanel,
    RecentEditsPanel,
    UserObjectsInWorkflowModerationPanel,
    WhatsNewInWagtailVersionPanel,
)
# Wagtail's help menu links to its editor guide and release notes: for
# content editors, not for HR running handovers.
WAGTAIL_GUIDE_ITEMS = frozenset({"editor-guide"})
WAGTAIL_GUIDE_PREFIX = "whats-new-in-wagtail"
# Our "construct" hooks run after every other app's (reports comes before
# Wagtail's apps in INSTALLED_APPS, whose hooks add the page summary items).
LAST = 1000
# Before Wagtail's own reports (locked pages: 700 and up).
MENU_ORDER_START = 100


class ReportMenuItem(MenuItem):
    """A Baton report under Reports, shown only to scopes that can see it."""

    def __init__(self, key: str, *args, **kwargs):
        self.report_key = key
        super().__init__(*args, **kwargs)

    def is_shown(self, request):
        scope = request_scope(request)
        return scope is not None and scope.can_see(self.report_key)


def _report_menu_item(key, order):
    def menu_item():
        definition = REPORTS[key]
        return ReportMenuItem(
            key,
            definition.title,
            reverse("reports_report", args=[key]),
            name=f"baton-report-{key}",
            icon_name=REPORT_ICONS.get(key, "table"),
            order=order,
        )

    menu_item.__name__ = f"register_{key.replace('-', '_')}_report_menu_item"
    return menu_item


for _position, _key in enumerate(REPORTS):
    hooks.register(
        "register_reports_menu_item",
        _report_menu_item(_key, MENU_ORDER_START + _position),
    )


@hooks.register("register_admin_urls")
def report_urls():
    return [
        path("reports/baton/", ReportIndexView.as_view(), name="reports_index"),
        path("reports/baton/<slug:key>/", ReportView.as_view(), name="reports_report"),
    ]


@hooks.register("construct_homepage_panels", order=LAST)
def baton_dashboard(request, panels):
    if request_scope(request) is None:
        return
    # cms's home template shows the dashboard alone (no page search box, no
    # editor guide link) when this is set.
    request.baton_dashboard = True
    panels[:] = [panel for panel in panels if not isinstance(panel, PAGE_PANELS)]
    panels.extend(
        DashboardPanel(panel, order=50 + index)
        for index, panel in enumerate(dashboard_for(request.user))
    )


@hooks.register("construct_homepage_summary_items", order=LAST)
def no_page_summary(request, summary_items):
    """ "8 Pages", "3 Images", "2 Documents": nothing HR or IT acts on."""
    if request_scope(request) is not None:
        summary_items[:] = []


@hooks.register("construct_help_menu", order=LAST)
def no_editor_guide(request, menu_items):
    if request_scope(request) is None:
        return
    menu_items[:] = [
        item
        for item in menu_items
        if item.name not in WAGTAIL_GUIDE_ITEMS
        and not item.name.startswith(WAGTAIL_GUIDE_PREFIX)
    ]


hooks.register(HANDOVER_LIST_FILTERS, handover_list_filters)


@hooks.register(API_V1_URLS, order=20)
def report_api_urls():
    """/api/v1/reports/ (imported when the URLconf asks for it)."""
    from .api import urlpatterns

    return urlpatterns


# A person's own data on request ---------------------------------------------


class HRAdminMenuItem(MenuItem):
    def is_shown(self, request):
        return is_hr_admin(request.user)


@hooks.register("register_admin_urls")
def subject_urls():
    return [
        path(
            "reports/subject/export/<int:pk>/",
            SubjectExportView.as_view(),
            name="reports_subject_export",
        ),
        path(
            "reports/erasure-requests/",
            ErasureRequestIndexView.as_view(),
            name="reports_erasure_requests",
        ),
        path(
            "reports/erasure-requests/add/",
            ErasureRequestCreateView.as_view(),
            name="reports_erasure_request_add",
        ),
        path(
            "reports/erasure-requests/<int:pk>/",
            ErasureRequestReviewView.as_view(),
            name="reports_erasure_request",
        ),
    ]


@hooks.register("register_admin_menu_item")
def erasure_requests_menu_item():
    return HRAdminMenuItem(
        _("Personal data requests"),
        reverse("reports_erasure_requests"),
        name="baton-personal-data-requests",
        icon_name="user",
        order=160,
    )


@hooks.register("register_snippet_listing_buttons")
def employee_data_buttons(snippet, user, next_url=None):
    """On each row of the employee archive, for HR admins."""
    if not isinstance(snippet, Employee) or not is_hr_admin(user):
        return []
    return [
        ListingButton(
            _("Export this person's data"),
            url=reverse("reports_subject_export", args=[snippet.pk]),
            icon_name="download",
            priority=60,
        ),
        ListingButton(
            _("Record an erasure request"),
            url=reverse("reports_erasure_request_add") + f"?employee={snippet.pk}",
            icon_name="bin",
            priority=61,
        ),
    ]
