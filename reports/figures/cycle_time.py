"""Cycle time: start → certificate and last working day → certificate, the
seed article's headline figure ("3 days → 1 day")."""

from django.utils.translation import gettext_lazy as _

from cms.models import Handover

from . import stats
from .grouping import (
    HANDOVER_GROUP_FIELDS,
    chart_kind,
    group_column_label,
    group_handovers,
    scoped,
)
from .model import Chart, Column, Report, Series

__all__ = ["DESCRIPTION", "TITLE", "compute"]

TITLE = _("Cycle time")
DESCRIPTION = _(
    "Handovers whose certificate was issued in the period: days from the start "
    "to the certificate, and from the last working day to the certificate "
    "(negative when issued before the last working day). Median and 90th "
    "percentile (interpolated between the closest values), to one decimal."
)
DAYS = _("days")


def _figures(records) -> dict:
    from_start = [record["from_start"] for record in records]
    from_last_day = [record["from_last_day"] for record in records]
    return {
        "handovers": len(records),
        "start_median": stats.median(from_start),
        "start_p90": stats.p90(from_start),
        "lwd_median": stats.median(from_last_day),
        "lwd_p90": stats.p90(from_last_day),
    }


def compute(scope, filters) -> Report:
    handovers = scoped(scope, filters, Handover.objects.all()).filter(
        certificate__issued_at__gte=filters.since,
        certificate__issued_at__lt=filters.until,
    )
    records = []
    for record in handovers.values(
        "started_at",
        "last_working_day",
        "certificate__issued_at",
        *HANDOVER_GROUP_FIELDS,
    ).order_by():
        issued_at = record["certificate__issued_at"]
        record["issued_on"] = stats.local_date(issued_at)
        record["from_start"] = stats.days_between(record["started_at"], issued_at)
        record["from_last_day"] = (
            record["issued_on"] - record["last_working_day"]
        ).days
        records.append(record)

    groups = group_handovers(records, filters, month_of=lambda r: r["issued_on"])
    rows = [{"group": group.label, **_figures(group.records)} for group in groups]
    overall = _figures(records)
    return Report(
        key="cycle-time",
        title=TITLE,
        description=DESCRIPTION,
        filters=filters,
        summary=[
            (_("Handovers"), overall["handovers"], ""),
            (_("Start → certificate, median"), overall["start_median"], DAYS),
            (_("Start → certificate, p90"), overall["start_p90"], DAYS),
            (_("Last working day → certificate, median"), overall["lwd_median"], DAYS),
            (_("Last working day → certificate, p90"), overall["lwd_p90"], DAYS),
        ],
        chart=Chart(
            kind=chart_kind(filters),
            labels=[row["group"] for row in rows],
            series=[
                Series(
                    label=_("Start → certificate, median"),
                    data=[row["start_median"] for row in rows],
                ),
                Series(
                    label=_("Last working day → certificate, median"),
                    data=[row["lwd_median"] for row in rows],
                ),
            ],
            unit=DAYS,
        ),
        columns=[
            Column("group", group_column_label(filters)),
            Column("handovers", _("Handovers"), "int"),
            Column("start_median", _("Start → certificate, median"), "days"),
            Column("start_p90", _("Start → certificate, p90"), "days"),
            Column("lwd_median", _("Last working day → certificate, median"), "days"),
            Column("lwd_p90", _("Last working day → certificate, p90"), "days"),
        ],
        rows=rows,
    )
