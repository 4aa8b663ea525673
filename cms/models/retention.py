"""Data retention: one policy per data class (how long Baton keeps it, from
which event), legal holds that stop every purge for an employee or a handover,
the nightly runs, and which handovers each class was already erased for.

The data classes themselves (``DataClass``) and the erasure of each belong to
``cms.services.erasure``; the policies here name a class by its value."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["LegalHold", "RetentionErasure", "RetentionPolicy", "RetentionRun"]


class RetentionPolicy(models.Model):
    """How long one data class is kept. The legal minimums live in code
    (``cms.services.retention.rules``), so no edit can go below them."""

    class CountedFrom(models.TextChoices):
        HANDOVER_COMPLETED = "handover_completed", _("Handover completed")
        EMPLOYMENT_ENDED = "employment_ended", _("Employment ended")

    class Action(models.TextChoices):
        PURGE = "purge", _("Purge")
        ANONYMISE = "anonymise", _("Anonymise")

    data_class = models.CharField(_("data class"), max_length=32, unique=True)
    period_months = models.PositiveIntegerField(_("period (months)"))
    counted_from = models.CharField(
        _("counted from"), max_length=32, choices=CountedFrom.choices
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")

    def __str__(self):
        return self.data_class_label

    @property
    def data_class_label(self) -> str:
        from cms.services.retention.rules import data_class_label

        return str(data_class_label(self.data_class))

    def describe(self) -> str:
        """The policy as recorded with each erasure: no personal data."""
        return (
            f"{self.data_class}: {self.period_months} months from "
            f"{self.counted_from}, {self.action} (policy #{self.pk})"
        )


class LegalHoldQuerySet(models.QuerySet):
    def active(self):
        return self.filter(released_at__isnull=True)


class LegalHold(models.Model):
    """While active, nothing of the employee's handovers (or of the one
    handover) is purged, whatever the policies say."""

    employee = models.ForeignKey(
        "cms.Employee",
        verbose_name=_("employee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="legal_holds",
    )
    handover = models.ForeignKey(
        "cms.Handover",
        verbose_name=_("handover"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="legal_holds",
    )
    reason = models.TextField(_("reason"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    placed_at = models.DateTimeField(_("placed at"))
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("released by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_reason = models.TextField(_("reason for release"), blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        constraints = [
            models.CheckConstraint(
                condition=Q(employee__isnull=False, handover__isnull=True)
                | Q(employee__isnull=True, handover__isnull=False),
                name="legal_hold_one_subject",
            )
        ]
        indexes = [models.Index(fields=["released_at"])]

    def __str__(self):
        return f"#{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None


class RetentionRun(models.Model):
    """One pass of the purge (or of its dry run): per class, how many
    handovers and rows, under which policy, and what failed."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        FINISHED_WITH_ERRORS = "finished_with_errors", _("Finished with errors")

    dry_run = models.BooleanField(_("dry run"))
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.RUNNING
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # {class: {"handovers", "rows", "batches", "oldest", "policy"}}
    counts = models.JSONField(_("counts"), default=dict)
    errors = models.JSONField(_("errors"), default=list)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")

    def __str__(self):
        return f"#{self.pk}"


class RetentionErasure(models.Model):
    """That one class of one handover was erased: the next runs skip it, so a
    nightly run touches only what became due since (and a run stopped half way
    resumes where it stopped)."""

    handover = models.ForeignKey(
        "cms.Handover", on_delete=models.PROTECT, related_name="retention_erasures"
    )
    data_class = models.CharField(max_length=32)
    erased_at = models.DateTimeField()
    rows = models.PositiveIntegerField(default=0)
    run = models.ForeignKey(
        RetentionRun, null=True, on_delete=models.SET_NULL, related_name="erasures"
    )

    class Meta:
        verbose_name = _("retention erasure")
        verbose_name_plural = _("retention erasures")
        constraints = [
            models.UniqueConstraint(
                fields=["data_class", "handover"], name="unique_retention_erasure"
            )
        ]

    def __str__(self):
        return f"{self.handover_id}: {self.data_class}"
