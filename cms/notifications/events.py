"""Events on a handover, into the outbox: who hears about an event (never its
actor), in which language, and what the message about one event says. The
outbox (``outbox``) sends them, batched."""

import datetime
import logging

from django.utils.translation import gettext_lazy

from ..models import (
    Comment,
    Handover,
    Item,
    Notification,
    NotificationPreference,
    Participant,
    ParticipantRole,
)
from ..names import person_name
from ..services.review import field_answers, item_is_visible
from .common import (
    display_name,
    gather,
    handover_language,
    preferred_languages,
    with_role,
)

logger = logging.getLogger(__name__)

__all__ = [
    "EVENT_KINDS",
    "EVENT_TEMPLATES",
    "IMMEDIATE_EVENTS",
    "NOTIFIED_EVENTS",
    "event_context",
    "handover_event_send",
]

# Event → the email templates under cms/email/ (<name>_subject.txt, <name>.txt).
EVENT_TEMPLATES = {
    "handover.started": "welcome",
    "participant.added": "welcome",
    "item.assigned": "item_assigned",
    "question.asked": "question_asked",
    "question.answered": "question_answered",
    "item.returned": "item_returned",
    "item.submitted": "item_submitted",
    "item.resubmitted": "item_submitted",
    "handover.in_review": "handover_in_review",
    "handover.completed": "handover_completed",
    "handover.cancelled": "handover_cancelled",
    # Intake: a start rule lets the manager pick the successor of a draft.
    "successor.requested": "successor_requested",
    "certificate.issued": "certificate_issued",
    "item.escalated": "item_escalated",
    # What the systems could not do: one short template says it.
    "access.planned": "access_planned",
    "access.failed": "system_problem",
    "connector.sync_failed": "system_problem",
    "connector.transfer_failed": "system_problem",
}
NOTIFIED_EVENTS = frozenset(EVENT_TEMPLATES)
# What a person may turn off on "My notifications", by kind. Being added to a
# handover and being asked to pick its successor cannot be turned off.
EVENT_KINDS = {
    "items": (
        gettext_lazy("Items assigned to you, submitted to you or returned to you"),
        frozenset(
            {"item.assigned", "item.submitted", "item.resubmitted", "item.returned"}
        ),
    ),
    "questions": (
        gettext_lazy("Questions asked of you and answers to yours"),
        frozenset({"question.asked", "question.answered"}),
    ),
    "milestones": (
        gettext_lazy(
            "Handover milestones: ready for review, approved, certificate issued, "
            "cancelled"
        ),
        frozenset(
            {
                "handover.in_review",
                "handover.completed",
                "certificate.issued",
                "handover.cancelled",
            }
        ),
    ),
    "escalations": (
        gettext_lazy("Overdue items escalated to you"),
        frozenset({"item.escalated"}),
    ),
    "systems": (
        gettext_lazy(
            "Access changes planned or failed, and syncs and transfers that failed"
        ),
        frozenset(
            {
                "access.planned",
                "access.failed",
                "connector.sync_failed",
                "connector.transfer_failed",
            }
        ),
    ),
}
# Someone's first word of a handover, asking them to start on it, goes at once
# (with whatever else waits for them); the activity that follows waits for the
# batch window.
IMMEDIATE_EVENTS = frozenset(
    {"handover.started", "participant.added", "successor.requested"}
)
ITEM_EVENTS = frozenset(
    {
        "item.assigned",
        "question.asked",
        "question.answered",
        "item.returned",
        "item.submitted",
        "item.resubmitted",
    }
)
EVERYONE_EVENTS = frozenset(
    {"handover.started", "handover.completed", "handover.cancelled"}
)
ROLE_ORDER = list(ParticipantRole.values)


def _confirmers(item: Item, participants) -> dict[int, tuple]:
    """Who may confirm the item (the rule of ``permissions.can_confirm``)."""
    if item.confirmed_by_role == ParticipantRole.SUCCESSOR and item.assignee_id:
        return gather(
            participants,
            lambda participant: (
                participant.user_id == item.assignee_id
                and participant.role == ParticipantRole.SUCCESSOR
            ),
        )
    return with_role(participants, item.confirmed_by_role)


def _answered_question(item: Item, actor_id, details: dict):
    """The question an answer was posted to: named in the event when the service
    says so, otherwise the one the actor answered last on this item."""
    if details.get("question_id"):
        return (
            Comment.objects.select_related("author")
            .filter(pk=details["question_id"], item=item, is_question=True)
            .first()
        )
    answer = (
        Comment.objects.select_related("question__author")
        .filter(item=item, author_id=actor_id, question__isnull=False)
        .order_by("-created_at", "-pk")
        .first()
    )
    return answer.question if answer else None


