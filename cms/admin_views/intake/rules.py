"""The start rules, a snippet under "Organisation": in priority order, each
row saying whom it applies to and what a start gets from it."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.snippets.views.snippets import IndexView

from cms.exports import SafeSpreadsheetExportMixin
from cms.models import StartRule

from ..breadcrumbs import TranslatedSnippetViewSet
from ..forms import user_picker
from .people import person_label

__all__ = ["StartRuleViewSet", "rule_conditions", "rule_gives"]

Policy = StartRule.SuccessorPolicy


def rule_conditions(rule: StartRule) -> str:
    """Whom the rule applies to, in words."""
    if rule.is_fallback:
        return gettext("Anyone no other rule matches (fallback)")
    conditions = []
    if rule.role_id:
        conditions.append(gettext("Role: %(role)s") % {"role": rule.role.name})
    if rule.department_id:
        conditions.append(
            gettext("Department: %(department)s and its sub-departments")
            % {"department": rule.department.name}
        )
    if rule.position_contains.strip():
        conditions.append(
            gettext("Position contains “%(text)s”")
            % {"text": rule.position_contains.strip()}
        )
    return " · ".join(conditions) or gettext("Everyone")


def rule_gives(rule: StartRule) -> str:
    """What a start gets from the rule, in words."""
    if rule.template_id:
        template = gettext("Template “%(template)s”") % {"template": rule.template}
    else:
        template = gettext("The best template in %(language)s") % {
            "language": rule.get_language_display()
        }
    if rule.successor_policy == Policy.NAMED and rule.successor_id:
        successor = gettext("successor %(name)s") % {
            "name": person_label(rule.successor)
        }
    elif rule.successor_policy == Policy.MANAGER_CHOICE:
        successor = gettext("the manager picks the successor within %(days)d days") % {
            "days": rule.manager_choice_days
        }
    else:
        successor = gettext("successor: %(policy)s") % {
            "policy": rule.get_successor_policy_display().lower()
        }
    parts = [template, successor]
    if rule.it_group.strip():
        parts.append(gettext("IT: group “%(group)s”") % {"group": rule.it_group})
    if rule.due_offset_days is not None:
        parts.append(
            gettext("due %(days)d days before the last working day")
            % {"days": rule.due_offset_days}
        )
    return " · ".join(parts)


class StartRuleIndexView(SafeSpreadsheetExportMixin, IndexView):
    pass


class StartRuleViewSet(TranslatedSnippetViewSet):
    model = StartRule
    icon = "sliders"
    menu_label = _("Start rules")
    index_view_class = StartRuleIndexView
    list_display = [
        Column("priority", label=_("Priority"), sort_key="priority"),
        "name",
        Column("conditions", label=_("Applies to"), accessor=rule_conditions),
        Column("gives", label=_("Gives"), accessor=rule_gives),
        BooleanColumn("active", label=_("Active"), sort_key="active"),
    ]
    list_export = [
        "priority",
        "name",
        "active",
        "is_fallback",
        "role",
        "department",
        "position_contains",
        "language",
        "template",
        "successor_policy",
        "successor",
        "manager_choice_days",
        "it_group",
        "due_offset_days",
    ]
    export_filename = "start-rules"
    list_filter = ["active", "successor_policy"]
    search_fields = ["name"]
    search_backend_name = None
    ordering = ["priority", "pk"]
    list_per_page = 50
    copy_view_enabled = True
    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("priority")]),
        FieldRowPanel([FieldPanel("active"), FieldPanel("is_fallback")]),
        MultiFieldPanel(
            [
                FieldPanel("role"),
                FieldPanel("department"),
                FieldPanel("position_contains"),
            ],
            heading=_("Applies to"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("language"),
                FieldPanel("template"),
                FieldPanel("successor_policy"),
                # One person among everyone: searched, not listed.
                FieldPanel("successor", widget=user_picker()),
                FieldPanel("manager_choice_days"),
                FieldPanel("it_group"),
                FieldPanel("due_offset_days"),
            ],
            heading=_("Gives"),
        ),
    ]

    def get_queryset(self, request):
        return StartRule.objects.select_related(
            "role", "department", "template", "successor"
        )
