"""A fake DingTalk on pytest-httpserver, answering in the published shapes:
the new server API (``/v1.0/oauth2/accessToken``, ``/v1.0/contact/users/search``,
``/v1.0/workflow/...``) and the older one (``/topapi/v2/user/get``, and the
work notification ``/topapi/message/corpconversation/asyncsend_v2``).

New-API errors are a JSON body ``{"requestid", "code", "message"}`` with a 4xx
or 5xx status and an ``x-acs-request-id`` header; older-API errors are HTTP 200
with a non-zero ``errcode``.

Work notifications are asynchronous as at DingTalk: ``asyncsend_v2`` answers
a task id, ``getsendresult`` whom the task reached. A user id DingTalk does not
know is listed invalid; the same content to the same person a second time in a
day is held back (``forbidden_list`` code 143106), as DingTalk does.
"""

from __future__ import annotations

import datetime
import itertools
import json
from dataclasses import dataclass, field

from werkzeug import Request, Response

APP_KEY = "dingabcdefghijk12345"
APP_SECRET = "dingtalk-app-s3cret"
AGENT_ID = 2981623401


def _now_ms() -> int:
    return int(datetime.datetime.now(datetime.UTC).timestamp() * 1000)


@dataclass
class Instance:
    instance_id: str
    process_code: str
    title: str
    originator: str
    components: list = field(default_factory=list)
    status: str = "RUNNING"
    business_id: str = ""
    approvers: list = field(default_factory=list)  # user ids with a pending task
    days_ago: int = 10

    @property
    def created_ms(self) -> int:
        return _now_ms() - self.days_ago * 24 * 3600 * 1000

    @property
    def create_time(self) -> str:
        moment = datetime.datetime.fromtimestamp(self.created_ms / 1000, datetime.UTC)
        return moment.strftime("%Y-%m-%dT%H:%MZ")


def money(value, name="金额"):
    return {
        "componentType": "MoneyField",
        "id": "MoneyField-JZQ1",
        "name": name,
        "value": str(value),
        "extValue": json.dumps({"upper": "", "componentName": "MoneyField"}),
    }


def textarea(name, value):
    return {
        "componentType": "TextareaField",
        "id": "TextareaField-1",
        "name": name,
        "value": value,
    }


def day(name, value):
    return {
        "componentType": "DDDateField",
        "id": "DDDateField-1",
        "name": name,
        "value": value,
    }


def table(name, rows):
    return {
        "componentType": "TableField",
        "id": "TableField-1",
        "name": name,
        "value": json.dumps(
            [{"rowValue": row, "rowNumber": f"row{n}"} for n, row in enumerate(rows)],
            ensure_ascii=False,
        ),
    }


def cell(kind, label, value):
    return {"key": f"{kind}-K{label}", "label": label, "value": value}


