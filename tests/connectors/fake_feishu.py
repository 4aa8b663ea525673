"""A fake Feishu open platform on pytest-httpserver, answering in the shapes of
the published API: tenant access token, contact v3 ``batch_get_id``, approval
v4 ``instances/query``, ``tasks/search`` and instance details, and im v1
``messages`` (a bot's message to a user).

Every answer carries an ``X-Tt-Logid`` header, like Feishu's. Errors follow the
platform: a JSON body with a non-zero ``code`` and a ``msg``.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field

from werkzeug import Request, Response

APP_ID = "cli_a1b2c3d4e5f6a7b8"
APP_SECRET = "feishu-app-s3cret"
# 2026-11-03 09:30 in Shanghai, in milliseconds.
NOV_3 = "1793669400000"


@dataclass
class Instance:
    code: str
    approval_code: str
    approval_name: str
    user: str
    form: list = field(default_factory=list)
    status: str = "PENDING"
    serial: str = ""
    start_time: str = NOV_3


@dataclass
class Task:
    instance_code: str
    user: str
    status: str = "PENDING"
    task_id: str = ""


def amount(value, currency="CNY", name="金额"):
    return {
        "id": "widget-amount",
        "name": name,
        "type": "amount",
        "ext": {"capitalValue": "", "currency": currency, "currencyRange": [currency]},
        "value": value,
    }


def text(name, value, kind="textarea"):
    return {
        "id": f"widget-{name}",
        "name": name,
        "type": kind,
        "ext": None,
        "value": value,
    }


def date(name, value):
    return {
        "id": f"widget-{name}",
        "name": name,
        "type": "date",
        "ext": None,
        "value": value,
        "timezoneOffset": -480,
    }


class FakeFeishu:
    """State the tests change between runs, served by handlers on ``server``."""

    def __init__(self, server):
        self.server = server
        self.users = {}  # e-mail -> open_id
        self.instances: dict[str, Instance] = {}
        self.tasks: list[Task] = []
        self.max_page_size = 100
        self.tokens = []
        self.revoked = set()
        # code -> (HTTP status, code, msg) returned by every approval call.
        self.approval_error = None
        # Messages the bot sent: receive_id_type, receive_id, msg_type, content.
        self.messages: list[dict] = []
        # (HTTP status, code, msg) returned by im/v1/messages.
        self.message_error = None
        self._by_uuid: dict[str, str] = {}  # uuid -> message_id
        self._ids = itertools.count(1)
        self._logs = itertools.count(1)

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def settings(self, **extra):
        return {"base_url": self.base_url, "app_id": APP_ID, **extra}

    def secrets(self, secret=APP_SECRET):
        return {"app_secret": secret}

    def add(self, instance: Instance) -> Instance:
        self.instances[instance.code] = instance
        return instance

    def requests_to(self, path):
        return [
            request for request, _response in self.server.log if request.path == path
        ]

    # Serving ----------------------------------------------------------------------

    def install(self):
        server = self.server
        server.expect_request(
            "/open-apis/auth/v3/tenant_access_token/internal", method="POST"
        ).respond_with_handler(self._token)
        server.expect_request(
            "/open-apis/contact/v3/users/batch_get_id", method="POST"
        ).respond_with_handler(self._guard(self._batch_get_id))
        server.expect_request(
            "/open-apis/approval/v4/instances/query", method="POST"
        ).respond_with_handler(self._guard(self._query))
        server.expect_request(
            "/open-apis/approval/v4/tasks/search", method="POST"
        ).respond_with_handler(self._guard(self._search_tasks))
        server.expect_request(
            re.compile(r"^/open-apis/approval/v4/instances/[^/]+$"), method="GET"
        ).respond_with_handler(self._guard(self._detail))
        server.expect_request(
            "/open-apis/im/v1/messages", method="POST"
        ).respond_with_handler(self._guard(self._message))
        return self

    def _answer(self, body, status=200):
        return Response(
            json.dumps(body, ensure_ascii=False),
            status=status,
            content_type="application/json; charset=utf-8",
            headers={"X-Tt-Logid": f"2026112709{next(self._logs):04d}"},
        )

    def _token(self, request: Request):
        body = request.get_json(silent=True) or {}
        if body.get("app_id") != APP_ID:
            return self._answer({"code": 10003, "msg": "invalid param"}, 400)
        if body.get("app_secret") != APP_SECRET:
            return self._answer({"code": 10014, "msg": "app secret invalid"}, 400)
        token = f"t-g1044{next(self._ids):06d}"
        self.tokens.append(token)
        return self._answer(
            {"code": 0, "msg": "ok", "tenant_access_token": token, "expire": 7200}
        )

    def _guard(self, handler):
        def guarded(request: Request):
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self.tokens or token in self.revoked:
                return self._answer(
                    {
                        "code": 99991663,
                        "msg": "Invalid access token for authorization. Please make "
                        "a request with token attached.",
                    },
                    400,
                )
            if self.approval_error and "/approval/" in request.path:
                status, code, msg = self.approval_error
                if code is None:
                    return Response(
                        "<html>502 Bad Gateway</html>",
                        status=status,
                        content_type="text/html",
                        headers={"X-Tt-Logid": "20261127-gateway"},
                    )
                return self._answer({"code": code, "msg": msg}, status)
            return handler(request)

        return guarded

    def _batch_get_id(self, request: Request):
        body = request.get_json(silent=True) or {}
        found = []
        for email in body.get("emails") or []:
            user_id = self.users.get(email.lower())
            found.append(
                {"email": email, "user_id": user_id} if user_id else {"email": email}
            )
        return self._answer({"code": 0, "msg": "success", "data": {"user_list": found}})

    def _page(self, request: Request, entries, key):
        size = min(int(request.args.get("page_size") or 100), self.max_page_size)
        start = int(request.args.get("page_token") or 0)
        chunk = entries[start : start + size]
        more = start + size < len(entries)
        return self._answer(
            {
                "code": 0,
                "msg": "success",
                "data": {
                    "count": len(entries),
                    key: chunk,
                    "page_token": str(start + size) if more else "",
                    "has_more": more,
                },
            }
        )

    def _search_node(self, instance: Instance):
        return {
            "code": instance.code,
            "external_id": "",
            "user_id": instance.user,
            "start_time": instance.start_time,
            "end_time": "" if instance.status == "PENDING" else "1764000000000",
            "status": instance.status.lower(),
            "title": "",
            "extra": "",
            "serial_id": instance.serial,
            "link": {
                "pc_link": f"https://applink.feishu.cn/approval?id={instance.code}",
                "mobile_link": "",
            },
        }

    def _approval_node(self, instance: Instance):
        return {
            "code": instance.approval_code,
            "name": instance.approval_name,
            "is_external": False,
            "approval_id": "7434",
            "icon": "",
        }

    def _query(self, request: Request):
        body = request.get_json(silent=True) or {}
        wanted = (body.get("instance_status") or "ALL").upper()
        entries = [
            {
                "approval": self._approval_node(instance),
                "group": {"external_id": "", "name": ""},
                "instance": self._search_node(instance),
            }
            for instance in self.instances.values()
            if instance.user == body.get("user_id")
            and wanted in ("ALL", instance.status)
        ]
        return self._page(request, entries, "instance_list")

    def _search_tasks(self, request: Request):
        body = request.get_json(silent=True) or {}
        wanted = (body.get("task_status") or "ALL").upper()
        entries = []
        for task in self.tasks:
            instance = self.instances[task.instance_code]
            if task.user != body.get("user_id") or wanted not in ("ALL", task.status):
                continue
            entries.append(
                {
                    "approval": self._approval_node(instance),
                    "group": {"external_id": "", "name": ""},
                    "instance": self._search_node(instance),
                    "task": {
                        "user_id": task.user,
                        "start_time": instance.start_time,
                        "end_time": "",
                        "status": task.status.lower(),
                        "title": "",
                        "extra": "",
                        "link": {"pc_link": "", "mobile_link": ""},
                        "task_id": task.task_id or f"75661548{next(self._ids)}",
                        "update_time": instance.start_time,
                        "task_external_id": "",
                    },
                }
            )
        return self._page(request, entries, "task_list")

    def _detail(self, request: Request):
        code = request.path.rsplit("/", 1)[1]
        instance = self.instances.get(code)
        if instance is None:
            return self._answer(
                {"code": 1390003, "msg": "instance code not found"}, 400
            )
        return self._answer(
            {
                "code": 0,
                "msg": "",
                "data": {
                    "approval_code": instance.approval_code,
                    "approval_name": instance.approval_name,
                    "start_time": instance.start_time,
                    "end_time": "0",
                    "user_id": instance.user,
                    "open_id": instance.user,
                    "serial_number": instance.serial,
                    "department_id": "od-sales",
                    "status": instance.status,
                    "uuid": instance.code[:8],
                    "form": json.dumps(instance.form, ensure_ascii=False),
                    "task_list": [],
                    "comment_list": [],
                    "timeline": [],
                    "instance_code": instance.code,
                    "reverted": False,
                },
            }
        )

    def _message(self, request: Request):
        if self.message_error:
            status, code, msg = self.message_error
            return self._answer({"code": code, "msg": msg}, status)
        body = request.get_json(silent=True) or {}
        id_type = request.args.get("receive_id_type")
        if id_type not in ("open_id", "user_id", "union_id", "email", "chat_id"):
            return self._answer({"code": 230001, "msg": "invalid receive_id_type"}, 400)
        if body.get("receive_id") not in self.users.values():
            return self._answer(
                {"code": 230013, "msg": "Bot has NO availability to this user."}, 400
            )
        # Feishu's dedupe: one message per uuid (within an hour), the same
        # answer again for a repeat.
        repeat = self._by_uuid.get(body.get("uuid")) if body.get("uuid") else None
        message_id = repeat or f"om_{next(self._ids):032d}"
        if body.get("uuid"):
            self._by_uuid[body["uuid"]] = message_id
        if not repeat:
            self.messages.append(
                {
                    "receive_id_type": id_type,
                    "receive_id": body["receive_id"],
                    "msg_type": body.get("msg_type"),
                    "content": json.loads(body.get("content") or "{}"),
                    "uuid": body.get("uuid"),
                }
            )
        return self._answer(
            {
                "code": 0,
                "msg": "success",
                "data": {
                    "message_id": message_id,
                    "msg_type": body.get("msg_type"),
                    "create_time": "1793669400000",
                    "chat_id": "oc_5ad11d72b830411d72b836c20",
                    "sender": {"id": "cli_bot", "sender_type": "app"},
                    "body": {"content": body.get("content")},
                },
            }
        )
