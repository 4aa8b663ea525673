"""What an erasure request would touch: how many rows about the person each
data class holds, and which classes must be kept and why, for the HR admin
who reviews the request before anything is erased."""

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cms.models import (
    Attachment,
    AuditEvent,
    Certificate,
    Comment,
    Delivery,
    Employee,
    Item,
    ItemVersion,
    Notification,
    Signature,
)
from connectors.models import SyncedRecord

__all__ = ["PERSON_RECORD_LABEL", "ClassLine", "erasure_preview"]

PERSON_RECORD_LABEL = _("Employee record and user account")


@dataclass(frozen=True)
class ClassLine:
    key: str
    label: str
    rows: int
    kept_reason: str

    @property
    def kept(self) -> bool:
        return bool(self.kept_reason)


def _counts(employee: Employee) -> dict[str, int]:
    """Rows per data class that are about the person: in their own handovers,
    or written, signed or received by them."""
    own = list(employee.handovers.values_list("pk", flat=True))
    user_id = employee.user_id

    def mine(field: str) -> Q:
        # Nothing written or received without an account.
        return Q(**{field: user_id}) if user_id else Q(pk__in=[])

    return {
        "handover_content": Item.objects.filter(handover_id__in=own).count()
        + ItemVersion.objects.filter(
            mine("actor_id") & ~Q(item__handover_id__in=own)
        ).count(),
        "attachments": Attachment.objects.filter(
            Q(item__handover_id__in=own) | mine("uploaded_by_id")
        ).count(),
        "comments": Comment.objects.filter(
            Q(item__handover_id__in=own) | mine("author_id")
        ).count(),
        "connector_snapshots": SyncedRecord.objects.filter(handover_id__in=own).count(),
        "signature_metadata": Signature.objects.filter(
            Q(handover_id__in=own) | mine("signer_id")
        ).count(),
        "audit_events": AuditEvent.objects.filter(
            Q(handover_id__in=own) | mine("actor_id")
        ).count(),
        "certificates": Certificate.objects.filter(handover_id__in=own).count(),
        "notification_logs": Notification.objects.filter(
            Q(handover_id__in=own) | mine("recipient_id")
        ).count()
        + Delivery.objects.filter(
            Q(handover_id__in=own) | mine("recipient_id")
        ).count(),
    }


def erasure_preview(employee: Employee, kept: dict[str, str]) -> list[ClassLine]:
    """One line per data class, in the erasure package's order, then the
    person's own record (anonymised unless kept)."""
    from cms.services.erasure.classes import PERSON_RECORD, DataClass

    counts = _counts(employee)
    lines = [
        ClassLine(
            key=data_class.value,
            label=str(data_class.label),
            rows=counts.get(data_class.value, 0),
            kept_reason=str(kept.get(data_class.value, "")),
        )
        for data_class in DataClass
    ]
    lines.append(
        ClassLine(
            key=PERSON_RECORD,
            label=str(PERSON_RECORD_LABEL),
            rows=1 + (1 if employee.user_id else 0),
            kept_reason=str(kept.get(PERSON_RECORD, "")),
        )
    )
    return lines
