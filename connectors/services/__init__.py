"""Queueing connector work and saving connectors.

Admin, participant pages, API, webhooks and the periodic job all call these."""

from .configs import connector_save, connector_test, require_hr_or_it
from .queueing import (
    handover_fill_queue,
    handover_started_receiver,
    resync_due,
    sync_queue,
    webhook_queue,
)

__all__ = [
    "connector_save",
    "connector_test",
    "handover_fill_queue",
    "handover_started_receiver",
    "require_hr_or_it",
    "resync_due",
    "sync_queue",
    "webhook_queue",
]
