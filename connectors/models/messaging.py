"""Who a person is in a messenger: found once from their e-mail, kept so a
notification does not cost a directory lookup each time."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["MessagingAddress"]


class MessagingAddress(models.Model):
    """A person's user id in the messenger a connector sends through."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="messaging_addresses",
    )
    connector = models.ForeignKey(
        "connectors.ConnectorConfig",
        on_delete=models.CASCADE,
        related_name="messaging_addresses",
    )
    # The channel key (feishu, dingtalk, wecom), for the delivery log and admin.
    channel = models.CharField(_("channel"), max_length=32)
    address = models.CharField(_("user id"), max_length=255)
    # The e-mail it was found from: a changed e-mail looks the person up again.
    email = models.EmailField(_("e-mail"), max_length=254)
    found_at = models.DateTimeField(_("found at"), auto_now=True)

    class Meta:
        verbose_name = _("messaging address")
        verbose_name_plural = _("messaging addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "connector"], name="messaging_address_per_connector"
            )
        ]

    def __str__(self):
        return f"{self.channel}:{self.address}"
