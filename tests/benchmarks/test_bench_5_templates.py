"""5. A published template read by an API consumer: DRF ``templates/{id}/`` and
Wagtail's ``/api/v2/pages/{id}/``, against the same JSON served from memory;
then requests per second with 2 gunicorn workers under a bounded load
generator on 127.0.0.1."""

import os
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.test import Client

from cms.models import ChecklistTemplatePage

from . import memory_app
from .harness import Result, count_queries, record, repeat, timed
from .load import gunicorn, hammer

LOAD_REQUESTS = int(os.environ.get("BENCH_LOAD_REQUESTS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_LOAD_CONCURRENCY", "8"))


def _served_from_memory(payload: bytes):
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    memory_app.PAYLOAD = payload
    memory_app.HEADERS[1] = ("Content-Length", str(len(payload)))

    def run():
        body = memory_app.application(environ, lambda status, headers: None)
        return b"".join(body)

    return run


def test_template_read(scale, token_for):
    template = ChecklistTemplatePage.objects.get(slug=scale.template_slugs["medium"])
    reader = get_user_model().objects.get(username=scale.successor_username)
    token = token_for(reader)
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    drf_path = f"/api/v1/templates/{template.pk}/"
    wagtail_path = f"/api/v2/pages/{template.pk}/"

    payloads = {}
    for name, path in (("drf", drf_path), ("wagtail", wagtail_path)):
        response = client.get(path)
        assert response.status_code == 200, response.content[:300]
        payloads[name] = response.content

    for number, name, path in (
        ("5a", "DRF templates/{id}/", drf_path),
        ("5b", "Wagtail /api/v2/pages/{id}/", wagtail_path),
    ):
        key = "drf" if number == "5a" else "wagtail"

        def read(path=path):
            response = client.get(path)
            assert response.status_code == 200
            return response

        subject = timed(read, times=repeat(100))
        result = record(
            Result(
                number=number,
                name=f"Template read (120 items), {name}, in process",
                subject=subject,
                queries=count_queries(read),
                baseline_name="same JSON from memory",
                baseline=timed(_served_from_memory(payloads[key]), times=repeat(100)),
                baseline_queries=0,
                extra={"response_kb": round(len(payloads[key]) / 1024, 1)},
            )
        )
        if number == "5a":
            etag = read().headers.get("ETag")
            if etag:
                conditional = Client(
                    HTTP_AUTHORIZATION=f"Token {token}", HTTP_IF_NONE_MATCH=etag
                )

                def revalidate(conditional=conditional):
                    response = conditional.get(drf_path)
                    assert response.status_code == 304
                    return response

                result.extra["conditional_get_304_median_ms"] = round(
                    timed(revalidate, times=repeat(100)).median_ms, 2
                )
                result.extra["conditional_get_queries"] = count_queries(revalidate)

    # Under load: 2 worker processes each, a fixed number of requests.
    headers = {"Authorization": f"Token {token}"}
    conn_max_age = os.environ.get("BENCH_CONN_MAX_AGE", "60")
    with tempfile.TemporaryDirectory() as folder:
        loads = {}
        for key, payload in payloads.items():
            payload_file = Path(folder) / f"{key}.json"
            payload_file.write_bytes(payload)
            with gunicorn(
                "tests.benchmarks.memory_app:application",
                env={"BENCH_PAYLOAD": str(payload_file)},
            ) as port:
                hammer(port, "/", total=200, concurrency=CONCURRENCY)  # warm up
                loads[f"memory-{key}"] = hammer(
                    port, "/", total=LOAD_REQUESTS, concurrency=CONCURRENCY
                )
        with gunicorn(
            "config.wsgi:application", env={"CONN_MAX_AGE": conn_max_age}
        ) as port:
            for key, path in (("drf", drf_path), ("wagtail", wagtail_path)):
                hammer(port, path, headers=headers, total=200, concurrency=CONCURRENCY)
                loads[key] = hammer(
                    port,
                    path,
                    headers=headers,
                    total=LOAD_REQUESTS,
                    concurrency=CONCURRENCY,
                )
    for number, key, name in (
        ("5c", "drf", "DRF templates/{id}/"),
        ("5d", "wagtail", "Wagtail /api/v2/pages/{id}/"),
    ):
        load, memory = loads[key], loads[f"memory-{key}"]
        assert set(load.statuses) == {200}, load.statuses
        result = record(
            Result(
                number=number,
                name=f"Template read, {name}, 2 workers under load",
                subject=load.latency,
                queries=None,
                baseline_name="memory, 2 workers",
                baseline=memory.latency,
                target="≥ 300 req/s, p95 ≤ 50 ms" if key == "drf" else "",
                extra={
                    "requests_per_second": round(load.per_second),
                    "memory_requests_per_second": round(memory.per_second),
                    "requests": load.requests,
                    "concurrency": load.concurrency,
                    "conn_max_age": conn_max_age,
                },
            )
        )
        if key == "drf":
            result.met = load.per_second >= 300 and load.latency.p95_ms <= 50
