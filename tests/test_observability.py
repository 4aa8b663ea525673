"""Metrics, request ids in logs, Sentry's scrubbing (docs/observability.md)."""

import importlib
import io
import json
import logging
import logging.config
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from django.http import HttpResponse
from django.test import Client
from django.urls import path
from django.utils import timezone
from huey import RedisHuey
from huey.contrib import djhuey
from prometheus_client.parser import text_string_to_metric_families

from cms.models import Certificate
from cms.observability import huey_signals
from connectors.models import BlockSync, ConnectorConfig, SyncRun
from tests.fixtures.handovers import complete_handover

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = "redis://127.0.0.1:6379/15"
TOKEN = "metrics-token-" + "x" * 20
SECRETS = ["hunter2-password", "s3cr3t-app-value", "918273", "abcdefghijklmnop-token"]


# A view that reads the signed-in user and logs, and one that fails: this
# module is the URL conf of the tests that need them.
def _log_view(request, number):
    logging.getLogger("baton.test").warning(
        "Hello from %s", "user" if request.user.is_authenticated else "anon"
    )
    return HttpResponse("ok")


def _failing_view(request):
    password = request.POST.get("password")  # noqa: F841 - a frame variable
    raise RuntimeError("the view failed")


def _queue_view(request):
    observability_test_works()
    return HttpResponse("queued")


urlpatterns = [
    path("log-me/<int:number>", _log_view, name="log-me"),
    path("fail", _failing_view, name="fail"),
    path("queue", _queue_view, name="queue"),
]
THIS_URLCONF = __name__


@djhuey.HUEY.task()
def observability_test_fails():
    raise RuntimeError("task failed on purpose")


@djhuey.HUEY.task()
def observability_test_works():
    return 1


def _metrics(client=None, **headers) -> dict:
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# /metrics is not public ------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_answer_loopback_by_default():
    samples = _metrics()
    assert _value(samples, "baton_build_info", version=_release()) == 1
    assert _value(samples, "baton_metrics_database_up") == 1


def _release():
    from django.conf import settings

    return settings.BATON_RELEASE


@pytest.mark.django_db
def test_metrics_refused_elsewhere_without_the_token(settings):
    settings.BATON_METRICS_ALLOW = ["10.0.0.0/8"]
    settings.BATON_METRICS_TOKEN = TOKEN
    client = Client()
    assert client.get("/metrics").status_code == 404
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "y" * len(TOKEN))
    assert wrong.status_code == 404
    assert b"baton_" not in wrong.content
    right = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert right.status_code == 200
    assert b"baton_build_info" in right.content


@pytest.mark.django_db
def test_metrics_refused_to_a_forged_forwarded_for(settings):
    """Without trusted proxies, X-Forwarded-For proves nothing."""
    settings.BATON_TRUSTED_PROXIES = 0
    client = Client(REMOTE_ADDR="203.0.113.9")
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 404
    settings.BATON_METRICS_ALLOW = ["203.0.113.0/24"]
    assert client.get("/metrics").status_code == 200


