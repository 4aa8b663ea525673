"""Where a notification goes: e-mail, or the messenger people work in
(Feishu, DingTalk, WeCom), as channels with one contract.

cms knows e-mail only. The messenger channels are the connectors app's: it
lists them in the ``baton_notification_channels`` hook (``cms.hooks``), and
``channels()`` reads them. A channel turns one rendered ``Message`` into one
send to one person; batching, language, preferences, fallback to e-mail and
the delivery log are decided before it is called, once for every channel.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.utils.translation import gettext_lazy as _

__all__ = [
    "EMAIL",
    "Channel",
    "ChannelError",
    "EmailChannel",
    "Message",
    "NoAddress",
    "channels",
]

EMAIL = "email"


@dataclass(frozen=True)
class Message:
    """One notification, rendered in the recipient's language.

    ``lines`` are the things asked (one line each, e.g. "Laptop handover:
    submitted by Wang Lei, waiting for your confirmation"); ``link`` opens the
    page in that language; ``subject`` is the title of the mail or card.

    ``key`` names what is told, the same on every attempt (e.g.
    "notify:41-43-3": those notifications): a messenger sends it as its dedupe
    id, so a retried send (huey retrying after an e-mail outage, a worker killed
    after the vendor accepted the card) posts no second card. "" for none."""

    user: Any
    language: str
    subject: str
    lines: tuple[str, ...]
    link: str
    link_label: str
    # Plain text and HTML bodies, for e-mail (messengers build their own card
    # from subject, lines and link).
    text: str = ""
    html: str = ""
    extra: dict = field(default_factory=dict)
    key: str = ""


class ChannelError(Exception):
    """The send failed; ``message`` (translated) is kept in the delivery log
    and the notification goes by e-mail instead. ``retryable``: an outage,
    not a refusal."""

    def __init__(self, message, *, retryable: bool = True):
        super().__init__(str(message))
        self.message = message
        self.retryable = retryable


class NoAddress(ChannelError):
    """The person has no account in that messenger Baton can find (no user id
    for their e-mail): e-mail goes instead, and the log says why."""

    def __init__(self, message):
        super().__init__(message, retryable=False)


class Channel:
    """A way to reach people. ``key`` is stored in preferences and the
    delivery log; ``label`` is shown (translated)."""

    key: str = ""
    label: Any = ""

    def available(self) -> bool:
        """Whether it can send now (for a messenger: a connector of its type
        is set up to send messages). Unavailable channels are not offered to
        people and fall back to e-mail."""
        return True

    def send(self, message: Message) -> str:
        """Send ``message`` to ``message.user``; return the upstream message
        id (or "" when there is none). Raise ``NoAddress`` when the person
        cannot be found there, ``ChannelError`` when the send failed."""
        raise NotImplementedError


class EmailChannel(Channel):
    """Django's mail backend: SMTP in production, the console in the demo."""

    key = EMAIL
    label = _("E-mail")

    def send(self, message: Message) -> str:
        if not message.user.email:
            raise NoAddress(_("This person has no e-mail address."))
        mail = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text or "\n".join([*message.lines, "", message.link]),
            to=[message.user.email],
        )
        if message.html:
            mail.attach_alternative(message.html, "text/html")
        try:
            mail.send()
        except (OSError, smtplib.SMTPException) as err:
            raise ChannelError(
                _("The mail server refused or failed: %(error)s") % {"error": err}
            ) from err
        return ""


def channels() -> dict[str, Channel]:
    """Every channel by key: e-mail first, then the registered messengers in
    hook order."""
    from wagtail import hooks

    from ..hooks import NOTIFICATION_CHANNELS

    found: dict[str, Channel] = {EMAIL: EmailChannel()}
    for provider in hooks.get_hooks(NOTIFICATION_CHANNELS):
        for channel in provider():
            found.setdefault(channel.key, channel)
    return found
