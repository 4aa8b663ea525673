"""The fake Feishu and DingTalk, extended for intake in the vendors' published
shapes: what their event subscriptions push (signed and encrypted as each
vendor does) and the APIs the resignation poll and the directory read.

Feishu:
- approval instance event, v1 ``event_callback`` / ``approval_instance``
  (https://open.feishu.cn/document/server-docs/approval-v4/event/common-event/approval-instance-event)
  and the v2 envelope (``schema`` "2.0", ``header.event_type``
  ``approval.instance.status_changed_v4``, lark-oapi's
  ``P2ApprovalInstanceStatusChangedV4``); with an encrypt key, the body is
  ``{"encrypt": …}`` and ``X-Lark-Signature`` = sha256(timestamp + nonce +
  encrypt_key + body)
  (https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/request-url-configuration-case);
- ``GET /open-apis/approval/v4/instances`` (``instance_code_list``,
  https://open.feishu.cn/document/server-docs/approval-v4/instance/list);
- contact v3 ``users/:user_id``, ``users/find_by_department`` and
  ``departments/:id/children``
  (https://open.feishu.cn/document/server-docs/contact-v3/user/find_by_department).

DingTalk:
- ``bpms_instance_change`` (``EventType``, ``processInstanceId``, ``type``
  finish, ``result`` agree, ``processCode``;
  https://open.dingtalk.com/document/orgapp/approval-events) pushed as
  ``{"encrypt": …}`` with ``msg_signature``/``timestamp``/``nonce`` in the
  query (https://open.dingtalk.com/document/orgapp/configure-event-subcription);
- ``/v1.0/workflow/processInstances`` with ``finishTime`` and ``result``;
- ``topapi/v2/department/listsub`` and ``topapi/v2/user/list``
  (https://open.dingtalk.com/document/orgapp/queries-the-complete-information-of-a-department-user).
"""

from __future__ import annotations

import datetime
import json
import re
import secrets
import time
from dataclasses import dataclass, field

from werkzeug import Request

from connectors.intake.crypto import (
    dingtalk_encrypt,
    dingtalk_signature,
    feishu_encrypt,
    feishu_signature,
)

from .fake_dingtalk import APP_KEY, FakeDingTalk
from .fake_dingtalk import Instance as DingTalkInstance
from .fake_feishu import FakeFeishu
from .fake_feishu import Instance as FeishuInstance

FEISHU_TOKEN = "v-feishu-verification-token"
FEISHU_ENCRYPT_KEY = "feishu-encrypt-key-4f0e"
DINGTALK_TOKEN = "dingtalk-callback-token"
# 43 characters of [A-Za-z0-9], as DingTalk generates them.
DINGTALK_AES_KEY = "o1w0aum42yaptlz8alnhwikjd3jenzt9cb9wmzptgus"
FEISHU_APPROVAL = "RESIGN-7C468A54-8745"
DINGTALK_PROCESS = "PROC-RESIGN-0001"


def _millis(moment: datetime.datetime) -> str:
    return str(int(moment.timestamp() * 1000))


# Feishu -----------------------------------------------------------------------------


@dataclass
class FeishuUser:
    open_id: str
    name: str
    email: str = ""
    employee_no: str = ""
    department_ids: list = field(default_factory=list)
    job_title: str = ""
    leader_user_id: str = ""
    mobile: str = ""
    resigned: bool = False


def feishu_resignation(
    code,
    user="ou_sales",
    *,
    status="APPROVED",
    last_day="2026-12-31T00:00:00+08:00",
    resigned_on="2026-12-01T00:00:00+08:00",
    reason="Moving to Chengdu",
    extra_form=(),
    minutes_ago=2,
):
    """A resignation approval instance: submitted a week ago, decided
    ``minutes_ago`` minutes ago."""
    now = datetime.datetime.now(datetime.UTC)
    form = [
        {"id": "widget-lwd", "name": "最后工作日", "type": "date", "value": last_day},
        {
            "id": "widget-rd",
            "name": "离职日期",
            "type": "date",
            "value": resigned_on,
        },
        {
            "id": "widget-reason",
            "name": "离职原因",
            "type": "textarea",
            "value": reason,
        },
        *extra_form,
    ]
    instance = FeishuInstance(
        code=code,
        approval_code=FEISHU_APPROVAL,
        approval_name="离职申请",
        user=user,
        form=form,
        status=status,
        serial=f"2026{code[-4:]}",
        start_time=_millis(now - datetime.timedelta(days=7)),
    )
    instance.end_time = (
        "0"
        if status == "PENDING"
        else _millis(now - datetime.timedelta(minutes=minutes_ago))
    )
    return instance


