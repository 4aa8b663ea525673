"""One item's side of a sync: a new item from a record, upstream values
applied (or kept aside beside what a person typed), resolved and reappeared."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.utils.translation import gettext

from checklist_blocks.registry import get_kind
from cms.models import Item, ItemVersion, ParticipantRole

from ..models import SyncedRecord
from ..sdk.base import Record
from .blocks import BlockInfo

__all__ = [
    "new_item",
    "next_version",
    "reappeared",
    "resolve_gone",
    "single_successor",
    "update_item",
]


def _record_block_id(block_id: str, connector_id: int, external_id: str) -> str:
    digest = hashlib.sha256(f"{connector_id}:{external_id}".encode()).hexdigest()
    return f"{block_id[:40]}:{digest[:20]}"


def new_item(handover, block: BlockInfo, record: Record, data: dict, successor, now):
    value = block.value
    offset = value.get("due_offset_days")
    confirmed_by = value.get("confirmed_by") or ParticipantRole.SUCCESSOR
    provenance = {
        f"data.{key}": {
            "source": "sync",
            "connector": block.slug,
            "at": now.isoformat(),
        }
        for key in data
    }
    return Item(
        handover=handover,
        block_id=_record_block_id(
            block.block_id, block.connector.pk, record.external_id
        ),
        section_block_id=block.section_id,
        section_title=block.section_title,
        position=block.position,
        kind="connector_list",
        label=(record.title or block.label)[:255],
        definition=get_kind("connector_list").block.get_prep_value(value),
        data={
            "external_id": record.external_id,
            "record_kind": block.record_kind,
            "data": data,
        },
        provenance=provenance,
        required=bool(value.get("required", True)),
        filled_by_role=value.get("filled_by") or ParticipantRole.LEAVER,
        confirmed_by_role=confirmed_by,
        evidence=value.get("evidence") or "none",
        due_date=(
            handover.last_working_day + timedelta(days=offset)
            if offset is not None
            else None
        ),
        assignee=successor if confirmed_by == ParticipantRole.SUCCESSOR else None,
    )


def single_successor(handover):
    successors = [
        participant.user
        for participant in handover.participants.select_related("user")
        if participant.role == ParticipantRole.SUCCESSOR
    ]
    return successors[0] if len(successors) == 1 else None


_EDITABLE_STATES = (Item.State.PENDING, Item.State.RETURNED)


def update_item(
    item: Item, record: Record, data: dict, slug: str, now
) -> tuple[dict, int]:
    """Apply upstream values that nobody typed over; keep the rest aside.
    Returns (changes, number of upstream values kept aside)."""
    current = dict((item.data or {}).get("data") or {})
    provenance = dict(item.provenance or {})
    upstream = dict(provenance.get("upstream") or {})
    ignored = provenance.get("ignored_upstream") or {}
    editable = item.state in _EDITABLE_STATES
    changes = {}
    kept_aside = 0
    for key, value in data.items():
        if current.get(key) == value:
            upstream.pop(key, None)
            continue
        typed = (provenance.get(f"data.{key}") or {}).get("source") == "person"
        if typed or not editable:
            if (ignored.get(key) or {}).get("value") == value:
                continue
            if (upstream.get(key) or {}).get("value") != value:
                upstream[key] = {
                    "value": value,
                    "at": now.isoformat(),
                    "connector": slug,
                }
                kept_aside += 1
            continue
        changes[f"data.{key}"] = [current.get(key), value]
        current[key] = value
        provenance[f"data.{key}"] = {
            "source": "sync",
            "connector": slug,
            "at": now.isoformat(),
        }
        upstream.pop(key, None)
    if upstream:
        provenance["upstream"] = upstream
    else:
        provenance.pop("upstream", None)
    label = (record.title or item.label)[:255]
    if changes and editable and label != item.label:
        changes["label"] = [item.label, label]
        item.label = label
    item.data = {**item.data, "data": current}
    item.provenance = provenance
    return changes, kept_aside


def next_version(item: Item, action: str, changes: dict, actor=None) -> ItemVersion:
    item.version += 1
    return ItemVersion(
        item=item,
        number=item.version,
        actor=actor,
        action=action,
        changes=changes,
        state=item.state,
    )


def resolve_gone(record: SyncedRecord, config, now) -> ItemVersion | None:
    item = record.item
    record.gone_at = now
    provenance = dict(item.provenance or {})
    # The certificate names the system an item was resolved in, even after
    # the connector is renamed or removed.
    provenance["resolved_upstream"] = {
        "at": now.isoformat(),
        "previous_state": item.state,
        "connector": config.slug,
        "connector_name": config.name,
    }
    item.provenance = provenance
    changes = {"resolved_upstream": [None, now.isoformat()]}
    # Not signed for yet (to fill, returned or submitted): nothing is left to
    # hand over. An accepted item keeps its signature and is only labelled.
    if item.state in (*_EDITABLE_STATES, Item.State.SUBMITTED):
        reason = gettext("Resolved upstream in %(connector)s.") % {
            "connector": config.name
        }
        changes["state"] = [item.state, Item.State.NOT_APPLICABLE]
        changes["not_applicable_reason"] = [item.not_applicable_reason, reason]
        item.state = Item.State.NOT_APPLICABLE
        item.not_applicable_reason = reason
    return next_version(item, "sync.resolved", changes)


def reappeared(record: SyncedRecord) -> ItemVersion:
    item = record.item
    record.gone_at = None
    provenance = dict(item.provenance or {})
    resolved = provenance.pop("resolved_upstream", None) or {}
    item.provenance = provenance
    changes = {"resolved_upstream": [resolved.get("at"), None]}
    if item.state == Item.State.NOT_APPLICABLE and resolved.get("previous_state"):
        changes["state"] = [item.state, resolved["previous_state"]]
        item.state = resolved["previous_state"]
        item.not_applicable_reason = ""
    return next_version(item, "sync.reappeared", changes)
