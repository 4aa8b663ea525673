"""HR's intake queue: every resignation event a source reported and what
became of it. Proposed events start, change or go away with one click
(``decide``); refused ones say why and offer to start by hand."""

import django_filters
from django import forms
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem as LinkMenuItemComponent
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.admin.views.generic import IndexView

from cms.exports import SafeSpreadsheetExportMixin
from cms.models import ResignationEvent
from cms.permissions import is_hr_admin

from ..links import participant_url
from ..permissions import HRAdminRequiredMixin

__all__ = [
    "UNDECIDED",
    "EventActionsColumn",
    "EventFilterSet",
    "EventIndexView",
    "IntakeMenuItem",
    "employee_text",
    "proposals_waiting",
    "start_by_hand_url",
]

State = ResignationEvent.State
UNDECIDED = ResignationEvent.UNDECIDED_STATES


def proposals_waiting() -> int:
    return ResignationEvent.objects.filter(state=State.PROPOSED).count()


class IntakeMenuItem(MenuItem):
    """HR only, with the number of proposals waiting for them."""

    def is_shown(self, request):
        return is_hr_admin(request.user)

    def render_component(self, request):
        waiting = proposals_waiting()
        label = self.label
        if waiting:
            label = _("%(label)s (%(count)d waiting)") % {
                "label": self.label,
                "count": waiting,
            }
        return LinkMenuItemComponent(
            self.name,
            label,
            self.url,
            icon_name=self.icon_name,
            classname=self.classname,
            attrs=self.attrs,
        )


class EventFilterSet(WagtailFilterSet):
    state = django_filters.MultipleChoiceFilter(
        label=_("State"),
        choices=State.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    source = django_filters.MultipleChoiceFilter(
        label=_("Source"),
        choices=ResignationEvent.Source.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ResignationEvent
        fields = []


def employee_text(event: ResignationEvent) -> str:
    """The employee, or what the event said when nobody matched (for an
    event that could not be read, what its spreadsheet row said)."""
    if event.employee is not None:
        return str(event.employee)
    said = event.employee_ref or {
        key: value
        for key, value in (event.payload or {}).get("cells", {}).items()
        if key in ("employee", "number", "email") and value
    }
    reference = ", ".join(f"{key}: {value}" for key, value in said.items())
    return _("Unknown (%(reference)s)") % {"reference": reference or "—"}


def start_by_hand_url(event: ResignationEvent) -> str:
    """The handover start form, filled in with what the event said."""
    query = []
    if event.employee_id:
        query.append(f"employee={event.employee_id}")
    for name in ("resignation_date", "last_working_day"):
        value = getattr(event, name)
        if value:
            query.append(f"{name}={value.isoformat()}")
    url = reverse("handovers:start")
    return f"{url}?{'&'.join(query)}" if query else url


class EventActionsColumn(Column):
    """What HR can do with an event, one click each."""

    cell_template_name = "cms/admin/intake/event_actions_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        context.update(
            csrf_token=get_token(request) if request is not None else "",
            undecided=instance.state in UNDECIDED,
            start_url=reverse("intake:start", args=[instance.pk]),
            change_url=reverse("intake:change", args=[instance.pk]),
            dismiss_url=reverse("intake:dismiss", args=[instance.pk]),
            by_hand_url=start_by_hand_url(instance),
            handover_url=participant_url(instance.handover_id)
            if instance.handover_id
            else "",
        )
        return context


class OutcomeColumn(Column):
    """What happened: the handover, the refusal and why, or the plan."""

    cell_template_name = "cms/admin/intake/event_outcome_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["handover_url"] = (
            participant_url(instance.handover_id) if instance.handover_id else ""
        )
        # Refusals say why on their own; the plan is what HR decides on.
        context["explanations"] = (
            (instance.plan or {}).get("explanations", [])
            if instance.state == State.PROPOSED
            else []
        )
        return context


class EventIndexView(HRAdminRequiredMixin, SafeSpreadsheetExportMixin, IndexView):
    page_title = _("Intake")
    export_filename = "intake"
    list_export = [
        "received_at",
        "source",
        "connector_slug",
        "external_id",
        "employee.employee_number",
        "employee.name",
        "resignation_date",
        "last_working_day",
        "reason",
        "state",
        "refusal",
        "handover.number",
        "decided_at",
        "decided_by",
        "decision_note",
        "duplicates",
    ]
    export_headings = {
        "received_at": _("Received"),
        "source": _("Source"),
        "connector_slug": _("Connector"),
        "external_id": _("Event id"),
        "employee.employee_number": _("Employee number"),
        "employee.name": _("Employee"),
        "resignation_date": _("Resignation date"),
        "last_working_day": _("Last working day"),
        "reason": _("Reason"),
        "state": _("State"),
        "refusal": _("Refusal"),
        "handover.number": _("Handover number"),
        "decided_at": _("Decided at"),
        "decided_by": _("Decided by"),
        "decision_note": _("Note"),
        "duplicates": _("Received again"),
    }

    def get_base_queryset(self):
        return ResignationEvent.objects.select_related(
            "employee__department", "handover", "decided_by"
        )

    @cached_property
    def columns(self):
        return [
            DateColumn("received_at", label=_("Received"), sort_key="received_at"),
            Column(
                "employee",
                label=_("Employee"),
                accessor=employee_text,
                sort_key="employee__name",
            ),
            Column("source", label=_("Source"), accessor="get_source_display"),
            StatusTagColumn(
                "state",
                label=_("State"),
                accessor="get_state_display",
                sort_key="state",
                primary=lambda event: event.state == State.PROPOSED,
            ),
            Column(
                "last_working_day",
                label=_("Last working day"),
                sort_key="last_working_day",
            ),
            OutcomeColumn("outcome", label=_("What happened")),
            EventActionsColumn("actions", label=_("Actions")),
        ]

    def get_list_more_buttons(self, instance):
        # Every action is a button of its own in the "Actions" column.
        return []

    @cached_property
    def no_results_message(self):
        if self.is_searching or self.is_filtering:
            return _("No event matches your search and filters.")
        return _(
            "No resignation event yet: events from the HR webhook, Feishu and "
            "DingTalk approvals, the directory and bulk starts appear here."
        )
