"""``/metrics`` for Prometheus (docs/observability.md).

Not public: answered when the client's address is in ``BATON_METRICS_ALLOW``
or the request carries ``Authorization: Bearer <BATON_METRICS_TOKEN>``;
anyone else gets a 404.

What a scrape returns:

- what the processes counted (cms.observability.metrics: requests, tasks):
  this process' own, or, in multiprocess mode, every process' files under
  ``BATON_METRICS_DIR`` (web workers and huey consumers, each in a folder of
  its own below it);
- the queue, asked at scrape time: tasks waiting and scheduled;
- what the database knows, asked at scrape time (two queries): certificates
  issued, failed sync runs and blocks whose sync fails, by connector type.
  Counting them in the database rather than in the processes keeps them right
  across processes, hosts and restarts, and a consumer that dies in the middle
  of a run cannot lose them.
"""

import glob
import hmac
import ipaddress
import logging
import os
from datetime import timedelta

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from cms.auth.client_ip import client_ip

__all__ = [
    "BuildInfoCollector",
    "DatabaseCollector",
    "QueueCollector",
    "metrics_view",
    "scrape",
]

logger = logging.getLogger(__name__)


class BuildInfoCollector:
    def collect(self):
        family = GaugeMetricFamily(
            "baton_build_info", "Baton's version and release.", labels=["version"]
        )
        family.add_metric([settings.BATON_RELEASE], 1)
        yield family


class QueueCollector:
    """The huey queue, asked at each scrape: tasks waiting for a consumer and
    tasks scheduled for later (retries, delayed tasks)."""

    def __init__(self, huey=None):
        self.huey = huey

    def collect(self):
        huey = self.huey
        if huey is None:
            from huey.contrib.djhuey import HUEY as huey
        up = GaugeMetricFamily(
            "baton_huey_storage_up",
            "1 when the queue's storage (Redis) answered this scrape.",
        )
        try:
            pending, scheduled = huey.pending_count(), huey.scheduled_count()
        except Exception as error:  # noqa: BLE001 - any failure: storage down
            logger.warning("metrics: the queue did not answer: %r", error)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "baton_huey_queue_pending",
            "Tasks waiting in the queue for a consumer.",
            value=pending,
        )
        yield GaugeMetricFamily(
            "baton_huey_queue_scheduled",
            "Tasks scheduled to run later (delayed tasks and retries).",
            value=scheduled,
        )


def _count_per_connector(queryset):
    from django.db.models import Count, IntegerField, Subquery, Value
    from django.db.models.functions import Coalesce

    counts = queryset.order_by().values("connector").annotate(n=Count("pk"))
    return Coalesce(Subquery(counts.values("n"), output_field=IntegerField()), Value(0))


class DatabaseCollector:
    """Certificates and connector syncs, counted in the database at scrape
    time: one query per connector (a subquery on the sync log's index
    ``(connector, started_at)`` and on the block states' ``(connector,
    state)``) and one count of certificates."""

    def collect(self):
        from django.db import DatabaseError
        from django.db.models import OuterRef

        from cms.models import Certificate
        from connectors.models import BlockSync, ConnectorConfig, SyncRun

        up = GaugeMetricFamily(
            "baton_metrics_database_up",
            "1 when the database answered this scrape's queries.",
        )
        window = settings.BATON_METRICS_SYNC_WINDOW
        since = timezone.now() - timedelta(seconds=window)
        runs = SyncRun.objects.filter(connector=OuterRef("pk"), started_at__gte=since)
        try:
            connectors = list(
                ConnectorConfig.objects.order_by()
                .annotate(
                    n_runs=_count_per_connector(runs),
                    n_failed=_count_per_connector(
                        runs.filter(state=SyncRun.State.FAILED)
                    ),
                    n_failing=_count_per_connector(
                        BlockSync.objects.filter(
                            connector=OuterRef("pk"), state=BlockSync.State.FAILED
                        )
                    ),
                )
                .values_list("type", "n_runs", "n_failed", "n_failing")
            )
            certificates = Certificate.objects.count()
        except DatabaseError as error:
            logger.warning("metrics: the database did not answer: %r", error)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield CounterMetricFamily(
            "baton_certificates_issued",
            "Completion certificates issued (all time).",
            value=certificates,
        )
        totals: dict[str, list[int]] = {}
        for connector_type, *counts in connectors:
            row = totals.setdefault(connector_type, [0, 0, 0])
            for index, count in enumerate(counts):
                row[index] += count
        names = (
            ("baton_sync_runs_recent", "Connector sync runs started"),
            ("baton_sync_runs_failed_recent", "Connector sync runs that failed"),
        )
        for index, (name, text) in enumerate(names):
            family = GaugeMetricFamily(
                name,
                f"{text} in the last {window} seconds (BATON_METRICS_SYNC_WINDOW), "
                "by connector type.",
                labels=["connector_type"],
            )
            for connector_type, row in sorted(totals.items()):
                family.add_metric([connector_type], row[index])
            yield family
        family = GaugeMetricFamily(
            "baton_sync_blocks_failing",
            "Connector blocks of handovers whose last sync failed, by connector type.",
            labels=["connector_type"],
        )
        for connector_type, row in sorted(totals.items()):
            family.add_metric([connector_type], row[2])
        yield family


class _ThisProcess:
    """This process' own metrics (no multiprocess folder)."""

    def collect(self):
        return REGISTRY.collect()


class _AllProcesses:
    """Every process' metrics files under ``root`` (each process writes to
    its own ``PROMETHEUS_MULTIPROC_DIR``, a folder below ``root`` or ``root``
    itself), added up."""

    def __init__(self, root):
        self.root = root

    def collect(self):
        files = glob.glob(os.path.join(self.root, "**", "*.db"), recursive=True)
        return MultiProcessCollector.merge(files, accumulate=True)


def scrape(huey=None) -> bytes:
    """The metrics in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    root = settings.BATON_METRICS_DIR
    registry.register(_AllProcesses(root) if root else _ThisProcess())
    registry.register(BuildInfoCollector())
    registry.register(QueueCollector(huey))
    registry.register(DatabaseCollector())
    return generate_latest(registry)


_FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def _allowed(request) -> bool:
    token = settings.BATON_METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return True
    if settings.BATON_TRUSTED_PROXIES <= 0 and any(
        header in request.META for header in _FORWARDING_HEADERS
    ):
        # Came through a proxy Baton was not told about (nginx with
        # BATON_TRUSTED_PROXIES=0): the address is the proxy's, not the
        # client's, and proves nothing.
        return False
    address = client_ip(request)
    if address is None:
        return False
    address = ipaddress.ip_address(address)
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.BATON_METRICS_ALLOW
    )


@never_cache
def metrics_view(request):
    if not _allowed(request):
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)
