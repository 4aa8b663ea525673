"""4. The background fill of 2,000 connector records into one handover (the huey
task body: fetch, map, upsert), against a bulk insert (COPY) of the same rows.
Also a re-sync of the same 2,000 records with a tenth of them changed."""

import copy

from psycopg.types.json import Jsonb

from cms.models import Item, ItemVersion
from connectors.models import BlockSync, ConnectorConfig, SyncedRecord, SyncRun
from connectors.tasks import sync_block_task

from .harness import (
    Result,
    count_queries,
    record,
    repeat,
    rolled_back,
    timed,
    timed_in_rollback,
)

TABLES = (Item, SyncedRecord, ItemVersion)


def _columns(model):
    return [field for field in model._meta.concrete_fields if field.column != "id"]


def test_fill_2000_records(scale, raw):
    status = BlockSync.objects.select_related("handover").get(
        connector__slug=scale.bulk_connector_slug
    )
    assert status.state == BlockSync.State.QUEUED
    handover_id, block_id = status.handover_id, status.block_id

    def fill():
        return sync_block_task.call_local(
            handover_id, block_id, "start", 0, status.generation
        )

    # What a fill writes, to copy it back in as the baseline.
    with rolled_back():
        run = SyncRun.objects.get(pk=fill())
        assert run.created == 2000, run.errors
        written = {
            model: list(
                model.objects.filter(
                    **(
                        {
                            "item__handover_id": handover_id,
                            "item__kind": "connector_list",
                        }
                        if model is ItemVersion
                        else {"handover_id": handover_id, "kind": "connector_list"}
                        if model is Item
                        else {"handover_id": handover_id}
                    )
                )
                .order_by("pk")
                .values_list(*[field.attname for field in _columns(model)])
            )
            for model in TABLES
        }

    def as_copy_rows(model, rows):
        json_columns = {
            index
            for index, field in enumerate(_columns(model))
            if field.get_internal_type() == "JSONField"
        }
        return [
            [
                Jsonb(value) if index in json_columns else value
                for index, value in enumerate(row)
            ]
            for row in rows
        ]

    def baseline():
        with raw.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM cms_item")
            base = cursor.fetchone()[0] + 1_000_000
            items = as_copy_rows(Item, written[Item])
            columns = ", ".join(f'"{field.column}"' for field in _columns(Item))
            with cursor.copy(f"COPY cms_item (id, {columns}) FROM STDIN") as target:
                for offset, row in enumerate(items):
                    target.write_row([base + offset, *row])
            for model in (SyncedRecord, ItemVersion):
                rows = as_copy_rows(model, written[model])
                names = [field.attname for field in _columns(model)]
                item_index = names.index("item_id")
                first_item = written[Item] and min(row[item_index] for row in rows)
                columns = ", ".join(f'"{field.column}"' for field in _columns(model))
                table = model._meta.db_table
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as target:
                    for row in rows:
                        row = list(row)
                        row[item_index] = base + (row[item_index] - first_item)
                        target.write_row(row)
        raw.rollback()

    base = timed(baseline, times=repeat(5), warmup=1)
    subject = timed_in_rollback(fill, times=repeat(5))
    result = record(
        Result(
            number="4a",
            name="Background fill, 2,000 new records",
            subject=subject,
            queries=count_queries(fill),
            baseline_name="COPY of the same rows",
            baseline=base,
            baseline_queries=3,
            target="≤ 2 s",
        )
    )
    result.met = subject.median_ms <= 2000

    # A re-sync: the same records, one in ten changed upstream.
    connector = ConnectorConfig.objects.get(slug=scale.bulk_connector_slug)
    changed = copy.deepcopy(connector.settings)
    for records in changed["records"].values():
        for number, row in enumerate(records["task"]):
            if number % 10 == 0:
                row["fields"]["done"] = (row["fields"]["done"] + 7) % 101

    def setup():
        # Not measured: the first fill, then the change upstream.
        sync_block_task.call_local(handover_id, block_id, "start", 0, None)
        ConnectorConfig.objects.filter(pk=connector.pk).update(settings=changed)
        return True

    def resync(_state):
        return sync_block_task.call_local(handover_id, block_id, "periodic", 0, None)

    with rolled_back():
        setup()
        assert SyncRun.objects.get(pk=resync(True)).updated == 200
    subject = timed_in_rollback(resync, setup=setup, times=repeat(5))
    result = record(
        Result(
            number="4b",
            name="Re-sync, 2,000 records, 200 changed",
            subject=subject,
            queries=count_queries(resync, setup=setup),
            baseline_name="COPY of the first fill",
            baseline=base,
            baseline_queries=3,
            target="≤ 2 s",
        )
    )
    result.met = subject.median_ms <= 2000


