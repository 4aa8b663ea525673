"""Acceptance: how long successors take to accept a handover — the first item,
and every item (the handover goes to review)."""

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from cms.models import Handover, ParticipantRole, Signature

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

TITLE = _("Acceptance")
DESCRIPTION = _(
    "Handovers started in the period: days from the start to the successor's "
    "first acceptance, and to full acceptance (every item done, the handover "
    "goes to review). Median and 90th percentile (interpolated between the "
    "closest values), to one decimal. Open handovers not fully accepted yet "
    "are counted apart."
)
DAYS = _("days")


def _figures(records) -> dict:
    to_first = [record["to_first"] for record in records]
    to_full = [record["to_full"] for record in records]
    return {
        "handovers": len(records),
        "first_median": stats.median(to_first),
        "first_p90": stats.p90(to_first),
        "full_median": stats.median(to_full),
        "full_p90": stats.p90(to_full),
        "not_accepted": sum(1 for record in records if record["waiting"]),
    }


def compute(scope, filters) -> Report:
    first_acceptance = (
        Signature.objects.filter(
            handover=OuterRef("pk"),
            role=ParticipantRole.SUCCESSOR,
            decision__in=sorted(Signature.ACCEPT_DECISIONS),
        )
        .order_by("signed_at")
        .values("signed_at")[:1]
    )
    handovers = (
        scoped(scope, filters, Handover.objects.all())
        .filter(started_at__gte=filters.since, started_at__lt=filters.until)
        .annotate(first_acceptance=Subquery(first_acceptance))
    )
    records = []
    for record in handovers.values(
        "started_at",
        "review_started_at",
        "state",
        "first_acceptance",
        *HANDOVER_GROUP_FIELDS,
    ).order_by():
        started_at = record["started_at"]
        record["started_on"] = stats.local_date(started_at)
        record["to_first"] = stats.days_between(started_at, record["first_acceptance"])
        record["to_full"] = stats.days_between(started_at, record["review_started_at"])
        record["waiting"] = (
            record["review_started_at"] is None
            and record["state"] in Handover.OPEN_STATES
        )
        records.append(record)

    groups = group_handovers(records, filters, month_of=lambda r: r["started_on"])
    rows = [{"group": group.label, **_figures(group.records)} for group in groups]
    overall = _figures(records)
    return Report(
        key="acceptance",
        title=TITLE,
        description=DESCRIPTION,
        filters=filters,
        summary=[
            (_("Handovers started"), overall["handovers"], ""),
            (_("Start → first acceptance, median"), overall["first_median"], DAYS),
            (_("Start → first acceptance, p90"), overall["first_p90"], DAYS),
            (_("Start → full acceptance, median"), overall["full_median"], DAYS),
            (_("Start → full acceptance, p90"), overall["full_p90"], DAYS),
            (_("Not fully accepted yet"), overall["not_accepted"], ""),
        ],
        chart=Chart(
            kind=chart_kind(filters),
            labels=[row["group"] for row in rows],
            series=[
                Series(
                    label=_("Start → first acceptance, median"),
                    data=[row["first_median"] for row in rows],
                ),
                Series(
                    label=_("Start → full acceptance, median"),
                    data=[row["full_median"] for row in rows],
                ),
            ],
            unit=DAYS,
        ),
        columns=[
            Column("group", group_column_label(filters)),
            Column("handovers", _("Handovers started"), "int"),
            Column("first_median", _("Start → first acceptance, median"), "days"),
            Column("first_p90", _("Start → first acceptance, p90"), "days"),
            Column("full_median", _("Start → full acceptance, median"), "days"),
            Column("full_p90", _("Start → full acceptance, p90"), "days"),
            Column("not_accepted", _("Not fully accepted yet"), "int"),
        ],
        rows=rows,
    )
