"""Extra filters of the HR Handovers list, behind the dashboard's links. cms
adds them to its filter set through the ``baton_handover_list_filters`` hook
(cms does not import reports)."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .conditions import (
    BLOCKER_KINDS,
    LATE_BUCKET_LABELS,
    blocker_condition,
    late_condition,
    not_started_condition,
    stuck_condition,
)

__all__ = ["handover_list_filters"]


def _today():
    return timezone.localdate()


def _filter_late(queryset, name, value):
    if not value:
        return queryset
    return queryset.filter(late_condition(value, _today()))


def _filter_stuck(queryset, name, value):
    if value != "yes":
        return queryset
    return queryset.filter(stuck_condition(_today()))


def _filter_blocker(queryset, name, value):
    if not value:
        return queryset
    return queryset.filter(blocker_condition(value))


def _filter_not_started(queryset, name, value):
    if value != "yes":
        return queryset
    return queryset.filter(not_started_condition())


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def handover_list_filters() -> dict:
    """Name → django-filter filter (fresh instances on every call)."""
    return {
        "late": django_filters.ChoiceFilter(
            label=_("Days late"),
            choices=list(LATE_BUCKET_LABELS.items()),
            empty_label=_("Any"),
            method=_filter_late,
        ),
        "lwd_from": django_filters.DateFilter(
            label=_("Last working day from"),
            field_name="last_working_day",
            lookup_expr="gte",
            widget=_date_input(),
        ),
        "lwd_to": django_filters.DateFilter(
            label=_("Last working day to"),
            field_name="last_working_day",
            lookup_expr="lte",
            widget=_date_input(),
        ),
        "stuck": django_filters.ChoiceFilter(
            label=_("Stuck"),
            choices=[("yes", _("No activity lately"))],
            empty_label=_("Any"),
            method=_filter_stuck,
        ),
        "blocker": django_filters.ChoiceFilter(
            label=_("Blocked by"),
            choices=list(BLOCKER_KINDS.items()),
            empty_label=_("Any"),
            method=_filter_blocker,
        ),
        "not_started": django_filters.ChoiceFilter(
            label=_("Not started"),
            choices=[("yes", _("Drafts not started yet"))],
            empty_label=_("Any"),
            method=_filter_not_started,
        ),
    }
