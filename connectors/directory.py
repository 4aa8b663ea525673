"""The directory sync: Employee records kept in step with the directories
(LDAP, SCIM, Feishu, DingTalk…), and the people who turn leaving or disabled,
or gain a last working day, handed to intake as resignation notices.

For each enabled connector whose type lists people (``supports_directory``,
and its ``directory_sync`` setting on) and whose re-sync interval has passed:
``list_people()`` → ``employees_apply_directory`` (cms decides what may be
written: a field HR typed is never overwritten) → one ``resignation_receive``
per person it reports leaving, in the connector's ``intake_mode``.

A connector's first run takes stock: nothing "turned" leaving yet, so only
people with a last working day still to come become notices (not the
disabled accounts of everyone who ever left).

Each run is a ``SyncRun`` without a handover (``block_id`` "directory") in the
sync log HR and IT read: what was listed, created, updated and kept aside, and
why a run failed. A failing connector fails its own run only.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext

from cms.services.employees import employees_apply_directory
from cms.services.intake import EmployeeLookup, ResignationNotice, resignation_receive

from .models import ConnectorConfig, SyncRun
from .sdk.base import INTAKE_MODE_CHOICES, ConnectorError, MisconfiguredError
from .sync.runs import WORKER, UnexpectedError, interrupt

__all__ = [
    "DIRECTORY_RUN",
    "directory_connectors",
    "directory_due",
    "directory_notice",
    "directory_sync",
    "directory_sync_due",
]

logger = logging.getLogger(__name__)

# ``SyncRun.block_id`` of a directory run (which belongs to no handover).
DIRECTORY_RUN = "directory"
SOURCE_DIRECTORY = "directory"
DEFAULT_INTAKE_MODE = "propose"
EXTERNAL_ID_LENGTH = 255


def _directory_runs():
    return SyncRun.objects.filter(handover__isnull=True, block_id=DIRECTORY_RUN)


def _stale_after() -> timedelta:
    # A listing is one long call the run cannot beat during: give it as long
    # as a stalled block run gets before it counts as dead.
    return timedelta(
        seconds=max(
            settings.BATON_SYNC_LEASE_SECONDS, settings.BATON_SYNC_STALL_SECONDS
        )
    )


# Which connectors ---------------------------------------------------------------


def directory_connectors() -> list[ConnectorConfig]:
    """The enabled connectors the directory sync reads people from."""
    configs = []
    for config in ConnectorConfig.objects.filter(enabled=True).order_by("pk"):
        try:
            type_class = config.type_class
        except LookupError:
            continue  # a type no longer installed: its block runs say so
        if type_class.directory_sync_on(config.settings or {}):
            configs.append(config)
    return configs


def directory_due(*, now=None) -> list[ConnectorConfig]:
    """Directory connectors whose interval passed since their last run began
    (an interval of 0 turns the periodic sync off)."""
    now = now or timezone.now()
    candidates = [
        config for config in directory_connectors() if config.sync_interval_minutes
    ]
    last = dict(
        _directory_runs()
        .filter(connector__in=candidates)
        .values("connector")
        .annotate(last=Max("started_at"))
        .values_list("connector", "last")
    )
    return [
        config
        for config in candidates
        if last.get(config.pk) is None
        or last[config.pk] + timedelta(minutes=config.sync_interval_minutes) <= now
    ]


def directory_sync_due(*, now=None) -> list[SyncRun]:
    """Run every due directory connector, one after the other; a failing one
    fails its own run and the others go on."""
    runs = []
    for config in directory_due(now=now):
        run = directory_sync(config)
        if run is not None:
            runs.append(run)
    return runs


# One connector ---------------------------------------------------------------------


def directory_sync(
    config: ConnectorConfig, *, trigger=SyncRun.Trigger.PERIODIC, actor=None
) -> SyncRun | None:
    """List the connector's people, apply them to the employee records and
    report the leavers to intake. Returns the run (None when a live run of the
    same connector is still going)."""
    with translation.override(settings.LANGUAGE_CODE):
        run = _claim(config, trigger=trigger, actor=actor)
        if run is None:
            return None
        try:
            client = config.client()
        except Exception as error:  # noqa: BLE001 — unreadable secrets or bad settings
            return _fail(run, MisconfiguredError(str(error)))
        try:
            # Types list cms's own ``DirectoryValues`` (``sdk.directory``).
            people = list(client.list_people())
            _beat(run, seen=len(people), total=len(people))
            # cms labels what it writes "directory:<source>" itself (that
            # label is what the employee archive shows): pass the slug alone.
            result = employees_apply_directory(source=config.slug, people=people)
            _beat(
                run,
                done=len(people),
                created=result.created,
                updated=result.updated,
                conflicts=len(result.kept),
            )
            errors = _report_leavers(
                config, result.leaving, first=not _synced_before(config, run)
            )
            return _finish(run, result, errors)
        except ConnectorError as error:
            return _fail(run, error)
        except Exception as error:
            logger.exception("Directory run %s of %s failed.", run.pk, config.slug)
            return _fail(
                run,
                UnexpectedError(
                    gettext("The sync stopped on an unexpected error (%(error)s).")
                    % {"error": type(error).__name__}
                ),
            )
        finally:
            client.close()


def _claim(config, *, trigger, actor) -> SyncRun | None:
    now = timezone.now()
    for previous in _directory_runs().filter(
        connector=config, state=SyncRun.State.RUNNING
    ):
        if (previous.heartbeat_at or previous.started_at) > now - _stale_after():
            return None
        # Its worker died: say so, and run again.
        interrupt(previous, now)
        previous.save(update_fields=["state", "finished_at", "errors"])
    return SyncRun.objects.create(
        connector=config,
        block_id=DIRECTORY_RUN,
        trigger=trigger,
        started_at=now,
        heartbeat_at=now,
        worker=WORKER,
        actor=actor,
    )


def _beat(run: SyncRun, **counts) -> None:
    now = timezone.now()
    for name, value in counts.items():
        setattr(run, name, value)
    run.heartbeat_at = now
    SyncRun.objects.filter(pk=run.pk).update(heartbeat_at=now, **counts)


def _finish(run: SyncRun, result, errors: list) -> SyncRun:
    run.finished_at = timezone.now()
    run.state = SyncRun.State.PARTIAL if errors else SyncRun.State.OK
    run.skipped = len(errors)
    run.errors = [*run.errors, *errors]
    run.save(update_fields=["finished_at", "state", "skipped", "errors"])
    logger.info(
        "Directory %s: %d listed, %d created, %d updated, %d kept aside, %d leaving.",
        run.connector_id,
        run.seen,
        result.created,
        result.updated,
        len(result.kept),
        len(result.leaving),
    )
    return run


def _fail(run: SyncRun, error: ConnectorError) -> SyncRun:
    run.finished_at = timezone.now()
    run.state = SyncRun.State.FAILED
    run.request_id = getattr(error, "request_id", None) or ""
    run.errors = [
        *run.errors,
        {
            "message": str(getattr(error, "message", error)),
            "request_id": run.request_id,
        },
    ]
    run.save(update_fields=["finished_at", "state", "request_id", "errors"])
    logger.warning(
        "Directory connector %s failed: %s", run.connector_id, run.errors[-1]["message"]
    )
    return run


# Leavers ---------------------------------------------------------------------------


def _intake_mode(config: ConnectorConfig) -> str:
    mode = (config.settings or {}).get("intake_mode") or DEFAULT_INTAKE_MODE
    return mode if mode in dict(INTAKE_MODE_CHOICES) else DEFAULT_INTAKE_MODE


def directory_notice(config: ConnectorConfig, employee, values) -> ResignationNotice:
    """The resignation notice for a person the directory reports leaving.

    Its id is "<directory id>:<last working day>", or the date the status
    changed when the directory gives no last working day, so the same change
    seen again is a duplicate, and a new last working day is a new event."""
    changed_on = _status_changed_on(employee)
    last_working_day = values.last_working_day
    if last_working_day is None and values.status == "disabled":
        # The account is closed: that day was the last one.
        last_working_day = changed_on
    day = values.last_working_day or changed_on
    return ResignationNotice(
        source=SOURCE_DIRECTORY,
        external_id=_external_id(values.directory_id, day),
        employee=EmployeeLookup(id=employee.pk, directory_id=values.directory_id),
        resignation_date=None,
        last_working_day=last_working_day,
        connector_slug=config.slug,
        payload={
            "connector": config.slug,
            "directory_id": values.directory_id,
            "status": values.status,
            "last_working_day": values.last_working_day.isoformat()
            if values.last_working_day
            else None,
        },
    )


def _status_changed_on(employee) -> datetime.date:
    """When cms recorded the status change (the directory does not say), so
    that a later run names the same day; today when it recorded none."""
    recorded = ((employee.provenance or {}).get("status") or {}).get("at")
    if recorded:
        try:
            moment = datetime.datetime.fromisoformat(recorded)
        except (TypeError, ValueError):
            moment = None
        if moment is not None:
            if timezone.is_naive(moment):
                return moment.date()
            return timezone.localtime(moment).date()
    return timezone.localdate()


def _external_id(directory_id: str, day: datetime.date) -> str:
    suffix = f":{day.isoformat()}"
    if len(directory_id) + len(suffix) > EXTERNAL_ID_LENGTH:
        # A long DN: its digest is as stable and fits.
        directory_id = hashlib.sha256(directory_id.encode()).hexdigest()
    return directory_id + suffix


def _synced_before(config: ConnectorConfig, run: SyncRun) -> bool:
    return (
        _directory_runs()
        .filter(connector=config, state__in=(SyncRun.State.OK, SyncRun.State.PARTIAL))
        .exclude(pk=run.pk)
        .exists()
    )


def _report_leavers(config: ConnectorConfig, leaving, *, first: bool) -> list[dict]:
    """One resignation notice per leaver; returns the errors of the notices
    intake could not take (refusals are intake's own record, not errors)."""
    mode = _intake_mode(config)
    today = timezone.localdate()
    errors = []
    for employee, values in leaving:
        if first and not (values.last_working_day and values.last_working_day >= today):
            continue
        notice = directory_notice(config, employee, values)
        try:
            outcome = resignation_receive(notice=notice, mode=mode)
        except Exception as error:
            # One leaver intake could not take must not keep the others out.
            logger.exception(
                "Directory %s: the resignation of %s could not be recorded.",
                config.slug,
                notice.external_id,
            )
            errors.append(
                {
                    "message": gettext(
                        "The resignation of %(name)s could not be recorded (%(error)s)."
                    )
                    % {"name": employee.name, "error": type(error).__name__},
                    "external_id": notice.external_id,
                }
            )
            continue
        logger.info(
            "Directory %s: resignation %s of %s is %s.",
            config.slug,
            notice.external_id,
            employee.pk,
            outcome.status,
        )
    return errors
