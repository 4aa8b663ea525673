"""Notifications to the people of a handover, each in the recipient's
language, with a link to the participant page in that language: events wait in
an outbox (``events``) and go batched, one message per person (``outbox``),
through the channel they chose (``delivery``, ``channels``); the daily digest
of items due soon or overdue (``reminders``).

Huey tasks in ``cms.tasks`` call these with ids."""

from .common import handovers_url, participant_url
from .delivery import company_settings, deliver
from .events import IMMEDIATE_EVENTS, NOTIFIED_EVENTS, handover_event_send
from .outbox import due_recipients, recipient_flush
from .reminders import DUE_SOON_DAYS, due_reminder_recipients, due_reminders_send

__all__ = [
    "DUE_SOON_DAYS",
    "IMMEDIATE_EVENTS",
    "NOTIFIED_EVENTS",
    "company_settings",
    "deliver",
    "due_recipients",
    "due_reminder_recipients",
    "due_reminders_send",
    "handover_event_send",
    "handovers_url",
    "participant_url",
    "recipient_flush",
]
