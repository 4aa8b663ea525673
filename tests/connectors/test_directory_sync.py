"""The directory sync's schedule and resilience, with a directory type that
lists people from memory: the interval is honoured, a failing connector fails
its own run only, leavers become resignation events once, and 20,000 people
are applied in batches at a constant number of queries per batch."""

import datetime
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms.models import Department, Employee, ResignationEvent
from connectors import tasks
from connectors.directory import directory_due, directory_sync, directory_sync_due
from connectors.models import ConnectorConfig, SyncRun
from connectors.registry import register, unregister
from connectors.sdk.base import ConnectorError, ConnectorType, MisconfiguredError
from connectors.sdk.directory import DirectoryValues

pytestmark = pytest.mark.django_db

LAST_DAY = datetime.date(2026, 12, 31)
# connector slug -> the people it lists, or the exception listing raises.
LISTINGS: dict = {}


class MemoryDirectory(ConnectorType):
    slug = "memory-directory"
    label = "Directory in memory"
    capabilities = frozenset()
    supports_directory = True

    def test_connection(self):
        return "ok"

    def list_people(self):
        listing = LISTINGS[self.config["slug"]]
        if isinstance(listing, Exception):
            raise listing
        yield from listing


@pytest.fixture(autouse=True)
def memory_type():
    register(MemoryDirectory)
    yield
    unregister(MemoryDirectory.slug)
    LISTINGS.clear()


def directory(slug, people=(), **fields):
    LISTINGS[slug] = people
    return ConnectorConfig.objects.create(
        type=MemoryDirectory.slug,
        name=slug.title(),
        slug=slug,
        settings={"slug": slug, **fields.pop("settings", {})},
        **fields,
    )


def person(number, **values):
    return DirectoryValues(
        directory_id=f"id-{number}",
        employee_number=number,
        name=values.pop("name", f"Person {number}"),
        **values,
    )


def runs_of(config):
    return list(SyncRun.objects.filter(connector=config).order_by("pk"))


# The schedule --------------------------------------------------------------------


def test_the_interval_is_honoured(db):
    # Given a directory synced every 60 minutes and one with periodic sync off
    hourly = directory("hourly", [person("E9001")], sync_interval_minutes=60)
    directory("manual", [person("E9002")], sync_interval_minutes=0)

    # When the minute tick runs twice in a row
    tasks.directory_sync_task.call_local()
    tasks.directory_sync_task.call_local()

    # Then the hourly one ran once and the other not at all
    assert [run.state for run in runs_of(hourly)] == [SyncRun.State.OK]
    assert SyncRun.objects.count() == 1
    assert Employee.objects.filter(employee_number="E9001").exists()
    assert not Employee.objects.filter(employee_number="E9002").exists()

    # And an hour later it runs again
    later = timezone.now() + timedelta(minutes=61)
    assert directory_due(now=later) == [hourly]
    directory_sync_due(now=later)
    assert len(runs_of(hourly)) == 2


def test_only_enabled_directories_that_opted_in_are_synced(db, people):
    # Given a disabled directory, and an LDAP connector set up to find accounts
    directory("disabled", [person("E9003")], enabled=False)
    ldap = ConnectorConfig.objects.create(
        type="ldap", name="Accounts", slug="accounts", settings={}
    )

    # When the tick runs
    tasks.directory_sync_task.call_local()

    # Then neither lists anybody: the LDAP one syncs once its admin turns it on
    assert SyncRun.objects.count() == 0
    assert directory_due() == []
    ldap.settings = {"directory_sync": True}
    ldap.save()
    assert directory_due() == [ldap]


def test_a_failing_connector_does_not_stop_the_others(db):
    # Given four directories: down, misconfigured, broken, and a working one
    down = directory("down", ConnectorError("The directory server is down."))
    wrong = directory(
        "wrong", MisconfiguredError("The directory refused the bind DN or password.")
    )
    broken = directory("broken", KeyError("surprise"))
    working = directory("working", [person("E9004", name="Sun Li")])

    # When the tick runs
    tasks.directory_sync_task.call_local()

    # Then each failure is a failed run saying why, and the working one synced
    (down_run,) = runs_of(down)
    assert down_run.state == SyncRun.State.FAILED
    assert down_run.errors[-1]["message"] == "The directory server is down."
    (wrong_run,) = runs_of(wrong)
    assert wrong_run.state == SyncRun.State.FAILED
    assert wrong_run.errors[-1]["message"] == (
        "The directory refused the bind DN or password."
    )
    (broken_run,) = runs_of(broken)
    assert broken_run.state == SyncRun.State.FAILED
    assert broken_run.errors[-1]["message"] == (
        "The sync stopped on an unexpected error (KeyError)."
    )
    (working_run,) = runs_of(working)
    assert (working_run.state, working_run.seen, working_run.created) == (
        SyncRun.State.OK,
        1,
        1,
    )
    assert Employee.objects.get(employee_number="E9004").name == "Sun Li"
    # A failed run is no reason to wait a whole interval in silence: it shows in
    # the sync log, and runs again with the next interval.
    assert {run.handover_id for run in SyncRun.objects.all()} == {None}