class FakeDingTalk:
    def __init__(self, server):
        self.server = server
        self.users = []  # dicts: userid, name, email, org_email, job_number
        self.instances: dict[str, Instance] = {}
        self.tokens = []
        self.revoked = set()
        self.page_size = None  # caps maxResults when set
        self.workflow_error = None  # (status, body or None) for every workflow call
        self.messages: list[dict] = []  # work notifications sent (the request body)
        self.message_error = None  # (errcode, errmsg) answered by asyncsend_v2
        # What reached people: (userid, msg) of the sends not held back.
        self.delivered: list[tuple[str, dict]] = []
        # userid -> "failed", or a forbidden_list code ("143105"): how the next
        # sends to them end; results_ready False: getsendresult lists nobody
        # yet; result_error: (errcode, errmsg) answered by getsendresult.
        self.outcomes: dict[str, str] = {}
        self.results_ready = True
        self.result_error = None
        self._results: dict[int, dict] = {}  # task_id -> send_result
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def settings(self, **extra):
        return {
            "api_base_url": self.base_url,
            "oapi_base_url": self.base_url,
            "app_key": APP_KEY,
            **extra,
        }

    def secrets(self, secret=APP_SECRET):
        return {"app_secret": secret}

    def add(self, instance: Instance) -> Instance:
        self.instances[instance.instance_id] = instance
        return instance

    def requests_to(self, path):
        return [
            request for request, _response in self.server.log if request.path == path
        ]

    # Serving ----------------------------------------------------------------------

    def install(self):
        server = self.server
        server.expect_request(
            "/v1.0/oauth2/accessToken", method="POST"
        ).respond_with_handler(self._token)
        server.expect_request(
            "/v1.0/contact/users/search", method="POST"
        ).respond_with_handler(self._guard(self._search))
        server.expect_request(
            "/v1.0/workflow/processes/instanceIds/query", method="POST"
        ).respond_with_handler(self._guard(self._instance_ids))
        server.expect_request(
            "/v1.0/workflow/workRecords/todoTasks", method="GET"
        ).respond_with_handler(self._guard(self._todo))
        server.expect_request(
            "/v1.0/workflow/processInstances", method="GET"
        ).respond_with_handler(self._guard(self._detail))
        server.expect_request(
            "/topapi/v2/user/get", method="POST"
        ).respond_with_handler(self._user_get)
        server.expect_request(
            "/topapi/message/corpconversation/asyncsend_v2", method="POST"
        ).respond_with_handler(self._work_notice)
        server.expect_request(
            "/topapi/message/corpconversation/getsendresult", method="POST"
        ).respond_with_handler(self._send_result)
        return self

    def _json(self, body, status=200, request_id=None):
        request_id = request_id or f"4C2F{next(self._ids):04d}-REQ"
        return Response(
            json.dumps(body, ensure_ascii=False),
            status=status,
            content_type="application/json;charset=utf-8",
            headers={"x-acs-request-id": request_id},
        )

    def _error(self, status, code, message):
        request_id = f"4C2F{next(self._ids):04d}-ERR"
        return self._json(
            {"requestid": request_id, "code": code, "message": message},
            status,
            request_id,
        )

    def _token(self, request: Request):
        body = request.get_json(silent=True) or {}
        if body.get("appKey") != APP_KEY or body.get("appSecret") != APP_SECRET:
            return self._error(
                400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret"
            )
        token = f"dt{next(self._ids):08d}"
        self.tokens.append(token)
        return self._json({"accessToken": token, "expireIn": 7200})

    def _authorised(self, token):
        return token in self.tokens and token not in self.revoked

    def _guard(self, handler):
        def guarded(request: Request):
            token = request.headers.get("x-acs-dingtalk-access-token", "")
            if not self._authorised(token):
                return self._error(401, "InvalidAuthentication", "不合法的access_token")
            if self.workflow_error and "/workflow/" in request.path:
                status, body = self.workflow_error
                if body is None:
                    return Response("<html>502 Bad Gateway</html>", status=status)
                return self._json(body, status, body.get("requestid"))
            return handler(request)

        return guarded

    def _search(self, request: Request):
        body = request.get_json(silent=True) or {}
        word = body.get("queryWord") or ""
        found = [user["userid"] for user in self.users if user["name"] == word]
        offset, size = int(body.get("offset") or 0), int(body.get("size") or 10)
        chunk = found[offset : offset + size]
        return self._json(
            {
                "hasMore": offset + size < len(found),
                "totalCount": len(found),
                "list": chunk,
            }
        )

    def _user_get(self, request: Request):
        if not self._authorised(request.args.get("access_token", "")):
            return self._json(
                {
                    "errcode": 40014,
                    "errmsg": "不合法的access_token",
                    "request_id": "oapi-1",
                }
            )
        body = request.get_json(silent=True) or {}
        for user in self.users:
            if user["userid"] == body.get("userid"):
                return self._json(
                    {
                        "errcode": 0,
                        "errmsg": "ok",
                        "result": {**user, "active": True, "dept_id_list": [1]},
                        "request_id": "oapi-2",
                    }
                )
        return self._json(
            {"errcode": 60121, "errmsg": "找不到该用户", "request_id": "oapi-3"}
        )

    def _capped(self, wanted):
        wanted = int(wanted or 20)
        return min(wanted, self.page_size) if self.page_size else wanted

    def _instance_ids(self, request: Request):
        body = request.get_json(silent=True) or {}
        statuses = body.get("statuses") or []
        users = body.get("userIds") or []
        start, end = int(body["startTime"]), int(body.get("endTime") or _now_ms())
        ids = [
            instance.instance_id
            for instance in self.instances.values()
            if instance.process_code == body.get("processCode")
            and (not users or instance.originator in users)
            and (not statuses or instance.status in statuses)
            and start <= instance.created_ms < end
        ]
        offset, size = (
            int(body.get("nextToken") or 0),
            self._capped(body.get("maxResults")),
        )
        more = offset + size < len(ids)
        result = {"list": ids[offset : offset + size]}
        if more:
            result["nextToken"] = str(offset + size)
        return self._json({"success": True, "result": result})

    def _todo(self, request: Request):
        user = request.args.get("userId")
        entries = [
            {
                "instanceId": instance.instance_id,
                "taskId": 60000 + n,
                "title": instance.title,
                "url": f"https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm?procInsId={instance.instance_id}",
                "forms": [{"title": "标题", "content": instance.title}],
            }
            for n, instance in enumerate(self.instances.values())
            if user in instance.approvers and instance.status == "RUNNING"
        ]
        offset = int(request.args.get("nextToken") or 0)
        size = self._capped(request.args.get("maxResults"))
        result = {"list": entries[offset : offset + size]}
        if offset + size < len(entries):
            result["nextToken"] = offset + size
        return self._json({"result": result})

    def _detail(self, request: Request):
        instance = self.instances.get(request.args.get("processInstanceId", ""))
        if instance is None:
            return self._error(400, "InvalidParameter", "实例不存在")
        finished = instance.status != "RUNNING"
        return self._json(
            {
                "success": True,
                "result": {
                    "title": instance.title,
                    "businessId": instance.business_id,
                    "originatorUserId": instance.originator,
                    "originatorDeptId": "1",
                    "status": instance.status,
                    "result": "agree" if finished else "",
                    "createTime": instance.create_time,
                    "finishTime": instance.create_time if finished else "",
                    "bizAction": "NONE",
                    "formComponentValues": instance.components,
                    "tasks": [
                        {
                            "taskId": 60001,
                            "userId": approver,
                            "status": "RUNNING",
                            "result": "NONE",
                            "createTime": instance.create_time,
                            "processInstanceId": instance.instance_id,
                        }
                        for approver in instance.approvers
                    ],
                    "operationRecords": [],
                    "ccUserIds": [],
                    "approverUserIds": instance.approvers,
                },
            }
        )

    def _work_notice(self, request: Request):
        if not self._authorised(request.args.get("access_token", "")):
            return self._json(
                {"errcode": 88, "errmsg": "不合法的access_token", "request_id": "n-1"}
            )
        if self.message_error:
            errcode, errmsg = self.message_error
            return self._json(
                {"errcode": errcode, "errmsg": errmsg, "request_id": "n-2"}
            )
        body = request.get_json(silent=True) or {}
        if body.get("agent_id") != AGENT_ID:
            return self._json(
                {"errcode": 40056, "errmsg": "不合法的agentid", "request_id": "n-3"}
            )
        self.messages.append(body)
        task_id = 256271667526 + len(self.messages)
        self._results[task_id] = self._outcome(body)
        return self._json(
            {"errcode": 0, "errmsg": "ok", "task_id": task_id, "request_id": "n-4"}
        )

    def _outcome(self, body):
        """The send_result of one send: each receiver read, unread, invalid,
        failed or held back (forbidden, with the code)."""
        result = {
            "invalid_user_id_list": [],
            "forbidden_user_id_list": [],
            "failed_user_id_list": [],
            "read_user_id_list": [],
            "unread_user_id_list": [],
            "invalid_dept_id_list": [],
            "forbidden_list": [],
        }
        known = {user["userid"] for user in self.users}
        for userid in str(body.get("userid_list") or "").split(","):
            outcome = self.outcomes.get(userid)
            if (userid, body.get("msg")) in self.delivered:
                outcome = "143106"  # the same content to them today
            if userid not in known:
                result["invalid_user_id_list"].append(userid)
            elif outcome == "failed":
                result["failed_user_id_list"].append(userid)
            elif outcome:
                result["forbidden_user_id_list"].append(userid)
                result["forbidden_list"].append(
                    {"code": outcome, "count": 1, "userid": userid}
                )
            else:
                result["unread_user_id_list"].append(userid)
                self.delivered.append((userid, body.get("msg")))
        return result

    def _send_result(self, request: Request):
        if not self._authorised(request.args.get("access_token", "")):
            return self._json(
                {"errcode": 88, "errmsg": "不合法的access_token", "request_id": "r-1"}
            )
        if self.result_error:
            errcode, errmsg = self.result_error
            return self._json(
                {"errcode": errcode, "errmsg": errmsg, "request_id": "r-2"}
            )
        body = request.get_json(silent=True) or {}
        result = self._results.get(body.get("task_id"))
        if body.get("agent_id") != AGENT_ID or result is None:
            return self._json(
                {"errcode": 400, "errmsg": "task not found", "request_id": "r-3"}
            )
        if not self.results_ready:
            result = {key: [] for key in result}
        return self._json(
            {"errcode": 0, "errmsg": "ok", "send_result": result, "request_id": "r-4"}
        )
