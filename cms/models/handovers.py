"""The handover domain: a departing employee's instance of a template revision."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

__all__ = [
    "Attachment",
    "AuditEvent",
    "Certificate",
    "Comment",
    "Handover",
    "HandoverGroupObjectPermission",
    "HandoverUserObjectPermission",
    "Item",
    "ItemVersion",
    "Participant",
    "ParticipantRole",
    "Signature",
    "private_storage",
]


class _PrivateStorage(LazyObject):
    """Files that must never have a public URL (attachments, certificates):
    they are served only through permission-checked views."""

    def _setup(self):
        self._wrapped = FileSystemStorage(
            location=settings.MEDIA_ROOT / "private", base_url=None
        )


private_storage = _PrivateStorage()


def _private_storage():
    return private_storage


class ParticipantRole(models.TextChoices):
    LEAVER = "leaver", _("Departing employee")
    SUCCESSOR = "successor", _("Successor")
    MANAGER = "manager", _("Manager")
    HR = "hr", _("HR")
    IT = "it", _("IT / asset admin")


class Handover(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_PROGRESS = "in_progress", _("In progress")
        IN_REVIEW = "in_review", _("In review")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATES = frozenset({State.DRAFT, State.IN_PROGRESS, State.IN_REVIEW})

    number = models.CharField(_("number"), max_length=32, unique=True)
    employee = models.ForeignKey(
        "cms.Employee",
        verbose_name=_("employee"),
        on_delete=models.PROTECT,
        related_name="handovers",
    )
    template = models.ForeignKey(
        "cms.ChecklistTemplatePage",
        verbose_name=_("template"),
        on_delete=models.PROTECT,
        related_name="handovers",
    )
    template_revision = models.ForeignKey(
        "wagtailcore.Revision",
        verbose_name=_("template revision"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    language = models.CharField(_("language"), max_length=16, default="en")
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.DRAFT
    )
    resignation_date = models.DateField(_("resignation date"), null=True, blank=True)
    last_working_day = models.DateField(_("last working day"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    review_started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        permissions = [
            ("fill_handover", "Can fill items of the handover"),
            ("confirm_handover", "Can confirm items of the handover"),
            ("review_handover", "Can review and approve the handover"),
            ("manage_handover", "Can manage the handover and its participants"),
        ]
        indexes = [models.Index(fields=["state", "last_working_day"])]

    def __str__(self):
        return f"{self.number} · {self.employee.name}"

    @property
    def is_open(self):
        return self.state in self.OPEN_STATES


class HandoverUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Handover, on_delete=models.CASCADE)


class HandoverGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Handover, on_delete=models.CASCADE)


class Participant(models.Model):
    handover = models.ForeignKey(
        Handover, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="handover_participations",
    )
    role = models.CharField(_("role"), max_length=16, choices=ParticipantRole.choices)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["handover", "user", "role"], name="unique_participant_role"
            )
        ]
        indexes = [models.Index(fields=["user", "role"])]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class Item(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("To fill")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        ACCEPTED = "accepted", _("Accepted")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")

    DONE_STATES = frozenset({State.ACCEPTED, State.NOT_APPLICABLE})

    handover = models.ForeignKey(
        Handover, on_delete=models.CASCADE, related_name="items"
    )
    block_id = models.CharField(max_length=64)
    section_block_id = models.CharField(max_length=64, blank=True)
    section_title = models.CharField(max_length=255, blank=True)
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=32)
    label = models.CharField(_("label"), max_length=255)
    definition = models.JSONField(
        default=dict, help_text="Snapshot of the block as the template revision had it."
    )
    data = models.JSONField(default=dict, blank=True)
    provenance = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    required = models.BooleanField(default=True)
    filled_by_role = models.CharField(max_length=16, choices=ParticipantRole.choices)
    confirmed_by_role = models.CharField(max_length=16, choices=ParticipantRole.choices)
    evidence = models.CharField(max_length=16, default="none")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("successor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_items",
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    not_applicable_reason = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Items filled by a connector share their block's position: ids keep
        # them in the order they arrived. By the column "handover_id", not the
        # relation, which would join the handovers to sort by their date.
        ordering = ["handover_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["handover", "block_id"], name="unique_item_per_block"
            )
        ]
        indexes = [
            models.Index(fields=["handover", "position"]),
            models.Index(fields=["assignee", "state"]),
            models.Index(fields=["state", "due_date"]),
            # Reports and dashboard (reports.figures): the items still open,
            # read from the index alone.
            models.Index(
                fields=[
                    "handover",
                    "state",
                    "assignee",
                    "due_date",
                    "filled_by_role",
                    "confirmed_by_role",
                ],
                condition=models.Q(state__in=["pending", "returned", "submitted"]),
                name="cms_item_open_idx",
            ),
            # Reports (reports.figures.questions): the block of each returned
            # or questioned item without reading the wide item rows. Its
            # columns never change: it adds an entry per insert and per update
            # the other indexes already keep from being HOT, and no more.
            models.Index(
                fields=["id"],
                include=["handover", "block_id"],
                name="cms_item_block_idx",
            ),
        ]
        verbose_name = _("item")
        verbose_name_plural = _("items")

    def __str__(self):
        return self.label

    @property
    def is_done(self):
        return self.state in self.DONE_STATES

    @property
    def condition(self):
        condition = self.definition.get("condition") or {}
        return condition if condition.get("field_key") else None

    @property
    def field_key(self):
        return self.definition.get("key") if self.kind == "field" else None

    # An item list loads these three relations for all its items at once
    # (``selectors.handover_items``: prefetches into plain lists, which cost a
    # fraction of Django's per-item querysets); an item read alone queries.
    @property
    def attachment_list(self) -> list:
        return self._related_list("attachments")

    @property
    def comment_list(self) -> list:
        return self._related_list("comments")

    @property
    def signature_list(self) -> list:
        return self._related_list("signatures")

    def _related_list(self, name: str) -> list:
        loaded = self.__dict__.get(f"loaded_{name}")
        if loaded is None:
            loaded = list(getattr(self, name).all())
        return loaded


class ItemVersion(models.Model):
    """Who changed which field from what to what, when."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=32)
    changes = models.JSONField(default=dict)
    state = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "number"], name="unique_item_version"
            )
        ]

    def __str__(self):
        return f"{self.item} v{self.number}"


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


