"""The tamper-evident trail: canonical JSON, content hashes, the per-handover hash
chain ``hash = sha256(previous_hash + canonical(event))`` and the signed
checkpoint that anchors each chain's length and head.

Two event formats. Format 1 hashed ``actor_name``, ``details`` and
``ip_address`` themselves: erasing them would break the chain. Format 2 (every
event since migration cms 0016, which converted the chains that verified)
hashes ``erasable_hash = sha256(salt + canonical(those three fields))``
instead, with a random salt per event stored beside it. While the event is not
erased, the chain hash is computed over that digest recomputed from the fields,
so changing a name or an address still shows. Erasing blanks the three fields
and the salt and sets ``erased_at``; the chain hash covers the kept
``erasable_hash`` either way, so the chain, its checkpoints and the
certificates' root hashes still verify. An erased event's ``actor_name`` may
hold the actor's pseudonym in that handover (``pseudonym.successor.2``, see
``cms.services.erasure``). Without the salt, a short value (an IP address)
cannot be found again by hashing guesses. ``before_hash`` and ``after_hash``
are content hashes, not personal data: they stay. A converted event keeps its
format-1 hash in ``original_hash`` (covered by its format-2 hash): certificates
issued before the conversion name it as their root hash."""

import hashlib
import json
import logging
import secrets
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from cms.models import AuditChainCheckpoint, AuditEvent, Handover

logger = logging.getLogger(__name__)

