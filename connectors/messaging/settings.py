"""The settings a connector type adds to send notifications: one flag, and
what the vendor needs besides (an agent id, the app's own secret)."""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ..sdk.common import flag_setting, optional

__all__ = ["SEND", "messaging_settings"]

SEND = "send_notifications"


def messaging_settings(system, *, agent: bool = False, secret: bool = False):
    """``send_notifications``; ``agent_id`` (DingTalk, WeCom) and
    ``message_secret`` (WeCom: the secret of the app that sends) when asked."""
    found = []
    if agent:
        found.append(
            optional(
                "agent_id",
                _("Agent ID for notifications"),
                format_lazy(
                    _("The AgentId of the {system} app that sends notifications."),
                    system=system,
                ),
            )
        )
    if secret:
        found.append(
            optional(
                "message_secret",
                _("Secret of the notifying app"),
                _(
                    "The secret of that app when it is not the app above; "
                    "empty: the secret above."
                ),
                secret=True,
            )
        )
    return (
        flag_setting(
            SEND,
            _("Send notifications"),
            format_lazy(
                _(
                    "Baton notifies people in {system} (those who chose it, or "
                    "everyone when it is the company default)."
                ),
                system=system,
            ),
        ),
        *found,
    )
