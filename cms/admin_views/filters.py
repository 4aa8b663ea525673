"""Filters of the HR listings (django-filter, shown in Wagtail's filter panel)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet

from cms.models import ChecklistTemplatePage, Department, Employee, Handover

__all__ = ["EmployeeFilterSet", "HandoverFilterSet", "overdue_condition"]


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

    def filter_overdue(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(overdue_condition())
        if value == "no":
            return queryset.exclude(overdue_condition())
        return queryset
