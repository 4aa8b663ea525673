"""WeCom (企业微信) customer contact: the customers (external contacts) the
employee follows and the customer groups they own, handed to the successor by
WeCom's on-job (在职继承) or resigned (离职继承) transfer and read back; and the
leaver's own member as an access item (``access``: disabled on the last working
day, read back). People: ``userids``, the user ID itself, or the lookup by
e-mail. ``refusals``: WeCom's errcodes as people read them.

Not wechatpy: its last release (1.8.18, 2021) has neither the customer and
group transfers nor their read-back nor ``batch/get_by_user``, and renews a
refused token again and again."""

from __future__ import annotations

from dataclasses import replace

from django.utils.translation import gettext_lazy as _

from ...messaging.settings import messaging_settings
from ...sdk.base import (
    DISCOVER,
    REVOKE,
    TRANSFER,
    ConnectorError,
    Record,
    Setting,
    TransferPending,
    TransferResult,
)
from ...sdk.common import (
    TIMEOUT,
    map_setting,
    optional,
    secret_setting,
    transfer_values,
    url_setting,
)
from ...sdk.crm import contact_person
from ...sdk.http import Cursor, HttpConnector, TokenExchange, dig
from ...sdk.payloads import Nested, NestedList, Payload, Text, TextList, parse_each
from ...sdk.people import FindsPeople, match_by_setting
from .access import CONTACTS_SECRET, WeComAccess
from .refusals import UnknownMember, refusal

__all__ = ["WeComConnector"]

API_URL = "https://qyapi.weixin.qq.com"
API = "/cgi-bin/externalcontact/"
# (on-job, resigned) calls of each transfer and of its read-back.
MOVE_CUSTOMER = ("transfer_customer", "resigned/transfer_customer")
CUSTOMER_RESULT = ("transfer_result", "resigned/transfer_result")
MOVE_GROUP = ("groupchat/onjob_transfer", "groupchat/transfer")
# transfer_result: done, or waiting (the customer has 24 hours to refuse,
# read back again hourly by the write-back).
DONE, WAITING = 1, 2
WAITING_MESSAGE = _(
    "WeCom is waiting for customer “%(title)s” to accept the new owner (up to "
    "24 hours); Baton checks again every hour."
)
NOT_DONE = {
    3: _("the customer refused"),
    4: _("the successor has reached WeCom's limit of customers"),
    5: _("WeCom has no record of the transfer"),
}
MODES = (
    ("on_job", _("On-job transfer (在职继承): the leaver still works here")),
    ("resigned", _("Resigned transfer (离职继承): the leaver has left WeCom")),
)
# Record fields named as the item properties they fill.
CLIENT_FIELDS = ("customer", "contact_person", "relationship_notes")
GROUP_FIELDS = ("system", "account_id", "role_permission", "action")


def _credentials(connector) -> dict:
    return {
        "corpid": connector.option("corp_id"),
        "corpsecret": connector.secrets.get("secret"),
    }


class _Customer(Payload):
    external_userid: Text = ""
    name: Text = ""
    corp_name: Text = ""
    corp_full_name: Text = ""
    position: Text = ""


class _Follow(Payload):
    userid: Text = ""
    remark: Text = ""
    description: Text = ""
    createtime: Text = ""
    remark_corp_name: Text = ""
    remark_mobiles: TextList = []
    tag_id: TextList = []


class _Contact(Payload):
    external_contact: Nested[_Customer] = _Customer()
    follow_info: Nested[_Follow] = _Follow()


class _Group(Payload):
    chat_id: Text = ""
    name: Text = ""
    owner: Text = ""
    member_list: NestedList[dict] = []
    admin_list: NestedList[dict] = []


class _Outcome(Payload):
    """A customer or group in a list, a transfer's answer or its read-back."""

    external_userid: Text = ""
    chat_id: Text = ""
    errcode: int = 0
    errmsg: Text = ""
    status: int = 0


