"""What a report is made of: a summary, a chart and the table beside it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.functional import Promise

from .filters import ReportFilters

__all__ = ["Chart", "Column", "Report", "ReportDefinition", "Series", "json_safe"]


def json_safe(value):
    """Plain JSON values: dates ISO (datetimes in the company's time zone),
    lazy translations as text, containers walked."""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # "text" | "int" | "days" | "percent" | "date" | "datetime"


@dataclass
class Series:
    label: str
    data: list[float | int | None]


@dataclass
class Chart:
    kind: str  # "bar" | "line" | "hbar"
    labels: list[str]
    series: list[Series]
    unit: str = ""


@dataclass
class Report:
    key: str
    title: str
    description: str
    filters: ReportFilters
    summary: list[tuple[str, object, str]]
    chart: Chart
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return json_safe(
            {
                "key": self.key,
                "title": self.title,
                "description": self.description,
                "filters": self.filters.as_dict(),
                "summary": [
                    {"label": label, "value": value, "unit": unit}
                    for label, value, unit in self.summary
                ],
                "chart": {
                    "kind": self.chart.kind,
                    "labels": self.chart.labels,
                    "series": [
                        {"label": series.label, "data": series.data}
                        for series in self.chart.series
                    ],
                    "unit": self.chart.unit,
                },
                "columns": [
                    {"key": column.key, "label": column.label, "kind": column.kind}
                    for column in self.columns
                ],
                "rows": self.rows,
            }
        )


@dataclass(frozen=True)
class ReportDefinition:
    key: str
    title: str
    description: str
    audiences: frozenset[str]
    groupable: bool
    compute: Callable  # (Scope, ReportFilters) -> Report