# 4c. A re-sync of 10,000 records, every one changed upstream ----------------------

RESYNC_RECORDS = 10_000


def bulk_records(count: int, *, changed: bool = False) -> list[dict]:
    """The bulk connector's tickets, ``count`` of them; ``changed`` moves every
    one on (progress and next step), as a busy week upstream would."""
    return [
        {
            "id": f"T-{number:05d}",
            "title": f"Ticket {number}: rollout",
            "fields": {
                "summary": f"Rollout step {number}",
                "state": ("not_started", "in_progress", "blocked")[number % 3],
                "done": (number + (7 if changed else 0)) % 101,
                "next": f"{'Email' if changed else 'Call'} the lead about {number}.",
                "url": f"https://tickets.scale.example/T-{number:05d}",
            },
        }
        for number in range(1, count + 1)
    ]


def _values_update(cursor, table, columns, casts, rows):
    """The baseline's write: one ``UPDATE … FROM (VALUES …)`` per 5,000 rows."""
    names = ", ".join(columns)
    sets = ", ".join(f"{column} = v.{column}" for column in columns[1:])
    row = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    for start in range(0, len(rows), 5000):
        chunk = rows[start : start + 5000]
        cursor.execute(
            f"UPDATE {table} SET {sets} "  # noqa: S608 — fixed names, values bound
            f"FROM (VALUES {', '.join([row] * len(chunk))})"
            f" AS v({names}) WHERE {table}.id = v.id",
            [value for values in chunk for value in values],
        )


