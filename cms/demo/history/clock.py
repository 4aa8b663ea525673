"""Playing the past through the real services: a moved clock, signatures
the demo people give without a password, and work that would run after
commit run at the moment it belongs to."""

import contextlib
from datetime import datetime, time, timedelta
from unittest import mock

from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from cms import tasks
from cms.signals import handover_event

__all__ = ["SEEDED_CREDENTIALS", "HistoryClock", "SeededSignature", "local", "spread"]

# What the demo people "type" to sign in the history: only SeededSignature,
# installed while the history plays, accepts it.
SEEDED_CREDENTIALS = {"seeded": "demo-history"}
LOCMEM_EMAIL = "django.core.mail.backends.locmem.EmailBackend"


class SeededSignature:
    """The signature backend while the history plays: its people have no
    usable password (they are not demo logins), so they sign with the seeded
    credentials, and the signatures say so (auth method ``demo-history``)."""

    method = "demo-history"

    def verify(self, *, user, credentials: dict) -> bool:
        return credentials == SEEDED_CREDENTIALS


def local(day, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` on ``day`` in the company's time zone."""
    return timezone.make_aware(
        datetime.combine(day, time(hour, minute)), timezone.get_default_timezone()
    )


def spread(first: datetime, last: datetime, count: int) -> list[datetime]:
    """``count`` moments evenly from ``first`` to ``last``, whole seconds."""
    if count <= 0:
        return []
    if count == 1 or last <= first:
        return [first + timedelta(seconds=index) for index in range(count)]
    step = (last - first) / (count - 1)
    return [
        (first + step * index).replace(microsecond=0) + timedelta(seconds=index % 2)
        for index in range(count)
    ]


class HistoryClock:
    """``timezone.now()`` answers the moment a step happened; every service,
    ``auto_now`` field and audit event reads the time through it.

    While the history plays: tasks run in-process (huey's immediate mode) so
    the certificate, the connector fill and the access plan happen at their
    moment; nobody is emailed about the past; and the work a step leaves for
    after commit runs right after the step (a story commits as a whole)."""

    def __init__(self):
        self.moment = timezone.now()

    def now(self):
        return self.moment

    @contextlib.contextmanager
    def running(self):
        immediate = HUEY.immediate
        handover_event.disconnect(dispatch_uid="cms.tasks.queue_notification")
        try:
            with (
                mock.patch.object(timezone, "now", self.now),
                override_settings(
                    EMAIL_BACKEND=LOCMEM_EMAIL,
                    BATON_SIGNATURE_BACKEND=(
                        f"{SeededSignature.__module__}.SeededSignature"
                    ),
                ),
            ):
                HUEY.immediate = True
                yield self
        finally:
            HUEY.immediate = immediate
            handover_event.connect(
                tasks.queue_notification,
                dispatch_uid="cms.tasks.queue_notification",
            )

    def do(self, moment: datetime, step, /, *args, **kwargs):
        """Run ``step`` at ``moment``, then what it left for after commit."""
        self.moment = moment
        pending = len(connection.run_on_commit)
        result = step(*args, **kwargs)
        # Outside a transaction Django has run these already. Inside one (the
        # story's, or a test's) they would run at its end, at the wrong
        # moment: run them now, as a commit here would, and drop them.
        while len(connection.run_on_commit) > pending:
            callbacks = connection.run_on_commit[pending:]
            del connection.run_on_commit[pending:]
            for _savepoints, callback, _robust in callbacks:
                callback()
        return result
