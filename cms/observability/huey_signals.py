"""What huey's signals tell: tasks queued, runs and their outcomes and
durations (cms.observability.metrics), and the running task's id and name in
every log line the task writes.

``connect()`` is called once per process from cms' AppConfig.ready(): in the
consumers (``manage.py run_huey``) the run signals fire; in the web workers
only "enqueued" does. Signals fire in huey's immediate mode too (the tests).
"""

import logging
import threading
import time

from huey import signals as S

from .context import current_request_id, current_task
from .metrics import TASK_DURATION, TASK_RUNS, TASKS_ENQUEUED

__all__ = ["connect"]

logger = logging.getLogger(__name__)

# How each run ends. ERROR comes before RETRYING when a failed task will be
# retried (the run is already counted then); RETRYING alone means the task
# raised RetryTask.
_OUTCOMES = {
    S.SIGNAL_COMPLETE: "complete",
    S.SIGNAL_ERROR: "error",
    S.SIGNAL_TIMEOUT: "timeout",
    S.SIGNAL_RETRYING: "retry",
    S.SIGNAL_LOCKED: "locked",
    S.SIGNAL_CANCELED: "canceled",
    S.SIGNAL_RATE_LIMITED: "rate_limited",
    S.SIGNAL_INTERRUPTED: "interrupted",
}
# Runs in flight in this process: task id -> (start, context token).
_running: dict[str, tuple[float, object]] = {}
_running_lock = threading.Lock()
_connected: set[int] = set()


def _on_enqueued(signal, task, *args, **kwargs):
    TASKS_ENQUEUED.labels(task.name).inc()
    if current_request_id.get() is not None:
        # The line that ties a request to the tasks it queued: its request_id
        # and the task's id (which the task's own log lines carry).
        logger.info(
            "Queued task %s (%s)",
            task.name,
            task.id,
            extra={"queued_task_id": task.id, "queued_task_name": task.name},
        )


def _on_executing(signal, task, *args, **kwargs):
    token = current_task.set((task.id, task.name))
    with _running_lock:
        if len(_running) > 10_000:  # runs whose end no signal told
            _running.clear()
        _running[task.id] = (time.monotonic(), token)


def _on_finished(signal, task, *args, **kwargs):
    with _running_lock:
        entry = _running.pop(task.id, None)
    if entry is None:  # RETRYING after ERROR, or a run never started here
        return
    started, token = entry
    TASK_RUNS.labels(task.name, _OUTCOMES[signal]).inc()
    TASK_DURATION.labels(task.name).observe(time.monotonic() - started)
    try:
        current_task.reset(token)
    except ValueError:  # set in another context: just clear it
        current_task.set(None)


def connect(huey=None):
    """Connect the handlers to ``huey`` (Baton's queue by default), once."""
    if huey is None:
        from huey.contrib.djhuey import HUEY as huey
    if id(huey) in _connected:
        return
    huey.signal(S.SIGNAL_ENQUEUED)(_on_enqueued)
    huey.signal(S.SIGNAL_EXECUTING)(_on_executing)
    huey.signal(*_OUTCOMES)(_on_finished)
    _connected.add(id(huey))
