"""The connectors' side of the generated company — demo code, so it may
import ``connectors`` (the layer contracts let demo code import anything and
nothing import it): the two connectors the templates name, and the sync state
the start's background fill leaves on each handover."""

from __future__ import annotations

import datetime as dt

from connectors.models import BlockSync, ConnectorConfig, SyncRun

from .company import COMPANIES
from .spec import ScaleInfo, ScaleSpec, bulk_leaver

__all__ = ["SYNC_MODELS", "ConnectorFill", "connectors_create"]

# The connectors' tables the handovers write, copied after the cms ones.
SYNC_MODELS = (SyncRun, BlockSync)
BULK_RECORDS = 2_000
TICKET_MAPPING = {
    "description": "summary",
    "status": "state",
    "progress_percent": "done",
    "next_step": "next",
    "location": "url",
}


def _tickets() -> list[dict]:
    return [
        {
            "id": f"T-{number:05d}",
            "title": f"Ticket {number}: {COMPANIES[number % len(COMPANIES)]} rollout",
            "fields": {
                "summary": f"Rollout step {number} for "
                f"{COMPANIES[number % len(COMPANIES)]}",
                "state": ("not_started", "in_progress", "blocked")[number % 3],
                "done": number % 101,
                "next": f"Call the site lead about step {number}.",
                "url": f"https://tickets.scale.example/T-{number:05d}",
            },
        }
        for number in range(1, BULK_RECORDS + 1)
    ]


def connectors_create(spec: ScaleSpec, info: ScaleInfo) -> dict:
    """A directory connector every template uses (nothing upstream for most
    people), and a bulk source with 2,000 task records for one employee.
    Returns slug -> (pk, name)."""
    directory, _created = ConnectorConfig.objects.get_or_create(
        slug=info.directory_connector_slug,
        defaults={
            "type": "sample",
            "name": f"Company directory (scale {spec.seed})",
            "settings": {"records": {}},
            "sync_interval_minutes": 60,
        },
    )
    email = f"{spec.prefix}.u{bulk_leaver(spec):06d}@scale.example"
    bulk, _created = ConnectorConfig.objects.get_or_create(
        slug=info.bulk_connector_slug,
        defaults={
            "type": "sample",
            "name": f"Ticket system (scale {spec.seed})",
            "settings": {
                "records": {email: {"task": _tickets()}},
                "mappings": {"task": TICKET_MAPPING},
            },
            "sync_interval_minutes": 0,
        },
    )
    return {
        directory.slug: (directory.pk, directory.name),
        bulk.slug: (bulk.pk, bulk.name),
    }


class ConnectorFill:
    """The player's part for connector blocks (``self.connectors``: slug ->
    (pk, name))."""

    def _connector_fill(self, info, plan):
        """What the start's background fill leaves behind for a connector whose
        upstream has nothing for this employee: a block status and one run
        (or only the queued status while the fill waits)."""
        for block_id, slug, record_kind, value in info.connector_blocks:
            connector_id, _name = self.connectors[slug]
            status = {
                "id": self.ids[BlockSync].take(),
                "handover_id": self.handover["id"],
                "block_id": block_id,
                "label": (value.get("label") or "")[:255],
                "connector_id": connector_id,
                "connector_slug": slug,
                "record_kind": record_kind,
                "state": BlockSync.State.QUEUED,
                "error": "",
                "request_id": "",
                "attempt": 0,
                "retry_at": None,
                "queued_at": self.clock,
                "last_started_at": None,
                "last_success_at": None,
                "last_finished_at": None,
                "generation": 1,
            }
            if not plan.fill_queued:
                started = self.clock + dt.timedelta(seconds=2)
                finished = started + dt.timedelta(milliseconds=180)
                self.rows.add(
                    SyncRun,
                    {
                        "id": self.ids[SyncRun].take(),
                        "connector_id": connector_id,
                        "handover_id": self.handover["id"],
                        "block_id": block_id,
                        "trigger": SyncRun.Trigger.START,
                        "state": SyncRun.State.OK,
                        "attempt": 0,
                        "started_at": started,
                        "finished_at": finished,
                        "errors": [],
                        "request_id": "",
                        "actor_id": None,
                        "worker": "",
                    },
                )
                status.update(
                    state=BlockSync.State.OK,
                    last_started_at=started,
                    last_success_at=finished,
                    last_finished_at=finished,
                )
            self.rows.add(BlockSync, status)