class Comment(models.Model):
    """Questions and answers on an item."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    question = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="answers",
        help_text="Set on answers: the question they answer.",
    )
    body = models.TextField(_("text"))
    is_question = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.body[:60]

    @property
    def is_open_question(self):
        return self.is_question and self.resolved_at is None


def _attachment_path(instance, filename):
    return f"handovers/{instance.item.handover_id}/items/{instance.item_id}/{filename}"


class Attachment(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=_private_storage, upload_to=_attachment_path)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.filename


class AuditEvent(models.Model):
    """Append-only and hash-chained per handover. On PostgreSQL a trigger refuses
    UPDATE and DELETE; ``manage.py verify_audit`` re-computes the chains."""

    handover = models.ForeignKey(
        Handover, on_delete=models.PROTECT, related_name="audit_events"
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

    class Meta:
        ordering = ["handover", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["handover", "sequence"], name="unique_audit_sequence"
            )
        ]

    def __str__(self):
        return f"{self.handover_id}#{self.sequence} {self.action}"


class Certificate(models.Model):
    handover = models.OneToOneField(
        Handover, on_delete=models.PROTECT, related_name="certificate"
    )
    code = models.CharField(max_length=20, unique=True)
    language = models.CharField(max_length=16)
    pdf = models.FileField(storage=_private_storage, upload_to="certificates/")
    pdf_sha256 = models.CharField(max_length=64)
    root_hash = models.CharField(max_length=64)
    issued_at = models.DateTimeField()

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self):
        return self.code
