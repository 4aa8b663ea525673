"""Feishu: an interactive card from the app's bot (lark-oapi
``im.v1.message.create``), sent with the Feishu connector's token and error
table; the receiver is the user id of the kind the connector asks for."""

from __future__ import annotations

import functools
import json

from django.utils.translation import gettext_lazy as _

from ..sdk.approvals.platform import ANSWERED, Rule
from ..types.feishu.platform import ERRORS, FAILED, PERMISSION_CODES, _lark, built
from .channel import MessengerChannel

__all__ = ["FeishuChannel", "card"]

# The bot cannot reach the person: not in the app's availability, resigned.
UNREACHABLE = (230013, 230006, 230001, 99992361, 99992360)
# Refusals no retry helps with: an admin must fix the app, or the card.
NO_BOT = Rule(
    _(
        "The %(system)s app may not send messages (code %(code)s: %(message)s). "
        "Turn its bot on, grant it the permission to send messages as the app "
        "and publish a new version."
    ),
    codes=PERMISSION_CODES,
    fix=True,
)
MESSAGE_ERRORS = (
    ERRORS[0],  # a refused token: renewed once
    NO_BOT,
    ERRORS[2],  # rate limit: retried
    FAILED,
    Rule(ANSWERED, any_code=True, fix=True),
    *ERRORS[4:],  # HTTP 401/403, 5xx, not JSON
)


@functools.cache
def _im():
    from lark_oapi.api.im import v1

    return v1


def card(subject: str, lines, link: str, link_label: str) -> dict:
    """A card (message card JSON 1.0): the subject as header, one plain-text
    block per line, one button opening the link."""
    elements = [
        {"tag": "div", "text": {"tag": "plain_text", "content": line}} for line in lines
    ]
    if link:
        button = {
            "tag": "button",
            "text": {"tag": "plain_text", "content": link_label or link},
            "type": "primary",
            "url": link,
        }
        elements.append({"tag": "action", "actions": [button]})
    return {
        "config": {"wide_screen_mode": True},
        "header": {
            "title": {"tag": "plain_text", "content": subject},
            "template": "blue",
        },
        "elements": elements,
    }


class FeishuChannel(MessengerChannel):
    key = "feishu"
    label = _("Feishu")
    system = _("Feishu")
    type_slug = "feishu"

    def deliver(self, client, config, address, message) -> str:
        content = card(message.subject, message.lines, message.link, message.link_label)
        body = built(
            _im().CreateMessageRequestBody,
            receive_id=address,
            msg_type="interactive",
            content=json.dumps(content, ensure_ascii=False),
            # Feishu posts at most one message per uuid within an hour: a
            # retry of the same message returns the card already sent.
            uuid=self.dedupe_id(message) or None,
        )
        request = built(
            _im().CreateMessageRequest,
            receive_id_type=client._id_type(),
            request_body=body,
        )
        data = self._call(client, request)
        return str((data or {}).get("message_id") or "")

    def _call(self, client, request) -> dict:
        lark = _lark().lark

        def attempt(token):
            option = lark.RequestOption.builder().tenant_access_token(token)
            headers = {"Content-Type": "application/json; charset=utf-8"}
            raw, answer = client._send(request, option.headers(headers).build())
            if answer.code == 0:
                return answer.data
            if answer.code in UNREACHABLE:
                raise self.UnknownUser()
            raise client._failure(raw, answer, MESSAGE_ERRORS)

        return client.with_token(attempt)
