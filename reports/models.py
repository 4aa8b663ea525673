"""The company's choices about completion certificates."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

__all__ = ["CertificateSettings"]


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
