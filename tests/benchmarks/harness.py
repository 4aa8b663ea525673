"""Timing, query counting and the results table of ``make bench``.

Every figure is measured against a baseline measured in the same run, so the
ratio says more than the milliseconds on a machine shared with other work.
Nothing here asserts a time: targets are reported as met or missed."""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import subprocess
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

RESULTS: list[Result] = []
CONTEXT: dict = {}
# BENCH_REPEAT=0.3 runs a third of the usual repetitions (quick checks).
REPEAT_FACTOR = float(os.environ.get("BENCH_REPEAT", "1"))


@dataclass
class Stats:
    runs: int
    median_ms: float
    p95_ms: float
    min_ms: float
    max_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> Stats:
        ordered = sorted(seconds)
        rank = max(1, round(0.95 * len(ordered) + 0.499)) - 1
        return cls(
            runs=len(ordered),
            median_ms=statistics.median(ordered) * 1000,
            p95_ms=ordered[min(rank, len(ordered) - 1)] * 1000,
            min_ms=ordered[0] * 1000,
            max_ms=ordered[-1] * 1000,
        )


@dataclass
class Result:
    number: str
    name: str
    subject: Stats | None
    queries: int | None
    baseline_name: str = ""
    baseline: Stats | None = None
    baseline_queries: int | None = None
    target: str = ""
    met: bool | None = None
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.subject is None or self.baseline is None or not self.baseline.median_ms:
            return None
        return self.subject.median_ms / self.baseline.median_ms


def repeat(count: int) -> int:
    return max(3, round(count * REPEAT_FACTOR))


def timed(run, *, times: int, warmup: int = 2, setup=None) -> Stats:
    """Run ``run()`` ``times`` times (after ``warmup`` unmeasured runs); ``setup()``
    before each run is not measured."""
    seconds = []
    for index in range(warmup + times):
        state = setup() if setup is not None else None
        gc.collect()
        began = time.perf_counter()
        run() if state is None else run(state)
        elapsed = time.perf_counter() - began
        if index >= warmup:
            seconds.append(elapsed)
    return Stats.of(seconds)


def timed_in_rollback(run, *, times: int, warmup: int = 1, setup=None) -> Stats:
    """Like ``timed``, but each setup-and-run happens in a transaction that is
    rolled back afterwards."""
    seconds = []
    for index in range(warmup + times):
        with rolled_back():
            state = setup() if setup is not None else None
            gc.collect()
            began = time.perf_counter()
            run() if state is None else run(state)
            elapsed = time.perf_counter() - began
        if index >= warmup:
            seconds.append(elapsed)
    return Stats.of(seconds)


def count_queries(run, setup=None) -> int:
    """Queries of one run (its setup, if any, not counted), rolled back."""
    with rolled_back():
        state = setup() if setup is not None else None
        with CaptureQueriesContext(connection) as queries:
            run() if state is None else run(state)
    return len(queries)


@contextmanager
def rolled_back():
    """A transaction that is always rolled back (and whose on-commit work,
    such as queued background tasks, never runs)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def in_rollback(run):
    def wrapped(*args):
        with rolled_back():
            return run(*args)

    return wrapped


def record(result: Result) -> Result:
    RESULTS.append(result)
    return result


# The report ------------------------------------------------------------------------


def _number(value, digits=1):
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:,.{digits}f}"


def table(results: list[Result]) -> str:
    header = (
        "#",
        "benchmark",
        "median ms",
        "p95 ms",
        "queries",
        "baseline",
        "base med ms",
        "base q",
        "ratio",
        "target",
        "met",
    )
    rows = [header]
    for result in results:
        rows.append(
            (
                result.number,
                result.name,
                _number(result.subject.median_ms if result.subject else None),
                _number(result.subject.p95_ms if result.subject else None),
                _number(result.queries),
                result.baseline_name,
                _number(result.baseline.median_ms if result.baseline else None, 2),
                _number(result.baseline_queries),
                f"{result.ratio:.1f}x" if result.ratio is not None else "—",
                result.target,
                {True: "yes", False: "NO", None: ""}[result.met],
            )
        )
    widths = [max(len(str(row[index])) for row in rows) for index in range(len(header))]
    lines = []
    for position, row in enumerate(rows):
        lines.append(
            "  ".join(
                str(cell).rjust(width)
                if index in (2, 3, 4, 6, 7, 8)
                else str(cell).ljust(width)
                for index, (cell, width) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if position == 0:
            lines.append("  ".join("-" * width for width in widths))
    extras = [
        f"  {result.number} {result.name}: "
        + ", ".join(f"{key} {value}" for key, value in result.extra.items())
        for result in results
        if result.extra
    ]
    return "\n".join([*lines, *([""] if extras else []), *extras])


def _load() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def machine() -> dict:
    def run(*command):
        try:
            return subprocess.run(  # noqa: S603 - fixed commands (lscpu)
                command,
                capture_output=True,
                text=True,
                check=False,
                timeout=10,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return ""

    cpu = ""
    for line in run("lscpu").splitlines():
        if line.startswith("Model name:"):
            cpu = line.split(":", 1)[1].strip()
    memory = ""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "load_average_at_start": _load(),
        "python": platform.python_version(),
        "postgresql": postgres,
        "shared_buffers": shared_buffers,
        "database": settings.DATABASES["default"]["NAME"],
    }


def write_report(results: list[Result], path: Path, extra: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {**CONTEXT.get("machine", {}), "load_average_at_end": _load()},
        **extra,
        "results": [{**asdict(result), "ratio": result.ratio} for result in results],
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
