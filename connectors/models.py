"""Configured connectors, what they brought into handovers, and their runs."""

import re

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.search import index

from checklist_blocks.blocks.connector import CONNECTOR_SLUG_PATTERN

from .crypto import decrypt_secrets, encrypt_secrets


def _private_storage():
    from cms.models.handovers import private_storage

    return private_storage


__all__ = [
    "AccessAction",
    "AccessGrant",
    "BlockSync",
    "ConnectorConfig",
    "ResidualAccess",
    "SyncRun",
    "SyncedRecord",
    "Transfer",
    "UploadImport",
    "WebhookDelivery",
]


class MatchBy(models.TextChoices):
    EMAIL = "email", _("Work email")
    EMPLOYEE_NUMBER = "employee_number", _("Employee number")
    DIRECTORY_ID = "directory_id", _("Directory id")
    USERNAME = "username", _("User name")


class ConnectorConfig(index.Indexed, models.Model):
    """One external system Baton reads from (and, where allowed, writes to)."""

    type = models.CharField(_("type"), max_length=32)
    name = models.CharField(_("name"), max_length=150)
    slug = models.CharField(
        _("slug"),
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(
                re.compile(CONNECTOR_SLUG_PATTERN),
                _("Use lowercase letters, digits, - and _ (e.g. crm)."),
            )
        ],
        help_text=_("Templates name the connector by this, e.g. crm."),
    )
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    # Fernet token of a JSON object; never shown back, never logged.
    secrets_ciphertext = models.TextField(blank=True, editable=False)
    match_by = models.CharField(
        _("match employees by"),
        max_length=32,
        choices=MatchBy.choices,
        default=MatchBy.EMAIL,
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    transfer_on_accept = models.BooleanField(
        _("transfer to the successor on acceptance"),
        default=False,
        help_text=_(
            "When the successor accepts an item from this connector, reassign the "
            "record to them upstream and read it back. Needs a type that can "
            "transfer and credentials with write rights."
        ),
    )
    sync_interval_minutes = models.PositiveIntegerField(
        _("re-sync every (minutes)"),
        default=60,
        help_text=_("0 turns periodic re-sync off; webhooks still trigger it."),
    )
    last_tested_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_test_ok = models.BooleanField(null=True, editable=False)
    last_test_message = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("slug"),
        index.FilterField("type"),
        index.FilterField("enabled"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = _("connector")
        verbose_name_plural = _("connectors")

    def __str__(self):
        return self.name

    # Secrets ---------------------------------------------------------------------

    def get_secrets(self) -> dict:
        return decrypt_secrets(self.secrets_ciphertext)

    def set_secrets(self, secrets: dict) -> None:
        """Replace the stored secrets (empty values are dropped)."""
        self.secrets_ciphertext = encrypt_secrets(
            {key: value for key, value in secrets.items() if value not in (None, "")}
        )

    @property
    def secret_names(self) -> list[str]:
        try:
            return sorted(self.get_secrets())
        except Exception:  # noqa: BLE001 — unreadable secrets have no names to show
            return []

    # The type ----------------------------------------------------------------------

    @property
    def type_class(self):
        from .registry import get_type

        return get_type(self.type)

    def can(self, *capabilities) -> bool:
        """Whether the connector's type does all of ``capabilities`` (False for a
        type that is no longer installed)."""
        try:
            type_class = self.type_class
        except LookupError:
            return False
        return all(type_class.can(capability) for capability in capabilities)

    def get_type_display(self):
        try:
            return self.type_class.label
        except LookupError:
            return self.type

    def client(self):
        """An instance of the connector type with decrypted secrets."""
        return self.type_class(
            settings={
                **self.settings,
                "match_by": self.match_by,
                "connector_id": self.pk,
            },
            secrets=self.get_secrets(),
        )


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


class AccessGrant(models.Model):
    """One piece of access a departing employee holds: an account in a system,
    or a membership of a group / role there. Discovered by connectors that can
    revoke, or added by hand for systems without one."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", _("Account")
        MEMBERSHIP = "membership", _("Group or role membership")

    class Decision(models.TextChoices):
        REVOKE = "revoke", _("Revoke")
        TRANSFER = "transfer", _("Transfer to the successor")
        KEEP = "keep", _("Keep")

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        REMOVED = "removed", _("Removed")
        DELETED = "deleted", _("Deleted")
        KEPT = "kept", _("Kept")

    handover = models.ForeignKey(
        "cms.Handover",
        verbose_name=_("handover"),
        on_delete=models.CASCADE,
        related_name="access_grants",
    )
    connector = models.ForeignKey(
        ConnectorConfig,
        verbose_name=_("connector"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_grants",
    )
    item = models.OneToOneField(
        "cms.Item",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="access_grant",
    )
    system = models.CharField(_("system"), max_length=255)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    account_id = models.CharField(_("account"), max_length=512)
    account_label = models.CharField(max_length=255, blank=True)
    group_id = models.CharField(_("group or role"), max_length=512, blank=True)
    group_label = models.CharField(max_length=255, blank=True)
    sole_owner = models.BooleanField(
        _("only member"),
        default=False,
        help_text=_("Nobody else is in this group: transfer it, or it is orphaned."),
    )
    decision = models.CharField(
        _("decision"), max_length=16, choices=Decision.choices, blank=True
    )
    keep_reason = models.TextField(_("reason to keep"), blank=True)
    keep_until = models.DateField(_("keep until"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.ACTIVE
    )
    instructions = models.TextField(
        _("instructions for IT"),
        blank=True,
        help_text=_("For systems without a connector: exactly what IT must do."),
    )
    discovered_at = models.DateTimeField(_("discovered"), auto_now_add=True)
    refreshed_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended"), null=True, blank=True)

    class Meta:
        ordering = ["system", "kind", "group_label", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["handover", "connector", "account_id", "group_id"],
                name="unique_access_grant",
            )
        ]
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")

    def __str__(self):
        if self.kind == self.Kind.ACCOUNT:
            return f"{self.system}: {self.account_label or self.account_id}"
        return f"{self.system}: {self.group_label or self.group_id}"


class AccessAction(UpstreamChange):
    """One change to one system, planned from a confirmed decision, run at its
    time, then read back. Manual ones are IT tasks closed with a signature."""

    class Operation(models.TextChoices):
        SUSPEND = "suspend_account", _("Suspend the account")
        RESTORE = "restore_account", _("Restore the account")
        DELETE = "delete_account", _("Delete the account")
        REMOVE_MEMBER = "remove_member", _("Remove from the group")
        ADD_MEMBER = "add_member", _("Add the successor to the group")
        MANUAL = "manual", _("By hand (no connector)")

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        RUNNING = "running", _("Running")
        VERIFIED = "verified", _("Done and verified")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    grant = models.ForeignKey(
        AccessGrant,
        verbose_name=_("access"),
        on_delete=models.CASCADE,
        related_name="actions",
    )
    handover = models.ForeignKey(
        "cms.Handover",
        verbose_name=_("handover"),
        on_delete=models.CASCADE,
        related_name="access_actions",
    )
    connector = models.ForeignKey(
        ConnectorConfig,
        verbose_name=_("connector"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_actions",
    )
    operation = models.CharField(
        _("operation"), max_length=24, choices=Operation.choices
    )
    description = models.TextField(_("what it changes"))
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("successor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scheduled_for = models.DateTimeField(_("scheduled for"))
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PLANNED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(UpstreamChange.Meta):
        ordering = ["scheduled_for", "pk"]
        indexes = [models.Index(fields=["state", "scheduled_for"])]
        verbose_name = _("access change")
        verbose_name_plural = _("access changes")

    def __str__(self):
        return self.description


class ResidualAccess(models.Model):
    """An account of a former employee still active upstream after departure."""

    grant = models.ForeignKey(
        AccessGrant,
        verbose_name=_("access"),
        on_delete=models.CASCADE,
        related_name="residual_findings",
    )
    checked_at = models.DateTimeField(_("checked"))
    days_after = models.IntegerField(_("days after the last working day"))
    active = models.BooleanField(_("still active"))
    groups = models.JSONField(_("groups"), default=list, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = ["-checked_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["grant", "days_after"], name="unique_residual_check"
            )
        ]
        verbose_name = _("residual access")
        verbose_name_plural = _("residual access")

    def __str__(self):
        return f"{self.grant} (+{self.days_after} d)"


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
