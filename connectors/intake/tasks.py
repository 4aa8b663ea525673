"""Background work of intake (huey): reading an approval an event named, and
the poll for approvals whose event never came. Imported by
``connectors.tasks`` so consumers register them. Task names are part of
queued messages: never rename a task that may have messages waiting."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

logger = logging.getLogger(__name__)

__all__ = ["intake_approval_task", "intake_approvals_poll_task"]


@db_task(retries=3, retry_delay=60)
def intake_approval_task(connector_id, instance_code):
    """Read the approval an event named and receive it. An upstream outage is
    retried; a misconfigured connector is logged, and the poll makes up for
    the event once it is fixed."""
    from ..models import ConnectorConfig
    from ..sdk.base import MisconfiguredError
    from .approvals import approval_receive

    connector = ConnectorConfig.objects.filter(pk=connector_id, enabled=True).first()
    if connector is None:
        return None
    try:
        outcome = approval_receive(connector=connector, instance_code=instance_code)
    except MisconfiguredError as error:
        logger.error(
            "Resignation approval %s from %s could not be read: %s",
            instance_code,
            connector.slug,
            error.message,
        )
        return None
    return outcome.status if outcome is not None else None


@db_periodic_task(crontab(minute="*"))
@lock_task("baton-intake-approvals-poll")
def intake_approvals_poll_task():
    """Every minute: poll the Feishu and DingTalk connectors whose resignation
    poll interval has passed."""
    from .approvals import approvals_poll_due

    return {
        slug: getattr(result, "received", result)
        for slug, result in approvals_poll_due().items()
    }
