"""The company's choices about completion certificates, and the log of
requests people make about their own data."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

__all__ = ["CertificateSettings", "ErasureRequest", "SubjectExport"]


@register_setting(icon="doc-full")
class CertificateSettings(BaseGenericSetting):
    """One company-wide choice: a certificate is shown to auditors, banks and
    the next employer as well as to the leaver, so whether it carries English
    next to Chinese is the company's call, not each leaver's."""

    bilingual = models.BooleanField(
        _("bilingual certificates"),
        default=False,
        help_text=_(
            "Print every certificate in Simplified Chinese and English: the "
            "leaver's language first, the other next to it."
        ),
    )

    class Meta:
        verbose_name = _("Certificate settings")


class SubjectExport(models.Model):
    """One export of everything Baton holds about a person (PIPL Art. 45):
    who exported it, when, and what the file was. The file itself is handed
    over and never kept."""

    employee = models.ForeignKey(
        "cms.Employee",
        verbose_name=_("employee"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("exported by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    exported_at = models.DateTimeField(_("exported at"), auto_now_add=True)
    handover_count = models.PositiveIntegerField(_("handovers"), default=0)
    file_count = models.PositiveIntegerField(_("files"), default=0)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)

    class Meta:
        ordering = ["-exported_at", "-pk"]
        verbose_name = _("personal data export")
        verbose_name_plural = _("personal data exports")

    def __str__(self):
        return f"#{self.pk}"


class ErasureRequest(models.Model):
    """A person asks for their data to be erased (PIPL Art. 47): recorded as
    received, reviewed by an HR admin against what the retention rules say
    must be kept, then carried out or refused with a reason."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        CARRIED_OUT = "carried_out", _("Carried out")

    class Channel(models.TextChoices):
        EMAIL = "email", _("By email")
        LETTER = "letter", _("By letter")
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("By phone")
        OTHER = "other", _("Other")

    employee = models.ForeignKey(
        "cms.Employee",
        verbose_name=_("employee"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received at"))
    received_via = models.CharField(
        _("received via"), max_length=16, choices=Channel.choices
    )
    requested_by = models.CharField(
        _("requested by"),
        max_length=255,
        help_text=_("Who asked: the person, or someone acting for them."),
    )
    request_text = models.TextField(_("what was asked"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    carried_out_at = models.DateTimeField(_("carried out at"), null=True, blank=True)
    # {"erased": {data class: rows}, "kept": {data class: reason}}
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["status", "received_at"])]
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")

    def __str__(self):
        return f"#{self.pk}"
