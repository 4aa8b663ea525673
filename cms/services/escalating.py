"""Escalation of overdue items: an item still open some days after its due
date is told to the handover's manager, later to HR, as its template says,
once per step. The hourly task calls ``escalations_run``; nothing else writes
escalations."""

import datetime
import logging

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from cms.models import Escalation, Handover, Item

from .audit import audit_record
from .common import announce
from .visibility import conditional_answers, item_is_visible

logger = logging.getLogger(__name__)

__all__ = ["ESCALATIONS_LOCK", "escalations_run"]

# The steps in the order they are taken, with the template field that says
# after how many days overdue (empty: never).
STEPS = (
    (Escalation.Step.MANAGER, "escalate_to_manager_days"),
    (Escalation.Step.HR, "escalate_to_hr_days"),
)

# The key (any constant of our own) of a transaction-level PostgreSQL
# advisory lock: two runs at once (a second consumer's scheduler, a manual
# run) take turns, and the second one reads the escalations the first
# committed. The unique constraint on (item, step) stays the backstop: a
# duplicate would roll the whole run back, never tell twice.
ESCALATIONS_LOCK = 0x42A70E5C


def escalations_run(*, today: datetime.date | None = None) -> int:
    """Escalate every overdue item whose template's threshold for a step it
    has not had yet is reached (``today``: the company's date by default).
    Every step that is due is taken, each once: after a week without runs,
    manager and HR alike. Returns how many escalations were made.

    A fixed number of queries however many handovers are open; each
    escalation then costs its audit row (the chain's own queries)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        _take_turns()
        due = _due_escalations(today)
        Escalation.objects.bulk_create(
            Escalation(
                handover_id=item.handover_id,
                item=item,
                step=step,
                days_overdue=days,
            )
            for item, step, days in due
        )
        for item, step, days in due:
            details = {"step": str(step), "days_overdue": days}
            audit_record(
                handover=item.handover,
                actor=None,
                role="system",
                action="item.escalated",
                obj=item,
                details=details,
            )
            announce(item.handover, "item.escalated", item=item, details=details)
    if due:
        logger.info("Escalated %d overdue item step(s) on %s.", len(due), today)
    return len(due)


def _take_turns() -> None:
    """Wait for a concurrent run to commit. SQLite writes one transaction at
    a time already; there the unique constraint alone guards."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ESCALATIONS_LOCK])


def _candidates(today: datetime.date):
    """Open items of handovers in progress, past their due date, missing a
    step their template configures: one query. Whether a step's threshold is
    reached is compared in Python, on the days overdue (date arithmetic on a
    column differs between databases). Items leave this set once they have
    every configured step, so it holds those overdue for fewer days than the
    larger threshold, and the few hidden by a condition."""
    annotations, pending = {}, Q()
    for step, days_field in STEPS:
        annotations[f"{step}_after"] = F(f"handover__template__{days_field}")
        annotations[f"had_{step}"] = Exists(
            Escalation.objects.filter(item=OuterRef("pk"), step=step)
        )
        pending |= Q(**{f"{step}_after__isnull": False, f"had_{step}": False})
    return (
        Item.objects.filter(
            handover__state=Handover.State.IN_PROGRESS,
            due_date__lt=today,
        )
        .exclude(state__in=Item.DONE_STATES)
        .select_related("handover")
        .only("handover__id", "due_date")
        .annotate(condition_only=KeyTransform("condition", "definition"), **annotations)
        .filter(pending)
        .order_by("handover_id", "position", "pk")
    )


def _due_escalations(today: datetime.date) -> list[tuple[Item, str, int]]:
    """(item, step, days overdue) for each step due now, manager before HR,
    leaving out items hidden by their condition (nobody has to do them)."""
    items = list(_candidates(today))
    answers = conditional_answers(items)
    due = []
    for item in items:
        item.definition = {"condition": item.condition_only or {}}
        if not item_is_visible(item, answers[item.handover_id]):
            continue
        days = (today - item.due_date).days
        for step, _days_field in STEPS:
            threshold = getattr(item, f"{step}_after")
            if (
                threshold is not None
                and days >= threshold
                and not getattr(item, f"had_{step}")
            ):
                due.append((item, step, days))
    return due
