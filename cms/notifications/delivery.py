"""Sending one rendered message to one person: the channel they chose (else
the company default, else e-mail), e-mail instead when that channel cannot
reach them, and a ``Delivery`` row for every attempt."""

import logging

from django.utils.translation import gettext as _
from django.utils.translation import override

from ..models import Delivery, NotificationPreference, NotificationSettings
from .channels import EMAIL, ChannelError, Message, channels

logger = logging.getLogger(__name__)

__all__ = [
    "Outcome",
    "channel_for",
    "company_settings",
    "deliver",
    "preferences_for",
]


def company_settings() -> NotificationSettings:
    return NotificationSettings.load()


def preferences_for(user_ids) -> dict[int, NotificationPreference]:
    """Each person's preference, where they saved one: one query."""
    return {
        preference.user_id: preference
        for preference in NotificationPreference.objects.filter(
            user_id__in=list(user_ids)
        )
    }


def channel_for(preference, default_channel: str) -> str:
    """The key of the channel a person is told through."""
    return (preference.channel if preference else "") or default_channel or EMAIL


class Outcome:
    """What became of one message: the delivery rows (unsaved) and whether
    the last attempt failed in a way worth retrying."""

    def __init__(self):
        self.deliveries: list[Delivery] = []
        self.sent = False
        self.retryable_error: ChannelError | None = None

    def log(self, message, *, channel, state, handover_id, error="", upstream=""):
        self.deliveries.append(
            Delivery(
                recipient=message.user,
                handover_id=handover_id,
                channel=channel,
                state=state,
                subject=message.subject[:255],
                error=str(error),
                upstream_id=upstream or "",
            )
        )


def _try(channel, message):
    """(upstream id, None) when sent, else (None, the ChannelError)."""
    try:
        return channel.send(message) or "", None
    except ChannelError as err:
        return None, err


def deliver(message: Message, *, channel_key: str, handover_id=None) -> Outcome:
    """Send ``message`` through ``channel_key``, or by e-mail instead when that
    channel is unknown, not set up, or refuses; the rows to save say which.
    Nothing raises: a failure is in the outcome."""
    outcome = Outcome()
    found = channels()
    channel = found.get(channel_key)
    reason = ""
    with override(message.language):
        if channel_key != EMAIL:
            if channel is None or not channel.available():
                reason = _("The channel “%(channel)s” is not set up.") % {
                    "channel": str(channel.label) if channel else channel_key
                }
            else:
                upstream, error = _try(channel, message)
                if error is None:
                    outcome.sent = True
                    outcome.log(
                        message,
                        channel=channel_key,
                        state=Delivery.State.SENT,
                        handover_id=handover_id,
                        upstream=upstream,
                    )
                    return outcome
                reason = str(error.message)
                outcome.log(
                    message,
                    channel=channel_key,
                    state=Delivery.State.FAILED,
                    handover_id=handover_id,
                    error=reason,
                )
            logger.warning(
                "Notification to user %s by %s failed, e-mail instead: %s",
                message.user.pk,
                channel_key,
                reason,
            )
        upstream, error = _try(found[EMAIL], message)
    if error is None:
        outcome.sent = True
        outcome.log(
            message,
            channel=EMAIL,
            state=Delivery.State.FALLBACK if reason else Delivery.State.SENT,
            handover_id=handover_id,
            error=reason,
            upstream=upstream,
        )
        return outcome
    logger.warning("E-mail to user %s failed: %s", message.user.pk, error)
    outcome.log(
        message,
        channel=EMAIL,
        state=Delivery.State.FAILED,
        handover_id=handover_id,
        error=error.message,
    )
    if error.retryable:
        outcome.retryable_error = error
    return outcome
