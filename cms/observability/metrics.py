"""The metrics each process counts itself: requests (web workers) and huey
tasks (consumers, and the web workers that queue them).

prometheus_client keeps them in memory, or, when ``PROMETHEUS_MULTIPROC_DIR``
is set in the process' environment before it starts, in files in that folder,
which ``/metrics`` (config.observability.metrics) adds up over every process.
Labels never hold ids or paths: view names, methods, status codes, task
names."""

from prometheus_client import Counter, Histogram, disable_created_metrics

__all__ = [
    "HTTP_REQUESTS",
    "HTTP_REQUEST_DURATION",
    "TASKS_ENQUEUED",
    "TASK_DURATION",
    "TASK_RUNS",
    "http_method",
]

# No "_created" series beside each counter and histogram: Prometheus needs
# none of them, and multiprocess mode has none either.
disable_created_metrics()

HTTP_REQUESTS = Counter(
    "baton_http_requests",
    "HTTP requests answered, by URL name, method and status code.",
    ["view", "method", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "baton_http_request_duration_seconds",
    "Time from receiving a request to its response (headers), by URL name, "
    "method and status code.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
TASKS_ENQUEUED = Counter(
    "baton_huey_tasks_enqueued",
    "Background tasks queued, by task name.",
    ["task"],
)
TASK_RUNS = Counter(
    "baton_huey_task_runs",
    "Background task runs that ended, by task name and outcome (complete, "
    "error, timeout, retry, locked, canceled, rate_limited, interrupted).",
    ["task", "outcome"],
)
TASK_DURATION = Histogram(
    "baton_huey_task_duration_seconds",
    "How long background task runs took, by task name.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800),
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def http_method(method: str | None) -> str:
    """The request method as a label: anything unusual is "other", so that a
    client cannot create series at will."""
    method = (method or "").upper()
    return method if method in _METHODS else "other"
