from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Department, Role


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
    items = (RoleViewSet, DepartmentViewSet)
    menu_icon = "site"
    menu_label = _("Organisation")
    menu_name = "organisation"


register_snippet(OrganisationGroup)
