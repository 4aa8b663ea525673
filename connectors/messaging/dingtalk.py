"""DingTalk: a work notification (工作通知) from the app, as an action card
(``topapi/message/corpconversation/asyncsend_v2``) with the connector's
token; people are found as the DingTalk connector finds them (by name,
confirmed by e-mail).

The send is asynchronous: DingTalk accepts it with a task id and says only
later whom it could not reach. The result is read once right after
(``getsendresult``): a person listed as invalid, held back or failed gets
e-mail instead; a result not ready yet counts as sent. DingTalk's send has no
dedupe id, but DingTalk itself delivers the same content to the same person
once a day (code 143106): a retried send is held back as a repeat, which
counts as sent, the card being there already."""

from __future__ import annotations

import logging

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.notifications.channels import ChannelError

from ..sdk.approvals.platform import ANSWERED, LIMITED, Rule
from ..sdk.base import ConnectorError, MisconfiguredError
from ..sdk.payloads import Nested, NestedList, Payload, Text, TextList
from ..types.dingtalk.platform import OAPI_ERRORS
from .channel import MessengerChannel

__all__ = ["DingTalkChannel", "action_card"]

logger = logging.getLogger(__name__)

SEND = "/topapi/message/corpconversation/asyncsend_v2"
RESULT = "/topapi/message/corpconversation/getsendresult"
# -1: busy; 90002, 90018: calls or messages over the limit; 88: a flaky token.
BUSY = (-1, 90002, 90018)
UNKNOWN_USER = (60121, 60111, 33012, 40103)
MESSAGE_ERRORS = (
    OAPI_ERRORS[0],  # a refused token: renewed once
    Rule(LIMITED, codes=BUSY),
    Rule(ANSWERED, any_code=True, fix=True),
)


# Why DingTalk held a message back (``forbidden_list``): sending too fast, the
# daily limit per person; the same content twice in a day is a repeat.
TOO_FAST = ("143103", "143104", "143203", "143204")
DAILY_LIMIT = ("143105", "143205")
REPEATED = ("143106", "143206")


class _Answer(Payload):
    errcode: object = 0
    errmsg: Text = ""
    request_id: Text = ""


class _Sent(_Answer):
    task_id: Text = ""


class _Forbidden(Payload):
    code: Text = ""
    userid: Text = ""


class _Result(Payload):
    invalid_user_id_list: TextList = []
    forbidden_user_id_list: TextList = []
    failed_user_id_list: TextList = []
    forbidden_list: NestedList[_Forbidden] = []


class _Read(_Answer):
    send_result: Nested[_Result] = _Result()


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
        sent = _Sent.model_validate(self._post(client, SEND, payload))
        if sent.errcode not in (0, None, "0"):
            if sent.errcode in UNKNOWN_USER:
                raise self.UnknownUser()
            raise self._failure(client, sent)
        if sent.task_id.isdigit():
            self._check(client, int(agent), sent.task_id, address)
        return sent.task_id

    def _check(self, client, agent: int, task_id: str, address: str):
        """Read the send's result once: raise when DingTalk says it did not
        reach ``address``. The send was accepted, so a result DingTalk cannot
        give (not ready, an error) counts as sent."""
        try:
            body = self._post(
                client, RESULT, {"agent_id": agent, "task_id": int(task_id)}
            )
            read = _Read.model_validate(body)
            if read.errcode not in (0, None, "0"):
                raise self._failure(client, read)
        except ConnectorError as error:
            logger.warning(
                "Reading the result of DingTalk task %s failed, counted as sent: %s",
                task_id,
                error.message,
            )
            return
        result = read.send_result
        if address in result.invalid_user_id_list:
            raise self.UnknownUser(
                gettext(
                    "DingTalk no longer knows the user ID %(user)s: the person "
                    "may have left."
                )
                % {"user": address}
            )
        if address in result.forbidden_user_id_list:
            codes = {
                entry.code for entry in result.forbidden_list if entry.userid == address
            }
            if codes and codes <= set(REPEATED):
                return  # the same card reached them today already
            raise ChannelError(_held_back(codes), retryable=bool(codes & set(TOO_FAST)))
        if address in result.failed_user_id_list:
            raise ChannelError(
                gettext(
                    "DingTalk accepted the work notification but could not deliver it."
                )
            )

    def _post(self, client, path: str, payload: dict) -> dict:
        """The answer of one older-API call, with a token renewed once."""

        def attempt(token):
            response = client.http.send(
                "POST",
                client.oapi_url + path,
                params={"access_token": token},
                json=payload,
            )
            client.http.check(
                response,
                refused=gettext("DingTalk refused the access token (HTTP %(status)s).")
                % {"status": response.status_code},
            )
            body = client.http.json_of(response, system=client.system)
            body = body if isinstance(body, dict) else {}
            answer = _Answer.model_validate(body)
            if answer.errcode in OAPI_ERRORS[0].codes:
                raise self._failure(client, answer)  # renews the token
            return body

        return client.with_token(attempt)

    def _failure(self, client, answer: _Answer):
        return client.failure(
            MESSAGE_ERRORS,
            code=answer.errcode,
            request_id=answer.request_id or None,
            message=answer.errmsg,
        )


def _held_back(codes: set[str]) -> str:
    """Why DingTalk held the work notification back, from its codes."""
    if codes & set(DAILY_LIMIT):
        return gettext(
            "DingTalk held the work notification back: the app reached its daily "
            "limit of messages to this person."
        )
    if codes & set(TOO_FAST):
        return gettext(
            "DingTalk held the work notification back: too many messages per minute."
        )
    return gettext("DingTalk held the work notification back (code %(code)s).") % {
        "code": ", ".join(sorted(codes - set(REPEATED))) or "-"
    }
