"""Fills a connector block with COUNT records, changes every one upstream and
re-syncs, in a process of its own, and prints what the re-sync cost as JSON:
``python -m tests.benchmarks.sync_worker HANDOVER_ID BLOCK_ID COUNT``.

A fresh process, like a huey worker, so that its peak resident memory (VmHWM)
belongs to the sync. The peak is reset after the first fill (``clear_refs``),
so the figure is the re-sync's; the fill's own peak is printed beside it.
Everything is rolled back."""

import json
import os
import sys
import time


def _high_water_kb() -> int:
    for line in open("/proc/self/status").read().splitlines():  # noqa: SIM115
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _reset_high_water() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def main(handover_id: int, block_id: str, count: int):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from django.db import transaction

    from connectors.models import BlockSync, ConnectorConfig, SyncRun
    from connectors.tasks import sync_block_task
    from tests.benchmarks.test_bench_4_fill import bulk_records

    status = BlockSync.objects.get(handover_id=handover_id, block_id=block_id)
    connector = ConnectorConfig.objects.get(pk=status.connector_id)
    email = next(iter(connector.settings["records"]))
    started_kb = _high_water_kb()
    with transaction.atomic():
        settings = dict(connector.settings)
        settings["records"] = {email: {"task": bulk_records(count)}}
        ConnectorConfig.objects.filter(pk=connector.pk).update(settings=settings)
        sync_block_task.call_local(handover_id, block_id, "start", 0, None)
        fill_kb = _high_water_kb()
        settings["records"] = {email: {"task": bulk_records(count, changed=True)}}
        ConnectorConfig.objects.filter(pk=connector.pk).update(settings=settings)
        del settings
        reset = _reset_high_water()
        before_kb = _high_water_kb()
        began = time.perf_counter()
        run = SyncRun.objects.get(
            pk=sync_block_task.call_local(handover_id, block_id, "periodic", 0, None)
        )
        seconds = time.perf_counter() - began
        peak_kb = _high_water_kb()
        updated = run.updated
        transaction.set_rollback(True)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "updated": updated,
                "started_kb": started_kb,
                "fill_peak_kb": fill_kb,
                "before_kb": before_kb,
                "peak_kb": peak_kb,
                "peak_reset": reset,
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
