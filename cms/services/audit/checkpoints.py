"""Signed checkpoints beyond the single chain: anchoring chains written before
checkpoints existed, and the periodic checkpoint of the whole database."""

import hashlib
import logging

from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from cms.models import (
    AuditChainCheckpoint,
    AuditDatabaseCheckpoint,
    AuditEvent,
    Handover,
)

from .chain import GENESIS_HASH, canonical_json, chain_checkpoint_sign

logger = logging.getLogger(__name__)

__all__ = [
    "audit_checkpoint_create",
    "chain_checkpoints_backfill",
    "database_checkpoint_payload",
    "database_checkpoint_verify",
    "heads_add",
    "heads_hasher",
]

_BATCH = 2_000


def heads_hasher():
    """A running hash over chain heads, fed in handover order by
    ``heads_add``: the same for the checkpoint task and for verification."""
    return hashlib.sha256()


def heads_add(hasher, *, handover_id: int, length: int, head_hash: str):
    hasher.update(f"{handover_id}:{length}:{head_hash}\n".encode())


def chain_checkpoints_backfill() -> int:
    """Sign a checkpoint for every chain that has events but none yet: chains
    written before checkpoints existed, or bulk-loaded (``seed_scale``). Each
    is anchored where it stands; ``verify_audit`` still checks its events.
    Returns how many chains were anchored."""
    last_events = AuditEvent.objects.filter(handover=OuterRef("pk")).order_by(
        "-sequence"
    )
    heads = (
        Handover.objects.filter(audit_checkpoint__isnull=True)
        .annotate(
            last_sequence=Subquery(last_events.values("sequence")[:1]),
            last_hash=Subquery(last_events.values("hash")[:1]),
        )
        .filter(last_sequence__isnull=False)
        .order_by("pk")
        .values_list("pk", "last_sequence", "last_hash")
    )
    rows = [
        AuditChainCheckpoint(
            handover_id=handover_id,
            **chain_checkpoint_sign(
                handover_id=handover_id, length=length, head_hash=head_hash
            ),
        )
        for handover_id, length, head_hash in heads
    ]
    AuditChainCheckpoint.objects.bulk_create(rows, batch_size=_BATCH)
    return len(rows)


def database_checkpoint_payload(checkpoint: AuditDatabaseCheckpoint) -> dict:
    """What the server signs (and what ``hash`` is the hash of)."""
    return {
        "kind": "baton.audit.database",
        "created_at": checkpoint.created_at.isoformat(),
        "chains": checkpoint.chains,
        "events": checkpoint.events,
        "last_event_id": checkpoint.last_event_id,
        "heads_hash": checkpoint.heads_hash,
        "previous_hash": checkpoint.previous_hash,
    }


def database_checkpoint_verify(checkpoint: AuditDatabaseCheckpoint) -> bool:
    """True when the row is exactly what the server signed."""
    from cms.services.signing import server_verify

    payload = database_checkpoint_payload(checkpoint)
    return checkpoint.hash == hashlib.sha256(
        canonical_json(payload).encode()
    ).hexdigest() and server_verify(payload, checkpoint.signature)


@transaction.atomic
def audit_checkpoint_create() -> AuditDatabaseCheckpoint:
    """Sign the state of every chain: how many, how many events, a hash over
    their heads. Reads the chain checkpoints (one row per handover, whatever
    the number of events), then the largest event id: in that order, so an
    event counted here always has an id up to ``last_event_id``."""
    from cms.services.signing import server_sign

    previous = (
        AuditDatabaseCheckpoint.objects.select_for_update()
        .order_by("-pk")
        .only("hash")
        .first()
    )
    hasher = heads_hasher()
    chains = events = 0
    for handover_id, length, head_hash in (
        AuditChainCheckpoint.objects.order_by("handover_id")
        .values_list("handover_id", "length", "head_hash")
        .iterator(chunk_size=_BATCH)
    ):
        heads_add(hasher, handover_id=handover_id, length=length, head_hash=head_hash)
        chains += 1
        events += length
    checkpoint = AuditDatabaseCheckpoint(
        created_at=timezone.now(),
        chains=chains,
        events=events,
        last_event_id=AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0,
        heads_hash=hasher.hexdigest(),
        previous_hash=previous.hash if previous is not None else GENESIS_HASH,
    )
    payload = database_checkpoint_payload(checkpoint)
    checkpoint.hash = hashlib.sha256(canonical_json(payload).encode()).hexdigest()
    checkpoint.signature, checkpoint.key_id = server_sign(payload)
    checkpoint.save(force_insert=True)
    # One line in the log per checkpoint: a copy outside the database, for
    # whoever ships logs elsewhere, of what an attacker with the database
    # alone could otherwise delete along with the events.
    logger.info(
        "Audit checkpoint #%s: %s",
        checkpoint.pk,
        canonical_json(
            {**payload, "hash": checkpoint.hash, "key_id": checkpoint.key_id}
        ),
    )
    return checkpoint
