"""Filters of the HR listings (django-filter, shown in Wagtail's filter panel).

Other apps add filters to the handover list through the Wagtail hook
``baton_handover_list_filters`` (cms imports neither connectors nor reports):
each function registered there returns a dict ``name -> django_filters.Filter``,
and the name is the query parameter. Give such filters a callable ``method``
(not a method name): they are not declared on ``HandoverFilterSet``.
"""

import copy

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet

from cms.hooks import HANDOVER_LIST_FILTERS
from cms.models import ChecklistTemplatePage, Department, Employee, Handover

__all__ = [
    "HANDOVER_LIST_FILTERS_HOOK",
    "EmployeeFilterSet",
    "HandoverFilterSet",
    "hooked_handover_filters",
    "overdue_condition",
]

HANDOVER_LIST_FILTERS_HOOK = HANDOVER_LIST_FILTERS


def overdue_condition() -> Q:
    """Still open, and the last working day has passed."""
    return Q(
        state__in=Handover.OPEN_STATES,
        last_working_day__lt=timezone.localdate(),
    )


class EmployeeFilterSet(WagtailFilterSet):
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), queryset=Department.objects.order_by("name")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=Employee.Status.choices,
        empty_label=_("Any"),
        widget=forms.RadioSelect,
    )
    manager = django_filters.ModelChoiceFilter(
        label=_("Manager"),
        queryset=Employee.objects.filter(reports__isnull=False)
        .distinct()
        .order_by("name"),
    )

    class Meta:
        model = Employee
        fields = []


class HandoverFilterSet(WagtailFilterSet):
    state = django_filters.MultipleChoiceFilter(
        label=_("State"),
        choices=Handover.State.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department"),
        field_name="employee__department",
        queryset=Department.objects.order_by("name"),
    )
    overdue = django_filters.ChoiceFilter(
        label=_("Overdue"),
        choices=[("yes", _("Overdue only")), ("no", _("Not overdue"))],
        empty_label=_("Any"),
        widget=forms.RadioSelect,
        method="filter_overdue",
    )
    template = django_filters.ModelChoiceFilter(
        label=_("Template"),
        queryset=ChecklistTemplatePage.objects.select_related("locale").order_by(
            "title"
        ),
    )

    class Meta:
        model = Handover
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, filter_ in hooked_handover_filters().items():
            if name in self.filters:
                continue  # a hook never replaces a filter the list declares
            # A copy per filter set, as django-filter does with declared ones:
            # a hook may hand out the same instance on every request.
            filter_ = copy.deepcopy(filter_)
            filter_.model = self.queryset.model
            filter_.parent = self
            self.filters[name] = filter_

    def filter_overdue(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(overdue_condition())
        if value == "no":
            return queryset.exclude(overdue_condition())
        return queryset


def hooked_handover_filters() -> dict:
    """The filters other apps add to the handover list, in hook order."""
    filters = {}
    for hook in hooks.get_hooks(HANDOVER_LIST_FILTERS_HOOK):
        for name, filter_ in (hook() or {}).items():
            filters.setdefault(name, filter_)
    return filters
