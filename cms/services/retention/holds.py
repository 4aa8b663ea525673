"""Legal holds: placed and released by HR admins only, each audited on every
handover it covers."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.errors import Conflict, InvalidInput
from cms.models import Handover, LegalHold, ParticipantRole

from ..audit import audit_record
from ..common import require_hr
from ..signing import NO_REQUEST

__all__ = ["hold_place", "hold_release"]


def _covered_handovers(hold: LegalHold):
    if hold.handover_id:
        return Handover.objects.filter(pk=hold.handover_id)
    return Handover.objects.filter(employee_id=hold.employee_id).order_by("pk")


def _audit(hold: LegalHold, *, actor, action: str, meta) -> None:
    # The reason stays on the hold itself (HR's screen); the chain records
    # only that a hold exists, so a purge later leaves nothing personal here.
    for handover in _covered_handovers(hold):
        audit_record(
            handover=handover,
            actor=actor,
            role=ParticipantRole.HR,
            action=action,
            obj=hold,
            details={"hold": hold.pk},
            ip_address=meta.ip_address,
        )


@transaction.atomic
def hold_place(
    *, actor, employee=None, handover=None, reason: str, meta=NO_REQUEST
) -> LegalHold:
    """Stop every purge of the employee's handovers (or of one handover)
    until released."""
    require_hr(actor)
    reason = (reason or "").strip()
    errors = {}
    if (employee is None) == (handover is None):
        errors["__all__"] = [_("Name either an employee or a handover.")]
    if not reason:
        errors["reason"] = [_("Say why the data must be kept.")]
    if errors:
        raise InvalidInput(fields=errors)
    # Wait for a purge batch working on these handovers: the hold then
    # either comes after that batch or is seen by it (erase checks again).
    covered = Handover.objects.filter(pk=handover.pk) if handover else None
    if employee is not None:
        covered = Handover.objects.filter(employee=employee)
    list(covered.select_for_update().order_by("pk").values_list("pk", flat=True))
    hold = LegalHold.objects.create(
        employee=employee,
        handover=handover,
        reason=reason,
        placed_by=actor,
        placed_at=timezone.now(),
    )
    _audit(hold, actor=actor, action="retention.hold_placed", meta=meta)
    return hold


@transaction.atomic
def hold_release(*, actor, hold, reason: str = "", meta=NO_REQUEST) -> LegalHold:
    require_hr(actor)
    hold = LegalHold.objects.select_for_update().get(pk=getattr(hold, "pk", hold))
    if not hold.is_active:
        raise Conflict(_("This hold was already released."))
    hold.released_by = actor
    hold.released_at = timezone.now()
    hold.release_reason = (reason or "").strip()
    hold.save(update_fields=["released_by", "released_at", "release_reason"])
    _audit(hold, actor=actor, action="retention.hold_released", meta=meta)
    return hold
