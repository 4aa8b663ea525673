"""The daily digest of items due soon or overdue: one email per person who
must act next, listing their items on every handover in progress."""

from collections import defaultdict
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.db.models.fields.json import KeyTransform
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..models import Delivery, Handover, Item, ParticipantRole
from ..names import person_name
from ..services.visibility import conditional_answers, item_is_visible
from .common import (
    handover_language,
    handovers_url,
    participant_url,
    preferred_languages,
)
from .delivery import channel_for, company_settings, deliver, preferences_for
from .outbox import compose

__all__ = ["DUE_SOON_DAYS", "due_reminder_recipients", "due_reminders_send"]

# An item due within this many days (or already past its date) is reminded of.
DUE_SOON_DAYS = 2


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
        Handover.objects.select_related("employee__user")
        .only(
            "number",
            "language",
            "employee__name",
            "employee__user__first_name",
            "employee__user__last_name",
            "employee__user__username",
        )
        .in_bulk(handover_ids)
    )
    # Field answers only where a visibility condition needs them.
    answers = conditional_answers(duties)

    by_person = defaultdict(list)
    for item in duties:
        item.handover = handovers[item.handover_id]
        item.definition = {"condition": item.condition_only or {}}
        if item_is_visible(item, answers[item.handover_id]):
            by_person[item.recipient_id].append(item)
    if not by_person:
        return 0
    preferences = preferences_for(by_person)
    # Those who turned the digest off on "My notifications".
    for user_id, preference in preferences.items():
        if not preference.daily_digest:
            by_person.pop(user_id, None)
    if not by_person:
        return 0
    users = get_user_model().objects.in_bulk(list(by_person))
    languages = preferred_languages(by_person)
    default_channel = company_settings().default_channel
    deliveries, sent = [], 0
    for user_id, items in by_person.items():
        message = _digest(
            user=users[user_id],
            items=items,
            language=languages.get(user_id) or handover_language(items[0].handover),
            today=today,
        )
        handover_ids = {item.handover_id for item in items}
        outcome = deliver(
            message,
            channel_key=channel_for(preferences.get(user_id), default_channel),
            handover_id=next(iter(handover_ids)) if len(handover_ids) == 1 else None,
        )
        deliveries += outcome.deliveries
        sent += outcome.sent
    Delivery.objects.bulk_create(deliveries)
    return sent


def _digest(*, user, items, language, today):
    handovers = {}
    for item in items:
        handover = item.handover
        entry = handovers.setdefault(
            handover.pk,
            {
                "number": handover.number,
                "employee_name": person_name(handover.employee, language),
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
    link = handovers_url(language)
    with translation.override(language):
        link_label = _("Open my handovers")
        lines = tuple(
            _("%(number)s · “%(item)s”, due %(day)s")
            % {
                "number": handover["number"],
                "item": entry["label"],
                "day": date_format(entry["due_date"]),
            }
            for handover in handovers.values()
            for entry in handover["items"]
        )
    return compose(
        user=user,
        language=language,
        template="due_reminders",
        context={
            "item_count": len(items),
            "handovers": sorted(handovers.values(), key=lambda entry: entry["number"]),
        },
        lines=lines,
        link=link,
        link_label=link_label,
        key=f"digest:{user.pk}:{today.isoformat()}",
    )
