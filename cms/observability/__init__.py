"""What Baton tells its operators (docs/observability.md): request ids in every
log line, Prometheus metrics of requests and background tasks.

- ``context``: the request id, the request and the huey task being served.
- ``logs``: the logging filter that puts them into every log record.
- ``middleware``: the request id and the request metrics.
- ``metrics``: the process-local Prometheus metrics (multiprocess-safe).
- ``tasks``: the huey signal handlers (task metrics, task ids in logs).

The ``/metrics`` view and what is computed at scrape time live in
``config.observability`` (they read every app's models).
"""
