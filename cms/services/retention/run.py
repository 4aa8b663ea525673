"""The purge run: for each class with an enabled policy, the handovers due,
erased in batches, each batch its own transaction (so people keep working
between them) and marked done in that transaction (so a run stopped half way
resumes where it stopped, and the next night touches only what became due
since). A dry run counts and changes nothing."""

import logging

from django.apps import apps
from django.db import DatabaseError, transaction
from django.db.models import Min, Q
from django.utils import timezone

from cms.errors import BatonError
from cms.models import (
    Attachment,
    AuditEvent,
    Certificate,
    Comment,
    Delivery,
    Handover,
    Item,
    RetentionErasure,
    RetentionRun,
    Signature,
)

from .due import due_queryset, enabled_policies, finished_and_not_held

logger = logging.getLogger(__name__)

__all__ = ["retention_run", "rows_holding"]

Status = RetentionRun.Status


def _synced_records(ids):
    # Connectors' model, by name: cms never imports connectors.
    try:
        model = apps.get_model("connectors", "SyncedRecord")
    except LookupError:
        return None
    return model.objects.filter(handover_id__in=ids)


_ROWS = {
    "handover_content": lambda ids: Item.objects.filter(handover_id__in=ids),
    "attachments": lambda ids: Attachment.objects.filter(item__handover_id__in=ids),
    "comments": lambda ids: Comment.objects.filter(item__handover_id__in=ids),
    "connector_snapshots": _synced_records,
    "signature_metadata": lambda ids: Signature.objects.filter(
        handover_id__in=ids
    ).filter(Q(ip_address__isnull=False) | ~Q(user_agent="")),
    "audit_events": lambda ids: AuditEvent.objects.filter(handover_id__in=ids),
    "certificates": lambda ids: Certificate.objects.filter(handover_id__in=ids),
    "notification_logs": lambda ids: Delivery.objects.filter(handover_id__in=ids),
}


def rows_holding(data_class: str, handover_ids: list[int]) -> int:
    """How many rows hold the class's data in those handovers: what a dry run
    reports (the real run reports what ``erase`` changed)."""
    rows = _ROWS.get(str(data_class), lambda ids: None)(handover_ids)
    return 0 if rows is None else rows.count()


def _batches(ids: list[int], size: int):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _erasure():
    from cms.services import erasure

    return erasure.erase, getattr(erasure, "ErasureRefused", BatonError)


def _close_interrupted(run: RetentionRun) -> None:
    """Runs left "running" by a dead worker (the task's lock lets one run at a
    time): closed, their finished batches already marked."""
    stale = RetentionRun.objects.filter(status=Status.RUNNING).exclude(pk=run.pk)
    for old in stale:
        old.errors = [*old.errors, {"error": f"interrupted; resumed by run #{run.pk}"}]
        old.status = Status.FINISHED_WITH_ERRORS
        old.finished_at = run.started_at
        old.save(update_fields=["errors", "status", "finished_at"])


def _erase_batch(erase, data_class, batch, *, actor, policy, run) -> int:
    with transaction.atomic():
        # Again, under lock: a hold placed or a handover reopened since the
        # run listed it keeps it out.
        still_due = list(
            finished_and_not_held(Handover.objects.filter(pk__in=batch))
            .select_for_update(of=("self",))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not still_due:
            return 0
        rows = erase(data_class, still_due, actor=actor, policy=policy.describe())
        now = timezone.now()
        RetentionErasure.objects.bulk_create(
            [
                RetentionErasure(
                    handover_id=pk, data_class=str(data_class), erased_at=now, run=run
                )
                for pk in still_due
            ],
            ignore_conflicts=True,
        )
        return rows


def retention_run(
    *, dry_run: bool, actor=None, batch_size: int = 500, now=None
) -> RetentionRun:
    """One pass over every enabled policy. Idempotent: what a run erased is
    marked, and ``erase`` itself changes nothing the second time."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    run = RetentionRun.objects.create(dry_run=dry_run, started_by=actor, started_at=now)
    if not dry_run:
        _close_interrupted(run)
        erase, refused = _erasure()
    for policy in enabled_policies():
        due = due_queryset(policy, today=today)
        ids = list(due.order_by("pk").values_list("pk", flat=True))
        if not ids:
            continue
        oldest = due.aggregate(oldest=Min("retention_event"))["oldest"]
        summary = {
            "policy": policy.describe(),
            "policy_id": policy.pk,
            "months": policy.period_months,
            "counted_from": policy.counted_from,
            "action": policy.action,
            "handovers": len(ids),
            "rows": 0,
            "batches": 0,
            "oldest": oldest.isoformat() if oldest else None,
        }
        run.counts[policy.data_class] = summary
        for batch in _batches(ids, batch_size):
            if dry_run:
                summary["rows"] += rows_holding(policy.data_class, batch)
                continue
            try:
                summary["rows"] += _erase_batch(
                    erase, policy.data_class, batch, actor=actor, policy=policy, run=run
                )
            except (refused, BatonError, DatabaseError) as error:
                logger.warning(
                    "Retention run %s: %s batch from %s failed: %s",
                    run.pk,
                    policy.data_class,
                    batch[0],
                    error,
                )
                run.errors.append(
                    {
                        "data_class": policy.data_class,
                        "first_handover": batch[0],
                        "handovers": len(batch),
                        "error": str(error)[:500],
                    }
                )
            summary["batches"] += 1
            run.save(update_fields=["counts", "errors"])
    run.finished_at = timezone.now()
    run.status = Status.FINISHED_WITH_ERRORS if run.errors else Status.FINISHED
    run.save(update_fields=["counts", "errors", "finished_at", "status"])
    return run
