"""Writes about notifications: what a person chose to receive."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ..errors import InvalidInput
from ..models import NotificationPreference
from ..notifications.channels import channels
from ..notifications.events import EVENT_KINDS

__all__ = ["notification_channels_offered", "notification_preference_save"]


def notification_channels_offered() -> dict:
    """The channels a person may choose: those that can send now."""
    return {key: channel for key, channel in channels().items() if channel.available()}


def _muted_kinds_clean(muted_kinds) -> list[str]:
    """The kinds as stored: known keys only, sorted, each once. A single
    string is refused rather than read as a list of letters."""
    if isinstance(muted_kinds, str | bytes) or not hasattr(muted_kinds, "__iter__"):
        raise InvalidInput(
            fields={"muted_kinds": [_("Give the kinds to turn off as a list.")]}
        )
    kinds = list(muted_kinds)
    unknown = [
        kind for kind in kinds if not isinstance(kind, str) or kind not in EVENT_KINDS
    ]
    if unknown:
        raise InvalidInput(
            _("Some kinds of messages do not exist."),
            fields={
                "muted_kinds": [
                    _("There is no kind of message called “%(kind)s”.") % {"kind": kind}
                    for kind in dict.fromkeys(map(str, unknown))
                ]
            },
        )
    return sorted(set(kinds))


def notification_preference_save(
    *, actor, channel: str, daily_digest: bool, muted_kinds=None
) -> NotificationPreference:
    """Save the actor's own choice: their channel ("" for the company default),
    whether they get the daily digest and which kinds of events
    (``EVENT_KINDS``) they turned off; ``muted_kinds=None`` leaves the kinds
    as they were. Only their own: there is no way to name somebody else."""
    if channel and channel not in notification_channels_offered():
        raise InvalidInput(
            _("This channel cannot be chosen now."),
            fields={"channel": [_("Choose one of the channels offered.")]},
        )
    defaults = {"channel": channel, "daily_digest": daily_digest}
    if muted_kinds is not None:
        defaults["muted_kinds"] = _muted_kinds_clean(muted_kinds)
    with transaction.atomic():
        preference, _created = NotificationPreference.objects.update_or_create(
            user=actor, defaults=defaults
        )
    return preference
