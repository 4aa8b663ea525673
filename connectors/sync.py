"""The sync engine: upstream records become handover items, and stay current.

Every connector type goes through here. A run fetches the employee's records,
applies the template block's filter and field mapping, and upserts one item per
record keyed by (handover, connector, external id):

- new records become items (with a version and the block's roles and due date);
- a field a person edited is never overwritten: the upstream value is kept
  beside it (``provenance["upstream"]``) for the person to take or ignore;
- an item already submitted or signed is never changed under its signatures:
  upstream changes wait beside it in the same way;
- a record gone upstream is marked "resolved upstream", not deleted.

Runs are idempotent: the unique key and a lock on the block's sync row make a
second run, or a retried run after a worker died, create nothing twice.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import jsonschema
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from checklist_blocks.blocks.connector import RECORD_KIND_TARGETS
from checklist_blocks.blocks.items import DOMAIN_BLOCK_CLASSES
from checklist_blocks.registry import get_kind, iter_items
from cms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cms.models import Handover, Item, ItemVersion, ParticipantRole
from cms.permissions import is_hr_admin
from cms.services.audit import audit_record
from cms.services.common import announce, require_visible
from cms.services.signing import NO_REQUEST

from .models import BlockSync, ConnectorConfig, SyncedRecord, SyncRun
from .types.base import (
    DISCOVER,
    ConnectorError,
    EmployeeRef,
    MisconfiguredError,
    Record,
)

__all__ = [
    "BlockInfo",
    "apply_records",
    "connector_blocks",
    "employee_ref",
    "import_records",
    "map_record",
    "run_block_sync",
]

logger = logging.getLogger(__name__)

UPLOAD = "upload"
SYNC_ACTOR_ROLE = "system"


# Which blocks, which connector ---------------------------------------------------


@dataclass(frozen=True)
class BlockInfo:
    block_id: str
    value: dict
    position: int
    section_id: str
    section_title: str
    connector: ConnectorConfig | None

    @property
    def slug(self) -> str:
        return self.value.get("connector") or ""

    @property
    def record_kind(self) -> str:
        return self.value.get("record_kind") or ""

    @property
    def label(self) -> str:
        return self.value.get("label") or ""


def connector_blocks(handover: Handover) -> list[BlockInfo]:
    """The handover's connector_list blocks, from its pinned template revision."""
    body = handover.template_revision.as_object().body
    titles = {
        block.id: block.value["title"]
        for block in body
        if block.block_type == "section"
    }
    found = []
    for position, (section_id, block_id, kind, value) in enumerate(iter_items(body)):
        if kind == "connector_list":
            found.append((position, section_id, block_id, dict(value)))
    slugs = {value.get("connector") for *_rest, value in found}
    configs = {
        config.slug: config for config in ConnectorConfig.objects.filter(slug__in=slugs)
    }
    return [
        BlockInfo(
            block_id=block_id,
            value=value,
            position=position,
            section_id=section_id or "",
            section_title=titles.get(section_id, ""),
            connector=configs.get(value.get("connector")),
        )
        for position, section_id, block_id, value in found
    ]


def _block(handover: Handover, block_id: str) -> BlockInfo:
    for block in connector_blocks(handover):
        if block.block_id == block_id:
            return block
    raise NotFound(_("This handover has no such connector block."))


def employee_ref(employee) -> EmployeeRef:
    user = employee.user
    return EmployeeRef(
        email=employee.work_email or (user.email if user else ""),
        employee_number=employee.employee_number,
        directory_id=employee.directory_id,
        username=user.get_username() if user else "",
        name=employee.name,
    )


# Mapping -------------------------------------------------------------------------


def _get_path(data, path: str):
    current = data
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
        if current is None:
            return None
    return current


def _set_path(data: dict, path: str, value) -> None:
    head, _dot, rest = path.partition(".")
    if not rest:
        data[head] = value
        return
    _set_path(data.setdefault(head, {}), rest, value)


def _schema_at(schema: dict, path: str) -> dict:
    for part in path.split("."):
        schema = schema.get("properties", {}).get(part, {})
    return schema


