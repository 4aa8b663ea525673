"""What a report page shows, shared by the admin page and the participant-site
page (one include, two page shells): the filter form, the summary, the chart
spec the browser draws, the table cells, the download links and the downloads.

Views only pick the shell; everything a reader sees is decided here, so the two
pages cannot drift apart and the downloads hold exactly the table's numbers.
"""

import datetime
from dataclasses import dataclass, field

from django import forms
from django.http import Http404, HttpResponse
from django.utils import formats, timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.exports import export_format, spreadsheet_response
from reports.figures import (
    REPORTS,
    Report,
    ReportDefinition,
    ReportFilterForm,
    Scope,
    build_report,
    scope_for,
)

__all__ = [
    "EMPTY_MESSAGES",
    "IGNORED_FILTERS",
    "ReportPage",
    "chart_spec",
    "definition_or_404",
    "display_value",
    "export_response",
    "export_url",
    "has_figures",
    "report_page",
    "request_scope",
]

# What an empty report says, per report: a reader must tell "nothing happened"
# from "the page is broken".
EMPTY_MESSAGES = {
    "cycle-time": _("No handover got its certificate in this period."),
    "acceptance": _("No handover started in this period."),
    "questions": _("No item was returned with a question in this period."),
    "access": _(
        "No handover with access changes had its last working day in this period."
    ),
    "connectors": _("No connector is set up yet."),
    "workload": _("Nothing waits on anyone right now."),
}
DEFAULT_EMPTY_MESSAGE = _("Nothing to show for these filters.")
CHART_KINDS = {
    "bar": _("Bar chart"),
    "line": _("Line chart"),
    "hbar": _("Horizontal bar chart"),
}
# What a missing figure (no handover in a group, a median of nothing) shows.
MISSING = "—"
# Filters a report does not apply (its description says so): kept in the page's
# links as hidden values, not offered as choices that would change nothing.
IGNORED_FILTERS = {
    "connectors": ("department", "role", "template"),
    "workload": ("start", "end"),
}
NUMERIC_KINDS = frozenset({"int", "days", "percent"})
_SCOPE_ATTRIBUTE = "_baton_report_scope"


def request_scope(request) -> Scope | None:
    """``scope_for(request.user)``, worked out once per request: the Reports
    menu asks for every item, the home page for every panel."""
    if not hasattr(request, _SCOPE_ATTRIBUTE):
        setattr(request, _SCOPE_ATTRIBUTE, scope_for(request.user))
    return getattr(request, _SCOPE_ATTRIBUTE)


def definition_or_404(scope: Scope | None, key: str) -> ReportDefinition:
    """The report behind ``key``, or 404: an unknown key and a report the
    caller may not see look the same."""
    definition = REPORTS.get(key)
    if scope is None or definition is None or not scope.can_see(key):
        raise Http404
    return definition


def display_value(value, kind: str = "text") -> str:
    """A cell or summary value as the page shows it (the downloads keep the
    plain value): days and percentages with one decimal, dates in ISO order,
    times in the company time zone."""
    if value is None or value == "":
        return MISSING
    if kind == "percent" or (kind == "days" and isinstance(value, (int, float))):
        return formats.number_format(value, decimal_pos=1)
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, float):
        return formats.number_format(value, decimal_pos=1)
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "Y-m-d H:i")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "Y-m-d")
    return force_str(value)


