"""Plain Django views of the cms app that are not Wagtail pages."""

import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from huey.contrib.djhuey import HUEY

logger = logging.getLogger(__name__)


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_queue():
    # Asking the storage for its size opens a real connection (Redis or SQLite).
    HUEY.storage.queue_size()


@never_cache
@require_GET
def healthz(request):
    """Liveness and readiness for load balancers: 200 when every dependency
    answers, 503 naming the one that does not (never its connection details)."""
    checks = {}
    for name, check in (("database", _check_database), ("queue", _check_queue)):
        try:
            check()
        except Exception as error:  # noqa: BLE001 - any failure means "not ready"
            logger.warning("healthz: %s unreachable: %r", name, error)
            checks[name] = {"status": "error", "error": type(error).__name__}
        else:
            checks[name] = {"status": "ok"}
    healthy = all(check["status"] == "ok" for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )
