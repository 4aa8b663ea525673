"""Emails to the people of a handover: one per recipient per event, each in the
recipient's language, with a link to the participant page.

Huey tasks in ``cms.tasks`` call these with ids; nothing here writes to the
database."""

import logging
import re
from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.db.models.fields.json import KeyTransform
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import Comment, Handover, Item, Participant, ParticipantRole
from .services.review import field_answers, item_is_visible

logger = logging.getLogger(__name__)

__all__ = [
    "DUE_SOON_DAYS",
    "NOTIFIED_EVENTS",
    "due_reminder_recipients",
    "due_reminders_send",
    "handover_event_send",
    "handovers_url",
    "participant_url",
]

# An item due within this many days (or already past its date) is reminded of.
DUE_SOON_DAYS = 2

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
}
NOTIFIED_EVENTS = frozenset(EVENT_TEMPLATES)
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


# Links and languages ----------------------------------------------------------------


def handovers_url(language: str) -> str:
    return f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}/{language}/handovers/"


def participant_url(handover_id: int, language: str) -> str:
    return f"{handovers_url(language)}{handover_id}/"


def _supported(language: str | None) -> str | None:
    language = (language or "").lower()
    return language if language in dict(settings.LANGUAGES) else None


def _preferred_languages(user_ids) -> dict[int, str]:
    """The language each user chose in their Wagtail profile, where they chose
    one. One query, and no profile is created for those who have none."""
    from wagtail.users.models import UserProfile

    rows = (
        UserProfile.objects.filter(user_id__in=list(user_ids))
        .exclude(preferred_language="")
        .values_list("user_id", "preferred_language")
    )
    return {user_id: code for user_id, code in rows if _supported(code)}


def _handover_language(handover: Handover) -> str:
    return _supported(handover.language) or settings.LANGUAGE_CODE


# Recipients -------------------------------------------------------------------------


def _display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _reachable(user) -> bool:
    return bool(user.is_active and user.email)


def _gather(participants, keep=lambda participant: True) -> dict[int, tuple]:
    """user id → (user, their roles among the kept participant rows)."""
    people = {}
    for participant in participants:
        if keep(participant):
            _user, roles = people.setdefault(
                participant.user_id, (participant.user, [])
            )
            roles.append(participant.role)
    return people


def _with_role(participants, role: str) -> dict[int, tuple]:
    return _gather(participants, lambda participant: participant.role == role)


def _confirmers(item: Item, participants) -> dict[int, tuple]:
    """Who may confirm the item (the rule of ``permissions.can_confirm``)."""
    if item.confirmed_by_role == ParticipantRole.SUCCESSOR and item.assignee_id:
        return _gather(
            participants,
            lambda participant: (
                participant.user_id == item.assignee_id
                and participant.role == ParticipantRole.SUCCESSOR
            ),
        )
    return _with_role(participants, item.confirmed_by_role)


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
        return _gather(participants)
    if event == "participant.added":
        return _gather(
            participants,
            lambda participant: (
                participant.user_id == details.get("user_id")
                and participant.role == details.get("role")
            ),
        )
    if event == "handover.in_review":
        return _with_role(participants, ParticipantRole.MANAGER)
    if event == "item.assigned":
        if item.assignee is None:
            return {}
        return {item.assignee_id: (item.assignee, [ParticipantRole.SUCCESSOR])}
    if event in ("question.asked", "item.returned"):
        return _with_role(participants, item.filled_by_role)
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


# Rendering --------------------------------------------------------------------------


def _render_text(template_name: str, context: dict) -> str:
    """A plain-text template: nothing HTML-escaped, blank lines tidied."""
    template = Engine.get_default().get_template(template_name)
    text = template.render(Context(context, autoescape=False))
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _email(*, user, language, template, context, link, link_label):
    with translation.override(language):
        context = {
            **context,
            "language": language,
            "recipient_name": _display_name(user),
            "link": link,
            "link_label": link_label,
        }
        subject = " ".join(
            _render_text(f"cms/email/{template}_subject.txt", context).split()
        )
        context["subject"] = subject
        context["body"] = _render_text(f"cms/email/{template}.txt", context)
        text = _render_text("cms/email/layout.txt", context)
        html = render_to_string("cms/email/layout.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[user.email])
    message.attach_alternative(html, "text/html")
    return message


def _send(messages) -> int:
    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(messages) or 0


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


# Events -----------------------------------------------------------------------------


def handover_event_send(
    *, handover_id: int, event: str, actor_id=None, item_id=None, details=None
) -> int:
    """Email the people an event concerns, never the actor. Returns how many
    emails were sent."""
    template = EVENT_TEMPLATES.get(event)
    if template is None:
        return 0
    details = details or {}
    handover = (
        Handover.objects.select_related("employee").filter(pk=handover_id).first()
    )
    if handover is None:
        logger.warning("No email for %s: handover %s is gone.", event, handover_id)
        return 0
    item = None
    if item_id is not None:
        item = (
            Item.objects.select_related("assignee")
            .filter(pk=item_id, handover=handover)
            .first()
        )
    if event in ITEM_EVENTS and item is None:
        logger.warning("No email for %s: item %s is gone.", event, item_id)
        return 0
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
        if user_id != actor_id and _reachable(user)
    }
    if not recipients:
        return 0

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    context = {
        "event": event,
        "added": event == "participant.added",
        "resubmitted": event == "item.resubmitted",
        "handover_number": handover.number,
        "employee_name": handover.employee.name,
        "last_working_day": handover.last_working_day,
        "completed_at": handover.completed_at,
        "cancel_reason": handover.cancel_reason,
        "item_label": item.label if item else "",
        "item_due_date": item.due_date if item else None,
        "actor_name": _display_name(actor) if actor else "",
        "reason": details.get("reason", ""),
    }
    if template == "welcome" and any(
        ParticipantRole.LEAVER in roles for _user, roles in recipients.values()
    ):
        context.update(_leaver_work(handover))

    languages = _preferred_languages(recipients)
    fallback = _handover_language(handover)
    messages = []
    for user_id, (user, roles) in recipients.items():
        language = languages.get(user_id, fallback)
        roles = sorted(set(roles), key=ROLE_ORDER.index)
        messages.append(
            _email(
                user=user,
                language=language,
                template=template,
                context={
                    **context,
                    "roles": roles,
                    "role_labels": [ParticipantRole(role).label for role in roles],
                },
                link=participant_url(handover.pk, language),
                link_label=_("Open the handover"),
            )
        )
    return _send(messages)


