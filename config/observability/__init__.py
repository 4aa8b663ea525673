"""Baton's observability (docs/observability.md), the parts that read every
app or that run outside Django:

- ``metrics``: the ``/metrics`` view, the metrics computed at scrape time.
- ``sentry``: optional error reporting (``SENTRY_DSN``) and its scrubbing.
- ``gunicorn``: the gunicorn hook for multiprocess metrics; it imports no
  Django, so that gunicorn's master process stays free of Baton's code.

The request id, the log filter and the per-process metrics are in
``cms.observability``.
"""
