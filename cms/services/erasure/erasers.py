"""One eraser per data class: set-based updates over the handovers of a scope
(and, for a person's request, only that person's rows in other people's
handovers). Each returns the rows it changed per handover, and changes nothing
the second time.

What every eraser keeps: the rows a record needs (items, comments, signatures,
events, certificates) and every hash — item versions and content hashes,
``before_hash``/``after_hash``, ``content_hash``, ``erasable_hash``,
``pdf_sha256``, ``root_hash``, attachments' ``sha256`` — so the audit chain,
the signatures and the certificates verify after it."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_

from django.apps import apps
from django.db import transaction
from django.db.models import Count, Q

from cms.models import (
    Attachment,
    AuditEvent,
    Certificate,
    Comment,
    Delivery,
    Handover,
    Item,
    ItemVersion,
    Notification,
    Signature,
)
from cms.models.handovers import private_storage

from .classes import DataClass
from .pseudonyms import handover_pseudonyms, role_token

__all__ = ["ERASED_ACTION", "ERASERS", "Scope"]

# The event erasure writes: it carries no personal data, and erasing audit
# events leaves it as it is (so a second erasure changes nothing).
ERASED_ACTION = "retention.erased"


@dataclass(frozen=True)
class Scope:
    handover_ids: tuple[int, ...]
    # Only this user's rows (a person's request, in others' handovers).
    user_id: int | None = None


def _per_handover(queryset, field: str = "handover_id") -> Counter:
    return Counter(
        dict(
            queryset.order_by()
            .values(field)
            .annotate(rows=Count("pk"))
            .values_list(field, "rows")
        )
    )


def _delete_files_on_commit(names) -> None:
    """Files go once the rows no longer name them: a rolled-back erasure
    leaves both in place."""
    names = [name for name in names if name]
    if not names:
        return

    def delete():
        for name in names:
            private_storage.delete(name)

    transaction.on_commit(delete)


def _connector_model(name: str):
    # cms never imports connectors (ARCHITECTURE.md): its models by name.
    if not apps.is_installed("connectors"):
        return None
    return apps.get_model("connectors", name)


def handover_content(scope: Scope, *, now: datetime, policy: str) -> Counter:
    if scope.user_id is not None:
        return Counter()
    ids = scope.handover_ids
    items = Item.objects.filter(handover_id__in=ids).filter(
        ~Q(data={}) | ~Q(provenance={}) | ~Q(not_applicable_reason="")
    )
    counts = _per_handover(items)
    items.update(data={}, provenance={}, not_applicable_reason="")
    versions = ItemVersion.objects.filter(item__handover_id__in=ids).exclude(changes={})
    counts += _per_handover(versions, "item__handover_id")
    versions.update(changes={})
    handovers = Handover.objects.filter(pk__in=ids).exclude(cancel_reason="")
    counts += _per_handover(handovers, "pk")
    handovers.update(cancel_reason="")
    return counts


def attachments(scope: Scope, *, now: datetime, policy: str) -> Counter:
    if scope.user_id is not None:
        return Counter()
    rows = Attachment.objects.filter(item__handover_id__in=scope.handover_ids).exclude(
        file=""
    )
    counts = _per_handover(rows, "item__handover_id")
    _delete_files_on_commit(list(rows.values_list("file", flat=True)))
    rows.update(file="", filename="")
    return counts


def comments(scope: Scope, *, now: datetime, policy: str) -> Counter:
    """Comments and questions, and the remarks written when signing."""
    rows = Comment.objects.filter(item__handover_id__in=scope.handover_ids).exclude(
        body=""
    )
    remarks = Signature.objects.filter(
        handover_id__in=scope.handover_ids, format=2, erased_at__isnull=True
    )
    if scope.user_id is not None:
        rows = rows.filter(author_id=scope.user_id)
        remarks = remarks.filter(signer_id=scope.user_id)
    counts = _per_handover(rows, "item__handover_id") + _per_handover(remarks)
    rows.update(body="")
    remarks.update(remarks="", erasure_salt="", erased_at=now)
    return counts


def connector_snapshots(scope: Scope, *, now: datetime, policy: str) -> Counter:
    counts = Counter()
    if scope.user_id is not None:
        return counts
    ids = scope.handover_ids
    synced_record = _connector_model("SyncedRecord")
    if synced_record is not None:
        rows = synced_record.objects.filter(handover_id__in=ids).exclude(upstream={})
        counts += _per_handover(rows)
        rows.update(upstream={})
    upload = _connector_model("UploadImport")
    if upload is not None:
        rows = upload.objects.filter(handover_id__in=ids).filter(
            ~Q(file="") | ~Q(options={}) | ~Q(filename="")
        )
        counts += _per_handover(rows)
        _delete_files_on_commit(list(rows.values_list("file", flat=True)))
        rows.update(file="", filename="", options={})
    transfer = _connector_model("Transfer")
    if transfer is not None:
        rows = transfer.objects.filter(handover_id__in=ids).filter(
            ~Q(preview="") | ~Q(response={}) | ~Q(error="")
        )
        counts += _per_handover(rows)
        rows.update(preview="", response={}, error="")
    return counts


def signature_metadata(scope: Scope, *, now: datetime, policy: str) -> Counter:
    # Never signed (see cms.services.signing): blanked, nothing to keep.
    rows = Signature.objects.filter(handover_id__in=scope.handover_ids).filter(
        Q(ip_address__isnull=False) | ~Q(user_agent="")
    )
    if scope.user_id is not None:
        rows = rows.filter(signer_id=scope.user_id)
    counts = _per_handover(rows)
    rows.update(ip_address=None, user_agent="")
    return counts


def audit_events(scope: Scope, *, now: datetime, policy: str) -> Counter:
    """Format-2 events only: a format-1 event left by the conversion belongs to
    a chain that did not verify, kept as it is for whoever investigates. Each
    actor becomes their pseudonym in that handover ("Successor #2")."""
    events = AuditEvent.objects.filter(
        handover_id__in=scope.handover_ids,
        format=AuditEvent.FORMAT_ERASABLE,
        erased_at__isnull=True,
    ).exclude(action=ERASED_ACTION)
    if scope.user_id is not None:
        events = events.filter(actor_id=scope.user_id)
    counts = _per_handover(events)
    if not counts:
        return counts
    erased = {"details": {}, "ip_address": None, "erasure_salt": "", "erased_at": now}
    by_token: dict[str, list[Q]] = {}
    for (handover_id, user_id), token in handover_pseudonyms(list(counts)).items():
        if scope.user_id is None or user_id == scope.user_id:
            by_token.setdefault(token, []).append(
                Q(handover_id=handover_id, actor_id=user_id)
            )
    for token, pairs in by_token.items():
        events.filter(reduce(or_, pairs)).update(actor_name=token, **erased)
    # Actors who were not participants (an HR admin in the admin): their role;
    # no actor at all (the system): nothing.
    for role in events.exclude(role="").values_list("role", flat=True).distinct():
        events.filter(role=role).update(actor_name=role_token(role), **erased)
    events.update(actor_name="", **erased)
    return counts


def certificates(scope: Scope, *, now: datetime, policy: str) -> Counter:
    if scope.user_id is not None:
        return Counter()
    rows = Certificate.objects.filter(
        handover_id__in=scope.handover_ids, pdf_erased_at__isnull=True
    )
    counts = _per_handover(rows)
    _delete_files_on_commit(list(rows.values_list("pdf", flat=True)))
    rows.update(pdf="", pdf_erased_at=now, pdf_erased_policy=policy[:100])
    return counts


def notification_logs(scope: Scope, *, now: datetime, policy: str) -> Counter:
    notifications = Notification.objects.filter(handover_id__in=scope.handover_ids)
    deliveries = Delivery.objects.filter(handover_id__in=scope.handover_ids)
    if scope.user_id is not None:
        notifications = notifications.filter(recipient_id=scope.user_id)
        deliveries = deliveries.filter(recipient_id=scope.user_id)
    counts = _per_handover(notifications) + _per_handover(deliveries)
    notifications.delete()
    deliveries.delete()
    return counts


ERASERS = {
    DataClass.HANDOVER_CONTENT: handover_content,
    DataClass.ATTACHMENTS: attachments,
    DataClass.COMMENTS: comments,
    DataClass.CONNECTOR_SNAPSHOTS: connector_snapshots,
    DataClass.SIGNATURE_METADATA: signature_metadata,
    DataClass.AUDIT_EVENTS: audit_events,
    DataClass.CERTIFICATES: certificates,
    DataClass.NOTIFICATION_LOGS: notification_logs,
}
