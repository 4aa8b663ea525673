"""The conditions behind the dashboard's numbers and the Handovers list
filters they link to: one definition, so a number and its list always agree.
Each is a ``Q`` on Handover."""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.models import (
    AuditChainCheckpoint,
    Certificate,
    Handover,
    Item,
    Participant,
    ParticipantRole,
)
from connectors.models import AccessAction, BlockSync

__all__ = [
    "BLOCKER_KINDS",
    "LATE_BUCKETS",
    "blocker_condition",
    "due_between",
    "last_activity",
    "late_condition",
    "not_started_condition",
    "open_condition",
    "stuck_condition",
    "stuck_days",
]

# Bucket → (fewest, most) days past the last working day; None: no upper end.
LATE_BUCKETS = {
    "1-3": (1, 3),
    "4-7": (4, 7),
    "8-30": (8, 30),
    "31-": (31, None),
}
LATE_BUCKET_LABELS = {
    "1-3": _("1 to 3 days late"),
    "4-7": _("4 to 7 days late"),
    "8-30": _("8 to 30 days late"),
    "31-": _("Over 30 days late"),
}
BLOCKER_KINDS = {
    "no_successor": _("No successor"),
    "returned": _("Returned items waiting for an answer"),
    "access_failed": _("Access changes failed"),
    "sync_failing": _("Connector syncs failing"),
    "no_certificate": _("Certificate not issued"),
}


def open_condition() -> Q:
    """Draft, in progress or in review (the open half of cms's
    ``overdue_condition``)."""
    return Q(state__in=Handover.OPEN_STATES)


def late_condition(bucket: str, today: date) -> Q:
    """Open, and the last working day passed ``bucket`` days ago (e.g. "4-7");
    the buckets together are exactly cms's ``overdue_condition``."""
    fewest, most = LATE_BUCKETS[bucket]
    condition = open_condition() & Q(
        last_working_day__lte=today - timedelta(days=fewest)
    )
    if most is not None:
        condition &= Q(last_working_day__gte=today - timedelta(days=most))
    return condition


def due_between(start: date, end: date) -> Q:
    """Open, with the last working day in ``start..end`` (inclusive)."""
    return open_condition() & Q(last_working_day__gte=start, last_working_day__lte=end)


def stuck_days() -> int:
    return getattr(settings, "BATON_STUCK_DAYS", 5)


def last_activity():
    """When the handover last changed: its audit chain's head, else when it
    started (or was drafted). A subquery, so handovers without a chain count."""
    checkpoint = AuditChainCheckpoint.objects.filter(handover=OuterRef("pk")).values(
        "updated_at"
    )[:1]
    return Coalesce(Subquery(checkpoint), "started_at", "created_at")


def stuck_condition(today: date) -> Q:
    """Open, with no activity on the last ``BATON_STUCK_DAYS`` days, today
    included (5: nothing since the local day five days ago ended)."""
    cutoff = timezone.make_aware(
        datetime.combine(today - timedelta(days=stuck_days() - 1), time.min)
    )
    return open_condition() & Q(LessThan(last_activity(), cutoff))


def blocker_condition(kind: str) -> Q:
    """Handovers held up by ``kind`` (a key of ``BLOCKER_KINDS``)."""
    if kind == "no_certificate":
        return Q(state=Handover.State.COMPLETED) & ~Q(
            Exists(Certificate.objects.filter(handover=OuterRef("pk")))
        )
    if kind == "no_successor":
        return open_condition() & ~Q(
            Exists(
                Participant.objects.filter(
                    handover=OuterRef("pk"), role=ParticipantRole.SUCCESSOR
                )
            )
        )
    related = {
        "returned": Item.objects.filter(state=Item.State.RETURNED),
        "access_failed": AccessAction.objects.filter(state=AccessAction.State.FAILED),
        "sync_failing": BlockSync.objects.filter(state=BlockSync.State.FAILED),
    }[kind]
    return open_condition() & Q(Exists(related.filter(handover=OuterRef("pk"))))


def not_started_condition() -> Q:
    """Drafts nobody has started yet."""
    return Q(state=Handover.State.DRAFT, started_at__isnull=True)
