"""Writes about notifications: what a person chose to receive."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ..errors import InvalidInput
from ..models import NotificationPreference
from ..notifications.channels import channels

__all__ = ["notification_channels_offered", "notification_preference_save"]


def notification_channels_offered() -> dict:
    """The channels a person may choose: those that can send now."""
    return {key: channel for key, channel in channels().items() if channel.available()}


def notification_preference_save(
    *, actor, channel: str, daily_digest: bool
) -> NotificationPreference:
    """Save the actor's own choice: their channel ("" for the company default)
    and whether they get the daily digest. Only their own: there is no way to
    name somebody else."""
    if channel and channel not in notification_channels_offered():
        raise InvalidInput(
            _("This channel cannot be chosen now."),
            fields={"channel": [_("Choose one of the channels offered.")]},
        )
    with transaction.atomic():
        preference, _created = NotificationPreference.objects.update_or_create(
            user=actor, defaults={"channel": channel, "daily_digest": daily_digest}
        )
    return preference
