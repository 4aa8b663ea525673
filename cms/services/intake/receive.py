"""Receiving resignation events: once per event, started or proposed, or
refused with the reason and kept for HR."""

import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from cms.errors import BatonError, Conflict, InvalidInput, PermissionDenied
from cms.models import Handover, ResignationEvent

from ..common import announce
from ..handovers import handover_start
from ..signing import NO_REQUEST
from ..start_rules import StartPlan, StartPlanner, codes
from ..start_rules.plan import day_text, person_name
from .notices import (
    BulkRow,
    IntakeOutcome,
    Refused,
    ResignationNotice,
    active_people,
    intake_user,
    plan_row,
    resolve_employees,
    templates_by_id,
)

__all__ = [
    "MODES",
    "SUCCESSOR_REQUESTED",
    "duplicate_of",
    "event_key",
    "receive",
    "refuse_event",
    "resignation_receive",
    "resignation_record_malformed",
    "start_from_plan",
    "started_message",
]

MODES = ("start", "propose")
# The event a manager hears about when they are to pick the successor.
SUCCESSOR_REQUESTED = "successor.requested"
State = ResignationEvent.State

# The refusal code of each field ``handover_start`` can refuse.
_FIELD_CODES = {
    "employee": codes.NO_USER_ACCOUNT,
    "template": codes.NO_TEMPLATE,
    "last_working_day": codes.LAST_DAY_BEFORE_RESIGNATION,
    "successors": codes.NO_SUCCESSOR,
    "manager": codes.NO_MANAGER,
    "it_users": codes.NO_IT,
}


def event_key(notice) -> dict:
    return {
        "source": notice.source,
        "connector_slug": notice.connector_slug or "",
        "external_id": notice.external_id,
    }


def duplicate_of(event: ResignationEvent) -> IntakeOutcome:
    ResignationEvent.objects.filter(pk=event.pk).update(
        duplicates=F("duplicates") + 1, last_duplicate_at=timezone.now()
    )
    event.refresh_from_db(fields=["duplicates", "last_duplicate_at"])
    return IntakeOutcome(
        status="duplicate",
        event=event,
        handover=event.handover,
        message=gettext(
            "This event was already received on %(day)s (%(state)s): nothing changed."
        )
        % {
            "day": day_text(timezone.localdate(event.received_at)),
            "state": event.get_state_display(),
        },
    )


def refuse_event(event, problems, refusal_codes, plan=None) -> IntakeOutcome:
    event.state = State.REFUSED
    event.refusal = " ".join(text for texts in problems.values() for text in texts)
    event.refusal_code = next(iter(refusal_codes.values()), codes.MALFORMED)
    if plan is not None:
        event.plan = plan.as_json()
    event.decided_at = timezone.now()
    event.save()
    return IntakeOutcome(
        status="refused", event=event, handover=None, message=event.refusal
    )


def _error_codes(error: BatonError) -> tuple[dict, dict]:
    """A refusal of ``handover_start`` as problems and codes."""
    if isinstance(error, Conflict):
        return {"employee": [str(error.message)]}, {"employee": codes.ALREADY_OPEN}
    if isinstance(error, PermissionDenied):
        return {"employee": [str(error.message)]}, {"employee": codes.NOT_ALLOWED}
    problems = {
        key: [str(text) for text in texts] for key, texts in error.fields.items()
    }
    if not problems:
        problems = {"employee": [str(error.message)]}
    return problems, {key: _FIELD_CODES.get(key, codes.MALFORMED) for key in problems}


def start_from_plan(event, plan: StartPlan, *, actor, meta) -> Handover:
    """Start what ``plan`` says (a draft when the manager picks the successor);
    ``handover_start`` refusals are raised."""
    source = {"source": event.source, "event": event.pk}
    if event.connector_slug:
        source["connector"] = event.connector_slug
    with transaction.atomic():
        handover = handover_start(
            actor=actor,
            employee=plan.employee,
            template=plan.template,
            last_working_day=event.last_working_day,
            resignation_date=event.resignation_date,
            successors=plan.successors,
            manager=plan.manager,
            it_users=plan.it_users,
            successor_pending=plan.successor_pending,
            due_offset_days=plan.due_offset_days,
            source=source,
            meta=meta,
        )
        if plan.successor_pending:
            pick_by = timezone.localdate() + timedelta(days=plan.manager_choice_days)
            announce(
                handover,
                SUCCESSOR_REQUESTED,
                actor=actor,
                details={
                    "days": plan.manager_choice_days,
                    "pick_by": pick_by.isoformat(),
                },
            )
    return handover


