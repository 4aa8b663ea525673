"""Emails to the people of a handover, each in the recipient's language, with
a link to the participant page: one per recipient per event (``events``), and
the daily digest of items due soon or overdue (``reminders``).

Huey tasks in ``cms.tasks`` call these with ids; nothing here writes to the
database."""

from .common import handovers_url, participant_url
from .events import NOTIFIED_EVENTS, handover_event_send
from .reminders import DUE_SOON_DAYS, due_reminder_recipients, due_reminders_send

__all__ = [
    "DUE_SOON_DAYS",
    "NOTIFIED_EVENTS",
    "due_reminder_recipients",
    "due_reminders_send",
    "handover_event_send",
    "handovers_url",
    "participant_url",
]
