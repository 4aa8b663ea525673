"""Erasure requests (PIPL Art. 47): recorded when they arrive, reviewed by an
HR admin who sees what would be erased and what the law says must be kept,
then carried out within those limits or refused with a reason.

Every step is a service: only HR admins (anyone else gets NotFound, so the
requests do not reveal themselves), never the person the request is about,
and each step lands in the audit trail of the person's handovers with the
request's number only.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cms.models import Employee, Handover
from cms.permissions import is_hr_admin
from cms.services.audit import audit_record

from ..models import ErasureRequest

__all__ = [
    "erasure_request_approve",
    "erasure_request_carry_out",
    "erasure_request_record",
    "erasure_request_refuse",
    "erasure_request_review",
    "is_own_request",
]

Status = ErasureRequest.Status


def _require_hr(actor) -> None:
    if actor is None or not is_hr_admin(actor):
        raise NotFound()


def is_own_request(actor, request: ErasureRequest) -> bool:
    employee = request.employee
    return employee.user_id is not None and employee.user_id == actor.pk


def _require_reviewer(actor, request: ErasureRequest) -> None:
    _require_hr(actor)
    if is_own_request(actor, request):
        raise PermissionDenied(
            _("You cannot review a request about your own data: another HR admin must.")
        )


def _audit(request: ErasureRequest, *, actor, action: str, details=None) -> None:
    """One event per handover of the person: the request's number and what
    happened, never who the person is."""
    for handover in Handover.objects.filter(employee_id=request.employee_id):
        audit_record(
            handover=handover,
            actor=actor,
            role="hr",
            action=action,
            obj=request,
            details={"request": request.pk, **(details or {})},
        )


def _locked(request: ErasureRequest) -> ErasureRequest:
    return ErasureRequest.objects.select_for_update().get(pk=request.pk)


def erasure_request_record(
    *,
    actor,
    employee: Employee,
    received_via: str,
    requested_by: str,
    received_at: datetime.datetime | None = None,
    request_text: str = "",
) -> ErasureRequest:
    _require_hr(actor)
    if received_via not in ErasureRequest.Channel.values:
        raise InvalidInput(fields={"received_via": [_("Choose how it arrived.")]})
    if not requested_by.strip():
        raise InvalidInput(fields={"requested_by": [_("Say who asked.")]})
    now = timezone.now()
    if received_at is not None and received_at > now:
        raise InvalidInput(
            fields={"received_at": [_("A request cannot arrive in the future.")]}
        )
    with transaction.atomic():
        request = ErasureRequest.objects.create(
            employee=employee,
            received_at=received_at or now,
            received_via=received_via,
            requested_by=requested_by.strip(),
            request_text=request_text,
            recorded_by=actor,
        )
        _audit(request, actor=actor, action="subject.erasure_requested")
    return request


def erasure_request_review(*, actor, request: ErasureRequest):
    """What carrying the request out would erase, and what must be kept and
    why (retention's ``kept_reasons``): one line per data class."""
    from cms.services.retention import kept_reasons

    from .preview import erasure_preview

    _require_reviewer(actor, request)
    return erasure_preview(request.employee, kept_reasons(request.employee))


def erasure_request_refuse(*, actor, request: ErasureRequest, reason: str):
    _require_reviewer(actor, request)
    if not reason.strip():
        raise InvalidInput(
            fields={"decision_note": [_("Say why the request is refused.")]}
        )
    with transaction.atomic():
        request = _locked(request)
        if request.status != Status.RECEIVED:
            raise Conflict(_("This request has already been decided."))
        request.status = Status.REFUSED
        request.reviewed_by = actor
        request.reviewed_at = timezone.now()
        request.decision_note = reason.strip()
        request.save(
            update_fields=["status", "reviewed_by", "reviewed_at", "decision_note"]
        )
        _audit(request, actor=actor, action="subject.erasure_refused")
    return request


def erasure_request_approve(*, actor, request: ErasureRequest, note: str = ""):
    """Approve, then carry out at once. Should carrying out fail, the request
    stays approved and can be carried out again from its page."""
    _require_reviewer(actor, request)
    with transaction.atomic():
        request = _locked(request)
        if request.status != Status.RECEIVED:
            raise Conflict(_("This request has already been decided."))
        request.status = Status.APPROVED
        request.reviewed_by = actor
        request.reviewed_at = timezone.now()
        request.decision_note = note.strip()
        request.save(
            update_fields=["status", "reviewed_by", "reviewed_at", "decision_note"]
        )
        _audit(request, actor=actor, action="subject.erasure_approved")
    return erasure_request_carry_out(actor=actor, request=request)


def erasure_request_carry_out(*, actor, request: ErasureRequest) -> ErasureRequest:
    """Erase everything about the person except what retention says must be
    kept (``kept_reasons``, read now, not at review time); store the counts
    per class and the kept classes with their reasons."""
    from cms.services.erasure import erase_person
    from cms.services.retention import kept_reasons

    _require_reviewer(actor, request)
    with transaction.atomic():
        request = _locked(request)
        if request.status != Status.APPROVED:
            raise Conflict(_("Only an approved request can be carried out."))
        employee = Employee.objects.get(pk=request.employee_id)
        keep = {key: str(reason) for key, reason in kept_reasons(employee).items()}
        counts = erase_person(
            employee,
            actor=actor,
            reason=f"erasure request #{request.pk}",
            keep=keep,
        )
        request.status = Status.CARRIED_OUT
        request.carried_out_at = timezone.now()
        request.result = {
            "erased": {str(key): int(count) for key, count in counts.items()},
            "kept": keep,
        }
        request.save(update_fields=["status", "carried_out_at", "result"])
        _audit(
            request,
            actor=actor,
            action="subject.erasure_carried_out",
            details={"erased": request.result["erased"], "kept": sorted(keep)},
        )
    return request
