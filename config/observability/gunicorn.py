"""gunicorn's side of multiprocess metrics. deploy/gunicorn.conf.py uses it:

    from config.observability.gunicorn import child_exit  # noqa: F401

This module imports no Django and nothing of Baton's, so gunicorn's master
process (which must not hold Baton's code across `systemctl reload`) may
import it.
"""

import os

__all__ = ["child_exit"]


def child_exit(server, worker):
    """A web worker ended: drop its live gauges from the multiprocess files
    (its counters and histograms stay, as Prometheus expects of counters)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
