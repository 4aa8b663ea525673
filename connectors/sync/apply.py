"""Upserting records into a block's items, one batch at a time.

Each batch runs in its caller's transaction: it reads the batch's links and
locks their items (ordered by primary key, so two writers never deadlock),
computes every change under the lock, then writes items, links and versions
set-based. A person saving the same item waits for the lock, or the batch
waits for the person: either way the version numbers follow each other and
the value a person typed is kept (the upstream one waits beside it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext

from checklist_blocks.blocks.connector import RECORD_KIND_TARGETS
from cms.errors import InvalidInput
from cms.models import Item, ItemVersion

from ..models import SyncedRecord, SyncRun
from ..sdk.base import Record
from .blocks import BlockInfo
from .bulk import bulk_update_rows
from .items import (
    new_item,
    next_version,
    reappeared,
    resolve_gone,
    single_successor,
    update_item,
)
from .mapping import block_mapping, filter_matches, map_record

__all__ = ["BatchContext", "Counts", "apply_batch", "resolve_missing_batch"]

ITEM_FIELDS = [
    "data",
    "provenance",
    "label",
    "state",
    "not_applicable_reason",
    "version",
    "updated_at",
]
LOCKED_ITEM_FIELDS = (
    "id",
    "label",
    "data",
    "provenance",
    "state",
    "not_applicable_reason",
    "version",
)
LINK_FIELDS = ("id", "external_id", "item_id", "upstream", "last_seen_at", "gone_at")


@dataclass
class Counts:
    seen: int = 0
    created: int = 0
    updated: int = 0
    resolved: int = 0
    skipped: int = 0
    conflicts: int = 0

    def as_run_fields(self) -> dict:
        return {
            "seen": self.seen,
            "created": self.created,
            "updated": self.updated,
            "resolved": self.resolved,
            "skipped": self.skipped,
            "conflicts": self.conflicts,
        }


@dataclass
class BatchContext:
    """What every batch of one run shares."""

    handover: object
    block: BlockInfo
    run: SyncRun
    # Records seen since this instant are current; the first run of a chain of
    # resumed runs sets it, so "missing from the list" spans the whole chain.
    chain_started_at: datetime
    # A resumed run skips records its interrupted predecessor already applied.
    resuming: bool = False
    # Uploaded records already hold item data: the person chose the columns.
    identity_mapping: bool = False
    default_mappings: dict | None = None
    mapping: dict | None = None
    successor: object = None
    successor_known: bool = False
    errors: list = field(default_factory=list)

    def __post_init__(self):
        self.config = self.block.connector
        self.target = RECORD_KIND_TARGETS[self.block.record_kind]
        if self.mapping is None and not self.identity_mapping:
            defaults = self.default_mappings
            if defaults is None:
                try:
                    defaults = self.config.type_class.default_mappings
                except LookupError:
                    defaults = {}
            self.mapping = block_mapping(self.block, defaults)

    def links(self):
        return SyncedRecord.objects.filter(
            handover=self.handover, connector=self.config, block_id=self.block.block_id
        )

    def single_successor(self):
        if not self.successor_known:
            self.successor = single_successor(self.handover)
            self.successor_known = True
        return self.successor


# A batch ---------------------------------------------------------------------------


def _map_batch(context: BatchContext, records, counts: Counts):
    """The batch's usable records by external id, and the ids of those that are
    there upstream but cannot be used (never "gone")."""
    mapped: dict[str, tuple[Record, dict]] = {}
    unusable: set[str] = set()
    for record in records:
        counts.seen += 1
        external_id = str(record.external_id or "").strip()
        if record.error or not external_id:
            if external_id:
                unusable.add(external_id)
            counts.skipped += 1
            context.errors.append(
                {
                    "external_id": external_id,
                    "message": str(record.error or gettext("The record has no id.")),
                }
            )
            continue
        if not filter_matches(record, context.block.value.get("filter")):
            continue
        mapping = (
            {key: key for key in record.fields}
            if context.identity_mapping
            else context.mapping
        )
        try:
            data = map_record(record, mapping, context.target)
        except InvalidInput as error:
            unusable.add(external_id)
            counts.skipped += 1
            context.errors.append(
                {"external_id": external_id, "message": str(error.message)}
            )
            continue
        record.external_id = external_id
        mapped.pop(external_id, None)  # a repeated id: the last one wins
        mapped[external_id] = (record, data)
        unusable.discard(external_id)
    return mapped, unusable


def _already_applied(context: BatchContext, link: SyncedRecord, data: dict) -> bool:
    return (
        context.resuming
        and link.gone_at is None
        and link.last_seen_at >= context.chain_started_at
        and link.upstream == data
    )


def apply_batch(context: BatchContext, records, counts: Counts) -> None:
    """Upsert one batch of records. Call inside a transaction."""
    mapped, unusable = _map_batch(context, records, counts)
    if not (mapped or unusable):
        return
    now = timezone.now()
    slug = context.block.slug
    links = {
        link.external_id: link
        for link in context.links()
        .filter(external_id__in=[*mapped, *unusable])
        .only(*LINK_FIELDS)
    }
    pending = {
        external_id: (mapped[external_id], link)
        for external_id, link in links.items()
        if external_id in mapped
        and not _already_applied(context, link, mapped[external_id][1])
    }
    # The lock a person's save takes too: under it, provenance is current.
    items = {
        item.pk: item
        for item in Item.objects.select_for_update(of=("self",))
        .filter(pk__in=[link.item_id for _pair, link in pending.values()])
        .order_by("pk")
        .only(*LOCKED_ITEM_FIELDS)
    }
    versions = []
    changed_items = {}
    changed_links = []
    for (record, data), link in pending.values():
        item = items.get(link.item_id)
        if item is None:
            continue  # deleted meanwhile (its handover went away)
        link.item = item
        touched = False
        if link.gone_at is not None:
            versions.append(reappeared(link))
            touched = True
        changes, kept_aside = update_item(item, record, data, slug, now)
        counts.conflicts += kept_aside
        if changes:
            versions.append(next_version(item, "sync.updated", changes))
            counts.updated += 1
            touched = True
        elif kept_aside:
            touched = True
        if touched:
            item.updated_at = now
            changed_items[item.pk] = item
        if touched or link.upstream != data:
            link.upstream = data
            changed_links.append(link)

    new_items = []
    new_links = []
    for external_id, (record, data) in mapped.items():
        if external_id in links:
            continue
        item = new_item(
            context.handover,
            context.block,
            record,
            data,
            context.single_successor(),
            now,
        )
        item.version = 1
        new_items.append(item)
        new_links.append((external_id, data, item))

    if new_items:
        Item.objects.bulk_create(new_items)
        SyncedRecord.objects.bulk_create(
            [
                SyncedRecord(
                    handover=context.handover,
                    connector=context.config,
                    external_id=external_id,
                    block_id=context.block.block_id,
                    item=item,
                    upstream=data,
                    last_seen_at=now,
                )
                for external_id, data, item in new_links
            ]
        )
        versions.extend(
            ItemVersion(
                item=item,
                number=1,
                actor=None,
                action="sync.created",
                changes={"external_id": [None, item.data["external_id"]]},
                state=item.state,
            )
            for item in new_items
        )
        counts.created += len(new_items)
    bulk_update_rows(Item, changed_items.values(), ITEM_FIELDS)
    bulk_update_rows(SyncedRecord, changed_links, ["upstream", "gone_at"])
    if links:
        # Seen now, usable or not: what is seen is not gone upstream.
        SyncedRecord.objects.filter(pk__in=[link.pk for link in links.values()]).update(
            last_seen_at=now
        )
    if versions:
        ItemVersion.objects.bulk_create(versions)


def resolve_missing_batch(context: BatchContext, counts: Counts, size: int) -> int:
    """Resolve upstream up to ``size`` records the complete list no longer
    holds (not seen since the chain started); returns how many. Call inside a
    transaction, again until it returns less than ``size``."""
    link_rows = list(
        context.links()
        .filter(gone_at__isnull=True, last_seen_at__lt=context.chain_started_at)
        .order_by("item_id")
        .only(*LINK_FIELDS)[:size]
    )
    if not link_rows:
        return 0
    items = {
        item.pk: item
        for item in Item.objects.select_for_update(of=("self",))
        .filter(pk__in=[link.item_id for link in link_rows])
        .order_by("pk")
        .only(*LOCKED_ITEM_FIELDS)
    }
    now = timezone.now()
    versions = []
    for link in link_rows:
        link.item = items[link.item_id]
        versions.append(resolve_gone(link, context.config, now))
        link.item.updated_at = now
    bulk_update_rows(Item, items.values(), ITEM_FIELDS)
    bulk_update_rows(SyncedRecord, link_rows, ["gone_at"])
    ItemVersion.objects.bulk_create(versions)
    counts.resolved += len(link_rows)
    return len(link_rows)
