"""Changes Baton makes in other systems: what each keeps (``UpstreamChange``),
and write-backs to the successor. Access grants and their changes live with
access handover, in ``connectors.access.models``."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .configs import ConnectorConfig

__all__ = ["Transfer", "UpstreamChange"]


class UpstreamChange(models.Model):
    """What every change Baton makes in another system keeps: how often it was
    tried, what the system answered, and when it ended."""

    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    request_id = models.CharField(_("upstream request id"), max_length=255, blank=True)
    response = models.JSONField(_("upstream response"), default=dict, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        abstract = True


class Transfer(UpstreamChange):
    """A write-back: an accepted item's record reassigned to the successor
    upstream, then read back. Failed ones wait in the admin's queue."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Transferred and verified")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    item = models.OneToOneField(
        "cms.Item",
        verbose_name=_("item"),
        on_delete=models.CASCADE,
        related_name="transfer",
    )
    handover = models.ForeignKey(
        "cms.Handover",
        verbose_name=_("handover"),
        on_delete=models.CASCADE,
        related_name="transfers",
    )
    connector = models.ForeignKey(
        ConnectorConfig,
        verbose_name=_("connector"),
        on_delete=models.PROTECT,
        related_name="transfers",
    )
    external_id = models.CharField(_("external id"), max_length=512)
    successor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("successor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    preview = models.TextField(_("what it changes"))
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.QUEUED
    )
    retry_at = models.DateTimeField(_("retry at"), null=True, blank=True)
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)

    class Meta(UpstreamChange.Meta):
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["state", "-requested_at"])]
        verbose_name = _("write-back")
        verbose_name_plural = _("write-backs")

    def __str__(self):
        return self.preview