def _plain(value):
    """A JSON-safe number for ``data-value`` attributes and the chart."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


@dataclass
class Cell:
    text: str
    value: object
    numeric: bool


@dataclass
class SummaryFigure:
    label: str
    text: str
    unit: str


@dataclass
class ReportPage:
    """Everything the shared include ``reports/includes/report.html`` shows."""

    definition: ReportDefinition
    form: forms.Form
    report: Report | None
    fields: list = field(default_factory=list)
    hidden_fields: list = field(default_factory=list)
    summary: list[SummaryFigure] = field(default_factory=list)
    headings: list[tuple[str, bool]] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    chart: dict | None = None
    chart_label: str = ""
    period: str = ""
    empty_message: str = ""
    downloads: list[tuple[str, str]] = field(default_factory=list)

    @property
    def chart_id(self) -> str:
        return f"report-chart-{self.definition.key}"


def chart_spec(report: Report) -> dict:
    """What ``reports/report-chart.js`` draws: plain text and numbers only,
    translated here (the chart's words come from the page, not the script)."""
    chart = report.chart
    return {
        "kind": chart.kind,
        "labels": [force_str(label) for label in chart.labels],
        "unit": force_str(chart.unit),
        "series": [
            {"label": force_str(series.label), "data": list(series.data)}
            for series in chart.series
        ],
        "noValue": gettext("no value"),
    }


def _chart_label(report: Report, summary: list[SummaryFigure]) -> str:
    """The chart in words, for screen readers and anyone who cannot tell the
    series apart: what it plots, and the headline numbers."""
    chart = report.chart
    series = ", ".join(force_str(each.label) for each in chart.series)
    text = gettext("%(kind)s of %(title)s: %(series)s, %(count)s groups.") % {
        "kind": CHART_KINDS.get(chart.kind, CHART_KINDS["bar"]),
        "title": force_str(report.title),
        "series": series,
        "count": len(chart.labels),
    }
    figures = "; ".join(
        f"{figure.label} {figure.text}{' ' + figure.unit if figure.unit else ''}"
        for figure in summary
    )
    if figures:
        text = f"{text} {figures}."
    return f"{text} {gettext('The table holds every number.')}"


def has_figures(report: Report) -> bool:
    """Whether any row holds a figure: a grouped report lists every month of
    the period, and a year of empty months is still "nothing happened"."""
    figure_columns = [column.key for column in report.columns if column.kind != "text"]
    return any(
        row.get(key) not in (None, 0, "")
        for row in report.rows
        for key in figure_columns
    )


def _period(definition: ReportDefinition, report: Report) -> str:
    if "start" in IGNORED_FILTERS.get(definition.key, ()):
        return ""
    return gettext("Period: %(start)s to %(end)s") % {
        "start": display_value(report.filters.start),
        "end": display_value(report.filters.end),
    }


def export_url(request, fmt: str) -> str:
    """The current page (its filters kept) as a ``fmt`` download."""
    query = request.GET.copy()
    query["export"] = fmt
    return f"{request.path}?{query.urlencode()}"


def _table(report: Report):
    headings = [
        (force_str(column.label), column.kind in NUMERIC_KINDS)
        for column in report.columns
    ]
    rows = [
        [
            Cell(
                text=display_value(row.get(column.key), column.kind),
                value=_plain(row.get(column.key)),
                numeric=column.kind in NUMERIC_KINDS,
            )
            for column in report.columns
        ]
        for row in report.rows
    ]
    return headings, rows


def _show_period(form: forms.Form, filters) -> None:
    """The date inputs show the period in force, defaults included."""
    data = form.data.copy()
    for name in ("start", "end"):
        if not data.get(name):
            data[name] = getattr(filters, name).isoformat()
    form.data = data


def report_page(request, scope: Scope, definition: ReportDefinition) -> ReportPage:
    """The report ``definition`` under the filters of ``request.GET``. With
    invalid filters the page shows the form's errors and no figures."""
    form = ReportFilterForm(request.GET)
    page = ReportPage(definition=definition, form=form, report=None)
    ignored = set(IGNORED_FILTERS.get(definition.key, ()))
    if not definition.groupable:
        ignored.add("group")
    for bound in form:
        (page.hidden_fields if bound.name in ignored else page.fields).append(bound)
    if not form.is_valid():
        return page
    filters = form.filters()
    _show_period(form, filters)
    report = build_report(scope, definition.key, filters)
    page.report = report
    page.summary = [
        SummaryFigure(
            label=force_str(label),
            # A figure with a unit (days, %) always shows one decimal.
            text=display_value(value, "days" if unit else "text"),
            unit=force_str(unit or ""),
        )
        for label, value, unit in report.summary
    ]
    page.headings, page.rows = _table(report)
    page.empty_message = force_str(
        EMPTY_MESSAGES.get(definition.key, DEFAULT_EMPTY_MESSAGE)
    )
    page.period = _period(definition, report)
    if has_figures(report):
        page.chart = chart_spec(report)
        page.chart_label = _chart_label(report, page.summary)
    page.downloads = [
        (gettext("Download XLSX"), export_url(request, "xlsx")),
        (gettext("Download CSV"), export_url(request, "csv")),
    ]
    return page


def export_response(page: ReportPage, request) -> HttpResponse | None:
    """The table as a download when ``?export=xlsx|csv`` asks for one and the
    filters are valid (otherwise the page shows the form's errors)."""
    fmt = export_format(request)
    if fmt is None or page.report is None:
        return None
    report = page.report
    return spreadsheet_response(
        filename=f"baton-{report.key}",
        headings=[force_str(column.label) for column in report.columns],
        rows=(
            [row.get(column.key) for column in report.columns] for row in report.rows
        ),
        fmt=fmt,
    )
