"""WeCom: an application message (应用消息) of type textcard
(``/cgi-bin/message/send``) from the app whose agent id the WeCom connector
names, with that app's secret when it is not the customer contact one."""

from __future__ import annotations

from html import escape

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.notifications.channels import ChannelError

from ..sdk.base import MisconfiguredError
from .channel import MessengerChannel

__all__ = ["WeComChannel", "textcard"]

# WeCom's limits, in bytes (UTF-8) for the title and description.
TITLE_BYTES, DESCRIPTION_BYTES, BUTTON_CHARS = 128, 512, 4
# WeCom's duplicate check (message/send): the same request again within this
# many seconds (its default, half an hour) reaches nobody a second time.
DUPLICATE_CHECK_SECONDS = 1800


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
        if message.key:
            # WeCom dedupes on the request itself (no id of ours): a retry of
            # the same message within the interval is not delivered again.
            body.update(
                enable_duplicate_check=1,
                duplicate_check_interval=DUPLICATE_CHECK_SECONDS,
            )
        answer = client.send_app_message(body)
        # errcode 0 may still leave the person out: an unknown user ID
        # (``invaliduser``), or a member without an API licence
        # (``unlicenseduser``); the answer lists them, "|"-separated.
        if answer is None or address in _listed(answer, "invaliduser"):
            raise self.UnknownUser()
        if address in _listed(answer, "unlicenseduser"):
            raise ChannelError(
                gettext(
                    "WeCom did not deliver the message: this member has no WeCom "
                    "API licence (ask the WeCom admin to assign one)."
                ),
                retryable=False,
            )
        return str(answer.get("msgid") or "")


def _listed(answer: dict, field: str) -> list[str]:
    value = answer.get(field) or ""
    if isinstance(value, list):
        return [str(entry) for entry in value]
    return str(value).split("|")
