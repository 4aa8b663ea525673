"""Shared by the reports: rows of handovers grouped by month, department, role
or template, and the labels of those groups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date

from django.utils.translation import gettext_lazy as _

from .filters import GROUPS, ReportFilters

__all__ = [
    "HANDOVER_GROUP_FIELDS",
    "Group",
    "chart_kind",
    "group_column_label",
    "group_handovers",
    "month_label",
    "scoped",
]

# What a grouped report reads of each handover, besides its own figures.
HANDOVER_GROUP_FIELDS = (
    "employee__department_id",
    "employee__department__name",
    "employee__role_id",
    "employee__role__name",
    "template_id",
    "template__title",
)

_NONE_LABELS = {
    "department": _("No department"),
    "role": _("No role"),
    "template": _("No template"),
}


def scoped(scope, filters: ReportFilters, queryset, prefix: str = ""):
    """``queryset`` limited to the scope's handovers and narrowed by the
    department / role / template filters, through ``prefix``."""
    return filters.apply(scope.narrow(queryset, prefix), prefix)


def month_label(year: int, month: int) -> str:
    """Language-neutral and sortable: 2026-03."""
    return f"{year:04d}-{month:02d}"


class Group:
    """One row of a grouped report: its label and the records in it."""

    def __init__(self, key, label: str):
        self.key = key
        self.label = label
        self.records: list[dict] = []


def group_handovers(
    records: Iterable[dict],
    filters: ReportFilters,
    *,
    month_of: Callable[[dict], date | None],
) -> list[Group]:
    """``records`` (dicts holding ``HANDOVER_GROUP_FIELDS``) grouped as
    ``filters.group`` asks. By month: every month of the period, empty ones
    too, in order (``month_of`` gives a record's local date). Otherwise: by
    name, the records without one last."""
    kind = filters.group if filters.group in GROUPS else "month"
    if kind == "month":
        groups = {
            (year, month): Group((year, month), month_label(year, month))
            for year, month in filters.months()
        }
        for record in records:
            day = month_of(record)
            if day is not None and (day.year, day.month) in groups:
                groups[(day.year, day.month)].records.append(record)
        return list(groups.values())

    id_field, name_field = {
        "department": ("employee__department_id", "employee__department__name"),
        "role": ("employee__role_id", "employee__role__name"),
        "template": ("template_id", "template__title"),
    }[kind]
    by_key: dict = defaultdict(list)
    names = {}
    for record in records:
        by_key[record[id_field]].append(record)
        names[record[id_field]] = record[name_field]
    groups = []
    for key, members in by_key.items():
        group = Group(key, names[key] if key is not None else str(_NONE_LABELS[kind]))
        group.records = members
        groups.append(group)
    groups.sort(key=lambda group: (group.key is None, str(group.label).casefold()))
    return groups


def group_column_label(filters: ReportFilters) -> str:
    return GROUPS.get(filters.group, GROUPS["month"])


def chart_kind(filters: ReportFilters) -> str:
    """Months read left to right; names read better as horizontal bars."""
    return "bar" if filters.group == "month" else "hbar"
