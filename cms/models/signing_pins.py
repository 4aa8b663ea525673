"""The signing PIN: what a person who signs in with a company account types
to sign (cms.auth.sso.pins), stored hashed with Django's password hasher."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["SigningPin"]


class SigningPin(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signing_pin"
    )
    pin_hash = models.CharField(max_length=256)
    set_at = models.DateTimeField()

    class Meta:
        verbose_name = _("signing PIN")
        verbose_name_plural = _("signing PINs")

    def __str__(self):
        return str(self.user)
