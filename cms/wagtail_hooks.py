from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import (
    IndexView,
    SnippetViewSetGroup,
)

from .admin_views.breadcrumbs import TranslatedSnippetViewSet
from .admin_views.employees import EmployeeViewSet
from .admin_views.handovers import HandoverViewSet
from .admin_views.intake.bulk_actions import StartHandoversBulkAction
from .admin_views.intake.people import people_search
from .admin_views.intake.rules import StartRuleViewSet
from .admin_views.intake.viewset import IntakeViewSet
from .admin_views.permissions import (
    EmployeePermissionPolicy,
    HRAdminOrModelPermissionPolicy,
)
from .admin_views.tokens import TokenIndexView
from .admin_views.workflow_messages import ChecklistTemplatePageViewSet
from .auth.tokens import can_manage_tokens
from .exports import SafeSpreadsheetExportMixin
from .hooks import PARTICIPANT_PANELS
from .models import Department, Employee, Handover, Role, StartRule
from .participant.successor_pick import successor_panel

# Before any viewset asks for it, or Wagtail falls back to model permissions.
register_permission_policy(Employee, EmployeePermissionPolicy(Employee))
# Start rules decide what intake starts: HR's to set, like the employee archive.
register_permission_policy(StartRule, HRAdminOrModelPermissionPolicy(StartRule))


class OrganisationIndexView(SafeSpreadsheetExportMixin, IndexView):
    """A snippet list that downloads as XLSX / CSV (``list_export``)."""


class RoleViewSet(TranslatedSnippetViewSet):
    model = Role
    icon = "user"
    menu_label = _("Roles")
    index_view_class = OrganisationIndexView
    list_display = ["name", "code"]
    list_export = ["name", "code", "description"]
    export_filename = "roles"
    search_fields = ["name", "code"]
    ordering = ["name"]
    list_per_page = 50


class DepartmentViewSet(TranslatedSnippetViewSet):
    model = Department
    icon = "group"
    menu_label = _("Departments")
    index_view_class = OrganisationIndexView
    list_display = ["name", "code", "parent", "head"]
    list_export = ["name", "code", "parent", "head"]
    export_filename = "departments"
    list_filter = ["parent"]
    search_fields = ["name", "code"]
    ordering = ["name"]
    list_per_page = 50

    def get_queryset(self, request):
        return Department.objects.select_related("parent", "head")


class OrganisationGroup(SnippetViewSetGroup):
    items = (EmployeeViewSet, RoleViewSet, DepartmentViewSet, StartRuleViewSet)
    menu_icon = "site"
    menu_label = _("Organisation")
    menu_name = "organisation"


register_snippet(OrganisationGroup)


@hooks.register("register_admin_viewset")
def register_handover_viewset():
    return HandoverViewSet()


@hooks.register("register_admin_viewset")
def register_intake_viewset():
    return IntakeViewSet()


@hooks.register("register_admin_viewset")
def register_template_page_viewset():
    # Approve / request changes on a template says what happened.
    return ChecklistTemplatePageViewSet()


hooks.register("register_bulk_action", StartHandoversBulkAction)


@hooks.register("register_admin_urls")
def api_token_admin_urls():
    return [path("api-tokens/", TokenIndexView.as_view(), name="cms_api_tokens")]


@hooks.register("register_admin_urls")
def people_search_urls():
    return [path("people/search/", people_search, name="cms_people_search")]


class TokenAdminMenuItem(MenuItem):
    def is_shown(self, request):
        return can_manage_tokens(request.user)


@hooks.register("register_settings_menu_item")
def api_tokens_menu_item():
    return TokenAdminMenuItem(
        _("API tokens"), reverse("cms_api_tokens"), icon_name="key", order=900
    )


# After the connectors' panels (orders 10 and 20), as the page always showed them.
hooks.register(PARTICIPANT_PANELS, successor_panel, order=30)


@hooks.register("before_delete_page")
def keep_templates_that_handovers_came_from(request, page):
    """A handover pins its template's revision: deleting the template (or the
    library holding it) would cut that link. Unpublish it instead."""
    in_use = Handover.objects.filter(
        template__path__startswith=page.path, template__depth__gte=page.depth
    )
    if not in_use.exists():
        return None
    messages.error(
        request,
        _(
            "“%(title)s” cannot be deleted: %(count)d handover(s) were started from "
            "it. Unpublish it instead so no new handover uses it."
        )
        % {"title": page.get_admin_display_title(), "count": in_use.count()},
    )
    return redirect("wagtailadmin_explore", page.get_parent().pk)


# Data retention (issue 20): policies, legal holds, purge runs; HR admins only.
@hooks.register("register_admin_urls")
def retention_admin_urls():
    from .admin_views.retention import retention_urls

    return retention_urls()


@hooks.register("register_admin_menu_item")
def retention_admin_menu_item():
    from .admin_views.retention import retention_menu_item

    return retention_menu_item()
