"""A fake WeCom (企业微信) server API on pytest-httpserver, answering in the
published shapes: ``gettoken``, ``user/get_userid_by_email`` and the customer
contact calls (``externalcontact/batch/get_by_user``, ``groupchat/list`` and
``get``, the on-job and resigned customer and group transfers and
``transfer_result``), the application message ``message/send``, and the
members (``user/get``, ``user/update``, ``user/delete``), which only the
Contacts Sync (通讯录同步) token may change: with an app's token WeCom answers
60011.

Like WeCom, every answer is HTTP 200 with an ``errcode`` (0 when fine) and an
``errmsg``; the access token is the ``access_token`` query parameter, and a
token the tests expire answers 42001.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field

from werkzeug import Request, Response

CORP_ID = "ww8a1b2c3d4e5f6a7b"
SECRET = "wecom-customer-contact-s3cret"
API = "/cgi-bin/externalcontact/"
AGENT_ID = 1000002
APP_SECRET = "wecom-notifying-app-s3cret"
CONTACTS_SECRET = "wecom-contacts-sync-s3cret"
# What WeCom answers a member change made with an app's token.
NO_PRIVILEGE = (60011, "no privilege to access/modify contact/party/agent")


@dataclass
class Customer:
    external_userid: str
    name: str
    follower: str  # the member's user ID
    corp_name: str = ""
    corp_full_name: str = ""
    position: str = ""
    remark: str = ""
    description: str = ""
    remark_mobiles: list = field(default_factory=list)
    tag_id: list = field(default_factory=list)

    def entry(self) -> dict:
        return {
            "external_contact": {
                "external_userid": self.external_userid,
                "name": self.name,
                "type": 2 if self.corp_name else 1,
                "avatar": "https://wework.qpic.cn/wwhead/placeholder/0",
                "gender": 1,
                "unionid": "ozynqsulJFCZ2z1aYeS8h-nuasdAAA",
                "position": self.position,
                "corp_name": self.corp_name,
                "corp_full_name": self.corp_full_name,
            },
            "follow_info": {
                "userid": self.follower,
                "remark": self.remark,
                "description": self.description,
                "createtime": 1_790_000_000,
                "tag_id": self.tag_id,
                "remark_corp_name": "",
                "remark_mobiles": self.remark_mobiles,
                "add_way": 1,
                "oper_userid": self.follower,
            },
        }


@dataclass
class Group:
    chat_id: str
    name: str
    owner: str
    members: list = field(default_factory=list)
    admins: list = field(default_factory=list)
    notice: str = ""

    def detail(self) -> dict:
        return {
            "chat_id": self.chat_id,
            "name": self.name,
            "owner": self.owner,
            "create_time": 1_790_000_000,
            "notice": self.notice,
            "member_list": [
                {"userid": member, "type": 2, "join_time": 1_790_000_100}
                for member in self.members
            ],
            "admin_list": [{"userid": admin} for admin in self.admins],
        }


class FakeWeCom:
    """State the tests change between calls, served by handlers on ``server``."""

    def __init__(self, server):
        self.server = server
        # user ID -> (WeCom mailbox, profile e-mail); a deleted member is absent.
        self.members: dict[str, tuple[str, str]] = {}
        self.customers: list[Customer] = []
        self.groups: dict[str, Group] = {}
        # (mode, handover, takeover, external_userid) -> transfer_result status.
        self.transfers: dict[tuple, int] = {}
        # The status a new customer transfer starts in (2: waiting).
        self.new_status = 2
        # external_userid -> errcode in the answer of its transfer.
        self.customer_errors: dict[str, int] = {}
        # chat_id -> (errcode, errmsg) in failed_chat_list.
        self.group_errors: dict[str, tuple[int, str]] = {}
        self.page_cap = 1000
        self.tokens: list[str] = []
        self.expired: set[str] = set()
        # (errcode, errmsg) answered by every customer contact call.
        self.fail = None
        # Application messages sent (the request body); the secrets of other
        # apps of the corp (the notifying app's); (errcode, errmsg) of message/send.
        self.messages: list[dict] = []
        self.app_secrets: set[str] = set()
        self.message_fail = None
        # Members: user ID -> the fields ``user/get`` adds (name, position,
        # department); user ID -> status (4 not activated, 5 left); the disabled
        # ones (enable 0); the tokens of the
        # Contacts Sync secret; (errcode, errmsg) of a change with an app's
        # token; and of every call with the Contacts Sync token (60020: the IP).
        self.profiles: dict[str, dict] = {}
        self.statuses: dict[str, int] = {}
        self.disabled: set[str] = set()
        self.contacts_tokens: set[str] = set()
        self.write_refusal = NO_PRIVILEGE
        self.contacts_fail = None
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def settings(self, **extra):
        return {"base_url": self.base_url, "corp_id": CORP_ID, **extra}

    def secrets(self, secret=SECRET):
        return {"secret": secret}

    def requests_to(self, call):
        path = call if call.startswith("/") else API + call
        return [
            request for request, _response in self.server.log if request.path == path
        ]

    def install(self):
        server = self.server
        server.expect_request("/cgi-bin/gettoken", method="GET").respond_with_handler(
            self._token
        )
        routes = {
            "/cgi-bin/user/get_userid_by_email": self._by_email,
            API + "get_follow_user_list": self._follow_users,
            API + "batch/get_by_user": self._by_user,
            API + "groupchat/list": self._group_list,
            API + "groupchat/get": self._group_get,
            API + "transfer_customer": self._move("on_job"),
            API + "resigned/transfer_customer": self._move("resigned"),
            API + "transfer_result": self._result("on_job"),
            API + "resigned/transfer_result": self._result("resigned"),
            API + "groupchat/onjob_transfer": self._move_groups("on_job"),
            API + "groupchat/transfer": self._move_groups("resigned"),
            "/cgi-bin/message/send": self._message,
        }
        for path, handler in routes.items():
            server.expect_request(path).respond_with_handler(self._guard(handler))
        members = {
            "/cgi-bin/user/get": self._user_get,
            "/cgi-bin/user/update": self._user_update,
            "/cgi-bin/user/delete": self._user_delete,
        }
        for path, handler in members.items():
            server.expect_request(path).respond_with_handler(self._member_call(handler))
        return self

    # Answers ----------------------------------------------------------------------

    def _answer(self, **body):
        body = {"errcode": 0, "errmsg": "ok", **body}
        return Response(
            json.dumps(body, ensure_ascii=False),
            content_type="application/json; charset=UTF-8",
        )

    def _error(self, errcode, errmsg):
        hint = f"{errmsg}, hint: [1790000{next(self._ids):03d}_abc], from ip: 1.2.3.4"
        return self._answer(errcode=errcode, errmsg=hint)

    def _token(self, request: Request):
        if request.args.get("corpid") != CORP_ID:
            return self._error(40013, "invalid corpid")
        secret = request.args.get("corpsecret")
        if secret not in {SECRET, CONTACTS_SECRET, *self.app_secrets}:
            return self._error(40001, "invalid credential")
        token = f"wecom-token-{next(self._ids):04d}"
        self.tokens.append(token)
        if secret == CONTACTS_SECRET:
            self.contacts_tokens.add(token)
        return self._answer(access_token=token, expires_in=7200)

    def _refused_token(self, request: Request):
        token = request.args.get("access_token")
        if not token:
            return self._error(41001, "access_token missing")
        if token in self.expired:
            return self._error(42001, "access_token expired")
        if token not in self.tokens:
            return self._error(40014, "invalid access_token")
        return None

    def _guard(self, handler):
        def guarded(request: Request):
            refused = self._refused_token(request)
            if refused is not None:
                return refused
            if self.fail and request.path.startswith(API):
                return self._error(*self.fail)
            return handler(request.get_json(silent=True) or {})

        return guarded

    def _member_call(self, handler):
        """``handler(userid, body, contacts)``: the user ID from the query (a
        GET) or the body, and whether the Contacts Sync token was used."""

        def guarded(request: Request):
            refused = self._refused_token(request)
            if refused is not None:
                return refused
            contacts = request.args["access_token"] in self.contacts_tokens
            if contacts and self.contacts_fail:
                return self._error(*self.contacts_fail)
            body = request.get_json(silent=True) or {}
            userid = request.args.get("userid") or body.get("userid") or ""
            return handler(userid, body, contacts)

        return guarded

    def _page(self, body, entries, key, cap=None):
        size = min(int(body.get("limit") or cap or self.page_cap), self.page_cap)
        start = int(body.get("cursor") or 0)
        more = start + size < len(entries)
        return self._answer(
            **{key: entries[start : start + size]},
            next_cursor=str(start + size) if more else "",
        )

    # Handlers ---------------------------------------------------------------------

    def _by_email(self, body):
        column = 0 if body.get("email_type", 1) == 1 else 1
        for userid, emails in self.members.items():
            if emails[column] and emails[column] == body.get("email"):
                return self._answer(userid=userid)
        return self._error(60111, f"invalid string value `{body.get('email')}`")

    def _follow_users(self, body):
        return self._answer(follow_user=sorted(self.members))

    def _by_user(self, body):
        (userid,) = body["userid_list"]
        if userid not in self.members and not self._of(userid):
            return self._error(40003, "invalid userid")
        entries = [customer.entry() for customer in self._of(userid)]
        return self._page(body, entries, "external_contact_list")

    def _of(self, userid):
        return [customer for customer in self.customers if customer.follower == userid]

    def _group_list(self, body):
        owners = body.get("owner_filter", {}).get("userid_list") or []
        entries = [
            {"chat_id": group.chat_id, "status": 0}
            for group in self.groups.values()
            if group.owner in owners
        ]
        return self._page(body, entries, "group_chat_list")

    def _group_get(self, body):
        group = self.groups.get(body.get("chat_id"))
        if group is None:
            return self._error(40050, "chatid not exist")
        return self._answer(group_chat=group.detail())

    def _move(self, mode):
        def move(body):
            handover, takeover = body["handover_userid"], body["takeover_userid"]
            if takeover not in self.members:
                return self._error(40003, "invalid userid")
            if (handover in self.members) == (mode == "resigned"):
                code = 40097 if mode == "resigned" else 40098
                return self._error(code, "the handover member state is wrong")
            answers = []
            for external_userid in body["external_userid"]:
                errcode = self.customer_errors.get(external_userid, 0)
                answers.append({"external_userid": external_userid, "errcode": errcode})
                if not errcode:
                    key = (mode, handover, takeover, external_userid)
                    self.transfers[key] = self.new_status
            return self._answer(customer=answers)

        return move

    def _result(self, mode):
        def result(body):
            pair = (mode, body["handover_userid"], body["takeover_userid"])
            entries = [
                {
                    "external_userid": key[3],
                    "status": status,
                    "takeover_time": 1_790_086_400 if status == 1 else 0,
                }
                for key, status in self.transfers.items()
                if key[:3] == pair
            ]
            return self._page(body, entries, "customer", cap=1000)

        return result

    def _move_groups(self, mode):
        def move(body):
            if body.get("new_owner") not in self.members:
                return self._error(40003, "invalid userid")
            failed = []
            for chat_id in body["chat_id_list"]:
                group = self.groups.get(chat_id)
                if chat_id in self.group_errors:
                    errcode, errmsg = self.group_errors[chat_id]
                    failed.append(
                        {"chat_id": chat_id, "errcode": errcode, "errmsg": errmsg}
                    )
                elif group is None:
                    failed.append(
                        {
                            "chat_id": chat_id,
                            "errcode": 40050,
                            "errmsg": "chatid not exist",
                        }
                    )
                else:
                    group.owner = body["new_owner"]
            return self._answer(failed_chat_list=failed)

        return move

    def _message(self, body):
        if self.message_fail:
            return self._error(*self.message_fail)
        if body.get("agentid") != AGENT_ID:
            return self._error(40056, "invalid agentid")
        receivers = str(body.get("touser") or "").split("|")
        invalid = [userid for userid in receivers if userid not in self.members]
        if len(invalid) == len(receivers):
            return self._answer(
                errcode=81013,
                errmsg="user & party & tag all invalid",
                invaliduser="|".join(invalid),
            )
        self.messages.append(body)
        return self._answer(
            invaliduser="|".join(invalid), msgid=f"msg{next(self._ids):06d}"
        )

    # Members ------------------------------------------------------------------------

    def member_status(self, userid):
        """1 active, 2 disabled, or what the test set (4 not activated, 5 left)."""
        if userid in self.disabled:
            return 2
        return self.statuses.get(userid, 1)

    def _user_get(self, userid, body, contacts):
        if userid not in self.members:
            return self._error(60111, f"userid not found: {userid}")
        mailbox, email = self.members[userid]
        profile = {"name": userid, "department": [1], "position": ""}
        return self._answer(
            userid=userid,
            **{**profile, **self.profiles.get(userid, {})},
            email=email,
            biz_mail=mailbox,
            status=self.member_status(userid),
            enable=0 if userid in self.disabled else 1,
        )

    def _user_update(self, userid, body, contacts):
        if not contacts:
            return self._error(*self.write_refusal)
        if userid not in self.members:
            return self._error(60111, f"userid not found: {userid}")
        if "enable" in body:
            if body["enable"]:
                self.disabled.discard(userid)
            else:
                self.disabled.add(userid)
        return self._answer(errmsg="updated")

    def _user_delete(self, userid, body, contacts):
        if not contacts:
            return self._error(*self.write_refusal)
        if userid not in self.members:
            return self._error(60111, f"userid not found: {userid}")
        del self.members[userid]
        self.disabled.discard(userid)
        return self._answer(errmsg="deleted")
