"""Moving the trail and the signatures to their erasable format (format 2, see
``chain`` and ``cms.services.signing``). Run once by migration cms 0016; also
callable on its own (a restored old backup), since it skips what is converted.

Only what verifies is converted: a chain whose events, links and signed
checkpoint hold in format 1, a signature the server's key verifies. Anything
else stays in format 1, so ``verify_audit`` and the certificate checks keep
naming the break instead of a conversion laundering it.

A converted chain gets every event hashed again in format 2 (keeping its old
hash in ``original_hash``, which certificates name as root hash), then one more
event, ``audit.format_converted``, recording the old head and length (in its
``after_hash`` and details): the chain's signed checkpoint moves forward to it,
as the checkpoint trigger allows. A new database checkpoint is signed at the
end when one existed, so the newest matches the chains again."""

import logging
import secrets
from dataclasses import dataclass

from django.utils import timezone

from .chain import (
    GENESIS_HASH,
    chain_checkpoint_payload,
    chain_checkpoint_sign,
    content_hash,
    erasable_digest,
    event_hash,
)

logger = logging.getLogger(__name__)

__all__ = ["CONVERTED_ACTION", "Conversion", "convert_to_erasable"]

CONVERTED_ACTION = "audit.format_converted"
_PLAIN, _ERASABLE = 1, 2
_BATCH = 1_000


@dataclass
class Conversion:
    chains: int = 0
    events: int = 0
    chains_left: int = 0
    signatures: int = 0
    signatures_left: int = 0


def _chain_holds(events, checkpoint) -> bool:
    from cms.services.signing import server_verify

    previous = GENESIS_HASH
    for expected, event in enumerate(events, start=1):
        if (
            event.format != _PLAIN
            or event.sequence != expected
            or event.previous_hash != previous
            or event_hash(event) != event.hash
        ):
            return False
        previous = event.hash
    return (
        checkpoint is not None
        and checkpoint.length == len(events)
        and checkpoint.head_hash == previous
        and server_verify(
            chain_checkpoint_payload(
                handover_id=checkpoint.handover_id,
                length=checkpoint.length,
                head_hash=checkpoint.head_hash,
            ),
            checkpoint.signature,
        )
    )


def _chain_convert(AuditEvent, AuditChainCheckpoint, events, checkpoint) -> None:
    old_head, old_length = checkpoint.head_hash, checkpoint.length
    previous = GENESIS_HASH
    for event in events:
        event.original_hash = event.hash
        event.format = _ERASABLE
        event.erasure_salt = secrets.token_hex(16)
        event.erasable_hash = erasable_digest(event)
        event.previous_hash = previous
        event.hash = previous = event_hash(event)
    AuditEvent.objects.bulk_update(
        events,
        [
            "original_hash",
            "format",
            "erasure_salt",
            "erasable_hash",
            "previous_hash",
            "hash",
        ],
        batch_size=_BATCH,
    )
    statement = {"format": _ERASABLE, "previous_head": old_head, "length": old_length}
    marker = AuditEvent(
        handover_id=checkpoint.handover_id,
        sequence=old_length + 1,
        actor_id=None,
        actor_name="",
        role="",
        action=CONVERTED_ACTION,
        object_type="handover",
        object_id=str(checkpoint.handover_id),
        before_hash="",
        after_hash=content_hash(statement),
        details=statement,
        ip_address=None,
        created_at=timezone.now(),
        previous_hash=previous,
        format=_ERASABLE,
        erasure_salt=secrets.token_hex(16),
    )
    marker.erasable_hash = erasable_digest(marker)
    marker.hash = event_hash(marker)
    marker.save(force_insert=True)
    fields = chain_checkpoint_sign(
        handover_id=checkpoint.handover_id,
        length=marker.sequence,
        head_hash=marker.hash,
    )
    AuditChainCheckpoint.objects.filter(pk=checkpoint.pk).update(**fields)


def _signatures_convert(Signature) -> tuple[int, int]:
    from cms.services.signing import (
        server_sign,
        server_verify,
        signature_erasable_digest,
        signature_payload,
    )

    converted = left = 0
    batch = []
    signatures = (
        Signature.objects.filter(format=_PLAIN)
        .select_related("handover", "item")
        .order_by("pk")
    )
    for signature in signatures.iterator(chunk_size=_BATCH):
        original = signature_payload(signature, record_format=_PLAIN)
        if not server_verify(original, signature.server_signature):
            left += 1
            continue
        signature.original_server_signature = signature.server_signature
        signature.format = _ERASABLE
        signature.erasure_salt = secrets.token_hex(16)
        signature.erasable_hash = signature_erasable_digest(signature)
        signature.server_signature, signature.key_id = server_sign(
            signature_payload(signature, record_format=_ERASABLE)
        )
        batch.append(signature)
        converted += 1
        if len(batch) >= _BATCH:
            _signatures_save(Signature, batch)
    _signatures_save(Signature, batch)
    return converted, left


def _signatures_save(Signature, batch: list) -> None:
    Signature.objects.bulk_update(
        batch,
        [
            "original_server_signature",
            "format",
            "erasure_salt",
            "erasable_hash",
            "server_signature",
            "key_id",
        ],
    )
    batch.clear()


def convert_to_erasable(apps=None) -> Conversion:
    """Convert every chain and signature that verifies to format 2 (see the
    module). ``apps``: the migration's app registry, or None for the models.
    On PostgreSQL the caller lets the rewrite past the audit table's trigger
    (migration 0016 disables it around this call)."""
    if apps is None:
        from django.apps import apps
    AuditEvent = apps.get_model("cms", "AuditEvent")
    AuditChainCheckpoint = apps.get_model("cms", "AuditChainCheckpoint")
    AuditDatabaseCheckpoint = apps.get_model("cms", "AuditDatabaseCheckpoint")
    Signature = apps.get_model("cms", "Signature")
    result = Conversion()
    checkpoints = {
        checkpoint.handover_id: checkpoint
        for checkpoint in AuditChainCheckpoint.objects.all()
    }
    handover_ids = (
        AuditEvent.objects.filter(format=_PLAIN)
        .order_by("handover_id")
        .values_list("handover_id", flat=True)
        .distinct()
    )
    for handover_id in list(handover_ids):
        events = list(
            AuditEvent.objects.filter(handover_id=handover_id).order_by("sequence")
        )
        checkpoint = checkpoints.get(handover_id)
        if not _chain_holds(events, checkpoint):
            logger.warning(
                "Audit chain of handover %s does not verify: left in format 1; "
                "run manage.py verify_audit.",
                handover_id,
            )
            result.chains_left += 1
            continue
        _chain_convert(AuditEvent, AuditChainCheckpoint, events, checkpoint)
        result.chains += 1
        result.events += len(events)
    result.signatures, result.signatures_left = _signatures_convert(Signature)
    if result.chains and AuditDatabaseCheckpoint.objects.exists():
        from .checkpoints import audit_checkpoint_create

        audit_checkpoint_create()
    logger.info(
        "Audit trail in format 2: %s chains (%s events) converted, %s left; "
        "%s signatures converted, %s left.",
        result.chains,
        result.events,
        result.chains_left,
        result.signatures,
        result.signatures_left,
    )
    return result