def _coerce(value, schema: dict):
    """Upstream systems send numbers as text and text as numbers; fit the value
    to the item property's type where that loses nothing."""
    declared = schema.get("type", [])
    types = {declared} if isinstance(declared, str) else set(declared)
    if value is None:
        return None if "null" in types else value
    if "string" in types and isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if "string" in types and isinstance(value, int | float | Decimal):
        return str(value)
    if (
        "string" in types
        and isinstance(value, list)
        and all(isinstance(entry, str | int | float) for entry in value)
    ):
        return ", ".join(str(entry) for entry in value)
    if "array" in types and isinstance(value, str):
        item_types = schema.get("items", {}).get("type")
        if item_types == "string":
            return [part.strip() for part in value.split(",") if part.strip()]
    if "string" in types and isinstance(value, str):
        limit = schema.get("maxLength")
        if limit and len(value) > limit:
            return value[: limit - 1] + "…"
    return value


def _filter_matches(record: Record, rows) -> bool:
    for row in rows or ():
        actual = _get_path(record.fields, row.get("field") or "")
        actual_text = "" if actual is None else str(actual)
        expected = row.get("value") or ""
        operator = row.get("operator") or "equals"
        if operator == "equals" and actual_text != expected:
            return False
        if operator == "not_equals" and actual_text == expected:
            return False
        if operator == "contains" and expected.casefold() not in actual_text.casefold():
            return False
        if operator == "in" and actual_text not in {
            part.strip() for part in expected.split(",")
        }:
            return False
    return True


def _mapping(block: BlockInfo, defaults) -> dict[str, str]:
    rows = block.value.get("field_mapping") or []
    chosen = {
        (row.get("target") or "").strip(): (row.get("source") or "").strip()
        for row in rows
        if (row.get("target") or "").strip() and (row.get("source") or "").strip()
    }
    if chosen:
        return chosen
    return dict((defaults or {}).get(block.record_kind, {}))


def map_record(record: Record, mapping: dict[str, str], target_kind: str) -> dict:
    """The item data of a record; InvalidInput naming the bad fields otherwise."""
    schema = DOMAIN_BLOCK_CLASSES[target_kind].data_schema()
    data = {}
    for target, source in mapping.items():
        value = _get_path(record.fields, source)
        if value is None:
            continue
        _set_path(data, target, _coerce(value, _schema_at(schema, target)))
    validator = jsonschema.Draft202012Validator(schema)
    problems = sorted(
        ".".join(str(part) for part in error.absolute_path) or error.message
        for error in validator.iter_errors(data)
    )
    if problems:
        raise InvalidInput(
            gettext("These fields have values the item cannot hold: %(fields)s.")
            % {"fields": ", ".join(problems)}
        )
    return data


# Upsert --------------------------------------------------------------------------


def _record_block_id(block_id: str, connector_id: int, external_id: str) -> str:
    digest = hashlib.sha256(f"{connector_id}:{external_id}".encode()).hexdigest()
    return f"{block_id[:40]}:{digest[:20]}"


@dataclass
class _Counts:
    seen: int = 0
    created: int = 0
    updated: int = 0
    resolved: int = 0
    skipped: int = 0
    conflicts: int = 0


def _new_item(handover, block: BlockInfo, record: Record, data: dict, successor, now):
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


def _single_successor(handover):
    successors = [
        participant.user
        for participant in handover.participants.select_related("user")
        if participant.role == ParticipantRole.SUCCESSOR
    ]
    return successors[0] if len(successors) == 1 else None


_EDITABLE_STATES = (Item.State.PENDING, Item.State.RETURNED)


