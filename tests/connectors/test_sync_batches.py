"""Runs commit in batches with progress ("n of N"), an interrupted run's retry
resumes instead of starting over, any failure inside a run ends it as failed
(shown and retried), and uploads add to or replace the block's list."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from cms.models import Item
from connectors import tasks
from connectors.models import BlockSync, ConnectorConfig, SyncedRecord, SyncRun
from connectors.sdk.base import Record
from connectors.services import resync_due
from connectors.sync import import_preview, import_records
from connectors.types.sample import SampleConnector
from tests.connectors.helpers import (
    connector_template,
    crm_block,
    deals,
    set_deals,
    start_handover,
    sync,
)

pytestmark = pytest.mark.django_db


def _deal_rows(count, *, start=0, quote="CNY 1"):
    return [
        {
            "id": f"D-{number:05d}",
            "title": f"Deal {number}",
            "fields": {"company": f"Company {number}", "quote": quote},
        }
        for number in range(start, start + count)
    ]


class WorkerKilled(BaseException):
    """What SIGKILL looks like from inside: nothing of the run's own code runs
    after it (not an Exception, so no handler of the engine catches it)."""


@pytest.fixture
def small_batches(settings):
    settings.BATON_SYNC_BATCH_SIZE = 3
    return settings


def test_a_run_applies_its_records_in_batches_and_shows_n_of_n(started, small_batches):
    set_deals(_deal_rows(8))

    run = sync(started)

    status = crm_block(started)
    assert (run.state, run.done, run.total) == (SyncRun.State.OK, 8, 8)
    assert (status.progress_done, status.progress_total) == (8, 8)
    assert status.state == BlockSync.State.OK
    assert status.lease_expires_at is None
    # The two demo deals left the list: resolved once the whole list was seen.
    assert (run.created, run.resolved) == (8, 2)
    assert len(deals(started)) == 10


def test_progress_is_committed_batch_by_batch(started, small_batches, monkeypatch):
    seen_progress = []
    from connectors.sync import runs

    real_beat = runs.beat

    def watching(run, status_pk, **progress):
        real_beat(run, status_pk, **progress)
        seen_progress.append(
            BlockSync.objects.values_list("progress_done", "progress_total").get(
                pk=status_pk
            )
        )

    monkeypatch.setattr(runs, "beat", watching)
    set_deals(_deal_rows(7))

    sync(started)

    assert seen_progress[:3] == [(3, 7), (6, 7), (7, 7)]


def _killed_after(batches, rows):
    """A source that dies (like a killed worker) after ``batches`` batches."""

    def discover(self, **kwargs):
        for number, row in enumerate(rows):
            if number == batches * 3:
                raise WorkerKilled()
            yield Record(row["id"], "deal", row["title"], row["fields"])

    return discover


def test_an_interrupted_run_is_resumed_not_restarted(
    started, small_batches, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.BATON_SYNC_LEASE_SECONDS = 60
    rows = _deal_rows(10)
    set_deals(rows)
    gone_before = {item.pk for item in deals(started)}  # the two demo deals
    with monkeypatch.context() as patch:
        patch.setattr(SampleConnector, "discover", _killed_after(2, rows))
        with pytest.raises(WorkerKilled):
            sync(started)

    interrupted = SyncRun.objects.filter(handover=started).first()
    status = crm_block(started)
    # Two batches were committed; nothing was resolved from a partial list.
    assert (interrupted.state, interrupted.done) == (SyncRun.State.RUNNING, 6)
    assert (status.state, status.progress_done) == (BlockSync.State.SYNCING, 6)
    assert all(item.state == Item.State.PENDING for item in deals(started))

    # The tick, once the lease has passed, interrupts the run and retries it.
    scheduled = []
    monkeypatch.setattr(
        tasks.sync_block_task,
        "schedule",
        lambda args, delay: scheduled.append((args, delay)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        resync_due(now=timezone.now() + timedelta(seconds=61))
    interrupted.refresh_from_db()
    assert interrupted.state == SyncRun.State.INTERRUPTED
    assert interrupted.finished_at is not None
    assert "no heartbeat since" in interrupted.errors[-1]["message"]
    (args, _delay) = scheduled[0]
    assert args[2:4] == ("retry", 1)

    tasks.sync_block_task.call_local(*args)

    resumed = SyncRun.objects.filter(handover=started).first()
    assert resumed.resumed_from == interrupted
    assert resumed.state == SyncRun.State.OK
    # The six records applied before the worker died were not applied again.
    assert (resumed.created, resumed.resolved) == (4, 2)
    assert (
        SyncedRecord.objects.filter(handover=started, connector__slug="crm").count()
        == 12
    )
    items = deals(started)
    assert len(items) == 12
    assert {item.pk for item in items if item.state == Item.State.NOT_APPLICABLE} == (
        gone_before
    )
    assert crm_block(started).state == BlockSync.State.OK
    assert [run.state for run in SyncRun.objects.filter(handover=started)][:2] == [
        SyncRun.State.OK,
        SyncRun.State.INTERRUPTED,
    ]


def test_any_unexpected_error_fails_the_run_shows_it_and_retries(started, monkeypatch):
    from connectors.sync import runs

    def broken(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(runs, "resolve_missing_batch", broken)
    scheduled = []
    monkeypatch.setattr(
        tasks.sync_block_task,
        "schedule",
        lambda args, delay: scheduled.append((args, delay)),
    )
    status = crm_block(started)

    tasks.sync_block_task.call_local(started.pk, status.block_id, "periodic", 0)

    status.refresh_from_db()
    run = SyncRun.objects.filter(handover=started).first()
    assert run.state == SyncRun.State.FAILED
    assert run.finished_at is not None
    assert status.state == BlockSync.State.FAILED
    assert "unexpected error" in status.error
    assert status.retry_at is not None
    assert status.lease_expires_at is None
    assert scheduled and scheduled[0][0][2:4] == ("retry", 1)


# Uploads ------------------------------------------------------------------------


@pytest.fixture
def sheet(people):
    ConnectorConfig.objects.get_or_create(
        slug="client-sheet",
        defaults={"type": "spreadsheet", "name": "Client spreadsheet"},
    )
    handover = start_handover(people, connector_template("client-sheet", "client"))
    block_id = handover.template_revision.as_object().body[0].value["items"][0].id
    return handover, block_id


def _clients(*names):
    return [
        Record(f"C-{name}", "client", f"Client {name}", {"customer": name})
        for name in names
    ]


def _states(handover):
    return {
        item.data["external_id"]: item.state
        for item in Item.objects.filter(handover=handover, kind="connector_list")
    }


def test_an_upload_in_add_mode_keeps_what_is_not_in_the_file(sheet, people):
    handover, block_id = sheet
    import_records(
        handover=handover,
        block_id=block_id,
        records=_clients("a", "b"),
        actor=people["sales"],
    )

    run = import_records(
        handover=handover,
        block_id=block_id,
        records=iter(_clients("c")),
        actor=people["sales"],
        replace=False,
    )

    assert (run.created, run.resolved) == (1, 0)
    assert _states(handover) == {
        "C-a": Item.State.PENDING,
        "C-b": Item.State.PENDING,
        "C-c": Item.State.PENDING,
    }


def test_an_upload_in_replace_mode_resolves_what_is_not_in_the_file(
    sheet, people, settings
):
    settings.BATON_SYNC_BATCH_SIZE = 2
    handover, block_id = sheet
    import_records(
        handover=handover,
        block_id=block_id,
        records=_clients("a", "b", "c"),
        actor=people["sales"],
    )

    preview = import_preview(
        handover=handover, block_id=block_id, external_ids={"C-c", "C-d"}, replace=True
    )
    run = import_records(
        handover=handover,
        block_id=block_id,
        records=iter(_clients("c", "d")),
        actor=people["sales"],
        replace=True,
    )

    assert (preview["new"], preview["updated"], preview["resolved_count"]) == (1, 1, 2)
    assert [row["external_id"] for row in preview["resolved"]] == ["C-a", "C-b"]
    assert [row["label"] for row in preview["resolved"]] == ["Client a", "Client b"]
    assert (run.created, run.resolved) == (1, 2)
    assert _states(handover) == {
        "C-a": Item.State.NOT_APPLICABLE,
        "C-b": Item.State.NOT_APPLICABLE,
        "C-c": Item.State.PENDING,
        "C-d": Item.State.PENDING,
    }


def test_a_preview_in_add_mode_resolves_nothing(sheet, people):
    handover, block_id = sheet
    import_records(
        handover=handover,
        block_id=block_id,
        records=_clients("a", "b"),
        actor=people["sales"],
    )

    preview = import_preview(
        handover=handover, block_id=block_id, external_ids={"C-b", "C-x"}, replace=False
    )

    assert preview == {"new": 1, "updated": 1, "resolved": [], "resolved_count": 0}


def test_an_upload_follows_its_stored_import_row_by_row(sheet, people, settings):
    from connectors.models import UploadImport

    settings.BATON_SYNC_BATCH_SIZE = 2
    handover, block_id = sheet
    upload = UploadImport.objects.create(
        handover=handover,
        block_id=block_id,
        filename="clients.csv",
        file="imports/clients.csv",
        rows_total=5,
        created_by=people["sales"],
        mode=UploadImport.Mode.ADD,
    )

    run = import_records(
        handover=handover,
        block_id=block_id,
        records=(record for record in _clients("a", "b", "c", "d", "e")),
        actor=people["sales"],
        replace=False,
        upload=upload,
    )

    upload.refresh_from_db()
    status = BlockSync.objects.get(handover=handover, block_id=block_id)
    assert (upload.rows_done, upload.run) == (5, run)
    assert (run.done, run.total) == (5, 5)
    assert (status.progress_done, status.progress_total) == (5, 5)
