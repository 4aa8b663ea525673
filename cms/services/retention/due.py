"""What is due for purging, class by class: finished handovers whose period
(and the legal minimum under it) has passed, not under an active legal hold on
the handover or its employee, and not already erased for that class."""

import datetime

from dateutil.relativedelta import relativedelta
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from cms.models import Handover, LegalHold, RetentionErasure, RetentionPolicy

from .rules import CLASS_VALUES, EMPLOYMENT_ENDED, MINIMUMS

__all__ = [
    "FINISHED_STATES",
    "active_holds",
    "due_queryset",
    "event_date_expression",
    "finished_and_not_held",
    "is_held",
    "retention_due",
]

FINISHED_STATES = (Handover.State.COMPLETED, Handover.State.CANCELLED)


def active_holds():
    return LegalHold.objects.active()


def is_held(handover) -> bool:
    """True while an active hold names the handover or its employee."""
    return (
        active_holds()
        .filter(Q(handover_id=handover.pk) | Q(employee_id=handover.employee_id))
        .exists()
    )


def finished_and_not_held(queryset=None):
    """Handovers nothing stops purging: finished and not held."""
    queryset = Handover.objects.all() if queryset is None else queryset
    holds = active_holds()
    return queryset.filter(state__in=FINISHED_STATES).exclude(
        Exists(holds.filter(handover_id=OuterRef("pk")))
        | Exists(holds.filter(employee_id=OuterRef("employee_id")))
    )


def event_date_expression(counted_from: str):
    """The date a period counts from. Employment ends on the last working
    day; a handover ends when it is completed (or cancelled)."""
    if counted_from == EMPLOYMENT_ENDED:
        return F("last_working_day")
    return TruncDate(Coalesce("completed_at", "cancelled_at"))


def _cutoff(today: datetime.date, months: int) -> datetime.date:
    return today - relativedelta(months=months)


def due_queryset(policy: RetentionPolicy, *, today: datetime.date):
    """The handovers due for the policy's class, with their event date."""
    event = event_date_expression(policy.counted_from)
    queryset = (
        finished_and_not_held()
        .annotate(retention_event=event)
        .filter(retention_event__lte=_cutoff(today, policy.period_months))
        .exclude(
            Exists(
                RetentionErasure.objects.filter(
                    handover_id=OuterRef("pk"), data_class=policy.data_class
                )
            )
        )
    )
    minimum = MINIMUMS.get(policy.data_class)
    if minimum is not None:
        # Counted from the law's own event too, whatever the policy counts from.
        queryset = queryset.annotate(
            legal_event=event_date_expression(minimum.counted_from)
        ).filter(legal_event__lte=_cutoff(today, minimum.months))
    return queryset


def enabled_policies() -> list[RetentionPolicy]:
    order = {value: position for position, value in enumerate(CLASS_VALUES)}
    policies = RetentionPolicy.objects.filter(enabled=True)
    return sorted(policies, key=lambda policy: order.get(policy.data_class, 99))


def retention_due(now=None) -> dict:
    """Handover ids due per class (``DataClass`` keys when the erasure
    package is installed, the class values otherwise), smallest id first."""
    today = timezone.localdate(now or timezone.now())
    due = {}
    for policy in enabled_policies():
        ids = list(
            due_queryset(policy, today=today)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if ids:
            due[_data_class(policy.data_class)] = ids
    return due


def _data_class(value: str):
    try:
        from cms.services.erasure.classes import DataClass
    except ImportError:
        return value
    return DataClass(value)
