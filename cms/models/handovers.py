"""The handover domain: a departing employee's instance of a template revision,
its participants and the certificate that closes it. Its items (``items``),
signatures (``signatures``) and audit trail (``audit``) have modules of their
own."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import models
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

__all__ = [
    "Certificate",
    "Handover",
    "HandoverGroupObjectPermission",
    "HandoverUserObjectPermission",
    "Participant",
    "ParticipantRole",
    "private_storage",
]


class _PrivateStorage(LazyObject):
    """Files that must never have a public URL (attachments, certificates):
    they are served only through permission-checked views."""

    def _setup(self):
        # S3 (config/settings_parts/storage.py) names a "private" storage;
        # on disk the files live under MEDIA_ROOT/private.
        if "private" in settings.STORAGES:
            self._wrapped = storages["private"]
            return
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


# Named by migration 0002 (``cms.models.handovers._attachment_path``): it
# stays here, beside the private storage the migrations also name.
def _attachment_path(instance, filename):
    return f"handovers/{instance.item.handover_id}/items/{instance.item_id}/{filename}"


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
    # Set when the PDF (which names people) was deleted under a retention
    # policy: code and hashes stay, so /verify/<code>/ still answers.
    pdf_erased_at = models.DateTimeField(null=True, blank=True)
    pdf_erased_policy = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self):
        return self.code
