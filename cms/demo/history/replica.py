"""``cms.demo.scale``'s ``Player`` (an in-memory replica of ``cms.services``:
``tests/test_seed_scale.py`` holds it to writing exactly the rows the services
write) as the history needs it, and the insert of its rows."""

from dataclasses import replace
from datetime import UTC, datetime

from django.db import connection

from cms.models import ParticipantRole

from ..scale import Player, Rows
from .clock import SeededSignature

__all__ = ["HistoryPlayer", "insert", "utc"]


class HistoryPlayer(Player):
    """``Player`` with each step at the moment the story gives it, signatures
    given the way the history's people sign (``SeededSignature``: no password
    was typed, and the signatures say so), spreadsheet blocks waiting for their
    upload (as the real fill leaves them), and the company directory's access
    inventory and plan."""

    auth_method = SeededSignature.method

    def play_at(self, plan, moments, *, spreadsheets):
        self.moments = iter(moments)
        self.spreadsheets = spreadsheets
        return self.play(plan)

    def _tick(self):
        self.clock = next(self.moments)

    def _connector_fill(self, info, plan):
        from connectors.models import BlockSync

        waiting = [
            block for block in info.connector_blocks if block[1] in self.spreadsheets
        ]
        for block_id, slug, record_kind, value in waiting:
            self.rows.add(
                BlockSync,
                {
                    "id": self.ids[BlockSync].take(),
                    "handover_id": self.handover["id"],
                    "block_id": block_id,
                    "label": (value.get("label") or "")[:255],
                    "connector_id": self.connectors[slug][0],
                    "connector_slug": slug,
                    "record_kind": record_kind,
                    "state": BlockSync.State.WAITING,
                    "error": "",
                    "generation": 1,
                },
            )
        synced = [block for block in info.connector_blocks if block not in waiting]
        super()._connector_fill(replace(info, connector_blocks=synced), plan)

    def _do_access_inventory(self, block_id, who, payload):
        from connectors.models import AccessGrant

        for grant in payload["grants"]:
            self.rows.add(
                AccessGrant,
                {
                    "id": self.ids[AccessGrant].take(),
                    "handover_id": self.handover["id"],
                    "connector_id": payload["connector_id"],
                    "item_id": None,
                    "system": payload["system"],
                    "decision": AccessGrant.Decision.REVOKE,
                    "state": AccessGrant.State.ACTIVE,
                    "discovered_at": self.clock,
                    "refreshed_at": self.clock,
                    **grant,
                },
            )
        self._audit(
            actor=None,
            role="system",
            action="access.inventoried",
            object_type="handover",
            object_id=self.handover["id"],
            details={"connector": payload["slug"], "grants": len(payload["grants"])},
        )

    def _do_access_plan(self, block_id, who, payload):
        from connectors.models import AccessAction, AccessGrant

        manager = self.plan.manager_id
        grants = [
            row
            for row in self.rows.tables[AccessGrant]
            if row["handover_id"] == self.handover["id"]
        ]
        for grant in grants:
            account = grant["kind"] == AccessGrant.Kind.ACCOUNT
            description = (
                f"{grant['system']}: suspend the account {grant['account_label']}."
                if account
                else f"{grant['system']}: remove {grant['account_label']} from "
                f"{grant['group_label']}."
            )
            action = {
                "id": self.ids[AccessAction].take(),
                "grant_id": grant["id"],
                "handover_id": self.handover["id"],
                "connector_id": grant["connector_id"],
                "operation": AccessAction.Operation.SUSPEND
                if account
                else AccessAction.Operation.REMOVE_MEMBER,
                "description": description,
                "target_user_id": None,
                "scheduled_for": payload["at"],
                "state": AccessAction.State.PLANNED,
                "requested_by_id": manager,
                "done_by_id": None,
                "created_at": self.clock,
            }
            self.rows.add(AccessAction, action)
            self._audit(
                actor=manager,
                role=ParticipantRole.MANAGER,
                action="access.planned",
                object_type="handover",
                object_id=self.handover["id"],
                details={
                    "grant": grant["id"],
                    "decision": grant["decision"],
                    "changes": [
                        {"change": description, "at": payload["at"].isoformat()}
                    ],
                },
            )


def utc(moment: datetime) -> datetime:
    # The player hashes ``isoformat()`` of its clock; stored times come back
    # in UTC, so it must count in UTC for the hashes to verify.
    return moment.astimezone(UTC)


def insert(rows: Rows, models):
    """Insert the player's rows as they are: ``raw`` (as ``loaddata`` saves),
    so ``auto_now`` fields keep the times the story gave them."""
    for model in [*models, *(model for model in rows.tables if model not in models)]:
        values = rows.tables.pop(model, [])
        if not values:
            continue
        objects = [model(**row) for row in values]
        fields = model._meta.local_concrete_fields
        size = connection.ops.bulk_batch_size(fields, objects) or len(objects)
        for start in range(0, len(objects), size):
            model._base_manager._insert(
                objects[start : start + size], fields=fields, raw=True
            )
