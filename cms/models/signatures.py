"""Signatures: each decision on an item or a section (accept, return, declare,
approve), with what was signed, how the signer proved who they were, and the
server's own signature over it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .handovers import Handover, ParticipantRole
from .items import Item

__all__ = ["Signature"]


class Signature(models.Model):
    class Decision(models.TextChoices):
        ACCEPT = "accept", _("Accepted")
        ACCEPT_WITH_REMARKS = "accept_with_remarks", _("Accepted with remarks")
        RETURN = "return", _("Returned")
        DECLARE = "declare", _("Final declaration")
        APPROVE = "approve", _("Approved")

    # The decisions that mean "I take this over".
    ACCEPT_DECISIONS = frozenset({Decision.ACCEPT, Decision.ACCEPT_WITH_REMARKS})

    handover = models.ForeignKey(
        Handover, on_delete=models.PROTECT, related_name="signatures"
    )
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="signatures"
    )
    item_version = models.PositiveIntegerField(null=True, blank=True)
    section_block_id = models.CharField(max_length=64, blank=True)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures"
    )
    role = models.CharField(max_length=16, choices=ParticipantRole.choices)
    decision = models.CharField(max_length=24, choices=Decision.choices)
    remarks = models.TextField(blank=True)
    signed_at = models.DateTimeField()
    content_hash = models.CharField(max_length=64)
    intent_statement = models.TextField()
    auth_method = models.CharField(max_length=32)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    server_signature = models.CharField(max_length=128)
    key_id = models.CharField(max_length=32)
    # Format 2 (cms.services.signing): the server signs ``erasable_hash``, a
    # salted digest of the remarks, so erasing the remarks and the salt keeps
    # the signature verifiable. Format 1 signed the remarks themselves: the
    # migration to format 2 (cms 0016) keeps that first signature here.
    format = models.PositiveSmallIntegerField(default=1)
    erasable_hash = models.CharField(max_length=64, blank=True, default="")
    erasure_salt = models.CharField(max_length=32, blank=True, default="")
    erased_at = models.DateTimeField(null=True, blank=True)
    original_server_signature = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        ordering = ["signed_at", "pk"]
        indexes = [
            models.Index(fields=["handover", "decision"]),
            # Reports (reports.figures): a handover's first acceptance by a
            # successor, and the returns signed in a period.
            models.Index(
                fields=["handover", "signed_at"],
                condition=models.Q(
                    role="successor", decision__in=["accept", "accept_with_remarks"]
                ),
                name="cms_signature_accepted_idx",
            ),
            models.Index(
                fields=["signed_at", "handover", "item"],
                condition=models.Q(decision="return"),
                name="cms_signature_return_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_decision_display()} · {self.signer}"
