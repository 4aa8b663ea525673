"""DingTalk: a work notification (工作通知) from the app, as an action card
(``topapi/message/corpconversation/asyncsend_v2``) with the connector's
token; people are found as the DingTalk connector finds them (by name,
confirmed by e-mail)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..sdk.approvals.platform import ANSWERED, LIMITED, Rule
from ..sdk.base import MisconfiguredError
from ..sdk.payloads import Payload, Text
from ..types.dingtalk.platform import OAPI_ERRORS
from .channel import MessengerChannel

__all__ = ["DingTalkChannel", "action_card"]

SEND = "/topapi/message/corpconversation/asyncsend_v2"
# -1: busy; 90002, 90018: calls or messages over the limit; 88: a flaky token.
BUSY = (-1, 90002, 90018)
UNKNOWN_USER = (60121, 60111, 33012, 40103)
MESSAGE_ERRORS = (
    OAPI_ERRORS[0],  # a refused token: renewed once
    Rule(LIMITED, codes=BUSY),
    Rule(ANSWERED, any_code=True, fix=True),
)


class _Sent(Payload):
    errcode: object = 0
    errmsg: Text = ""
    task_id: Text = ""
    request_id: Text = ""


def _escape(text: str) -> str:
    """Markdown as plain text: DingTalk's markdown marks escaped."""
    for mark in ("\\", "*", "_", "#", "[", "]", "`", ">"):
        text = text.replace(mark, "\\" + mark)
    return text


def action_card(subject: str, lines, link: str, link_label: str) -> dict:
    markdown = "\n\n".join([f"### {_escape(subject)}", *map(_escape, lines)])
    card = {"title": subject, "markdown": markdown}
    if link:
        card.update(single_title=link_label or link, single_url=link)
    return {"msgtype": "action_card", "action_card": card}


class DingTalkChannel(MessengerChannel):
    key = "dingtalk"
    label = _("DingTalk")
    system = _("DingTalk")
    type_slug = "dingtalk"

    def deliver(self, client, config, address, message) -> str:
        agent = str(config.settings.get("agent_id") or "").strip()
        if not agent.isdigit():
            raise MisconfiguredError(
                gettext(
                    "The DingTalk connector needs the agent ID of the app to send "
                    "notifications."
                )
            )
        payload = {
            "agent_id": int(agent),
            "userid_list": address,
            "msg": action_card(
                message.subject, message.lines, message.link, message.link_label
            ),
        }

        def attempt(token):
            response = client.http.send(
                "POST",
                client.oapi_url + SEND,
                params={"access_token": token},
                json=payload,
            )
            client.http.check(
                response,
                refused=gettext("DingTalk refused the access token (HTTP %(status)s).")
                % {"status": response.status_code},
            )
            body = client.http.json_of(response, system=client.system)
            sent = _Sent.model_validate(body if isinstance(body, dict) else {})
            if sent.errcode in (0, None, "0"):
                return sent.task_id
            if sent.errcode in UNKNOWN_USER:
                raise self.UnknownUser()
            raise client.failure(
                MESSAGE_ERRORS,
                code=sent.errcode,
                request_id=sent.request_id or None,
                message=sent.errmsg,
            )

        return client.with_token(attempt)
