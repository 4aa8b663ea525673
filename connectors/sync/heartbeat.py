"""The heartbeat thread of a run: it extends the lease while the run waits on
the upstream system inside one ``discover()`` call."""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.db import connections

from ..models import SyncRun
from .runs import LeaseLost, beat, lease_seconds

__all__ = ["Heartbeat"]


class Heartbeat:
    """Extends the lease from a thread while the run waits on upstream.

    ``touch()`` says the run made progress; without one for
    ``BATON_SYNC_STALL_SECONDS`` the thread stops beating and the lease runs
    out, as it would for a dead worker."""

    def __init__(self, run: SyncRun, status_pk: int):
        self.run = run
        self.status_pk = status_pk
        self.interval = max(1.0, lease_seconds() / 3)
        self.stall = settings.BATON_SYNC_STALL_SECONDS
        self.progress_at = time.monotonic()
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name=f"sync-heartbeat-{run.pk}", daemon=True
        )

    def touch(self) -> None:
        self.progress_at = time.monotonic()

    def track(self, records):
        for record in records:
            self.touch()
            yield record

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                if time.monotonic() - self.progress_at > self.stall:
                    continue
                try:
                    beat(self.run, self.status_pk)
                except LeaseLost:
                    self.lost = True
                    return
        finally:
            connections.close_all()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        # A beat waits at most for one batch's row lock; never hang the run on it.
        self._thread.join(timeout=self.interval)
        return False
