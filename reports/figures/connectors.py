"""Connectors: sync runs, failures and the last success of each connector."""

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from connectors.models import ConnectorConfig, SyncRun

from .model import Chart, Column, Report, Series

__all__ = ["DESCRIPTION", "FAILED_STATES", "TITLE", "compute"]

TITLE = _("Connectors")
DESCRIPTION = _(
    "Per connector: sync runs started in the period, failed or interrupted "
    "runs, the failure rate, the last successful run (at any time) and the "
    "error of its latest failed run. The department, role and template "
    "filters do not apply: runs belong to connectors, not to people."
)
FAILED_STATES = (SyncRun.State.FAILED, SyncRun.State.INTERRUPTED)
SUCCESS_STATES = (SyncRun.State.OK, SyncRun.State.PARTIAL)
PERCENT = "%"


def _error_text(errors, state) -> str:
    """The message the run ended on (its last), or why it has none."""
    if state is None:
        return ""
    messages = [
        str(error.get("message", ""))
        for error in errors or []
        if isinstance(error, dict) and error.get("message")
    ]
    if messages:
        return messages[-1]
    return str(SyncRun.State(state).label)


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def compute(scope, filters) -> Report:
    counts = {
        row["connector_id"]: row
        for row in SyncRun.objects.filter(
            started_at__gte=filters.since, started_at__lt=filters.until
        )
        .values("connector_id")
        .annotate(
            runs=Count("pk"), failed=Count("pk", filter=Q(state__in=FAILED_STATES))
        )
        .order_by()
    }
    latest = SyncRun.objects.filter(connector=OuterRef("pk")).order_by(
        "-started_at", "-pk"
    )
    connectors = ConnectorConfig.objects.annotate(
        last_success=Subquery(
            latest.filter(state__in=SUCCESS_STATES).values("finished_at")[:1]
        ),
        last_failed_errors=Subquery(
            latest.filter(state__in=FAILED_STATES).values("errors")[:1]
        ),
        last_failed_state=Subquery(
            latest.filter(state__in=FAILED_STATES).values("state")[:1]
        ),
    ).order_by("name", "pk")
    rows = []
    for connector in connectors.values(
        "pk", "name", "last_success", "last_failed_errors", "last_failed_state"
    ):
        found = counts.get(connector["pk"], {"runs": 0, "failed": 0})
        rows.append(
            {
                "connector": connector["name"],
                "runs": found["runs"],
                "failed": found["failed"],
                "failure_rate": _rate(found["failed"], found["runs"]),
                "last_success": connector["last_success"],
                "last_error": _error_text(
                    connector["last_failed_errors"], connector["last_failed_state"]
                ),
            }
        )
    runs = sum(row["runs"] for row in rows)
    failed = sum(row["failed"] for row in rows)
    return Report(
        key="connectors",
        title=TITLE,
        description=DESCRIPTION,
        filters=filters,
        summary=[
            (_("Connectors"), len(rows), ""),
            (_("Runs"), runs, ""),
            (_("Failed runs"), failed, ""),
            (_("Failure rate"), _rate(failed, runs), PERCENT),
        ],
        chart=Chart(
            kind="hbar",
            labels=[row["connector"] for row in rows],
            series=[
                Series(label=_("Runs"), data=[row["runs"] for row in rows]),
                Series(label=_("Failed runs"), data=[row["failed"] for row in rows]),
            ],
        ),
        columns=[
            Column("connector", _("Connector")),
            Column("runs", _("Runs"), "int"),
            Column("failed", _("Failed runs"), "int"),
            Column("failure_rate", _("Failure rate"), "percent"),
            Column("last_success", _("Last success"), "datetime"),
            Column("last_error", _("Last error")),
        ],
        rows=rows,
    )
