"""Write-backs: when the successor accepts an item that came from a connector
able to transfer, reassign the record to them upstream and read it back.

- Previewed first: the item shows what will change before anyone accepts it
  (``transfer_preview``), and the sentence is kept on the write-back.
- Run only after acceptance, in the background, retried with backoff.
- Recorded in the audit trail with the upstream answer; verified by reading the
  record back. A failure leaves the write-back in the admin's queue for IT/HR and
  never marks the item transferred.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.errors import Conflict, NotFound
from cms.models import Employee, Handover, Item, ParticipantRole
from cms.services.audit import audit_record
from cms.services.common import announce

from .models import SyncedRecord, Transfer
from .permissions import can_manage_connectors
from .sdk.base import TRANSFER, ConnectorError, EmployeeRef, Record, TransferPending
from .sync import retry_delay

# Read-backs of a change the system keeps "pending" before it fails (WeCom: hourly).
PENDING_CHECKS = 48

__all__ = [
    "item_notes",
    "transfer_preview",
    "transfer_queue_on_accept",
    "transfer_retry",
    "transfer_run",
]

logger = logging.getLogger(__name__)


def _ref(user) -> EmployeeRef:
    employee = Employee.objects.filter(user=user).first()
    return EmployeeRef(
        email=(employee.work_email if employee else "") or user.email,
        employee_number=employee.employee_number if employee else "",
        directory_id=employee.directory_id if employee else "",
        username=user.get_username(),
        name=(employee.name if employee else "") or user.get_full_name(),
    )


def _transferable(link: SyncedRecord) -> bool:
    config = link.connector
    return config.enabled and config.transfer_on_accept and config.can(TRANSFER)


def _record(link: SyncedRecord) -> Record:
    item = link.item
    return Record(
        external_id=link.external_id,
        kind=(item.data or {}).get("record_kind", ""),
        title=item.label,
        fields=dict(link.upstream or {}),
    )


def _describe(link: SyncedRecord, successor) -> str:
    client = link.connector.client()
    try:
        return str(
            client.describe_transfer(
                record=_record(link),
                owner=_ref(link.handover.employee.user),
                successor=_ref(successor),
            )
        )
    finally:
        client.close()


def transfer_preview(item: Item) -> str | None:
    """What accepting the item will change upstream, or None when nothing."""
    link = (
        SyncedRecord.objects.select_related("connector", "handover__employee__user")
        .filter(item=item)
        .first()
    )
    if link is None or not _transferable(link) or item.assignee_id is None:
        return None
    try:
        return _describe(link, item.assignee)
    except Exception:
        logger.exception("Could not describe the write-back of item %s", item.pk)
        return gettext("The record will be reassigned to the successor upstream.")


# Queueing on acceptance ------------------------------------------------------------


def transfer_queue_on_accept(
    sender, *, handover_id, event, item_id=None, actor_id=None, **kwargs
):
    """``cms.signals.handover_event`` receiver (after commit)."""
    if event != "item.accepted" or item_id is None:
        return
    link = (
        SyncedRecord.objects.select_related(
            "connector", "item__assignee", "handover__employee__user"
        )
        .filter(item_id=item_id)
        .first()
    )
    if link is None or not _transferable(link):
        return
    item = link.item
    if item.state != Item.State.ACCEPTED or item.assignee_id is None:
        return
    with transaction.atomic():
        transfer, created = Transfer.objects.get_or_create(
            item=item,
            defaults={
                "handover": link.handover,
                "connector": link.connector,
                "external_id": link.external_id,
                "successor": item.assignee,
                "preview": _describe(link, item.assignee),
            },
        )
        if not created and transfer.state in (
            Transfer.State.DONE,
            Transfer.State.RUNNING,
        ):
            return
        Transfer.objects.filter(pk=transfer.pk).update(
            state=Transfer.State.QUEUED, retry_at=None
        )
        _send(transfer.pk)


def _send(transfer_id: int, delay: int | None = None):
    from .tasks import transfer_task

    if delay:
        transaction.on_commit(
            lambda: transfer_task.schedule(args=(transfer_id,), delay=delay)
        )
    else:
        transaction.on_commit(lambda: transfer_task(transfer_id))


# Running ---------------------------------------------------------------------------


def transfer_run(transfer_id: int) -> Transfer | None:
    """The task body: transfer, read back, record. Idempotent: a verified
    write-back is never run again."""
    with transaction.atomic():
        transfer = (
            Transfer.objects.select_for_update(of=("self",))
            .select_related(
                "connector", "handover__employee__user", "item", "successor"
            )
            .filter(pk=transfer_id)
            .first()
        )
        if transfer is None or transfer.state not in (
            Transfer.State.QUEUED,
            Transfer.State.FAILED,
        ):
            return transfer
        transfer.state = Transfer.State.RUNNING
        transfer.attempts += 1
        transfer.save(update_fields=["state", "attempts"])
    with translation.override(transfer.handover.language):
        return _execute(transfer)


def _execute(transfer: Transfer) -> Transfer:
    link = SyncedRecord.objects.select_related("item").get(
        handover=transfer.handover,
        connector=transfer.connector,
        external_id=transfer.external_id,
    )
    record = _record(link)
    owner = _ref(transfer.handover.employee.user)
    successor = _ref(transfer.successor)
    note = gettext("Handed over in Baton (%(number)s): %(leaver)s → %(successor)s.") % {
        "number": transfer.handover.number,
        "leaver": owner.name or owner.username,
        "successor": successor.name or successor.username,
    }
    client = transfer.connector.client()
    result = None
    try:
        result = client.transfer(
            record=record, owner=owner, successor=successor, note=note
        )
        verified = client.verify_transfer(record=record, successor=successor)
        if not verified:
            raise ConnectorError(
                _(
                    "The system accepted the change, but reading the record back "
                    "still shows another owner."
                ),
                request_id=result.request_id if result else None,
                retryable=False,
            )
    except TransferPending as waiting:
        if transfer.attempts <= PENDING_CHECKS:
            return _pending(transfer, waiting, result)
        return _failed(transfer, waiting, result, retry=False)
    except ConnectorError as error:
        return _failed(transfer, error, result)
    finally:
        client.close()
    return _succeeded(transfer, result)


def _pending(transfer: Transfer, waiting: TransferPending, result) -> Transfer:
    """Accepted upstream, not complete yet: read back again later. The
    transfer itself is not sent again (types skip a change already asked)."""
    with transaction.atomic():
        transfer.state = Transfer.State.QUEUED
        transfer.error = str(waiting.message)
        transfer.request_id = waiting.request_id or ""
        if result is not None:
            transfer.response = result.response
        transfer.retry_at = timezone.now() + timedelta(seconds=waiting.retry_after)
        transfer.save()
        _audit(transfer, "connector.transfer_pending", verified=False)
        _send(transfer.pk, delay=waiting.retry_after)
    return transfer


def _succeeded(transfer: Transfer, result) -> Transfer:
    now = timezone.now()
    with transaction.atomic():
        transfer.state = Transfer.State.DONE
        transfer.error = ""
        transfer.retry_at = None
        transfer.finished_at = now
        transfer.request_id = (result.request_id or "") if result else ""
        transfer.response = result.response if result else {}
        transfer.save()
        item = Item.objects.select_for_update().get(pk=transfer.item_id)
        provenance = dict(item.provenance or {})
        provenance["transfer"] = {
            "state": "done",
            "at": now.isoformat(),
            "connector": transfer.connector.slug,
            "to": transfer.successor_id,
        }
        item.provenance = provenance
        item.save(update_fields=["provenance", "updated_at"])
        _audit(transfer, "connector.transferred", verified=True)
    return transfer


def _failed(transfer: Transfer, error: ConnectorError, result, retry=None) -> Transfer:
    if retry is None:
        retry = error.retryable and transfer.attempts <= settings.BATON_SYNC_MAX_RETRIES
    delay = retry_delay(transfer.attempts - 1) if retry else None
    with transaction.atomic():
        transfer.state = Transfer.State.QUEUED if retry else Transfer.State.FAILED
        transfer.error = str(error.message)
        transfer.request_id = error.request_id or ""
        transfer.response = result.response if result else {}
        transfer.retry_at = timezone.now() + timedelta(seconds=delay) if retry else None
        transfer.finished_at = None if retry else timezone.now()
        transfer.save()
        _audit(transfer, "connector.transfer_failed", verified=False)
        if retry:
            _send(transfer.pk, delay=delay)
        else:
            announce(
                transfer.handover,
                "connector.transfer_failed",
                item=transfer.item,
                details={
                    "transfer": transfer.pk,
                    "item": transfer.item_id,
                    "system": transfer.connector.name,
                    "error": transfer.error,
                },
            )
    logger.warning(
        "Write-back %s (%s %s) failed: %s",
        transfer.pk,
        transfer.connector.slug,
        transfer.external_id,
        transfer.error,
    )
    return transfer


def _audit(transfer: Transfer, action: str, *, verified: bool):
    audit_record(
        handover=transfer.handover,
        actor=None,
        role="system",
        action=action,
        obj=transfer.item,
        details={
            "connector": transfer.connector.slug,
            "external_id": transfer.external_id,
            "asked": transfer.preview,
            "successor": transfer.successor_id,
            "approved_by": transfer.successor_id,
            "response": transfer.response,
            "request_id": transfer.request_id,
            "error": transfer.error,
            "verified": verified,
            "attempt": transfer.attempts,
        },
    )


# The IT/HR queue -------------------------------------------------------------------


def transfer_retry(*, actor, transfer: Transfer) -> Transfer:
    """IT or HR runs a failed write-back again (after fixing what it said)."""
    if not can_manage_connectors(actor):
        raise NotFound()
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
        if transfer.state != Transfer.State.FAILED:
            raise Conflict(_("Only a failed write-back can be run again."))
        if transfer.handover.state == Handover.State.CANCELLED:
            raise Conflict(_("The handover was cancelled."))
        transfer.state = Transfer.State.QUEUED
        transfer.retry_at = None
        transfer.save(update_fields=["state", "retry_at"])
        audit_record(
            handover=transfer.handover,
            actor=actor,
            role=ParticipantRole.IT,
            action="connector.transfer_retried",
            obj=transfer.item,
            details={"transfer": transfer.pk},
        )
        _send(transfer.pk)
    return transfer


# What the participant page shows --------------------------------------------------


def item_notes(*, items, user) -> dict[int, list[str]]:
    """Per item id, notes for its card: the write-back preview before
    acceptance, its state after."""
    ids = [item.pk for item in items if item.kind == "connector_list"]
    if not ids:
        return {}
    notes: dict[int, list[str]] = {}
    transfers = {
        transfer.item_id: transfer
        for transfer in Transfer.objects.filter(item_id__in=ids)
    }
    links = {
        link.item_id: link
        for link in SyncedRecord.objects.select_related(
            "connector", "handover__employee__user"
        ).filter(item_id__in=ids, connector__transfer_on_accept=True)
    }
    by_id = {item.pk: item for item in items}
    for item_id, link in links.items():
        item = by_id[item_id]
        transfer = transfers.get(item_id)
        if transfer is not None:
            notes[item_id] = [_state_note(transfer)]
        elif item.state not in Item.DONE_STATES and _transferable(link):
            preview = transfer_preview(item)
            if preview:
                notes[item_id] = [
                    format_html(
                        "<strong>{}</strong> {}",
                        gettext("On acceptance:"),
                        preview,
                    )
                ]
    return notes


def _state_note(transfer: Transfer) -> str:
    if transfer.state == Transfer.State.DONE:
        return format_html(
            "<strong>{}</strong> {}", gettext("Transferred upstream:"), transfer.preview
        )
    if transfer.state == Transfer.State.FAILED:
        return format_html(
            "<strong>{}</strong> {} {}",
            gettext("Upstream transfer failed:"),
            transfer.error,
            gettext("IT has been asked to finish it."),
        )
    return format_html(
        "<strong>{}</strong> {}", gettext("Upstream transfer queued:"), transfer.preview
    )
