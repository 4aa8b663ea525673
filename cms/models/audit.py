"""The audit trail: its events (``AuditEvent``, append-only and hash-chained
per handover), and signed checkpoints of it — what the server last vouched
for, so that removing events (a chain's tail, whole chains, the whole table)
shows.

On PostgreSQL, triggers (migration cms 0006) refuse DELETE and TRUNCATE on
both checkpoint tables, UPDATE on database checkpoints, and any UPDATE of a chain
checkpoint that does not move it forward."""

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["AuditChainCheckpoint", "AuditDatabaseCheckpoint", "AuditEvent"]


class AuditChainCheckpoint(models.Model):
    """The server's signed word on one handover's chain: its length and the
    hash of its last event. One row per handover, moved forward in the
    transaction of each new event; the signature of an earlier state is not
    kept anywhere, so rolling a checkpoint back to hide a deleted tail takes
    the server's signing key."""

    handover = models.OneToOneField(
        "cms.Handover", on_delete=models.PROTECT, related_name="audit_checkpoint"
    )
    length = models.PositiveIntegerField()
    head_hash = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)
    key_id = models.CharField(max_length=32)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("audit chain checkpoint")
        verbose_name_plural = _("audit chain checkpoints")

    def __str__(self):
        return f"{self.handover_id}: {self.length} @ {self.head_hash[:12]}"


class AuditDatabaseCheckpoint(models.Model):
    """A periodic, signed summary of every chain: how many chains and events,
    and a hash over all chain heads. Each links to the one before it, so a
    checkpoint removed from the middle shows too. No foreign keys: emptying
    the handover tables must not take these with it."""

    created_at = models.DateTimeField()
    chains = models.PositiveIntegerField()
    events = models.PositiveBigIntegerField()
    # The largest event id when the checkpoint was taken: events up to it may
    # grow in number later (transactions still in flight), never shrink.
    last_event_id = models.BigIntegerField()
    heads_hash = models.CharField(max_length=64)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    signature = models.CharField(max_length=128)
    key_id = models.CharField(max_length=32)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("audit database checkpoint")
        verbose_name_plural = _("audit database checkpoints")

    def __str__(self):
        return f"#{self.pk} {self.created_at:%Y-%m-%d %H:%M}: {self.events} events"


class AuditEvent(models.Model):
    """Append-only and hash-chained per handover. On PostgreSQL a trigger refuses
    DELETE and every UPDATE but one: erasing the personal fields (migration cms
    0016); ``manage.py verify_audit`` re-computes the chains.

    Format 2 (``cms.services.audit.chain``): the chain hash covers
    ``erasable_hash``, a salted digest of ``actor_name``, ``details`` and
    ``ip_address``, instead of those fields, so erasing them (and the salt)
    keeps the chain verifiable."""

    FORMAT_PLAIN = 1
    FORMAT_ERASABLE = 2

    handover = models.ForeignKey(
        "cms.Handover", on_delete=models.PROTECT, related_name="audit_events"
    )
    sequence = models.PositiveIntegerField()
    # Plain values, not foreign keys: deleting a user must not rewrite history.
    actor_id = models.BigIntegerField(null=True)
    actor_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    before_hash = models.CharField(max_length=64, blank=True)
    after_hash = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField()
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # audit_record writes format 2; the default keeps rows written without it
    # (bulk loaders hashing in format 1) consistent with their hashes.
    format = models.PositiveSmallIntegerField(default=FORMAT_PLAIN)
    erasable_hash = models.CharField(max_length=64, blank=True, default="")
    erasure_salt = models.CharField(max_length=32, blank=True, default="")
    erased_at = models.DateTimeField(null=True, blank=True)
    # An event converted from format 1 keeps its format-1 hash, covered by its
    # format-2 hash: a certificate issued before names it as its root hash.
    original_hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["handover", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["handover", "sequence"], name="unique_audit_sequence"
            )
        ]

    def __str__(self):
        return f"{self.handover_id}#{self.sequence} {self.action}"
