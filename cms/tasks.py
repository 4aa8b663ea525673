"""Background work of the handover domain: notification emails.

Task names are part of the queue's messages: never rename a task that may have
queued messages."""

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, lock_task

from . import notifications

logger = logging.getLogger(__name__)

__all__ = ["notify_handover_event", "queue_notification", "send_due_reminders"]

# The day the reminders last went out, kept in huey's own storage (Redis or its
# SQLite file): one key, overwritten daily, so a second run on the same day (a
# second consumer's scheduler, a manual run) sends nothing.
REMINDERS_SENT_KEY = "baton-due-reminders.last-day"


def queue_notification(
    sender, *, handover_id, event, actor_id=None, item_id=None, details=None, **kwargs
):
    """Receiver of ``cms.signals.handover_event`` (sent after commit): one task
    per event that somebody should hear about by email."""
    if event in notifications.NOTIFIED_EVENTS:
        notify_handover_event(handover_id, event, actor_id, item_id, details or {})


@db_task(retries=2, retry_delay=60)
def notify_handover_event(handover_id, event, actor_id, item_id, details=None):
    return notifications.handover_event_send(
        handover_id=handover_id,
        event=event,
        actor_id=actor_id,
        item_id=item_id,
        details=details,
    )


@db_periodic_task(crontab(hour="8", minute="0"))
@lock_task("baton-due-reminders")
def send_due_reminders():
    """The daily digest of items due soon or overdue."""
    today = timezone.localdate()
    if HUEY.get(REMINDERS_SENT_KEY, peek=True) == today.isoformat():
        logger.info("Due reminders for %s were already sent.", today)
        return 0
    sent = notifications.due_reminders_send(today=today)
    HUEY.put(REMINDERS_SENT_KEY, today.isoformat())
    logger.info("Sent %d due reminder(s) for %s.", sent, today)
    return sent
