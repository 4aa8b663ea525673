"""The figures behind Baton's dashboard and reports: who sees what (scope),
the filters, the reports and the dashboard panels. Read only: nothing here
writes."""

from .conditions import (
    BLOCKER_KINDS,
    LATE_BUCKETS,
    blocker_condition,
    due_between,
    late_condition,
    not_started_condition,
    stuck_condition,
)
from .dashboard import Figure, FigureGroup, Panel, dashboard_for
from .filters import ReportFilterForm, ReportFilters
from .list_filters import handover_list_filters
from .model import Chart, Column, Report, ReportDefinition, Series
from .registry import REPORTS, build_report, reports_for
from .scope import Scope, scope_for

__all__ = [
    "BLOCKER_KINDS",
    "LATE_BUCKETS",
    "REPORTS",
    "Chart",
    "Column",
    "Figure",
    "FigureGroup",
    "Panel",
    "Report",
    "ReportDefinition",
    "ReportFilterForm",
    "ReportFilters",
    "Scope",
    "Series",
    "blocker_condition",
    "build_report",
    "dashboard_for",
    "due_between",
    "handover_list_filters",
    "late_condition",
    "not_started_condition",
    "reports_for",
    "scope_for",
    "stuck_condition",
]