def test_a_run_whose_worker_died_is_interrupted_and_run_again(db):
    # Given a run left "running" by a worker that died long ago
    config = directory("company", [person("E9005")])
    stale = SyncRun.objects.create(
        connector=config,
        block_id="directory",
        trigger=SyncRun.Trigger.PERIODIC,
        started_at=timezone.now() - timedelta(hours=3),
        heartbeat_at=timezone.now() - timedelta(hours=3),
    )

    # When the connector is synced
    run = directory_sync(config)

    # Then the dead run says it was interrupted, and the new one did the work
    stale.refresh_from_db()
    assert stale.state == SyncRun.State.INTERRUPTED
    assert stale.errors[-1]["message"].startswith("The worker stopped during the run")
    assert run.state == SyncRun.State.OK
    assert Employee.objects.filter(employee_number="E9005").exists()


def test_a_live_run_is_not_doubled(db):
    # Given a run of the same connector that is still going
    config = directory("company", [person("E9006")])
    SyncRun.objects.create(
        connector=config,
        block_id="directory",
        trigger=SyncRun.Trigger.PERIODIC,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )

    # When it is asked to sync again
    # Then nothing runs beside it
    assert directory_sync(config) is None
    assert not Employee.objects.filter(employee_number="E9006").exists()


# Leavers ---------------------------------------------------------------------------


def test_a_leaver_becomes_one_resignation_event(people):
    # Given a directory that has been synced once, sales still active
    sales = Employee.objects.get(user=people["sales"])
    config = directory(
        "company",
        [person(sales.employee_number, name=sales.name)],
        settings={"intake_mode": "propose"},
    )
    directory_sync(config)
    assert not ResignationEvent.objects.exists()

    # When the directory gives sales a last working day, and syncs twice
    LISTINGS["company"] = [
        person(sales.employee_number, name=sales.name, last_working_day=LAST_DAY)
    ]
    directory_sync(config)
    directory_sync(config)

    # Then one event is proposed to HR, named by the directory id and the day
    (event,) = ResignationEvent.objects.all()
    assert (event.source, event.connector_slug, event.external_id) == (
        "directory",
        "company",
        f"id-{sales.employee_number}:2026-12-31",
    )
    assert event.employee == sales
    assert event.last_working_day == LAST_DAY
    assert event.state == ResignationEvent.State.PROPOSED
    assert event.handover is None


def test_the_first_run_takes_stock_without_old_leavers(people):
    # Given a directory that lists someone who left long ago (disabled) and
    # someone whose last working day is still to come
    config = directory(
        "company",
        [
            person("E9100", name="Long Gone", status="disabled"),
            person(
                Employee.objects.get(user=people["sales"]).employee_number,
                last_working_day=LAST_DAY,
            ),
        ],
    )

    # When it is synced for the first time
    directory_sync(config)

    # Then only the coming departure is an event
    assert Employee.objects.get(employee_number="E9100").status == "left"
    assert list(ResignationEvent.objects.values_list("external_id", flat=True)) == [
        "id-E0005:2026-12-31"
    ]


# Scale -----------------------------------------------------------------------------


def crowd(count):
    """``count`` people in 20 departments, every tenth one the manager of the
    nine after them."""
    return [
        DirectoryValues(
            directory_id=f"p{number}",
            employee_number=f"P{number:05d}",
            name=f"Person {number}",
            email=f"person{number}@corp.example",
            department_code=f"dep-{number % 20}",
            department_name=f"Department {number % 20}",
            position="Engineer",
            manager_directory_id=f"p{number - number % 10}" if number % 10 else "",
        )
        for number in range(count)
    ]


def queries_to_sync(config):
    with CaptureQueriesContext(connection) as queries:
        run = directory_sync(config)
    assert run.state == SyncRun.State.OK
    return len(queries)


def test_twenty_thousand_people_at_a_constant_number_of_queries_per_batch(db):
    # Given a directory of one batch (1,000 people) and one of 20,000
    small = directory("small", crowd(1000))
    one_batch = queries_to_sync(small)
    Employee.objects.all().delete()
    Department.objects.all().delete()
    large = directory("large", crowd(20_000))

    # When the large one is synced
    twenty_batches = queries_to_sync(large)

    # Then everyone is in, with department and manager, and each batch of
    # 1,000 took no more queries than the whole one-batch sync
    assert Employee.objects.filter(employee_number__startswith="P").count() == 20_000
    assert Department.objects.filter(code__startswith="dep-").count() == 20
    last = Employee.objects.select_related("manager", "department").get(
        employee_number="P19999"
    )
    assert last.manager.employee_number == "P19990"
    assert last.department.name == "Department 19"
    assert twenty_batches <= 20 * one_batch
    (run,) = runs_of(large)
    assert (run.seen, run.created) == (20_000, 20_000)
