"""The tamper-evident trail: the per-handover hash chains, their signed
checkpoints, the periodic checkpoint of the whole database, and verification."""

from .chain import (
    GENESIS_HASH,
    audit_record,
    canonical_json,
    chain_checkpoint_payload,
    chain_verify,
    content_hash,
    event_hash,
)
from .checkpoints import (
    audit_checkpoint_create,
    chain_checkpoints_backfill,
    database_checkpoint_payload,
    database_checkpoint_verify,
)
from .verification import AuditReport, Finding, audit_verify

__all__ = [
    "GENESIS_HASH",
    "AuditReport",
    "Finding",
    "audit_checkpoint_create",
    "audit_record",
    "audit_verify",
    "canonical_json",
    "chain_checkpoint_payload",
    "chain_checkpoints_backfill",
    "chain_verify",
    "content_hash",
    "database_checkpoint_payload",
    "database_checkpoint_verify",
    "event_hash",
]