def test_resync_10000_changed_records(scale, raw):
    import json
    import subprocess
    import sys

    from django.conf import settings as django_settings

    status = BlockSync.objects.get(connector__slug=scale.bulk_connector_slug)
    handover_id, block_id = status.handover_id, status.block_id
    connector = ConnectorConfig.objects.get(pk=status.connector_id)
    email = next(iter(connector.settings["records"]))

    def with_records(changed):
        return {
            **connector.settings,
            "records": {email: {"task": bulk_records(RESYNC_RECORDS, changed=changed)}},
        }

    first, second = with_records(False), with_records(True)

    def setup():
        # Not measured: the first fill of 10,000, then the change upstream.
        ConnectorConfig.objects.filter(pk=connector.pk).update(settings=first)
        sync_block_task.call_local(handover_id, block_id, "start", 0, None)
        ConnectorConfig.objects.filter(pk=connector.pk).update(settings=second)
        return True

    def resync(_state):
        return sync_block_task.call_local(handover_id, block_id, "periodic", 0, None)

    # What the re-sync writes, to write it again raw as the baseline.
    item_columns = ("id", "data", "provenance", "version", "updated_at")
    link_columns = ("id", "upstream", "last_seen_at")
    with rolled_back():
        setup()
        before_items = list(
            Item.objects.filter(handover_id=handover_id, kind="connector_list")
            .order_by("pk")
            .values_list(*[field.attname for field in _columns(Item)])
        )
        before_links = list(
            SyncedRecord.objects.filter(handover_id=handover_id)
            .order_by("pk")
            .values_list(*[field.attname for field in _columns(SyncedRecord)])
        )
        run = SyncRun.objects.get(pk=resync(True))
        assert run.updated == RESYNC_RECORDS, (run.updated, run.errors)
        after_items = list(
            Item.objects.filter(handover_id=handover_id, kind="connector_list")
            .order_by("pk")
            .values_list(*item_columns[1:])
        )
        after_links = list(
            SyncedRecord.objects.filter(handover_id=handover_id)
            .order_by("pk")
            .values_list(*link_columns[1:])
        )
        versions = list(
            ItemVersion.objects.filter(
                item__handover_id=handover_id, action="sync.updated"
            )
            .order_by("pk")
            .values_list(*[field.attname for field in _columns(ItemVersion)])
        )

    def baseline_setup():
        # Not measured: the 10,000 items and links as the first fill left them.
        raw.rollback()
        with raw.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM cms_item")
            base = cursor.fetchone()[0] + 1_000_000
            json_items = {
                index
                for index, field in enumerate(_columns(Item))
                if field.get_internal_type() == "JSONField"
            }
            columns = ", ".join(f'"{field.column}"' for field in _columns(Item))
            with cursor.copy(f"COPY cms_item (id, {columns}) FROM STDIN") as target:
                for offset, row in enumerate(before_items):
                    target.write_row(
                        [
                            base + offset,
                            *(
                                Jsonb(value) if index in json_items else value
                                for index, value in enumerate(row)
                            ),
                        ]
                    )
            names = [field.attname for field in _columns(SyncedRecord)]
            item_index = names.index("item_id")
            first_item = min(row[item_index] for row in before_links)
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM connectors_syncedrecord")
            link_base = cursor.fetchone()[0] + 1_000_000
            columns = ", ".join(f'"{field.column}"' for field in _columns(SyncedRecord))
            with cursor.copy(
                f"COPY connectors_syncedrecord (id, {columns}) FROM STDIN"
            ) as target:
                for offset, row in enumerate(before_links):
                    row = list(row)
                    row[item_index] = base + (row[item_index] - first_item)
                    row[names.index("upstream")] = Jsonb(row[names.index("upstream")])
                    target.write_row([link_base + offset, *row])
        return base, link_base, first_item

    def baseline(state):
        base, link_base, first_item = state
        with raw.cursor() as cursor:
            _values_update(
                cursor,
                "cms_item",
                item_columns,
                ("bigint", "jsonb", "jsonb", "integer", "timestamptz"),
                [
                    (base + offset, Jsonb(data), Jsonb(provenance), version, at)
                    for offset, (data, provenance, version, at) in enumerate(
                        after_items
                    )
                ],
            )
            _values_update(
                cursor,
                "connectors_syncedrecord",
                link_columns,
                ("bigint", "jsonb", "timestamptz"),
                [
                    (link_base + offset, Jsonb(upstream), seen)
                    for offset, (upstream, seen) in enumerate(after_links)
                ],
            )
            names = [field.attname for field in _columns(ItemVersion)]
            item_index = names.index("item_id")
            json_columns = {
                index
                for index, field in enumerate(_columns(ItemVersion))
                if field.get_internal_type() == "JSONField"
            }
            columns = ", ".join(f'"{field.column}"' for field in _columns(ItemVersion))
            with cursor.copy(f"COPY cms_itemversion ({columns}) FROM STDIN") as target:
                for row in versions:
                    row = [
                        Jsonb(value) if index in json_columns else value
                        for index, value in enumerate(row)
                    ]
                    row[item_index] = base + (row[item_index] - first_item)
                    target.write_row(row)
        raw.rollback()

    base = timed(baseline, setup=baseline_setup, times=repeat(3), warmup=1)
    subject = timed_in_rollback(resync, setup=setup, times=repeat(3))
    queries = count_queries(resync, setup=setup)

    # The worker's memory, in a process of its own as a huey worker would be.
    worker = subprocess.run(  # noqa: S603 — this interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "tests.benchmarks.sync_worker",
            str(handover_id),
            block_id,
            str(RESYNC_RECORDS),
        ],
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    memory = json.loads(worker.stdout.strip().splitlines()[-1])
    peak_mb = memory["peak_kb"] / 1024
    result = record(
        Result(
            number="4c",
            name="Re-sync, 10,000 records, all changed",
            subject=subject,
            queries=queries,
            baseline_name="UPDATE … FROM (VALUES) + COPY of the same rows",
            baseline=base,
            baseline_queries=4,
            target="≤ 10 s, worker ≤ 300 MB",
            extra={
                "worker_peak_mb": round(peak_mb, 1),
                "worker_fill_peak_mb": round(memory["fill_peak_kb"] / 1024, 1),
                "worker_resync_seconds": round(memory["seconds"], 2),
            },
        )
    )
    result.met = subject.median_ms <= 10_000 and peak_mb <= 300
