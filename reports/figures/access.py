"""Access: how fast a departing employee's access is verified revoked, what
failed, and what access was still found after they left."""

from collections import defaultdict

from django.db.models import Count, Max, Q
from django.utils.translation import gettext_lazy as _

from cms.models import Handover
from connectors.models import AccessAction, ResidualAccess

from . import stats
from .grouping import month_label, scoped
from .model import Chart, Column, Report, Series

__all__ = ["DESCRIPTION", "REVOKING_OPERATIONS", "TITLE", "compute"]

TITLE = _("Access")
DESCRIPTION = _(
    "Handovers whose last working day is in the period, by month of the last "
    "working day: how many had access changes; days from the last working day "
    "to the last revocation verified (suspend, delete, remove from a group; "
    "the company's calendar days, median and 90th percentile); failed changes; "
    "and accounts still active 1 and 30 days after the last working day."
)
DAYS = _("days")
REVOKING_OPERATIONS = (
    AccessAction.Operation.SUSPEND,
    AccessAction.Operation.DELETE,
    AccessAction.Operation.REMOVE_MEMBER,
)
RESIDUAL_CHECKS = (1, 30)


def _figures(handovers: list[dict]) -> dict:
    days = [handover["revoked_days"] for handover in handovers]
    return {
        "handovers": len(handovers),
        "with_changes": sum(1 for handover in handovers if handover["actions"]),
        "revoked_median": stats.median(days),
        "revoked_p90": stats.p90(days),
        "failed": sum(handover["failed"] for handover in handovers),
        "residual_1": sum(handover["residual"][1] for handover in handovers),
        "residual_30": sum(handover["residual"][30] for handover in handovers),
    }


def compute(scope, filters) -> Report:
    in_period = {
        "last_working_day__gte": filters.start,
        "last_working_day__lte": filters.end,
    }
    handovers = {
        pk: {
            "last_working_day": last_working_day,
            "actions": 0,
            "failed": 0,
            "revoked_days": None,
            "residual": dict.fromkeys(RESIDUAL_CHECKS, 0),
        }
        for pk, last_working_day in scoped(scope, filters, Handover.objects.all())
        .filter(**in_period)
        .values_list("pk", "last_working_day")
        .order_by()
    }
    through_handover = {f"handover__{key}": value for key, value in in_period.items()}
    actions = (
        scoped(scope, filters, AccessAction.objects.all(), "handover__")
        .filter(**through_handover)
        .values("handover_id")
        .annotate(
            actions=Count("pk"),
            failed=Count("pk", filter=Q(state=AccessAction.State.FAILED)),
            verified_at=Max(
                "finished_at",
                filter=Q(
                    state=AccessAction.State.VERIFIED,
                    operation__in=REVOKING_OPERATIONS,
                ),
            ),
        )
        .order_by()
    )
    for row in actions:
        handover = handovers.get(row["handover_id"])
        if handover is None:
            continue
        handover["actions"] = row["actions"]
        handover["failed"] = row["failed"]
        if row["verified_at"] is not None:
            handover["revoked_days"] = (
                stats.local_date(row["verified_at"]) - handover["last_working_day"]
            ).days
    residual = (
        scoped(scope, filters, ResidualAccess.objects.all(), "grant__handover__")
        .filter(
            active=True,
            days_after__in=RESIDUAL_CHECKS,
            **{f"grant__{key}": value for key, value in through_handover.items()},
        )
        .values("grant__handover_id", "days_after")
        .annotate(found=Count("pk"))
        .order_by()
    )
    for row in residual:
        handover = handovers.get(row["grant__handover_id"])
        if handover is not None:
            handover["residual"][row["days_after"]] = row["found"]

    by_month = defaultdict(list)
    for handover in handovers.values():
        day = handover["last_working_day"]
        by_month[(day.year, day.month)].append(handover)
    rows = [
        {"month": month_label(year, month), **_figures(by_month[(year, month)])}
        for year, month in filters.months()
    ]
    overall = _figures(list(handovers.values()))
    return Report(
        key="access",
        title=TITLE,
        description=DESCRIPTION,
        filters=filters,
        summary=[
            (_("Handovers"), overall["handovers"], ""),
            (_("With access changes"), overall["with_changes"], ""),
            (
                _("Last working day → revocation verified, median"),
                overall["revoked_median"],
                DAYS,
            ),
            (
                _("Last working day → revocation verified, p90"),
                overall["revoked_p90"],
                DAYS,
            ),
            (_("Failed changes"), overall["failed"], ""),
            (_("Residual access at +1 day"), overall["residual_1"], ""),
            (_("Residual access at +30 days"), overall["residual_30"], ""),
        ],
        chart=Chart(
            kind="bar",
            labels=[row["month"] for row in rows],
            series=[
                Series(
                    label=_("Last working day → revocation verified, median"),
                    data=[row["revoked_median"] for row in rows],
                ),
                Series(
                    label=_("Last working day → revocation verified, p90"),
                    data=[row["revoked_p90"] for row in rows],
                ),
            ],
            unit=DAYS,
        ),
        columns=[
            Column("month", _("Month")),
            Column("handovers", _("Handovers"), "int"),
            Column("with_changes", _("With access changes"), "int"),
            Column(
                "revoked_median",
                _("Last working day → revocation verified, median"),
                "days",
            ),
            Column(
                "revoked_p90", _("Last working day → revocation verified, p90"), "days"
            ),
            Column("failed", _("Failed changes"), "int"),
            Column("residual_1", _("Residual access at +1 day"), "int"),
            Column("residual_30", _("Residual access at +30 days"), "int"),
        ],
        rows=rows,
    )
