"""The outbox: events wait per person until the batch window of their oldest
waiting event has passed, then go as ONE message listing every item and what
is asked, in the person's language, through their channel."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Min
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Delivery, Notification
from ..names import has_cjk, join_name, person_name
from .channels import Message
from .common import display_name, handovers_url, participant_url, render_email
from .delivery import channel_for, company_settings, deliver, preferences_for
from .events import EVENT_TEMPLATES, event_context

logger = logging.getLogger(__name__)

__all__ = [
    "EVENT_LINES",
    "compose",
    "due_recipients",
    "event_line",
    "recipient_flush",
    "stored_text",
]

# One line per event in a batched message or a messenger card: what happened
# and what is asked.
EVENT_LINES = {
    "handover.started": gettext_lazy("The handover started: see what is yours"),
    "participant.added": gettext_lazy("You were added to the handover"),
    "item.assigned": gettext_lazy("“%(item)s” was assigned to you"),
    "question.asked": gettext_lazy(
        "%(actor)s asked a question about “%(item)s”: please answer it"
    ),
    "question.answered": gettext_lazy(
        "%(actor)s answered your question about “%(item)s”"
    ),
    "item.returned": gettext_lazy("“%(item)s” was returned by %(actor)s: %(reason)s"),
    "item.submitted": gettext_lazy(
        "“%(item)s” was submitted by %(actor)s: waiting for your confirmation"
    ),
    "item.resubmitted": gettext_lazy(
        "“%(item)s” was submitted again by %(actor)s: waiting for your confirmation"
    ),
    "handover.in_review": gettext_lazy(
        "Everything is handed over: please review and approve"
    ),
    "handover.completed": gettext_lazy("The handover is completed"),
    "handover.cancelled": gettext_lazy("The handover was cancelled"),
    "successor.requested": gettext_lazy("Please choose the successor"),
    "certificate.issued": gettext_lazy(
        "The handover certificate was issued (code %(code)s)"
    ),
    "item.escalated": gettext_lazy(
        "“%(item)s” is %(days)s day(s) overdue: please see that it gets done"
    ),
    "access.planned": gettext_lazy(
        "Access to %(system)s changes on %(day)s: %(change)s"
    ),
    "access.failed": gettext_lazy("An access change on %(system)s failed: %(error)s"),
    "connector.sync_failed": gettext_lazy(
        "Filling “%(block)s” from %(system)s failed: %(error)s"
    ),
    "connector.transfer_failed": gettext_lazy(
        "Handing “%(item)s” over in %(system)s failed: %(error)s"
    ),
}


def _day(value: str) -> str:
    """An ISO date or time from an event's details, in the company's time zone
    and the active language's format."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value or ""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return date_format(moment.date())


def stored_text(value) -> str:
    """A text an event stored for later readers, in the active language.

    A string is what it was written as (data, or words of the language it was
    written in). ``{"text": msgid, "values": {…}}`` is one of Baton's own
    sentences, translated now; a value that is a list is a person's name in
    parts (``[family, given, username]``), written by the active language's
    rule."""
    if not isinstance(value, dict):
        return str(value or "")
    values = {}
    for key, part in (value.get("values") or {}).items():
        if isinstance(part, list):
            family, given, username = [*part, "", "", ""][:3]
            part = join_name(family, given) or username
        values[key] = part
    text = _(value.get("text") or "")
    try:
        return text % values if values else text
    except (KeyError, TypeError, ValueError):
        return text


def _changes(details: dict) -> str:
    """An access plan's changes, in the active language (events stored
    before they carried ``change_messages`` say them as they were written)."""
    messages = details.get("change_messages")
    if messages:
        return "; ".join(stored_text(message) for message in messages)
    return "; ".join(details.get("changes", ()))


def _in_reader_language(text: str, language: str | None) -> bool:
    reader = translation.get_language() or ""
    if language:
        return language.lower().split("-")[0] == reader.lower().split("-")[0]
    # Events stored before they said their language: Chinese text reads as
    # Chinese, any other as the other languages'.
    return has_cjk(text) == reader.lower().startswith("zh")


def _error(details: dict) -> str:
    """Why a system could not do something: Baton's own words in the active
    language; what a system said (or words of another language) quoted as
    such, under a label the reader reads."""
    if details.get("error_message"):
        return stored_text(details["error_message"])
    text = str(details.get("error") or "")
    if not text or _in_reader_language(text, details.get("error_language")):
        return text
    return _("the system said: “%(text)s”") % {"text": text}


