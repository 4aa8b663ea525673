"""A bounded HTTP load generator and the servers it loads, on 127.0.0.1.

``hammer`` sends a fixed number of GET requests over a fixed number of
concurrent connections and stops by itself; each request opens its own
connection (gunicorn's sync workers close it after the response)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from .harness import Stats


@dataclass
class LoadResult:
    requests: int
    concurrency: int
    seconds: float
    latency: Stats
    statuses: dict

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


async def _get(port: int, request: bytes) -> tuple[int, float]:
    began = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _sep, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None:
        await reader.read()
    else:
        await reader.readexactly(length)
    writer.close()
    return status, time.perf_counter() - began


async def _hammer(port, request, total, concurrency):
    remaining = total
    latencies, statuses = [], {}

    async def worker():
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            status, seconds = await _get(port, request)
            latencies.append(seconds)
            statuses[status] = statuses.get(status, 0) + 1

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - began, latencies, statuses


def hammer(port, path, *, headers=None, total=2000, concurrency=8) -> LoadResult:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    seconds, latencies, statuses = asyncio.run(
        _hammer(port, request, total, concurrency)
    )
    return LoadResult(
        requests=total,
        concurrency=concurrency,
        seconds=seconds,
        latency=Stats.of(latencies),
        statuses=statuses,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("The server exited before it listened.")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"Nothing listens on port {port} after {seconds} s.")


@contextmanager
def gunicorn(app: str, *, workers=2, env=None):
    """``gunicorn app`` with ``workers`` sync workers on a free port; yields the
    port and stops the server (by its process id) afterwards."""
    port = _free_port()
    database = settings.DATABASES["default"]
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get(
            "DJANGO_SETTINGS_MODULE", "config.settings_test"
        ),
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{database['NAME']}"
        ),
        **(env or {}),
    }
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            str(Path(sys.executable).with_name("gunicorn")),
            app,
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--chdir",
            str(settings.BASE_DIR),
        ],
        env=environment,
        start_new_session=True,
    )
    try:
        _wait_for(port, process)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
