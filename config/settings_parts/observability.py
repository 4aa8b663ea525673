"""Logs, metrics and error reporting (docs/observability.md).

- ``LOG_FORMAT``: ``text`` (default, for ``make run``) or ``json`` (one JSON
  object per line, for production), ``LOG_LEVEL``, ``WAGTAIL_LOG_LEVEL``.
  Every line carries the request id, the signed-in user's id and the running
  huey task (cms.observability.logs).
- ``/metrics`` for Prometheus: ``BATON_METRICS_ALLOW`` (client networks,
  default loopback), ``BATON_METRICS_TOKEN`` (bearer token, default none),
  ``BATON_METRICS_DIR`` (multiprocess: the folder under which every process
  writes its ``PROMETHEUS_MULTIPROC_DIR``), ``BATON_METRICS_SYNC_WINDOW``.
- Sentry: ``SENTRY_DSN`` (off when empty), ``SENTRY_ENVIRONMENT``,
  ``SENTRY_TRACES_SAMPLE_RATE``; ``BATON_RELEASE`` names the release.
"""

import ipaddress
import os
from importlib import metadata

from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.core import RESERVED_ATTRS

from .environment import env

try:
    _VERSION = metadata.version("baton")
except metadata.PackageNotFoundError:  # running from a tree never installed
    _VERSION = "unknown"
BATON_RELEASE = env.str("BATON_RELEASE", default=_VERSION)

# Logs ---------------------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="text").lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
_LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
_FORMATTERS = {
    "text": {"format": "%(levelname)s %(name)s [%(request_id)s] %(message)s"},
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(levelname)s %(name)s %(message)s %(process)s",
        # ISO 8601 in UTC: "2026-12-08T01:02:03.456000+00:00".
        "timestamp": "time",
        "rename_fields": {"levelname": "level", "name": "logger"},
        "static_fields": {"service": "baton"},
        # Not the request object Django's request log passes along (its text
        # holds the query string).
        "reserved_attrs": [*RESERVED_ATTRS, "request", "taskName"],
        "json_ensure_ascii": False,
    },
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {
            "()": "cms.observability.logs.RequestContextFilter",
            "placeholder": None if LOG_FORMAT == "json" else "-",
        }
    },
    "formatters": {"baton": _FORMATTERS[LOG_FORMAT]},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "baton",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": _LOG_LEVEL},
    "loggers": {
        # In text format the huey consumer installs its own handler; in JSON
        # its lines are JSON too (the consumer leaves a configured logger be).
        "huey": {"propagate": False}
        if LOG_FORMAT == "text"
        else {"handlers": ["console"], "level": _LOG_LEVEL, "propagate": False},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Wagtail's background tasks and page events are chatty at INFO.
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": env.str("WAGTAIL_LOG_LEVEL", default="WARNING")},
    },
}

# Metrics ------------------------------------------------------------------------
BATON_METRICS_ALLOW = env.list(
    "BATON_METRICS_ALLOW", default=["127.0.0.1/32", "::1/128"]
)
for _network in BATON_METRICS_ALLOW:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"BATON_METRICS_ALLOW: {_network!r} is not a network ({error})."
        ) from None
BATON_METRICS_TOKEN = env.str("BATON_METRICS_TOKEN", default="")
if BATON_METRICS_TOKEN and len(BATON_METRICS_TOKEN) < 16:
    raise ImproperlyConfigured("BATON_METRICS_TOKEN must be at least 16 characters.")
BATON_METRICS_DIR = env.str(
    "BATON_METRICS_DIR", default=os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
)
BATON_METRICS_SYNC_WINDOW = env.int("BATON_METRICS_SYNC_WINDOW", default=3600)

# Sentry -------------------------------------------------------------------------
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from config.observability.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=BATON_RELEASE,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# What ``config.settings`` takes from here: the settings, not the helpers.
__all__ = [name for name in dir() if name.isupper() and not name.startswith("_")]
