"""Why some of a person's data must stay when they ask for its erasure
(PIPL Art. 47: a retention period set by law has not ended), for the review of
an erasure request."""

import datetime

from dateutil.relativedelta import relativedelta
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from cms.models import Handover

from .due import FINISHED_STATES, active_holds
from .rules import CLASS_VALUES, EMPLOYMENT_ENDED, MINIMUMS

__all__ = ["kept_reasons"]


def _event_date(handover: Handover, counted_from: str) -> datetime.date | None:
    if counted_from == EMPLOYMENT_ENDED:
        return handover.last_working_day
    moment = handover.completed_at or handover.cancelled_at
    return timezone.localdate(moment) if moment else None


def kept_reasons(employee) -> dict[str, str]:
    """Class -> translated reason, with the date until which it must be kept.
    Only what the law or a hold requires: a longer company policy is no reason
    to refuse a person's request."""
    handovers = list(Handover.objects.filter(employee=employee))
    if not handovers:
        return {}
    holds = active_holds().filter(employee=employee).exists() or (
        active_holds().filter(handover__in=handovers).exists()
    )
    if holds:
        reason = gettext("Under legal hold: kept until the hold is released.")
        return dict.fromkeys(CLASS_VALUES, reason)
    if any(handover.state not in FINISHED_STATES for handover in handovers):
        reason = gettext("A handover is still open: kept until it is finished.")
        return dict.fromkeys(CLASS_VALUES, reason)
    today = timezone.localdate()
    reasons = {}
    for data_class, minimum in MINIMUMS.items():
        dates = [_event_date(handover, minimum.counted_from) for handover in handovers]
        latest = max((day for day in dates if day), default=None)
        if latest is None:
            continue
        until = latest + relativedelta(months=minimum.months)
        if until > today:
            reasons[data_class] = gettext("Kept until %(date)s: %(law)s") % {
                "date": date_format(until, "DATE_FORMAT"),
                "law": minimum.law,
            }
    return reasons
