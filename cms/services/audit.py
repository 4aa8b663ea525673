"""The tamper-evident trail: canonical JSON, content hashes and the per-handover
hash chain ``hash = sha256(previous_hash + canonical(event))``."""

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal

from django.utils import timezone

from cms.models import AuditEvent, Handover

__all__ = [
    "GENESIS_HASH",
    "audit_record",
    "canonical_json",
    "chain_verify",
    "content_hash",
    "event_hash",
]

GENESIS_HASH = "0" * 64


def _default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def canonical_json(value) -> str:
    """One spelling per value: sorted keys, no insignificant whitespace, UTF-8."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_default,
    )


def content_hash(value) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def _event_payload(event: AuditEvent) -> dict:
    return {
        "handover": event.handover_id,
        "sequence": event.sequence,
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "role": event.role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before_hash": event.before_hash,
        "after_hash": event.after_hash,
        "details": event.details,
        "ip_address": event.ip_address,
        "created_at": event.created_at.astimezone(UTC).isoformat(),
    }


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(
        (event.previous_hash + canonical_json(_event_payload(event))).encode()
    ).hexdigest()


def audit_record(
    *,
    handover: Handover,
    actor,
    role: str,
    action: str,
    obj,
    before=None,
    after=None,
    details=None,
    ip_address=None,
) -> AuditEvent:
    """Append one event to the handover's chain. Call inside the transaction of
    the change it records; the row lock serialises concurrent writers."""
    Handover.objects.select_for_update().only("pk").get(pk=handover.pk)
    last = (
        AuditEvent.objects.filter(handover=handover)
        .order_by("-sequence")
        .only("sequence", "hash")
        .first()
    )
    event = AuditEvent(
        handover=handover,
        sequence=(last.sequence + 1) if last else 1,
        actor_id=getattr(actor, "pk", None),
        actor_name=actor.get_username() if actor is not None else "",
        role=role or "",
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=str(obj.pk),
        before_hash=content_hash(before) if before is not None else "",
        after_hash=content_hash(after) if after is not None else "",
        details=details or {},
        ip_address=ip_address,
        created_at=timezone.now(),
        previous_hash=last.hash if last else GENESIS_HASH,
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    return event


def chain_verify(handover_id: int):
    """Return the first event whose stored hash or link does not match, or None."""
    previous = GENESIS_HASH
    expected_sequence = 1
    for event in AuditEvent.objects.filter(handover_id=handover_id).order_by(
        "sequence"
    ):
        if (
            event.sequence != expected_sequence
            or event.previous_hash != previous
            or event_hash(event) != event.hash
        ):
            return event
        previous = event.hash
        expected_sequence += 1
    return None
