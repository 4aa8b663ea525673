"""Background work of the handover domain: notifications (the outbox, flushed
every minute, and the daily digest), the hourly escalation of overdue items,
and the hourly signed checkpoint of the audit trail.

Task names are part of the queue's messages: never rename a task that may have
queued messages."""

import logging
from datetime import date

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, lock_task

from . import notifications
from .services import escalations_run
from .services.audit import audit_checkpoint_create

logger = logging.getLogger(__name__)

__all__ = [
    "DIGESTS_PER_TASK",
    "escalate_overdue_items",
    "flush_notifications",
    "notify_handover_event",
    "queue_due_reminders",
    "queue_notification",
    "send_due_digests",
    "send_due_reminders",
    "send_notifications",
    "write_audit_checkpoint",
]

# The day the reminders last went out, kept in huey's own storage (Redis or its
# SQLite file): one key, overwritten daily, so a second run on the same day (a
# second consumer's scheduler, a manual run) sends nothing.
REMINDERS_SENT_KEY = "baton-due-reminders.last-day"

# The daily tick only finds who gets a digest; the digests are rendered and
# sent by tasks of this many people each, which the workers share.
DIGESTS_PER_TASK = 100


def queue_notification(
    sender, *, handover_id, event, actor_id=None, item_id=None, details=None, **kwargs
):
    """Receiver of ``cms.signals.handover_event`` (sent after commit): one task
    per event that somebody should hear about by email."""
    if event in notifications.NOTIFIED_EVENTS:
        notify_handover_event(handover_id, event, actor_id, item_id, details or {})


@db_task(retries=2, retry_delay=60)
def notify_handover_event(handover_id, event, actor_id, item_id, details=None):
    """Put the event in its recipients' outboxes; send at once when it is
    someone's first word of a handover (``IMMEDIATE_EVENTS``) or the batch
    window is 0."""
    recipients = notifications.handover_event_send(
        handover_id=handover_id,
        event=event,
        actor_id=actor_id,
        item_id=item_id,
        details=details,
    )
    at_once = event in notifications.IMMEDIATE_EVENTS
    if recipients and (
        at_once or not notifications.company_settings().batch_window_minutes
    ):
        for user_id in recipients:
            send_notifications(user_id)
    return len(recipients)


@db_periodic_task(crontab(minute="*"))
@lock_task("baton-notifications-flush")
def flush_notifications():
    """Every minute: a send task for each person whose oldest waiting event
    is older than the batch window."""
    recipients = notifications.due_recipients()
    for user_id in recipients:
        send_notifications(user_id)
    return len(recipients)


@db_task(retries=5, retry_delay=30, retry_backoff=2)
def send_notifications(user_id: int):
    """One person's waiting events as one message. When even e-mail failed
    for an outage, raise so huey retries, later each time; the events stay
    waiting meanwhile."""
    outcome = notifications.recipient_flush(user_id)
    if outcome is not None and outcome.retryable_error is not None:
        raise outcome.retryable_error
    return bool(outcome and outcome.sent)


@db_periodic_task(crontab(hour="8", minute="0"))
@lock_task("baton-due-reminders")
def send_due_reminders():
    """The daily digest of items due soon or overdue: once a day."""
    today = timezone.localdate()
    if HUEY.get(REMINDERS_SENT_KEY, peek=True) == today.isoformat():
        logger.info("Due reminders for %s were already sent.", today)
        return 0
    queued = queue_due_reminders(today=today)
    HUEY.put(REMINDERS_SENT_KEY, today.isoformat())
    return queued


def queue_due_reminders(*, today) -> int:
    """One tick: who gets a digest (one query, however many handovers are
    open), then a digest task for each batch of them. Returns how many people
    were queued."""
    recipients = notifications.due_reminder_recipients(today=today)
    for start in range(0, len(recipients), DIGESTS_PER_TASK):
        send_due_digests(
            today.isoformat(), recipients[start : start + DIGESTS_PER_TASK]
        )
    logger.info("Due reminders for %s queued for %d people.", today, len(recipients))
    return len(recipients)


@db_task(retries=2, retry_delay=60)
def send_due_digests(day: str, user_ids: list[int]):
    """The digests of one batch of people, for the day the tick ran."""
    return notifications.due_reminders_send(
        today=date.fromisoformat(day), user_ids=user_ids
    )


@db_periodic_task(crontab(minute="20"))
@lock_task("baton-escalations")
def escalate_overdue_items():
    """Hourly: tell the manager, later HR, about items still open too long
    after their due date, as each template says; each step once per item.
    Hourly rather than daily, so a day's new escalations go out within the
    hour whenever the consumer was started or down."""
    return escalations_run()


@db_periodic_task(crontab(minute="5"))
@lock_task("baton-audit-checkpoint")
def write_audit_checkpoint():
    """Hourly: sign the state of every audit chain (chains, events, a hash over
    their heads), so that verify_audit notices events deleted later even where
    their chain's own checkpoint went with them."""
    audit_checkpoint_create()


@db_periodic_task(crontab(hour="2", minute="30"))
@lock_task("baton-retention-run")
def run_retention():
    """Nightly: erase what the retention policies say is due (in batches,
    each its own transaction; cms.services.retention). Until HR has started a
    real run themselves, after reading a dry-run report, the nightly run is a
    dry run too."""
    from .models import RetentionRun
    from .services.retention import retention_run

    started = RetentionRun.objects.filter(dry_run=False, started_by__isnull=False)
    run = retention_run(dry_run=not started.exists())
    return run.pk


@db_task()
@lock_task("baton-retention-run")
def run_retention_now(dry_run, actor_id):
    """HR's "Run now" / "Dry run now" in the admin: the nightly run's lock, so
    never two at once."""
    from django.contrib.auth import get_user_model

    from .services.retention import retention_run

    actor = get_user_model().objects.filter(pk=actor_id).first()
    return retention_run(dry_run=dry_run, actor=actor).pk