def _update_item(
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


def _version(item: Item, action: str, changes: dict, actor=None) -> ItemVersion:
    item.version += 1
    return ItemVersion(
        item=item,
        number=item.version,
        actor=actor,
        action=action,
        changes=changes,
        state=item.state,
    )


def _resolve_gone(record: SyncedRecord, slug_name: str, now) -> ItemVersion | None:
    item = record.item
    record.gone_at = now
    provenance = dict(item.provenance or {})
    provenance["resolved_upstream"] = {
        "at": now.isoformat(),
        "previous_state": item.state,
    }
    item.provenance = provenance
    changes = {"resolved_upstream": [None, now.isoformat()]}
    # Not signed for yet (to fill, returned or submitted): nothing is left to
    # hand over. An accepted item keeps its signature and is only labelled.
    if item.state in (*_EDITABLE_STATES, Item.State.SUBMITTED):
        reason = gettext("Resolved upstream in %(connector)s.") % {
            "connector": slug_name
        }
        changes["state"] = [item.state, Item.State.NOT_APPLICABLE]
        changes["not_applicable_reason"] = [item.not_applicable_reason, reason]
        item.state = Item.State.NOT_APPLICABLE
        item.not_applicable_reason = reason
    return _version(item, "sync.resolved", changes)


def _reappeared(record: SyncedRecord) -> ItemVersion:
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
    return _version(item, "sync.reappeared", changes)


def apply_records(
    *,
    handover: Handover,
    block: BlockInfo,
    records,
    run: SyncRun,
    complete=True,
    default_mappings=None,
    mapping=None,
) -> _Counts:
    """Upsert ``records`` into the block's items. ``complete`` says the list is
    everything upstream holds, so records missing from it are resolved upstream.
    Call inside a transaction holding the block's BlockSync row lock."""
    config = block.connector
    target = RECORD_KIND_TARGETS[block.record_kind]
    if default_mappings is None:
        try:
            default_mappings = config.type_class.default_mappings
        except LookupError:
            default_mappings = {}
    if mapping is None:
        mapping = _mapping(block, default_mappings)
    now = timezone.now()
    counts = _Counts()
    mapped: dict[str, tuple[Record, dict]] = {}
    unusable: set[str] = set()
    for record in records:
        counts.seen += 1
        external_id = str(record.external_id or "").strip()
        if record.error or not external_id:
            # A record that is there but unusable is not gone upstream.
            if external_id:
                unusable.add(external_id)
            counts.skipped += 1
            run.errors.append(
                {
                    "external_id": external_id,
                    "message": str(record.error or gettext("The record has no id.")),
                }
            )
            continue
        if not _filter_matches(record, block.value.get("filter")):
            continue
        try:
            data = map_record(record, mapping, target)
        except InvalidInput as error:
            unusable.add(external_id)
            counts.skipped += 1
            run.errors.append(
                {"external_id": external_id, "message": str(error.message)}
            )
            continue
        record.external_id = external_id
        mapped[external_id] = (record, data)

    existing = {
        link.external_id: link
        for link in SyncedRecord.objects.select_for_update(of=("self",))
        .filter(handover=handover, connector=config, block_id=block.block_id)
        .select_related("item")
    }
    versions = []
    changed_items = []
    changed_links = []
    new_items = []
    new_links = []
    successor = None
    for external_id, (record, data) in mapped.items():
        link = existing.get(external_id)
        if link is None:
            if successor is None:
                successor = _single_successor(handover) or False
            item = _new_item(handover, block, record, data, successor or None, now)
            new_items.append(item)
            new_links.append((external_id, data, item))
            continue
        item = link.item
        link.last_seen_at = now
        link.upstream = data
        changed_links.append(link)
        touched = False
        if link.gone_at is not None:
            versions.append(_reappeared(link))
            touched = True
        changes, kept_aside = _update_item(item, record, data, block.slug, now)
        counts.conflicts += kept_aside
        if changes:
            versions.append(_version(item, "sync.updated", changes))
            counts.updated += 1
            touched = True
        elif kept_aside:
            touched = True
        if touched:
            changed_items.append(item)

    if complete:
        for external_id, link in existing.items():
            if external_id in mapped or external_id in unusable:
                continue
            if link.gone_at is not None:
                continue
            versions.append(_resolve_gone(link, config.name, now))
            changed_items.append(link.item)
            changed_links.append(link)
            counts.resolved += 1

    if new_items:
        for item in new_items:
            item.version = 1
        Item.objects.bulk_create(new_items)
        SyncedRecord.objects.bulk_create(
            [
                SyncedRecord(
                    handover=handover,
                    connector=config,
                    external_id=external_id,
                    block_id=block.block_id,
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
        counts.created = len(new_items)
    if changed_items:
        unique = {item.pk: item for item in changed_items}
        Item.objects.bulk_update(
            list(unique.values()),
            [
                "data",
                "provenance",
                "label",
                "state",
                "not_applicable_reason",
                "version",
            ],
        )
        Item.objects.filter(pk__in=unique).update(updated_at=now)
    if changed_links:
        unique_links = {link.pk: link for link in changed_links}
        SyncedRecord.objects.bulk_update(
            list(unique_links.values()), ["last_seen_at", "upstream", "gone_at"]
        )
    if versions:
        ItemVersion.objects.bulk_create(versions)
    return counts


# Runs ----------------------------------------------------------------------------


def _finish_run(run: SyncRun, counts: _Counts | None, *, state, error=None) -> None:
    run.finished_at = timezone.now()
    run.state = state
    if counts is not None:
        run.seen = counts.seen
        run.created = counts.created
        run.updated = counts.updated
        run.resolved = counts.resolved
        run.skipped = counts.skipped
        run.conflicts = counts.conflicts
        if state == SyncRun.State.OK and counts.skipped:
            run.state = SyncRun.State.PARTIAL
    if error is not None:
        run.request_id = getattr(error, "request_id", None) or ""
        run.errors.append(
            {
                "message": str(getattr(error, "message", error)),
                "request_id": run.request_id,
            }
        )
    run.save()


def _audit_run(
    handover,
    run: SyncRun,
    block: BlockInfo,
    *,
    actor=None,
    role=SYNC_ACTOR_ROLE,
    meta=NO_REQUEST,
):
    if not (run.created or run.updated or run.resolved or run.conflicts):
        return
    audit_record(
        handover=handover,
        actor=actor,
        role=role,
        action="connector.synced",
        obj=handover,
        details={
            "connector": block.slug,
            "block_id": block.block_id,
            "run": run.pk,
            "trigger": run.trigger,
            "created": run.created,
            "updated": run.updated,
            "resolved": run.resolved,
            "kept_aside": run.conflicts,
            "skipped": run.skipped,
        },
        ip_address=meta.ip_address,
    )
    announce(
        handover,
        "connector.synced",
        actor=actor,
        details={"block_id": block.block_id, "run": run.pk},
    )


def block_sync_for(handover: Handover, block: BlockInfo) -> BlockSync:
    status, _created = BlockSync.objects.get_or_create(
        handover=handover,
        block_id=block.block_id,
        defaults={
            "connector": block.connector,
            "connector_slug": block.slug,
            "record_kind": block.record_kind,
            "label": block.label[:255],
            "state": BlockSync.State.QUEUED,
        },
    )
    return status


class RetryLater(Exception):
    """A run failed in a way that trying again may fix."""

    def __init__(self, error: ConnectorError):
        super().__init__(str(error))
        self.error = error


def run_block_sync(
    *, handover_id: int, block_id: str, trigger: str, attempt: int = 0, actor=None
) -> SyncRun | None:
    """Fetch the block's records from its connector and upsert them.

    Raises RetryLater when the upstream failure is worth retrying; the caller
    (the huey task) schedules the retry. Returns the run, or None when there is
    nothing to do (handover closed, connector gone or disabled)."""
    handover = Handover.objects.select_related(
        "employee__user", "template_revision"
    ).get(pk=handover_id)
    # Statuses and errors are read by the handover's people: their language.
    with translation.override(handover.language):
        return _run_block_sync(handover, block_id, trigger, attempt, actor)


def _run_block_sync(handover, block_id, trigger, attempt, actor):
    block = _block(handover, block_id)
    status = block_sync_for(handover, block)
    config = block.connector
    if handover.state not in Handover.OPEN_STATES:
        return None
    if config is None or not config.enabled:
        status.state = BlockSync.State.FAILED
        status.error = (
            gettext("No connector “%(slug)s” is configured.") % {"slug": block.slug}
            if config is None
            else gettext("The connector “%(name)s” is disabled.")
            % {"name": config.name}
        )
        status.retry_at = None
        status.last_finished_at = timezone.now()
        status.save()
        return None
    try:
        type_class = config.type_class
    except LookupError as error:
        return _fail_misconfigured(
            status, config, handover, block, trigger, attempt, error
        )
    if not type_class.can(DISCOVER):
        status.state = BlockSync.State.WAITING
        status.save(update_fields=["state"])
        return None

    run = SyncRun.objects.create(
        connector=config,
        handover=handover,
        block_id=block_id,
        trigger=trigger,
        attempt=attempt,
        started_at=timezone.now(),
        actor=actor,
    )
    BlockSync.objects.filter(pk=status.pk).update(
        state=BlockSync.State.SYNCING, last_started_at=run.started_at, attempt=attempt
    )
    try:
        client = config.client()
    except Exception as error:  # noqa: BLE001 — unreadable secrets or bad settings
        return _fail(status, run, MisconfiguredError(str(error)), retry=False)
    try:
        records = list(
            client.discover(
                employee=employee_ref(handover.employee), record_kind=block.record_kind
            )
        )
    except ConnectorError as error:
        return _fail(
            status,
            run,
            error,
            retry=error.retryable and attempt < settings.BATON_SYNC_MAX_RETRIES,
        )
    finally:
        client.close()

    with transaction.atomic():
        locked = BlockSync.objects.select_for_update().get(pk=status.pk)
        counts = apply_records(
            handover=handover,
            block=block,
            records=records,
            run=run,
            default_mappings=client.default_mappings,
        )
        _finish_run(run, counts, state=SyncRun.State.OK)
        now = timezone.now()
        locked.state = BlockSync.State.OK
        locked.error = ""
        locked.request_id = ""
        locked.retry_at = None
        locked.attempt = 0
        locked.last_success_at = now
        locked.last_finished_at = now
        locked.save()
        _audit_run(
            handover,
            run,
            block,
            actor=actor,
            role=ParticipantRole.HR if actor is not None else SYNC_ACTOR_ROLE,
        )
    return run


def _fail_misconfigured(status, config, handover, block, trigger, attempt, error):
    run = SyncRun.objects.create(
        connector=config,
        handover=handover,
        block_id=block.block_id,
        trigger=trigger,
        attempt=attempt,
        started_at=timezone.now(),
    )
    return _fail(status, run, MisconfiguredError(str(error)), retry=False)


def retry_delay(attempt: int) -> int:
    base = settings.BATON_SYNC_RETRY_BASE_SECONDS
    return min(base * 2**attempt, settings.BATON_SYNC_RETRY_MAX_SECONDS)


def _fail(status: BlockSync, run: SyncRun, error: ConnectorError, *, retry: bool):
    _finish_run(run, None, state=SyncRun.State.FAILED, error=error)
    now = timezone.now()
    status.state = BlockSync.State.FAILED
    status.error = str(getattr(error, "message", error))
    status.request_id = error.request_id or ""
    status.last_finished_at = now
    status.retry_at = (
        now + timedelta(seconds=retry_delay(run.attempt)) if retry else None
    )
    status.save()
    logger.warning(
        "Connector %s failed for handover %s block %s: %s",
        run.connector.slug,
        run.handover_id,
        run.block_id,
        status.error,
    )
    if retry:
        raise RetryLater(error)
    return run


# Uploads (spreadsheet) --------------------------------------------------------------


def import_records(
    *, handover, block_id: str, records, actor, meta=NO_REQUEST
) -> SyncRun:
    """Import records a person uploaded (e.g. a spreadsheet) into a connector
    block. HR or the departing employee only, while the handover is open."""
    handover_id = getattr(handover, "pk", handover)
    try:
        handover = Handover.objects.select_related("template_revision").get(
            pk=handover_id
        )
    except Handover.DoesNotExist as error:
        raise NotFound() from error
    roles = require_visible(actor, handover)
    if not ({ParticipantRole.HR, ParticipantRole.LEAVER} & roles or is_hr_admin(actor)):
        raise PermissionDenied(
            _("Only HR or the departing employee can import records.")
        )
    if handover.state not in Handover.OPEN_STATES:
        raise Conflict(
            _("This handover is %(state)s: this action is not possible now.")
            % {"state": handover.get_state_display().lower()}
        )
    block = _block(handover, block_id)
    config = block.connector
    if config is None or not config.enabled:
        raise Conflict(_("The connector of this block is missing or disabled."))
    if not config.can(UPLOAD):
        raise Conflict(_("This block is filled by its connector, not by uploads."))
    status = block_sync_for(handover, block)
    with transaction.atomic():
        locked = BlockSync.objects.select_for_update().get(pk=status.pk)
        run = SyncRun.objects.create(
            connector=config,
            handover=handover,
            block_id=block_id,
            trigger=SyncRun.Trigger.UPLOAD,
            started_at=timezone.now(),
            actor=actor,
        )
        records = list(records)
        # Uploaded records already hold item data: the person chose the columns.
        keys = set().union(*(record.fields for record in records if not record.error))
        counts = apply_records(
            handover=handover,
            block=block,
            records=records,
            run=run,
            mapping={key: key for key in keys},
        )
        _finish_run(run, counts, state=SyncRun.State.OK)
        now = timezone.now()
        locked.state = BlockSync.State.OK
        locked.error = ""
        locked.last_success_at = now
        locked.last_finished_at = now
        locked.save()
        role = (
            ParticipantRole.LEAVER
            if ParticipantRole.LEAVER in roles
            else ParticipantRole.HR
        )
        _audit_run(handover, run, block, actor=actor, role=role, meta=meta)
    return run
