"""HR's review queue (start, change, dismiss) and the manager's pick of a
successor."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.errors import Conflict, InvalidInput, NotFound
from cms.models import Handover, Participant, ParticipantRole, ResignationEvent
from cms.permissions import grant_role

from ..audit import audit_record
from ..common import MANAGE, lock_handover, require_hr, require_not_leaver, require_role
from ..handovers import handover_open
from ..signing import NO_REQUEST
from ..start_rules import StartPlanner
from .notices import IntakeOutcome, active_people, templates_by_id
from .receive import start_from_plan, started_message

__all__ = [
    "event_require_undecided",
    "proposal_dismiss",
    "proposal_start",
    "successor_pick",
]

State = ResignationEvent.State


def _lock_event(event) -> ResignationEvent:
    try:
        return (
            ResignationEvent.objects.select_for_update(of=("self",))
            .select_related("employee")
            .get(pk=getattr(event, "pk", event))
        )
    except ResignationEvent.DoesNotExist as error:
        raise NotFound() from error


def event_require_undecided(event) -> None:
    """HR decides an event once: started or dismissed, it offers nothing more."""
    if event.state not in ResignationEvent.UNDECIDED_STATES:
        raise Conflict(
            _("This event was already decided: %(state)s.")
            % {"state": event.get_state_display()}
        )


@transaction.atomic
def proposal_start(
    *,
    actor,
    event,
    template=None,
    successors=None,
    manager=None,
    last_working_day=None,
    meta=NO_REQUEST,
) -> IntakeOutcome:
    """HR starts a proposed (or refused) event: as planned, or with what HR
    changed. A start that cannot happen raises ``InvalidInput`` (per field) or
    ``Conflict`` and leaves the event as it was."""
    require_hr(actor)
    event = _lock_event(event)
    event_require_undecided(event)
    if event.employee is None:
        raise InvalidInput(
            fields={
                "employee": [_("The event's employee is unknown: it cannot start.")]
            }
        )
    stored = event.plan or {}
    if template is None and stored.get("template"):
        template = templates_by_id([stored["template"]]).get(stored["template"])
    if not successors and stored.get("successors"):
        found = active_people(stored["successors"])
        successors = [found[pk] for pk in stored["successors"] if pk in found]
    if manager is None and stored.get("manager"):
        manager = active_people([stored["manager"]]).get(stored["manager"])
    event.last_working_day = last_working_day or event.last_working_day
    plan = StartPlanner().plan(
        employee=event.employee,
        last_working_day=event.last_working_day,
        resignation_date=event.resignation_date,
        template=template,
        successors=successors or None,
        manager=manager,
        language=stored.get("language", ""),
    )
    if plan.problems:
        raise InvalidInput(
            _("The handover could not be started."), fields=plan.problems
        )
    handover = start_from_plan(event, plan, actor=actor, meta=meta)
    event.state = State.STARTED
    event.plan = {**plan.as_json(), "language": stored.get("language", "")}
    event.refusal = event.refusal_code = ""
    event.handover = handover
    event.decided_at = timezone.now()
    event.decided_by = actor
    event.save()
    return IntakeOutcome(
        status="started",
        event=event,
        handover=handover,
        message=started_message(handover, plan),
    )


@transaction.atomic
def proposal_dismiss(*, actor, event, reason: str, meta=NO_REQUEST) -> ResignationEvent:
    """HR decides a proposed (or refused) event starts nothing."""
    require_hr(actor)
    event = _lock_event(event)
    event_require_undecided(event)
    event.state = State.DISMISSED
    event.decision_note = reason.strip()
    event.decided_at = timezone.now()
    event.decided_by = actor
    event.save(update_fields=["state", "decision_note", "decided_at", "decided_by"])
    return event


# The manager's choice ---------------------------------------------------------------


@transaction.atomic
def successor_pick(*, actor, handover, successor, meta=NO_REQUEST) -> Handover:
    """The manager of a draft handover waiting for a successor names one: they
    join as successor, take the successor items, and the handover starts."""
    handover = lock_handover(getattr(handover, "pk", handover))
    require_not_leaver(actor, handover, MANAGE)
    require_role(actor, handover, ParticipantRole.MANAGER)
    waiting = (
        handover.state == Handover.State.DRAFT
        and not handover.participants.filter(role=ParticipantRole.SUCCESSOR).exists()
    )
    if not waiting:
        raise Conflict(_("This handover is not waiting for a successor."))
    if successor is None or not successor.is_active:
        raise InvalidInput(
            fields={"successor": [_("Choose a successor who can sign in.")]}
        )
    if successor.pk == handover.employee.user_id:
        raise InvalidInput(
            fields={
                "successor": [
                    _("The departing employee cannot be their own successor.")
                ]
            }
        )
    participant = Participant.objects.create(
        handover=handover, user=successor, role=ParticipantRole.SUCCESSOR
    )
    grant_role(handover=handover, user=successor, role=ParticipantRole.SUCCESSOR)
    items = handover.items.filter(
        confirmed_by_role=ParticipantRole.SUCCESSOR, assignee__isnull=True
    )
    block_ids = list(items.values_list("block_id", flat=True))
    items.update(assignee=successor, updated_at=timezone.now())
    audit_record(
        handover=handover,
        actor=actor,
        role=ParticipantRole.MANAGER,
        action="successor.picked",
        obj=participant,
        after={"user": successor.pk, "role": ParticipantRole.SUCCESSOR},
        details={"items": block_ids},
        ip_address=meta.ip_address,
    )
    return handover_open(
        actor=actor, handover=handover, meta=meta, as_role=ParticipantRole.MANAGER
    )
