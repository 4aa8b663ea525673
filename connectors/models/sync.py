"""What connectors brought into handovers: block states, record links, runs,
uploads and the webhook deliveries already received."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .configs import ConnectorConfig

__all__ = ["BlockSync", "SyncRun", "SyncedRecord", "UploadImport", "WebhookDelivery"]


def _private_storage():
    from cms.models.handovers import private_storage

    return private_storage


class BlockSync(models.Model):
    """The state of one connector block in one handover, as people see it."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SYNCING = "syncing", _("Syncing")
        OK = "ok", _("Up to date")
        FAILED = "failed", _("Failed")
        WAITING = "waiting", _("Waiting for an upload")

    handover = models.ForeignKey(
        "cms.Handover", on_delete=models.CASCADE, related_name="block_syncs"
    )
    block_id = models.CharField(max_length=64)
    label = models.CharField(max_length=255, blank=True)
    connector = models.ForeignKey(
        ConnectorConfig,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="block_syncs",
    )
    connector_slug = models.CharField(max_length=64)
    record_kind = models.CharField(max_length=32, blank=True)
    state = models.CharField(max_length=16, choices=State.choices)
    error = models.TextField(blank=True)
    request_id = models.CharField(max_length=255, blank=True)
    attempt = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every queueing; a task carrying an older generation is stale.
    generation = models.PositiveIntegerField(default=0)
    # The run holding the block now, and until when its worker's lease lasts:
    # a run whose lease passed without a heartbeat belongs to a dead worker.
    run = models.ForeignKey(
        "SyncRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Records applied so far of the running (or last) run: "n of N".
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["handover", "block_id"], name="unique_block_sync"
            )
        ]
        indexes = [models.Index(fields=["connector", "state", "last_finished_at"])]

    def __str__(self):
        return f"{self.handover_id}/{self.block_id}: {self.state}"


class SyncedRecord(models.Model):
    """The link between an upstream record and the item it became."""

    handover = models.ForeignKey(
        "cms.Handover", on_delete=models.CASCADE, related_name="synced_records"
    )
    connector = models.ForeignKey(
        ConnectorConfig, on_delete=models.PROTECT, related_name="records"
    )
    external_id = models.CharField(max_length=512)
    block_id = models.CharField(max_length=64)
    item = models.OneToOneField(
        "cms.Item", on_delete=models.CASCADE, related_name="synced_record"
    )
    # What the connector last said, mapped onto item properties.
    upstream = models.JSONField(default=dict)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    gone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["handover", "connector", "external_id"],
                name="unique_synced_record",
            )
        ]
        indexes = [models.Index(fields=["handover", "block_id"])]

    def __str__(self):
        return f"{self.connector_id}:{self.external_id}"


class SyncRun(models.Model):
    """One run of a connector over one block (the sync log)."""

    class Trigger(models.TextChoices):
        START = "start", _("Handover started")
        PERIODIC = "periodic", _("Periodic re-sync")
        WEBHOOK = "webhook", _("Webhook")
        MANUAL = "manual", _("Run by hand")
        UPLOAD = "upload", _("Upload")
        RETRY = "retry", _("Retry")

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("Succeeded")
        PARTIAL = "partial", _("Succeeded with skipped records")
        FAILED = "failed", _("Failed")
        INTERRUPTED = "interrupted", _("Interrupted")

    connector = models.ForeignKey(
        ConnectorConfig,
        verbose_name=_("connector"),
        on_delete=models.CASCADE,
        related_name="runs",
    )
    handover = models.ForeignKey(
        "cms.Handover",
        verbose_name=_("handover"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sync_runs",
    )
    block_id = models.CharField(max_length=64, blank=True)
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.RUNNING
    )
    attempt = models.PositiveIntegerField(_("attempt"), default=0)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    seen = models.PositiveIntegerField(_("seen"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    resolved = models.PositiveIntegerField(_("resolved upstream"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    conflicts = models.PositiveIntegerField(_("upstream changes kept aside"), default=0)
    # [{"message": ..., "external_id": ..., "request_id": ...}]
    errors = models.JSONField(_("errors"), default=list, blank=True)
    request_id = models.CharField(_("upstream request id"), max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The lease: the worker (host:pid) beats while it runs; a run whose
    # heartbeat is older than the lease is interrupted and retried.
    worker = models.CharField(_("worker"), max_length=255, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    # Records to apply and applied: runs commit in batches.
    total = models.PositiveIntegerField(_("records to apply"), default=0)
    done = models.PositiveIntegerField(_("records applied"), default=0)
    # A run that continues an interrupted one.
    resumed_from = models.ForeignKey(
        "self",
        verbose_name=_("resumes"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["connector", "-started_at"]),
            models.Index(fields=["handover", "block_id", "-started_at"]),
        ]
        verbose_name = _("sync run")
        verbose_name_plural = _("sync log")

    def __str__(self):
        return f"{self.connector} · {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self):
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at


def _upload_path(instance, filename):
    return f"handovers/{instance.handover_id}/uploads/{filename}"


class UploadImport(models.Model):
    """A spreadsheet a person uploaded into a connector block, imported in the
    background: the stored file, the chosen columns, whether it adds to the
    block's list or replaces it, and how far the import got."""

    class Mode(models.TextChoices):
        ADD = "add", _("Add to the list")
        REPLACE = "replace", _("Replace the list")

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    handover = models.ForeignKey(
        "cms.Handover", on_delete=models.CASCADE, related_name="upload_imports"
    )
    block_id = models.CharField(max_length=64)
    file = models.FileField(storage=_private_storage, upload_to=_upload_path)
    filename = models.CharField(_("file"), max_length=255)
    sheet = models.CharField(max_length=255, blank=True)
    # {"mapping": {property path: column}, "id_column": column, "columns": [...]}
    options = models.JSONField(default=dict, blank=True)
    mode = models.CharField(
        _("mode"), max_length=16, choices=Mode.choices, default=Mode.ADD
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.UPLOADED
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows imported"), default=0)
    error = models.TextField(_("error"), blank=True)
    run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["handover", "block_id", "-created_at"])]

    def __str__(self):
        return f"{self.filename} ({self.get_state_display()})"


class WebhookDelivery(models.Model):
    """A signed webhook request Baton accepted, remembered until its timestamp
    is too old to be accepted anyway. Kept in the database (not a process
    cache) so a replay is refused after a restart and by every worker."""

    connector = models.ForeignKey(
        ConnectorConfig, on_delete=models.CASCADE, related_name="+"
    )
    # SHA-256 (hex) of the signature: equal requests have equal signatures.
    signature_hash = models.CharField(max_length=64)
    received_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "signature_hash"],
                name="unique_webhook_delivery",
            )
        ]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self):
        return f"{self.connector_id}:{self.signature_hash[:12]}"