# Due reminders ----------------------------------------------------------------------


def _due_duties(*, today: date, user_ids=None):
    """Items on handovers in progress that are overdue or due within
    ``DUE_SOON_DAYS``, once for each person who must act on them next — the
    confirmer of a submitted item (its assigned successor when it has one),
    else whoever fills it — as ``recipient_id``. Only reachable people (active,
    with an email address), and only ``user_ids`` when given. The rule of
    ``permissions.can_confirm`` / ``can_fill``, answered by the database: one
    query, however many handovers there are."""
    submitted = Q(state=Item.State.SUBMITTED)
    person = "handover__participants__"
    responsible = (
        submitted
        & Q(**{f"{person}role": F("confirmed_by_role")})
        & (
            ~Q(confirmed_by_role=ParticipantRole.SUCCESSOR)
            | Q(assignee_id__isnull=True)
            | Q(**{f"{person}user_id": F("assignee_id")})
        )
    ) | (~submitted & Q(**{f"{person}role": F("filled_by_role")}))
    reachable = Q(**{f"{person}user__is_active": True, f"{person}user__email__gt": ""})
    if user_ids is not None:
        reachable &= Q(**{f"{person}user_id__in": list(user_ids)})
    # One filter() call: every condition on the participants is on the same
    # join, which the annotation below reuses.
    return (
        Item.objects.filter(
            responsible,
            reachable,
            handover__state=Handover.State.IN_PROGRESS,
            due_date__lte=today + timedelta(days=DUE_SOON_DAYS),
        )
        .exclude(state__in=Item.DONE_STATES)
        .annotate(recipient_id=F(f"{person}user_id"))
    )


def due_reminder_recipients(*, today: date) -> list[int]:
    """Who gets a digest today (ids, ascending): one grouped query. Somebody
    whose due items all turn out hidden by a condition is listed but gets no
    email."""
    return list(
        _due_duties(today=today)
        .order_by()
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by("recipient_id")
    )


def due_reminders_send(*, today: date, user_ids=None) -> int:
    """One digest per responsible person (of ``user_ids`` when given) listing
    their items, on handovers in progress, that are overdue or due within
    ``DUE_SOON_DAYS``. A fixed number of queries however many handovers and
    people there are. Returns how many emails were sent."""
    # Tens of thousands of rows at scale: only the columns a digest reads, and
    # of the definition only the condition.
    duties = list(
        _due_duties(today=today, user_ids=user_ids)
        .only("handover_id", "label", "state", "due_date")
        .annotate(condition_only=KeyTransform("condition", "definition"))
        .order_by("due_date", "handover_id", "position", "recipient_id")
    )
    if not duties:
        return 0
    handover_ids = {item.handover_id for item in duties}
    handovers = (
        Handover.objects.select_related("employee")
        .only("number", "language", "employee__name")
        .in_bulk(handover_ids)
    )
    # Field answers only where a visibility condition needs them.
    conditional = {item.handover_id for item in duties if item.condition_only}
    answers = defaultdict(dict)
    if conditional:
        for field_item in Item.objects.filter(
            handover_id__in=conditional, kind="field"
        ).only("handover_id", "kind", "definition", "data"):
            answers[field_item.handover_id].update(field_answers([field_item]))

    by_person = defaultdict(list)
    for item in duties:
        item.handover = handovers[item.handover_id]
        item.definition = {"condition": item.condition_only or {}}
        if item_is_visible(item, answers[item.handover_id]):
            by_person[item.recipient_id].append(item)
    if not by_person:
        return 0
    users = get_user_model().objects.in_bulk(list(by_person))
    languages = _preferred_languages(by_person)
    messages = [
        _digest(
            user=users[user_id],
            items=items,
            language=languages.get(user_id) or _handover_language(items[0].handover),
            today=today,
        )
        for user_id, items in by_person.items()
    ]
    return _send(messages)


def _digest(*, user, items, language, today):
    handovers = {}
    for item in items:
        handover = item.handover
        entry = handovers.setdefault(
            handover.pk,
            {
                "number": handover.number,
                "employee_name": handover.employee.name,
                "link": participant_url(handover.pk, language),
                "items": [],
            },
        )
        entry["items"].append(
            {
                "label": item.label,
                "due_date": item.due_date,
                "overdue": item.due_date < today,
                "due_today": item.due_date == today,
                "to_confirm": item.state == Item.State.SUBMITTED,
                "returned": item.state == Item.State.RETURNED,
            }
        )
    return _email(
        user=user,
        language=language,
        template="due_reminders",
        context={
            "item_count": len(items),
            "handovers": sorted(handovers.values(), key=lambda entry: entry["number"]),
        },
        link=handovers_url(language),
        link_label=_("Open my handovers"),
    )
