"""A handover's items — one per template block, or per record a connector
brought — with their versions, questions and answers, and attachments."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .handovers import Handover, ParticipantRole, _attachment_path, _private_storage

__all__ = ["Attachment", "Comment", "Item", "ItemVersion"]


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