@pytest.mark.django_db
def test_metrics_refused_through_an_untrusted_proxy(settings):
    """nginx on loopback in front, but BATON_TRUSTED_PROXIES=0: every client
    would look like loopback."""
    settings.BATON_TRUSTED_PROXIES = 0
    through_nginx = Client(REMOTE_ADDR="127.0.0.1")
    response = through_nginx.get("/metrics", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 404
    settings.BATON_TRUSTED_PROXIES = 1
    response = through_nginx.get("/metrics", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 404
    response = through_nginx.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 200


# Requests -------------------------------------------------------------------------


@pytest.mark.django_db
def test_requests_are_counted_by_view_name_not_path():
    labels = {"view": "api:handover-detail", "method": "GET", "status": "401"}
    before = _metrics()
    Client().get("/api/v1/handovers/123/")
    Client().get("/api/v1/handovers/456/")
    after = _metrics()
    assert _value(after, "baton_http_requests_total", **labels) == (
        _value(before, "baton_http_requests_total", **labels) + 2
    )
    assert _value(after, "baton_http_request_duration_seconds_count", **labels) == (
        _value(before, "baton_http_request_duration_seconds_count", **labels) + 2
    )
    assert not any("123" in str(key) or "456" in str(key) for key in after)


# Background tasks -----------------------------------------------------------------


@pytest.fixture
def task_signals():
    """The handlers on Baton's queue (cms' AppConfig connects them at start;
    connecting again changes nothing)."""
    huey_signals.connect()


def test_the_app_connects_the_task_signals_at_start():
    """In every process that starts Django (web workers, consumers)."""
    code = (
        "import django; django.setup()\n"
        "from huey import signals as S\n"
        "from huey.contrib.djhuey import HUEY\n"
        "from cms.observability import huey_signals as h\n"
        "receivers = HUEY._signal.receivers\n"
        "assert h._on_executing in receivers[S.SIGNAL_EXECUTING]\n"
        "assert h._on_finished in receivers[S.SIGNAL_ERROR]\n"
        "assert h._on_enqueued in receivers[S.SIGNAL_ENQUEUED]\n"
        "h.connect()\n"
        "assert receivers[S.SIGNAL_ERROR].count(h._on_finished) == 1\n"
    )
    subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"},
        check=True,
    )


@pytest.mark.django_db
def test_task_failures_and_durations_are_counted(task_signals):
    name = "observability_test_fails"
    before = _metrics()
    observability_test_fails()
    observability_test_fails()
    observability_test_works()
    after = _metrics()

    def rose(metric, **labels):
        return _value(after, metric, **labels) - _value(before, metric, **labels)

    assert rose("baton_huey_task_runs_total", task=name, outcome="error") == 2
    assert rose("baton_huey_task_runs_total", task=name, outcome="complete") == 0
    assert (
        rose(
            "baton_huey_task_runs_total",
            task="observability_test_works",
            outcome="complete",
        )
        == 1
    )
    assert rose("baton_huey_task_duration_seconds_count", task=name) == 2
    assert rose("baton_huey_tasks_enqueued_total", task=name) == 2


@pytest.fixture
def redis_queue(monkeypatch):
    """Baton's queue replaced by a real Redis one of this test's own."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("BATON_REQUIRE_SERVERS"):
            pytest.fail(f"Redis is not answering at {REDIS_URL}.")
        pytest.skip(f"Redis is not answering at {REDIS_URL}.")
    queue = RedisHuey(f"baton-test-{uuid.uuid4().hex[:8]}", url=REDIS_URL)
    monkeypatch.setattr(djhuey, "HUEY", queue)
    yield queue
    queue.flush()


@pytest.mark.django_db
def test_queue_depth_shows_waiting_and_scheduled_tasks(redis_queue):
    @redis_queue.task()
    def later():
        return None

    samples = _metrics()
    assert _value(samples, "baton_huey_storage_up") == 1
    assert _value(samples, "baton_huey_queue_pending") == 0
    for _ in range(3):
        later()
    later.schedule(delay=3600)
    # A scheduled task waits in the queue until a consumer moves it aside.
    assert redis_queue.pending_count() == 4
    redis_queue.dequeue()  # what a consumer does with the first one
    samples = _metrics()
    assert _value(samples, "baton_huey_queue_pending") == 3


@pytest.mark.django_db
def test_an_unreachable_queue_shows_as_down(monkeypatch):
    monkeypatch.setattr(
        djhuey, "HUEY", RedisHuey("baton-test-down", url="redis://127.0.0.1:9/0")
    )
    samples = _metrics()
    assert _value(samples, "baton_huey_storage_up") == 0
    assert ("baton_huey_queue_pending", ()) not in samples
    assert _value(samples, "baton_metrics_database_up") == 1


# Syncs and certificates, from the database ----------------------------------------


@pytest.mark.django_db
def test_sync_failures_show_by_connector_type(sales_handover):
    crm = ConnectorConfig.objects.get(slug="crm")
    kind = crm.type
    before = _metrics()
    SyncRun.objects.create(
        connector=crm,
        handover=sales_handover,
        trigger=SyncRun.Trigger.PERIODIC,
        state=SyncRun.State.FAILED,
        started_at=timezone.now(),
    )
    SyncRun.objects.create(
        connector=crm,
        handover=sales_handover,
        trigger=SyncRun.Trigger.PERIODIC,
        state=SyncRun.State.OK,
        started_at=timezone.now(),
    )
    # A failure older than the window no longer counts.
    SyncRun.objects.create(
        connector=crm,
        handover=sales_handover,
        trigger=SyncRun.Trigger.PERIODIC,
        state=SyncRun.State.FAILED,
        started_at=timezone.now() - timezone.timedelta(days=2),
    )
    BlockSync.objects.update_or_create(
        handover=sales_handover,
        block_id="observability-test",
        defaults={
            "connector": crm,
            "connector_slug": "crm",
            "state": BlockSync.State.FAILED,
        },
    )
    after = _metrics()

    def rose(metric):
        return _value(after, metric, connector_type=kind) - _value(
            before, metric, connector_type=kind
        )

    assert rose("baton_sync_runs_failed_recent") == 1
    assert rose("baton_sync_runs_recent") == 2
    assert rose("baton_sync_blocks_failing") == 1


@pytest.mark.django_db
def test_scrape_asks_the_database_twice(django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        from config.observability.metrics import scrape

        scrape()


@pytest.mark.django_db
def test_an_issued_certificate_shows(
    sales_handover, people, django_capture_on_commit_callbacks
):
    before = _value(_metrics(), "baton_certificates_issued_total")
    with django_capture_on_commit_callbacks(execute=True):
        complete_handover(sales_handover, people)
    assert Certificate.objects.filter(handover=sales_handover).exists()
    assert _value(_metrics(), "baton_certificates_issued_total") == before + 1


# Multiprocess ---------------------------------------------------------------------


def _count_in_another_process(folder: Path):
    folder.mkdir(parents=True)
    code = (
        "from cms.observability.metrics import TASK_RUNS\n"
        "TASK_RUNS.labels('observability_elsewhere', 'error').inc()\n"
    )
    subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)},
        check=True,
    )


@pytest.mark.django_db
def test_every_process_is_added_up(settings, tmp_path):
    """Web workers and consumers each write to a folder of their own below
    BATON_METRICS_DIR; /metrics adds them all up."""
    _count_in_another_process(tmp_path / "web")
    _count_in_another_process(tmp_path / "worker-1")
    settings.BATON_METRICS_DIR = str(tmp_path)
    samples = _metrics()
    labels = {"task": "observability_elsewhere", "outcome": "error"}
    assert _value(samples, "baton_huey_task_runs_total", **labels) == 2
    assert _value(samples, "baton_metrics_database_up") == 1


# Request ids and JSON logs --------------------------------------------------------


@pytest.fixture
def json_log(monkeypatch):
    """The production log configuration (LOG_FORMAT=json) on a handler that
    writes to a buffer: a list of the JSON lines written."""
    from config.settings_parts import observability

    monkeypatch.setenv("LOG_FORMAT", "json")
    config = importlib.reload(observability).LOGGING
    monkeypatch.delenv("LOG_FORMAT")
    importlib.reload(observability)
    configurator = logging.config.DictConfigurator(config)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(
        configurator.configure_formatter(config["formatters"]["baton"])
    )
    handler.addFilter(
        configurator.configure_filter(config["filters"]["request_context"])
    )
    # Where the configuration sends records: the root logger, and the huey
    # logger (which does not propagate).
    loggers = [logging.getLogger(), logging.getLogger("huey")]
    assert config["loggers"]["huey"]["handlers"] == config["root"]["handlers"]
    for logger in loggers:
        logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.mark.django_db
@pytest.mark.urls(THIS_URLCONF)
def test_json_log_lines_carry_the_request_id_and_user_id(json_log, people):
    client = Client()
    client.force_login(people["sales"])
    response = client.get("/log-me/7")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    lines = [line for line in json_log() if line["logger"] == "baton.test"]
    assert lines == [
        {
            "time": lines[0]["time"],
            "level": "WARNING",
            "logger": "baton.test",
            "message": "Hello from user",
            "service": "baton",
            "request_id": request_id,
            "user_id": people["sales"].pk,
            "task_id": None,
            "task_name": None,
            "process": os.getpid(),
        }
    ]
    assert "sales" not in json.dumps(lines)
    assert lines[0]["time"].endswith("+00:00")
    # Each request its own id.
    assert Client().get("/log-me/7")["X-Request-ID"] != request_id


@pytest.mark.django_db
def test_django_request_log_lines_carry_the_request_id(json_log):
    response = Client().get("/api/v1/nothing-here?token=abcdefghijkl")
    assert response.status_code == 404
    lines = [line for line in json_log() if line["logger"] == "django.request"]
    assert lines[-1]["request_id"] == response["X-Request-ID"]
    assert lines[-1]["status_code"] == 404
    assert lines[-1]["level"] == "WARNING"
    # Not the request's text, which holds the query string.
    assert "abcdefghijkl" not in json.dumps(lines)


@pytest.mark.django_db
@pytest.mark.usefixtures("task_signals")
def test_task_log_lines_carry_the_task(json_log):
    observability_test_fails()
    failure = [line for line in json_log() if "task failed on purpose" in str(line)]
    assert failure, json_log()
    assert failure[0]["task_name"] == "observability_test_fails"
    assert len(failure[0]["task_id"]) == 36
    assert "RuntimeError" in failure[0]["exc_info"]


@pytest.mark.django_db
@pytest.mark.urls(THIS_URLCONF)
def test_a_task_queued_by_a_request_is_tied_to_it(json_log, task_signals):
    response = Client().get("/queue")
    queued = [line for line in json_log() if line["message"].startswith("Queued")]
    assert queued[0]["request_id"] == response["X-Request-ID"]
    assert queued[0]["queued_task_name"] == "observability_test_works"
    assert queued[0]["queued_task_id"]


@pytest.mark.django_db
def test_incoming_request_id_kept_only_behind_a_trusted_proxy(settings):
    settings.BATON_TRUSTED_PROXIES = 0
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="nginx-abc.123")
    assert response["X-Request-ID"] != "nginx-abc.123"
    settings.BATON_TRUSTED_PROXIES = 1
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="nginx-abc.123")
    assert response["X-Request-ID"] == "nginx-abc.123"
    for forged in ("a" * 65, "two words", "x\u00e9", ""):
        response = Client().get("/healthz", HTTP_X_REQUEST_ID=forged)
        assert response["X-Request-ID"] != forged
        assert len(response["X-Request-ID"]) == 32


# Sentry ---------------------------------------------------------------------------


@pytest.fixture
def sentry_events():
    """Sentry started as production starts it, with a transport that keeps
    the events instead of sending them."""
    import sentry_sdk
    from sentry_sdk.transport import Transport

    from config.observability.sentry import sentry_init

    events = []

    class Keep(Transport):
        def capture_envelope(self, envelope):
            for item in envelope.items:
                if item.type == "event":
                    events.append(item.payload.json)

    sentry_init(
        dsn="https://public@sentry.invalid/1",
        environment="test",
        release="test",
        transport=Keep,
    )
    yield events
    sentry_sdk.get_client().close()
    # No client any more: the integrations' hooks stay, and do nothing.
    sentry_sdk.get_global_scope().set_client(None)
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.django_db
@pytest.mark.urls(THIS_URLCONF)
def test_sentry_gets_no_secrets(sentry_events, settings):
    import sentry_sdk

    Client(raise_request_exception=False).post(
        "/fail?token=abcdefghijklmnop-token",
        {"password": SECRETS[0], "note": "kept"},
        HTTP_AUTHORIZATION=f"Bearer {SECRETS[3]}",
    )

    def sync_connector():
        connector_settings = {"app_secret": SECRETS[1], "base_url": "https://crm.test"}
        pin = SECRETS[2]  # noqa: F841 - a frame variable
        mapping = "kept-mapping"  # noqa: F841
        raise ValueError(f"sync failed for {connector_settings['base_url']}")

    try:
        sync_connector()
    except ValueError:
        sentry_sdk.capture_exception()
    sentry_sdk.flush()
    assert len(sentry_events) == 2
    sent = json.dumps(sentry_events)
    for secret in SECRETS:
        assert secret not in sent
    assert "[Filtered]" in sent
    assert "https://crm.test" in sent
    assert "kept-mapping" in sent
    assert "kept" in json.dumps(sentry_events[0]["request"])
    assert sentry_events[0]["environment"] == "test"
    assert "user" not in sentry_events[0] or not sentry_events[0]["user"].get("email")
