"""WeCom: an application message (应用消息) of type textcard
(``/cgi-bin/message/send``) from the app whose agent id the WeCom connector
names, with that app's secret when it is not the customer contact one."""

from __future__ import annotations

from html import escape

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..sdk.base import MisconfiguredError
from .channel import MessengerChannel

__all__ = ["WeComChannel", "textcard"]

# WeCom's limits, in bytes (UTF-8) for the title and description.
TITLE_BYTES, DESCRIPTION_BYTES, BUTTON_CHARS = 128, 512, 4


def _cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` UTF-8 bytes, "…" where it was cut."""
    if len(text.encode()) <= limit:
        return text
    cut = text.encode()[: limit - len("…".encode())].decode(errors="ignore")
    return cut + "…"


def _description(lines) -> str:
    """The lines as the textcard's description (its <div> markup allowed):
    whole lines while they fit in 512 bytes, then how many more there are."""
    shown, used = [], 0
    for index, line in enumerate(lines):
        block = f'<div class="normal">{escape(line)}</div>'
        if used + len(block.encode()) > DESCRIPTION_BYTES:
            more = f'<div class="gray">+{len(lines) - index}</div>'
            if not shown:
                shown.append(_cut(escape(line), DESCRIPTION_BYTES))
            elif used + len(more.encode()) <= DESCRIPTION_BYTES:
                shown.append(more)
            break
        shown.append(block)
        used += len(block.encode())
    return "".join(shown)


def textcard(subject: str, lines, link: str, link_label: str) -> dict:
    card = {
        "title": _cut(subject, TITLE_BYTES),
        "description": _description(list(lines)),
        "url": link,
    }
    if link_label and len(link_label) <= BUTTON_CHARS:
        card["btntxt"] = link_label
    return card


class WeComChannel(MessengerChannel):
    key = "wecom"
    label = _("WeCom")
    system = _("WeCom")
    type_slug = "wecom"

    def client_secrets(self, config) -> dict:
        secrets = config.get_secrets()
        # The notifying app's own secret, when it has one.
        return {"secret": secrets.get("message_secret") or secrets.get("secret")}

    def deliver(self, client, config, address, message) -> str:
        agent = str(config.settings.get("agent_id") or "").strip()
        if not agent.isdigit():
            raise MisconfiguredError(
                gettext(
                    "The WeCom connector needs the agent ID of the app to send "
                    "notifications."
                )
            )
        body = {
            "touser": address,
            "msgtype": "textcard",
            "agentid": int(agent),
            "textcard": textcard(
                message.subject, message.lines, message.link, message.link_label
            ),
        }
        answer = client.send_app_message(body)
        invalid = str((answer or {}).get("invaliduser") or "").split("|")
        if answer is None or address in invalid:
            raise self.UnknownUser()
        return str(answer.get("msgid") or "")