def event_line(notification: Notification) -> str:
    """The line of one event, in the active language."""
    details = notification.details
    return str(EVENT_LINES[notification.event]) % {
        "item": notification.item.label if notification.item else "",
        "actor": display_name(notification.actor) if notification.actor else "Baton",
        "reason": details.get("reason", ""),
        "code": details.get("code", ""),
        "days": details.get("days_overdue", ""),
        "system": details.get("system", ""),
        "block": details.get("block", ""),
        "error": _error(details),
        "change": _changes(details),
        "day": _day(details.get("at", "")),
    }


def compose(
    *, user, language, template, context, lines, link, link_label, key
) -> Message:
    """A message rendered from ``template`` in ``language``; ``key`` is the
    same each time the same message is sent again (messengers drop repeats)."""
    subject, text, html = render_email(
        user=user,
        language=language,
        template=template,
        context=context,
        link=link,
        link_label=link_label,
    )
    return Message(
        user, language, subject, tuple(lines), link, link_label, text, html, key=key
    )


def due_recipients(*, now=None, window_minutes=None) -> list[int]:
    """Who has an event waiting longer than the batch window: one query."""
    if window_minutes is None:
        window_minutes = company_settings().batch_window_minutes
    cutoff = (now or timezone.now()) - timedelta(minutes=window_minutes)
    return list(
        Notification.objects.filter(sent_at__isnull=True)
        .values("recipient_id")
        .annotate(oldest=Min("created_at"))
        .filter(oldest__lte=cutoff)
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
    )


def _single(user, notification) -> Message:
    """One event: the e-mail of that event, as before batching."""
    language = notification.language
    link = participant_url(notification.handover_id, language)
    with translation.override(language):
        link_label = _("Open the handover")
        line = event_line(notification)
        lines = (f"{notification.handover.number} · {line}",)
    return compose(
        user=user,
        language=language,
        template=EVENT_TEMPLATES[notification.event],
        context={
            **event_context(
                event=notification.event,
                handover=notification.handover,
                item=notification.item,
                actor=notification.actor,
                details=notification.details,
                roles=notification.details.get("roles", []),
                language=language,
            ),
            "line": line,
        },
        lines=lines,
        link=link,
        link_label=link_label,
        key=f"notify:{notification.pk}-{notification.pk}-1",
    )


def _batch(user, pending) -> Message:
    # The newest event's language: the person may have changed it meanwhile.
    language = pending[-1].language
    handovers = {}
    lines = []
    with translation.override(language):
        for notification in pending:
            handover = notification.handover
            entry = handovers.setdefault(
                handover.pk,
                {
                    "number": handover.number,
                    "employee_name": person_name(handover.employee, language),
                    "link": participant_url(handover.pk, language),
                    "lines": [],
                },
            )
            line = event_line(notification)
            entry["lines"].append(line)
            lines.append(f"{handover.number} · {line}")
        if len(handovers) == 1:
            link = participant_url(pending[0].handover_id, language)
            link_label = _("Open the handover")
        else:
            link = handovers_url(language)
            link_label = _("Open my handovers")
    return compose(
        user=user,
        language=language,
        template="batch",
        context={"count": len(pending), "handovers": list(handovers.values())},
        lines=tuple(lines),
        link=link,
        link_label=link_label,
        key=f"notify:{pending[0].pk}-{pending[-1].pk}-{len(pending)}",
    )


def recipient_flush(user_id: int):
    """Send one person everything waiting for them as one message. Returns
    the ``Outcome`` (None when nothing was waiting, or another worker is
    sending it). The waiting events stay waiting when even e-mail failed for
    an outage."""
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient", "handover__employee__user", "item", "actor")
            .filter(recipient_id=user_id, sent_at__isnull=True)
            .order_by("created_at", "pk")
        )
        if not pending:
            return None
        user = pending[0].recipient
        message = (
            _single(user, pending[0]) if len(pending) == 1 else _batch(user, pending)
        )
        handover_ids = {notification.handover_id for notification in pending}
        preference = preferences_for([user_id]).get(user_id)
        outcome = deliver(
            message,
            channel_key=channel_for(preference, company_settings().default_channel),
            handover_id=next(iter(handover_ids)) if len(handover_ids) == 1 else None,
        )
        deliveries = Delivery.objects.bulk_create(outcome.deliveries)
        # Done when sent, or when nothing can reach the person (no address
        # anywhere): only an outage leaves them waiting for a retry.
        done = outcome.sent or outcome.retryable_error is None
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(
            delivery=deliveries[-1], sent_at=timezone.now() if done else None
        )
    return outcome
