"""``make bench``: benchmarks against the database ``seed_scale`` filled.

Not collected by ``make test`` (``norecursedirs`` in pyproject). The database
is used as it is, never created or flushed: every write a benchmark makes is
rolled back."""

import os
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from knox.models import AuthToken

from cms.demo.scale import find_scale

from . import harness

SEED = int(os.environ.get("BENCH_SEED", "1"))
REPORT = Path(
    os.environ.get("BENCH_REPORT", str(settings.BASE_DIR / "var/bench/latest.json"))
)


@pytest.fixture(scope="session")
def django_db_setup():
    """Use the seeded database as it is."""


@pytest.fixture(scope="session", autouse=True)
def _database(django_db_setup, django_db_blocker):
    # In-process benchmarks stand for a server process: load the WSGI
    # application as one does (config/wsgi.py), which also freezes what is
    # loaded so far out of the garbage collector's full passes.
    import config.wsgi  # noqa: F401

    with django_db_blocker.unblock():
        harness.CONTEXT["machine"] = harness.machine()
        yield


@pytest.fixture(scope="session")
def scale(_database):
    info = find_scale(SEED)
    if info is None:
        pytest.exit(
            f"No seeded company (seed {SEED}) in "
            f"{settings.DATABASES['default']['NAME']}: run `make bench` (it seeds "
            "first) or `manage.py seed_scale`.",
            returncode=2,
        )
    harness.CONTEXT["scale"] = info
    return info


@pytest.fixture(scope="session")
def raw():
    """A plain psycopg connection for the baselines (no ORM in the way)."""
    database = settings.DATABASES["default"]
    connection = psycopg.connect(
        dbname=database["NAME"],
        user=database["USER"],
        password=database["PASSWORD"] or None,
        host=database["HOST"] or None,
        port=database["PORT"] or None,
    )
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def token_for(_database):
    # Knox keeps only a hash: a token can be read once, when it is issued.
    issued = {}

    def get(user):
        if user.pk not in issued:
            issued[user.pk] = AuthToken.objects.create(user=user)[1]
        return issued[user.pk]

    return get


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not harness.RESULTS:
        return
    results = sorted(harness.RESULTS, key=lambda result: result.number)
    info = harness.CONTEXT.get("scale")
    extra = {}
    if info is not None:
        extra["scale"] = {
            "seed": info.spec.seed,
            "employees": info.spec.employees,
            "handovers": info.spec.handovers,
            "items_per_handover": info.spec.items,
            "today": info.today.isoformat(),
        }
    harness.write_report(results, REPORT, extra)
    terminalreporter.write_sep("=", "Baton benchmarks")
    if info is not None:
        terminalreporter.write_line(
            f"Data: seed {info.spec.seed}, {info.spec.employees} employees, "
            f"{info.spec.handovers} handovers, {info.spec.items} items on average."
        )
    terminalreporter.write_line(harness.table(results))
    terminalreporter.write_line(f"Written to {REPORT}")