__all__ = [
    "GENESIS_HASH",
    "audit_record",
    "canonical_json",
    "chain_checkpoint_payload",
    "chain_checkpoint_sign",
    "chain_verify",
    "content_hash",
    "erasable_digest",
    "event_erasable_intact",
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


def _format(event) -> int:
    # Bulk loaders hash plain namespaces without a format: format 1.
    return getattr(event, "format", AuditEvent.FORMAT_PLAIN)


def erasable_digest(event: AuditEvent) -> str:
    """The salted digest of the event's personal fields, as they are now."""
    fields = {
        "actor_name": event.actor_name,
        "details": event.details,
        "ip_address": event.ip_address,
    }
    return hashlib.sha256(
        (event.erasure_salt + canonical_json(fields)).encode()
    ).hexdigest()


def event_erasable_intact(event: AuditEvent) -> bool:
    """False for an event marked erased whose personal fields or salt are not
    blank. (While not erased, ``event_hash`` covers the fields themselves.)"""
    if _format(event) != AuditEvent.FORMAT_ERASABLE or event.erased_at is None:
        return True
    return (
        (not event.actor_name or event.actor_name.startswith("pseudonym."))
        and not event.details
        and event.ip_address is None
        and not event.erasure_salt
    )


def _event_payload(event: AuditEvent) -> dict:
    payload = {
        "handover": event.handover_id,
        "sequence": event.sequence,
        "actor_id": event.actor_id,
        "role": event.role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before_hash": event.before_hash,
        "after_hash": event.after_hash,
        "created_at": event.created_at.astimezone(UTC).isoformat(),
    }
    if _format(event) == AuditEvent.FORMAT_ERASABLE:
        payload["format"] = AuditEvent.FORMAT_ERASABLE
        # Not erased: the digest of the fields as they are, so changing one
        # shows. Erased: the digest kept when they went.
        payload["erasable_hash"] = (
            event.erasable_hash
            if getattr(event, "erased_at", None) is not None
            else erasable_digest(event)
        )
        original_hash = getattr(event, "original_hash", "")
        if original_hash:
            payload["original_hash"] = original_hash
    else:
        payload |= {
            "actor_name": event.actor_name,
            "details": event.details,
            "ip_address": event.ip_address,
        }
    return payload


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(
        (event.previous_hash + canonical_json(_event_payload(event))).encode()
    ).hexdigest()


def chain_checkpoint_payload(*, handover_id: int, length: int, head_hash: str) -> dict:
    """What the server signs for a chain. The kind keeps a checkpoint's
    signature from passing for any other record the same key signs."""
    return {
        "kind": "baton.audit.chain",
        "handover": handover_id,
        "length": length,
        "head": head_hash,
    }


def chain_checkpoint_sign(*, handover_id: int, length: int, head_hash: str) -> dict:
    """The fields of a chain checkpoint at this length and head, signed."""
    # Imported here: signing imports this package for canonical JSON.
    from cms.services.signing import server_sign

    signature, key_id = server_sign(
        chain_checkpoint_payload(
            handover_id=handover_id, length=length, head_hash=head_hash
        )
    )
    return {
        "length": length,
        "head_hash": head_hash,
        "signature": signature,
        "key_id": key_id,
        "updated_at": timezone.now(),
    }


def _last_event(field: str, handover=None) -> Subquery:
    """The chain's last event's ``field``, for a query over checkpoints (or,
    given ``handover=OuterRef("pk")``, over handovers)."""
    return Subquery(
        AuditEvent.objects.filter(handover=handover or OuterRef("handover"))
        .order_by("-sequence")
        .values(field)[:1]
    )


# What audit_record does with a chain's checkpoint after the new event.
_MOVE, _CREATE, _LEAVE_MISSING = "move", "create", "leave missing"


def _head_for_update(handover_id: int) -> tuple[int, str, str]:
    """Lock the chain against concurrent writers; return its length, the hash
    to link the next event to, and what to do with its checkpoint.

    The checkpoint row is the lock and the head at once: one query. Locking
    it re-reads the row a concurrent writer just moved, so the head is never
    stale. The last event comes along in the same query, only to notice
    events someone inserted beyond the checkpoint: the next event takes a
    sequence after theirs (so their rows cannot block the handover) but links
    to the signed head, which leaves the break for ``verify_audit`` to name.

    A chain without a checkpoint locks the handover row instead, then reads
    its last event: two more queries, once per handover. A new chain gets its
    checkpoint. A chain that has events but no checkpoint lost it (the
    migration and ``seed_scale`` anchor every chain they find): the server
    does not vouch for it now, which would hide whatever went with the
    checkpoint; ``manage.py audit_checkpoint --backfill`` is the deliberate
    way to anchor such a chain."""
    checkpoint = (
        AuditChainCheckpoint.objects.select_for_update(of=("self",))
        .filter(handover_id=handover_id)
        .annotate(last_sequence=_last_event("sequence"))
        .values_list("length", "head_hash", "last_sequence")
        .first()
    )
    if checkpoint is None:
        Handover.objects.select_for_update().only("pk").get(pk=handover_id)
        # Read after the lock, in a statement of its own: a writer that got
        # the lock first may have created the checkpoint meanwhile.
        checkpoint = (
            Handover.objects.filter(pk=handover_id)
            .annotate(
                last_sequence=_last_event("sequence", handover=OuterRef("pk")),
                last_hash=_last_event("hash", handover=OuterRef("pk")),
            )
            .values_list(
                "audit_checkpoint__length",
                "audit_checkpoint__head_hash",
                "last_sequence",
                "last_hash",
            )
            .get()
        )
        if checkpoint[0] is None:
            if checkpoint[2] is None:
                return 0, GENESIS_HASH, _CREATE
            logger.error(
                "Audit chain of handover %s has %s events but no signed "
                "checkpoint; run manage.py verify_audit.",
                handover_id,
                checkpoint[2],
            )
            return checkpoint[2], checkpoint[3], _LEAVE_MISSING
    length, head, last_sequence = checkpoint[:3]
    if last_sequence is not None and last_sequence > length:
        logger.error(
            "Audit chain of handover %s: events up to #%s lie beyond its signed "
            "checkpoint (%s events); run manage.py verify_audit.",
            handover_id,
            last_sequence,
            length,
        )
        length = last_sequence
    return length, head, _MOVE


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
    """Append one event to the handover's chain and move the chain's signed
    checkpoint to it. Call inside the transaction of the change it records.

    Three queries, as many as before checkpoints existed: lock and read the
    head, insert the event, move the checkpoint (the first event of a chain
    takes two more, to lock the handover instead)."""
    length, previous_hash, checkpoint = _head_for_update(handover.pk)
    event = AuditEvent(
        handover=handover,
        sequence=length + 1,
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
        previous_hash=previous_hash,
        format=AuditEvent.FORMAT_ERASABLE,
        erasure_salt=secrets.token_hex(16),
    )
    event.erasable_hash = erasable_digest(event)
    event.hash = event_hash(event)
    event.save(force_insert=True)
    if checkpoint == _LEAVE_MISSING:
        return event
    fields = chain_checkpoint_sign(
        handover_id=handover.pk, length=event.sequence, head_hash=event.hash
    )
    if checkpoint == _MOVE:
        AuditChainCheckpoint.objects.filter(handover_id=handover.pk).update(**fields)
    else:
        AuditChainCheckpoint.objects.create(handover_id=handover.pk, **fields)
    return event


def chain_verify(handover_id: int):
    """Return the first event whose stored hash or link does not match, or None.
    (Events only: ``audit_verify`` also holds the chain to its checkpoint.)"""
    previous = GENESIS_HASH
    expected_sequence = 1
    for event in AuditEvent.objects.filter(handover_id=handover_id).order_by(
        "sequence"
    ):
        if (
            event.sequence != expected_sequence
            or event.previous_hash != previous
            or event_hash(event) != event.hash
            or not event_erasable_intact(event)
        ):
            return event
        previous = event.hash
        expected_sequence += 1
    return None
