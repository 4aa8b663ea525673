from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .admin_views.employees import EmployeeViewSet
from .admin_views.handovers import HandoverViewSet
from .admin_views.permissions import EmployeePermissionPolicy
from .models import Department, Employee, Role

# Before any viewset asks for it, or Wagtail falls back to model permissions.
register_permission_policy(Employee, EmployeePermissionPolicy(Employee))


class RoleViewSet(SnippetViewSet):
    model = Role
    icon = "user"
    menu_label = _("Roles")
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    ordering = ["name"]
    list_per_page = 50


class DepartmentViewSet(SnippetViewSet):
    model = Department
    icon = "group"
    menu_label = _("Departments")
    list_display = ["name", "code", "parent", "head"]
    list_filter = ["parent"]
    search_fields = ["name", "code"]
    ordering = ["name"]
    list_per_page = 50


class OrganisationGroup(SnippetViewSetGroup):
    items = (EmployeeViewSet, RoleViewSet, DepartmentViewSet)
    menu_icon = "site"
    menu_label = _("Organisation")
    menu_name = "organisation"


register_snippet(OrganisationGroup)


@hooks.register("register_admin_viewset")
def register_handover_viewset():
    return HandoverViewSet()