def _event_recipients(event, *, item, participants, actor_id, details):
    if event in EVERYONE_EVENTS:
        return gather(participants)
    if event == "participant.added":
        return gather(
            participants,
            lambda participant: (
                participant.user_id == details.get("user_id")
                and participant.role == details.get("role")
            ),
        )
    if event in ("handover.in_review", "successor.requested"):
        return with_role(participants, ParticipantRole.MANAGER)
    if event == "certificate.issued":
        return gather(
            participants,
            lambda participant: (
                participant.role in (ParticipantRole.LEAVER, ParticipantRole.HR)
            ),
        )
    if event == "item.escalated":
        step = details.get("step")
        return with_role(
            participants,
            ParticipantRole.HR if step == "hr" else ParticipantRole.MANAGER,
        )
    if event in ("access.planned", "access.failed"):
        return with_role(participants, ParticipantRole.IT)
    if event in ("connector.sync_failed", "connector.transfer_failed"):
        return gather(
            participants,
            lambda participant: (
                participant.role in (ParticipantRole.HR, ParticipantRole.IT)
            ),
        )
    if event == "item.assigned":
        if item.assignee is None:
            return {}
        return {item.assignee_id: (item.assignee, [ParticipantRole.SUCCESSOR])}
    if event in ("question.asked", "item.returned"):
        return with_role(participants, item.filled_by_role)
    if event in ("item.submitted", "item.resubmitted"):
        return _confirmers(item, participants)
    if event == "question.answered":
        question = _answered_question(item, actor_id, details)
        if question is None:
            return {}
        roles = [
            participant.role
            for participant in participants
            if participant.user_id == question.author_id
        ]
        return {question.author_id: (question.author, roles)}
    return {}


def muted_recipients(user_ids, event: str) -> set[int]:
    """Of ``user_ids``, those who turned off the kind of ``event``."""
    kinds = [key for key, (_label, events) in EVENT_KINDS.items() if event in events]
    if not kinds:
        return set()
    muted = set()
    for user_id, chosen in NotificationPreference.objects.filter(
        user_id__in=list(user_ids)
    ).values_list("user_id", "muted_kinds"):
        if set(chosen or ()) & set(kinds):
            muted.add(user_id)
    return muted


def _iso_date(value):
    try:
        return datetime.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _leaver_work(handover: Handover) -> dict:
    """What the departing employee has to fill, and the first date it is due."""
    items = list(handover.items.all())
    answers = field_answers(items)
    todo = [
        item
        for item in items
        if item.filled_by_role == ParticipantRole.LEAVER
        and not item.is_done
        and item_is_visible(item, answers)
    ]
    due_dates = [item.due_date for item in todo if item.due_date]
    return {
        "leaver_item_count": len(todo),
        "first_due_date": min(due_dates, default=None),
    }


def event_context(
    *, event, handover, item, actor, details, roles, language=None
) -> dict:
    """What the e-mail templates of one event read; names as ``language``
    writes them (the active language by default)."""
    roles = sorted(set(roles), key=ROLE_ORDER.index)
    context = {
        "event": event,
        "added": event == "participant.added",
        "resubmitted": event == "item.resubmitted",
        "handover_number": handover.number,
        "employee_name": person_name(handover.employee, language),
        "last_working_day": handover.last_working_day,
        "completed_at": handover.completed_at,
        "cancel_reason": handover.cancel_reason,
        "item_label": item.label if item else "",
        "item_due_date": item.due_date if item else None,
        "actor_name": display_name(actor, language) if actor else "",
        "reason": details.get("reason", ""),
        "pick_days": details.get("days"),
        "pick_by": _iso_date(details.get("pick_by")),
        "certificate_code": details.get("code", ""),
        "days_overdue": details.get("days_overdue"),
        "escalation_step": details.get("step", ""),
        "roles": roles,
        "role_labels": [ParticipantRole(role).label for role in roles],
    }
    if EVENT_TEMPLATES[event] == "welcome" and ParticipantRole.LEAVER in roles:
        context.update(_leaver_work(handover))
    return context


def handover_event_send(
    *, handover_id: int, event: str, actor_id=None, item_id=None, details=None
) -> list[int]:
    """Put the event in the outbox of each person it concerns, never the
    actor, in their language. Returns their ids."""
    if event not in EVENT_TEMPLATES:
        return []
    details = details or {}
    handover = (
        Handover.objects.select_related("employee").filter(pk=handover_id).first()
    )
    if handover is None:
        logger.warning("No message for %s: handover %s is gone.", event, handover_id)
        return []
    item = None
    if item_id is not None:
        item = (
            Item.objects.select_related("assignee")
            .filter(pk=item_id, handover=handover)
            .first()
        )
    if event in ITEM_EVENTS and item is None:
        logger.warning("No message for %s: item %s is gone.", event, item_id)
        return []
    participants = list(
        Participant.objects.filter(handover=handover).select_related("user")
    )
    recipients = {
        user_id: (user, roles)
        for user_id, (user, roles) in _event_recipients(
            event,
            item=item,
            participants=participants,
            actor_id=actor_id,
            details=details,
        ).items()
        if user_id != actor_id and user.is_active
    }
    for user_id in muted_recipients(recipients, event):
        del recipients[user_id]
    languages = preferred_languages(recipients)
    fallback = handover_language(handover)
    Notification.objects.bulk_create(
        Notification(
            recipient_id=user_id,
            handover=handover,
            item=item,
            event=event,
            actor_id=actor_id,
            details={**details, "roles": sorted(set(roles))},
            language=languages.get(user_id, fallback),
        )
        for user_id, (_user, roles) in recipients.items()
    )
    return list(recipients)