class WeComConnector(WeComAccess, FindsPeople, HttpConnector):
    slug = "wecom"
    label = _("WeCom customers")
    description = _(
        "Customers the employee follows in WeCom (企业微信) and the customer groups "
        "they own. Hands them to the successor by WeCom's on-job or resigned "
        "transfer, and disables the employee's WeCom member on the last working "
        "day."
    )
    capabilities = frozenset({DISCOVER, TRANSFER, REVOKE})
    # Customer groups are handed over as items, not as access memberships.
    access_group_kind = None
    default_mappings = {
        "client": {field: field for field in CLIENT_FIELDS},
        "group": {field: field for field in GROUP_FIELDS},
        "account": {
            "system": "system",
            "account_id": "userid",
            "role_permission": "position",
        },
    }
    settings = (
        Setting("corp_id", _("Corp ID"), _("My Company → Company Information.")),
        match_by_setting(),
        map_setting("userids", _("WeCom user IDs"), _("Match value → WeCom user ID.")),
        optional(
            "transfer_mode",
            _("Transfer mode"),
            _(
                "On-job while the leaver is still a WeCom member: each customer is "
                "told and may refuse within 24 hours. Resigned once the leaver has "
                "been removed from WeCom's contacts."
            ),
            default="on_job",
            choices=MODES,
        ),
        optional(
            "transfer_message",
            _("Message to customers"),
            _("What an on-job transfer tells each customer; empty: WeCom's own."),
        ),
        url_setting(_("API URL"), _("Change it only for a proxy."), API_URL),
        TIMEOUT,
        Setting(
            "secret",
            _("Customer contact secret"),
            _(
                "The Secret of the customer-contact app, under 客户联系 → API in the "
                "WeCom admin console. Stored encrypted; never shown again."
            ),
            secret=True,
        ),
        secret_setting(
            CONTACTS_SECRET,
            _("Contacts sync secret"),
            _(
                "The secret of Contacts Sync (通讯录同步) with editing through the "
                "API turned on: lets Baton disable, enable and delete the "
                "leaver's WeCom member. Empty: members are only read."
            ),
            required=False,
        ),
        *messaging_settings(_("WeCom"), agent=True, secret=True),
    )
    # The token travels as the ``access_token`` query parameter; the member's
    # changes use the Contacts Sync token instead (``access``).
    app_auth = TokenExchange(
        "/cgi-bin/gettoken",
        method="GET",
        query=_credentials,
        param="access_token",
        renew_refused=True,
    )
    pagination = Cursor(param="cursor", next="next_cursor", in_body=True)
    max_pages = 500
    people_map_setting = "userids"
    unknown_person_message = _(
        "WeCom has no member %(person)s this app can see: add them to the WeCom "
        "user IDs setting."
    )

    def test_connection(self) -> str:
        self.get(f"{API}get_follow_user_list")
        corp = {"host": self.host, "corp": self.option("corp_id")}
        if self.check_contacts():
            return (
                _(
                    "Connected to WeCom at %(host)s as corp %(corp)s; the contacts "
                    "sync secret works too."
                )
                % corp
            )
        return _("Connected to WeCom at %(host)s as corp %(corp)s.") % corp

    def list_records(self, *, employee, record_kind):
        if record_kind == "account":
            return self._accounts(employee)
        listing = self._groups if record_kind == "group" else self._customers
        return listing(self.person_id(employee))

    def describe_transfer(self, *, record, owner, successor) -> str:
        if record.kind == "group":
            message = _(
                "Make %(successor)s the owner of WeCom customer group “%(title)s” "
                "instead of %(owner)s."
            )
        elif self._resigned():
            message = _(
                "Hand WeCom customer “%(title)s” of %(owner)s, who has left, to "
                "%(successor)s; WeCom completes it within 24 hours."
            )
        else:
            message = _(
                "Hand WeCom customer “%(title)s” from %(owner)s to %(successor)s; "
                "WeCom tells the customer, who has 24 hours to refuse."
            )
        return message % transfer_values(record, owner, successor)

    def transfer(self, *, record, owner, successor, note) -> TransferResult:
        takeover = self.successor_id(successor)
        if record.kind == "group":
            return self._move_group(record.external_id, takeover)
        pair, customer = _pair(record, takeover)
        summary = {**pair, "external_userid": customer}
        # Asked again (a retry): WeCom has it already, so it is not sent twice.
        if self._status(pair, customer) in (DONE, WAITING):
            return TransferResult(response={**summary, "already": True})
        body = {**pair, "external_userid": [customer]}
        message = str(self.option("transfer_message") or "").strip()
        if message and not self._resigned():
            body["transfer_success_msg"] = message
        answer = self.post(API + self._call(MOVE_CUSTOMER), body)
        for outcome in parse_each(_Outcome, dig(answer, "customer") or []):
            if outcome.external_userid == customer and outcome.errcode:
                raise self._refusal(outcome.errcode, outcome.errmsg)
        return TransferResult(response=summary)

    def verify_transfer(self, *, record, successor) -> bool:
        takeover = self.successor_id(successor)
        if record.kind == "group":
            return self._group(record.external_id).owner == takeover
        status = self._status(*_pair(record, takeover))
        if status in NOT_DONE:
            raise ConnectorError(
                _("WeCom did not hand customer “%(title)s” over: %(reason)s.")
                % {"title": record.title, "reason": NOT_DONE[status]},
                retryable=False,
            )
        if status == WAITING:
            raise TransferPending(WAITING_MESSAGE % {"title": record.title})
        return status == DONE

    def find_person(self, *, value: str, match_by: str) -> str | None:
        if match_by != "email":
            return value
        # 1: the WeCom mailbox (企业邮箱), 2: the e-mail on the member's profile.
        for email_type in (1, 2):
            body = {"email": value, "email_type": email_type}
            try:
                answer = self.post("/cgi-bin/user/get_userid_by_email", body)
            except UnknownMember:
                continue
            if dig(answer, "userid"):
                return str(dig(answer, "userid"))
        return None

    def send_app_message(self, body: dict) -> dict | None:
        """An application message (``connectors.messaging``): WeCom's answer,
        or None when it knows none of the receivers."""
        try:
            answer = self.post("/cgi-bin/message/send", body)
        except UnknownMember:
            return None
        return answer if isinstance(answer, dict) else {}

    def _customers(self, userid: str):
        body = {"userid_list": [userid]}
        listed = self._listed("batch/get_by_user", body, "external_contact_list", 100)
        for contact in parse_each(_Contact, listed):
            customer, follow = contact.external_contact, contact.follow_info
            company = customer.corp_full_name or customer.corp_name
            phones = [*follow.remark_mobiles, ""]
            notes = filter(None, (follow.remark, follow.description))
            fields = {
                **customer.model_dump(),
                **follow.model_dump(),
                "customer": company or follow.remark_corp_name or customer.name,
                "contact_person": contact_person(
                    name=customer.name, title=customer.position, phone=phones[0]
                ),
                "relationship_notes": "\n".join(notes),
            }
            # The leaver's user ID too: once they left, nobody can look it up.
            external_id = f"{follow.userid or userid}:{customer.external_userid}"
            yield Record(external_id, "client", customer.name or external_id, fields)

    def _owned(self, userid: str) -> list[str]:
        """The chat IDs of the customer groups ``userid`` owns."""
        body = {"status_filter": 0, "owner_filter": {"userid_list": [userid]}}
        listed = self._listed("groupchat/list", body, "group_chat_list", 1000)
        return [
            entry.chat_id for entry in parse_each(_Outcome, listed) if entry.chat_id
        ]

    def _groups(self, userid: str):
        for chat_id in self._owned(userid):
            group = self._group(chat_id)
            title = group.name or chat_id
            role = _("Owner of WeCom customer group “%(name)s”") % {"name": title}
            fields = {
                **group.model_dump(exclude={"member_list", "admin_list"}),
                "member_count": len(group.member_list),
                "admins": [str(admin.get("userid", "")) for admin in group.admin_list],
                "system": "WeCom",
                "account_id": group.owner,
                "role_permission": str(role),
                "action": "transfer",
            }
            yield Record(chat_id, "group", title, fields)

    def _group(self, chat_id: str) -> _Group:
        answer = self.post(f"{API}groupchat/get", {"chat_id": chat_id, "need_name": 1})
        return _Group.model_validate(dig(answer, "group_chat") or {})

    def _listed(self, call: str, body: dict, items: str, size: int | None = None):
        size_param = "limit" if size else None
        pages = replace(self.pagination, items=items, size=size, size_param=size_param)
        return self.paginate(API + call, method="POST", body=body, pagination=pages)

    def _move_group(self, chat_id: str, takeover: str) -> TransferResult:
        summary = {"chat_id": chat_id, "new_owner": takeover}
        if self._group(chat_id).owner == takeover:
            return TransferResult(response={**summary, "already": True})
        body = {"chat_id_list": [chat_id], "new_owner": takeover}
        answer = self.post(API + self._call(MOVE_GROUP), body)
        for failed in parse_each(_Outcome, dig(answer, "failed_chat_list") or []):
            if failed.chat_id == chat_id and failed.errcode:
                raise self._refusal(failed.errcode, failed.errmsg)
        return TransferResult(response=summary)

    def _status(self, pair: dict, customer: str) -> int | None:
        listed = self._listed(self._call(CUSTOMER_RESULT), pair, "customer")
        for outcome in parse_each(_Outcome, listed):
            if outcome.external_userid == customer:
                return outcome.status
        return None

    def _resigned(self) -> bool:
        return self.option("transfer_mode") == "resigned"

    def _call(self, calls: tuple) -> str:
        return calls[1] if self._resigned() else calls[0]

    def check_response(self, response, *, not_found=None) -> None:
        """WeCom answers HTTP 200 with a non-zero ``errcode`` when it refuses."""
        super().check_response(response, not_found=not_found)
        code = dig(self.json_of(response), "errcode") or 0
        if code:
            message = dig(self.json_of(response), "errmsg")
            raise self._refusal(code, message, self.request_id(response))

    def _refusal(self, code, message="", request_id=None) -> ConnectorError:
        detail = self.http.scrub(str(message or ""))
        contacts = bool(self.__dict__.get("_contacts_on"))
        return refusal(code, detail, request_id, contacts=contacts)


def _pair(record, takeover: str) -> tuple[dict, str]:
    """The transfer pair and the customer of a record ("leaver:customer")."""
    handover, _colon, customer = str(record.external_id).rpartition(":")
    return {"handover_userid": handover, "takeover_userid": takeover}, customer
