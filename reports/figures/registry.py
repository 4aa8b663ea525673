"""Every report, in menu order, with who may read it."""

from __future__ import annotations

from . import acceptance, access, connectors, cycle_time, questions, workload
from .filters import ReportFilters
from .model import Report, ReportDefinition
from .scope import Scope

__all__ = ["REPORTS", "build_report", "reports_for"]

_HR_MANAGER = frozenset({"hr", "manager"})

REPORTS: dict[str, ReportDefinition] = {
    definition.key: definition
    for definition in (
        ReportDefinition(
            key="cycle-time",
            title=cycle_time.TITLE,
            description=cycle_time.DESCRIPTION,
            audiences=_HR_MANAGER,
            groupable=True,
            compute=cycle_time.compute,
        ),
        ReportDefinition(
            key="acceptance",
            title=acceptance.TITLE,
            description=acceptance.DESCRIPTION,
            audiences=_HR_MANAGER,
            groupable=True,
            compute=acceptance.compute,
        ),
        ReportDefinition(
            key="questions",
            title=questions.TITLE,
            description=questions.DESCRIPTION,
            audiences=_HR_MANAGER,
            groupable=False,
            compute=questions.compute,
        ),
        ReportDefinition(
            key="access",
            title=access.TITLE,
            description=access.DESCRIPTION,
            audiences=frozenset({"hr", "it", "manager"}),
            groupable=False,
            compute=access.compute,
        ),
        ReportDefinition(
            key="connectors",
            title=connectors.TITLE,
            description=connectors.DESCRIPTION,
            audiences=frozenset({"hr", "it"}),
            groupable=False,
            compute=connectors.compute,
        ),
        ReportDefinition(
            key="workload",
            title=workload.TITLE,
            description=workload.DESCRIPTION,
            audiences=_HR_MANAGER,
            groupable=False,
            compute=workload.compute,
        ),
    )
}


def reports_for(scope: Scope | None) -> list[ReportDefinition]:
    """The reports ``scope`` may read, in menu order (none without a scope)."""
    if scope is None:
        return []
    return [
        definition
        for definition in REPORTS.values()
        if scope.kind in definition.audiences
    ]


def build_report(scope: Scope, key: str, filters: ReportFilters) -> Report:
    """The report ``key`` as ``scope`` may see it. KeyError for an unknown key
    or one the scope may not read: the caller answers 404 either way."""
    definition = REPORTS[key]
    if scope is None or scope.kind not in definition.audiences:
        raise KeyError(key)
    return definition.compute(scope, filters)
