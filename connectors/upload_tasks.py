"""Spreadsheet imports in the background (huey; discovered through
``connectors.tasks``). Task names are part of queued messages: never rename a
task that may have messages waiting."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from .spreadsheet.importing import upload_run
from .spreadsheet.uploads import upload_purge

__all__ = ["upload_import_task", "upload_purge_task"]

logger = logging.getLogger(__name__)


@db_task(context=False)
def upload_import_task(upload_id):
    """Import one confirmed upload. Runs it once: a second message for the
    same upload finds it no longer queued and does nothing."""
    upload = upload_run(upload_id=upload_id)
    return upload.state if upload is not None else None


@db_periodic_task(crontab(minute="23"))
@lock_task("baton-upload-purge")
def upload_purge_task():
    """Hourly: delete uploaded files nobody imported within a day."""
    deleted = upload_purge()
    if deleted:
        logger.info("Deleted %d spreadsheet upload(s) left behind.", deleted)
    return deleted