def started_message(handover: Handover, plan: StartPlan) -> str:
    if plan.successor_pending:
        pick_by = timezone.localdate() + timedelta(days=plan.manager_choice_days)
        manager = person_name(plan.manager)
        return gettext(
            "Handover %(number)s for %(employee)s waits for %(manager)s to pick the "
            "successor by %(day)s; it starts then."
        ) % {
            "number": handover.number,
            "employee": plan.employee.name,
            "manager": manager,
            "day": day_text(pick_by),
        }
    return gettext("Handover %(number)s started for %(employee)s.") % {
        "number": handover.number,
        "employee": plan.employee.name,
    }


@transaction.atomic
def receive(
    *,
    notice,
    mode,
    actor=None,
    meta=NO_REQUEST,
    employee=None,
    planner=None,
    people=None,
    templates=None,
    plan=None,
) -> IntakeOutcome:
    """``resignation_receive``; a bulk start passes what it already found
    (the employee, people, templates, the plan) instead of reading it again."""
    if mode not in MODES:
        raise InvalidInput(fields={"mode": [gettext("Unknown intake mode.")]})
    existing = (
        ResignationEvent.objects.select_for_update(of=("self",))
        .select_related("handover")
        .filter(**event_key(notice))
    )
    if (event := existing.first()) is not None:
        return duplicate_of(event)
    try:
        with transaction.atomic():
            event = ResignationEvent.objects.create(
                **event_key(notice),
                employee_ref=notice.employee.as_json(),
                resignation_date=notice.resignation_date,
                last_working_day=notice.last_working_day,
                reason=notice.reason,
                payload=notice.payload,
                state=State.PROPOSED,
            )
    except IntegrityError:
        # The same event arrived at the same moment: the other one counts.
        return duplicate_of(existing.get())
    if employee is None and not notice.employee.is_empty():
        employee = resolve_employees([notice.employee]).get(notice.employee)
    row = BulkRow(
        line=0,
        employee=notice.employee,
        last_working_day=notice.last_working_day,
        resignation_date=notice.resignation_date,
        template_id=notice.template_id,
        successor_ids=tuple(notice.successor_ids),
        manager_id=notice.manager_id,
    )
    if people is None:
        people = active_people([*notice.successor_ids, notice.manager_id])
    if templates is None:
        templates = templates_by_id([notice.template_id])
    event.employee = employee
    try:
        plan = plan or plan_row(
            planner or StartPlanner(),
            row,
            employee,
            people,
            templates,
            language=notice.language,
        )
    except Refused as refused:
        return refuse_event(event, refused.problems, refused.codes)
    if plan.problems:
        return refuse_event(event, plan.problems, plan.codes, plan)
    event.plan = {**plan.as_json(), "language": notice.language}
    if mode == "propose":
        event.save()
        return IntakeOutcome(
            status="proposed",
            event=event,
            handover=None,
            message=gettext(
                "The handover for %(employee)s is proposed to HR for review."
            )
            % {"employee": employee.name},
        )
    try:
        handover = start_from_plan(event, plan, actor=actor or intake_user(), meta=meta)
    except BatonError as error:
        problems, refusal_codes = _error_codes(error)
        return refuse_event(event, problems, refusal_codes, plan)
    event.state = State.STARTED
    event.handover = handover
    event.decided_at = timezone.now()
    event.save()
    return IntakeOutcome(
        status="started",
        event=event,
        handover=handover,
        message=started_message(handover, plan),
    )


def resignation_receive(
    *, notice: ResignationNotice, mode: str, actor=None, meta=NO_REQUEST
) -> IntakeOutcome:
    """Take in one resignation. ``mode`` "start" starts the handover at once
    (as ``actor``, else the intake service account), "propose" puts it in HR's
    review queue. Idempotent on (source, connector, external id): a repeat
    changes nothing but the event's duplicate count. An event that cannot
    start (unknown employee, dates missing or reversed, an open handover
    already, a template of another language, nobody to take over, …) is kept
    as refused with its translated reason and code, and starts nothing."""
    return receive(notice=notice, mode=mode, actor=actor, meta=meta)


def resignation_record_malformed(
    *,
    source: str,
    payload: dict,
    problem: str,
    external_id: str = "",
    connector_slug: str = "",
) -> IntakeOutcome:
    """Keep an event a caller could not read (refused as "malformed") so HR
    sees it; the same payload again is a duplicate."""
    if not external_id:
        digest = hashlib.sha256(
            json.dumps(payload, sort_keys=True, default=str).encode()
        ).hexdigest()
        external_id = f"malformed:{digest}"
    key = {
        "source": source,
        "connector_slug": connector_slug,
        "external_id": external_id,
    }
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = ResignationEvent.objects.create(
                    **key,
                    payload=payload,
                    state=State.REFUSED,
                    refusal=str(problem),
                    refusal_code=codes.MALFORMED,
                    decided_at=timezone.now(),
                )
        except IntegrityError:
            return duplicate_of(ResignationEvent.objects.select_for_update().get(**key))
    return IntakeOutcome(
        status="refused", event=event, handover=None, message=str(problem)
    )