class FeishuIntakeFake(FakeFeishu):
    def __init__(self, server):
        super().__init__(server)
        self.people: dict[str, FeishuUser] = {}
        self.departments = []  # dicts: open_department_id, department_id, name

    def install(self):
        server = self.server
        server.expect_request(
            "/open-apis/approval/v4/instances", method="GET"
        ).respond_with_handler(self._guard(self._list))
        server.expect_request(
            "/open-apis/contact/v3/users/find_by_department", method="GET"
        ).respond_with_handler(self._guard(self._find_by_department))
        server.expect_request(
            re.compile(r"^/open-apis/contact/v3/users/[^/]+$"), method="GET"
        ).respond_with_handler(self._guard(self._user))
        server.expect_request(
            re.compile(r"^/open-apis/contact/v3/departments/[^/]+/children$"),
            method="GET",
        ).respond_with_handler(self._guard(self._children))
        super().install()
        return self

    def add_person(self, user: FeishuUser) -> FeishuUser:
        self.people[user.open_id] = user
        return user

    # Events ------------------------------------------------------------------------

    def event_v1(self, instance, *, token=FEISHU_TOKEN, status=None):
        return {
            "ts": f"{time.time():.7f}",
            "uuid": secrets.token_hex(16),
            "token": token,
            "type": "event_callback",
            "event": {
                "app_id": "cli_a1b2c3d4e5f6a7b8",
                "tenant_key": "2ca1d211f64f6438",
                "type": "approval_instance",
                "approval_code": instance.approval_code,
                "instance_code": instance.code,
                "status": status or instance.status,
                "operate_time": int(time.time() * 1000),
                "instance_operate_time": str(int(time.time() * 1000)),
            },
        }

    def event_v2(self, instance, *, token=FEISHU_TOKEN, status=None):
        return {
            "schema": "2.0",
            "header": {
                "event_id": secrets.token_hex(16),
                "token": token,
                "create_time": str(int(time.time() * 1000)),
                "event_type": "approval.instance.status_changed_v4",
                "tenant_key": "2ca1d211f64f6438",
                "app_id": "cli_a1b2c3d4e5f6a7b8",
            },
            "event": {
                "approval_code": instance.approval_code,
                "instance_code": instance.code,
                "status": status or instance.status,
                "operate_time": str(int(time.time() * 1000)),
                "start_user": {"open_id": instance.user},
            },
        }

    @staticmethod
    def push(payload, *, encrypt_key=None, sign_key=None):
        """(body, headers) as Feishu sends them: encrypted and signed when the
        app has an encrypt key (``sign_key`` signs with another key)."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {}
        if encrypt_key:
            body = json.dumps({"encrypt": feishu_encrypt(encrypt_key, body)}).encode()
            timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
            headers = {
                "HTTP_X_LARK_REQUEST_TIMESTAMP": timestamp,
                "HTTP_X_LARK_REQUEST_NONCE": nonce,
                "HTTP_X_LARK_SIGNATURE": feishu_signature(
                    timestamp, nonce, sign_key or encrypt_key, body
                ),
            }
        return body, headers

    # Serving ----------------------------------------------------------------------

    def _detail(self, request: Request):
        response = super()._detail(request)
        instance = self.instances.get(request.path.rsplit("/", 1)[1])
        if instance is not None and response.status_code == 200:
            body = json.loads(response.get_data())
            body["data"]["end_time"] = getattr(instance, "end_time", "0")
            response.set_data(json.dumps(body, ensure_ascii=False))
        return response

    def _list(self, request: Request):
        code = request.args.get("approval_code")
        start = int(request.args.get("start_time") or 0)
        end = int(request.args.get("end_time") or 10**15)
        codes = [
            instance.code
            for instance in self.instances.values()
            if instance.approval_code == code
            and start <= int(instance.start_time) <= end
        ]
        size = min(int(request.args.get("page_size") or 100), self.max_page_size)
        offset = int(request.args.get("page_token") or 0)
        more = offset + size < len(codes)
        return self._answer(
            {
                "code": 0,
                "msg": "success",
                "data": {
                    "instance_code_list": codes[offset : offset + size],
                    "page_token": str(offset + size) if more else "",
                    "has_more": more,
                },
            }
        )

    def _user_node(self, user: FeishuUser):
        return {
            "open_id": user.open_id,
            "union_id": f"on_{user.open_id[3:]}",
            "user_id": user.open_id[3:],
            "name": user.name,
            "en_name": "",
            "email": user.email,
            "enterprise_email": "",
            "mobile": user.mobile,
            "employee_no": user.employee_no,
            "job_title": user.job_title,
            "leader_user_id": user.leader_user_id,
            "department_ids": user.department_ids,
            "status": {
                "is_frozen": False,
                "is_resigned": user.resigned,
                "is_activated": not user.resigned,
                "is_exited": False,
                "is_unjoin": False,
            },
        }

    def _user(self, request: Request):
        user = self.people.get(request.path.rsplit("/", 1)[1])
        if user is None:
            return self._answer({"code": 41050, "msg": "no user authority error"}, 400)
        return self._answer(
            {"code": 0, "msg": "success", "data": {"user": self._user_node(user)}}
        )

    def _find_by_department(self, request: Request):
        department = request.args.get("department_id")
        entries = [
            self._user_node(user)
            for user in self.people.values()
            if (department == "0" and not user.department_ids)
            or department in user.department_ids
        ]
        return self._page(request, entries, "items")

    def _children(self, request: Request):
        return self._page(request, list(self.departments), "items")


# DingTalk ---------------------------------------------------------------------------


@dataclass
class DingTalkResignation(DingTalkInstance):
    result: str = "agree"
    finished_minutes_ago: int = 2


def dingtalk_resignation(
    instance_id,
    originator="0431281562",
    *,
    last_day="2026-12-31",
    resigned_on="2026-12-01",
    reason="Moving to Chengdu",
    status="COMPLETED",
    result="agree",
    extra=(),
):
    return DingTalkResignation(
        instance_id=instance_id,
        process_code=DINGTALK_PROCESS,
        title="Sam Sales提交的离职申请",
        originator=originator,
        components=[
            {
                "componentType": "DDDateField",
                "id": "DDDateField-LWD",
                "name": "最后工作日",
                "value": last_day,
            },
            {
                "componentType": "DDDateField",
                "id": "DDDateField-RD",
                "name": "离职日期",
                "value": resigned_on,
            },
            {
                "componentType": "TextareaField",
                "id": "TextareaField-R",
                "name": "离职原因",
                "value": reason,
            },
            *extra,
        ],
        status=status,
        result=result,
        days_ago=7,
    )


class DingTalkIntakeFake(FakeDingTalk):
    def __init__(self, server):
        super().__init__(server)
        self.departments = []  # dicts: dept_id, name, parent_id
        self.members = {}  # dept id -> [user dicts]

    def install(self):
        server = self.server
        server.expect_request(
            "/topapi/v2/department/listsub", method="POST"
        ).respond_with_handler(self._oapi_guard(self._listsub))
        server.expect_request(
            "/topapi/v2/user/list", method="POST"
        ).respond_with_handler(self._oapi_guard(self._user_list))
        super().install()
        return self

    # Events ------------------------------------------------------------------------

    @staticmethod
    def event(instance, *, result="agree", process_code=None, kind="finish"):
        return {
            "EventType": "bpms_instance_change",
            "processInstanceId": instance.instance_id,
            "finishTime": int(time.time() * 1000),
            "corpId": "ding9f50b15bccd16741",
            "title": instance.title,
            "type": kind,
            "url": "https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm",
            "result": result,
            "createTime": instance.created_ms,
            "staffId": instance.originator,
            "processCode": process_code or instance.process_code,
            "businessId": instance.business_id,
        }

    @staticmethod
    def push(payload, *, token=DINGTALK_TOKEN, aes_key=DINGTALK_AES_KEY, owner=APP_KEY):
        """(query string, body) as DingTalk pushes an event."""
        encrypt = dingtalk_encrypt(
            aes_key, owner, json.dumps(payload, ensure_ascii=False).encode()
        )
        timestamp, nonce = str(int(time.time() * 1000)), secrets.token_hex(4)
        signature = dingtalk_signature(token, timestamp, nonce, encrypt)
        query = f"msg_signature={signature}&timestamp={timestamp}&nonce={nonce}"
        return query, json.dumps({"encrypt": encrypt}).encode()

    # Serving ----------------------------------------------------------------------

    def _detail(self, request: Request):
        response = super()._detail(request)
        instance = self.instances.get(request.args.get("processInstanceId", ""))
        if isinstance(instance, DingTalkResignation) and response.status_code == 200:
            body = json.loads(response.get_data())
            finished = instance.status != "RUNNING"
            moment = datetime.datetime.now(datetime.UTC) - datetime.timedelta(
                minutes=instance.finished_minutes_ago
            )
            body["result"]["result"] = instance.result if finished else ""
            body["result"]["finishTime"] = (
                moment.strftime("%Y-%m-%dT%H:%MZ") if finished else ""
            )
            response.set_data(json.dumps(body, ensure_ascii=False))
        return response

    def _oapi_guard(self, handler):
        def guarded(request: Request):
            if not self._authorised(request.args.get("access_token", "")):
                return self._json({"errcode": 40014, "errmsg": "不合法的access_token"})
            return handler(request)

        return guarded

    def _listsub(self, request: Request):
        parent = (request.get_json(silent=True) or {}).get("dept_id")
        children = [
            department
            for department in self.departments
            if department["parent_id"] == parent
        ]
        return self._json(
            {"errcode": 0, "errmsg": "ok", "result": children, "request_id": "ls-1"}
        )

    def _user_list(self, request: Request):
        body = request.get_json(silent=True) or {}
        members = self.members.get(body.get("dept_id"), [])
        cursor, size = int(body.get("cursor") or 0), int(body.get("size") or 100)
        chunk = members[cursor : cursor + size]
        more = cursor + size < len(members)
        result = {"has_more": more, "list": chunk}
        if more:
            result["next_cursor"] = cursor + size
        return self._json(
            {"errcode": 0, "errmsg": "ok", "result": result, "request_id": "ul-1"}
        )
