"""A fake of HubSpot's CRM API for the connector tests, served by
pytest-httpserver. Answers follow HubSpot's documented shapes: owners,
deal pipelines, object search with ``paging.next.after``, batch reads, v4
association batch reads, single reads and PATCH updates, and error bodies
``{"status": "error", "message", "correlationId", "category"}`` with an
``X-HubSpot-Correlation-Id`` header.

The data is the demo's sales scenario: Chen Fang (sales@baton.example) owns two
open deals and has three clients; Yang Jing (successor@) owns nothing yet; Liu
Lei (dev@) owns a deal and a company of his own.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from dataclasses import dataclass, field

from werkzeug import Request, Response

__all__ = ["TOKEN", "FakeHubSpot", "install"]

TOKEN = "pat-na1-test-0123456789abcdef"

OWNERS = [
    {"id": "101", "email": "sales@baton.example", "first": "Fang", "last": "Chen"},
    {"id": "102", "email": "successor@baton.example", "first": "Jing", "last": "Yang"},
    {"id": "103", "email": "dev@baton.example", "first": "Lei", "last": "Liu"},
]
PIPELINES = [
    {
        "id": "default",
        "label": "Sales Pipeline",
        "displayOrder": 0,
        "archived": False,
        "stages": [
            ("appointmentscheduled", "Appointment scheduled", "0.2", "false"),
            ("qualifiedtobuy", "Qualified to buy", "0.4", "false"),
            ("contractsent", "Contract sent", "0.9", "false"),
            ("closedwon", "Closed won", "1.0", "true"),
            ("closedlost", "Closed lost", "0.0", "true"),
        ],
    }
]


def _deal(name, owner, stage, amount, currency, **extra):
    closed = stage in ("closedwon", "closedlost")
    return {
        "dealname": name,
        "hubspot_owner_id": owner,
        "dealstage": stage,
        "pipeline": "default",
        "amount": amount,
        "deal_currency_code": currency,
        "hs_is_closed": "true" if closed else "false",
        "closedate": "2026-12-15T00:00:00Z",
        **extra,
    }


def seed() -> dict:
    """object type -> id -> properties; association lists."""
    return {
        "deals": {
            "201": _deal(
                "Tea shop POS rollout",
                "101",
                "contractsent",
                "128000",
                "CNY",
                hs_next_step="Send the revised proposal by Friday.\nThen call.",
            ),
            "202": _deal(
                "Annual silk supply renewal", "101", "qualifiedtobuy", "45000.5", "USD"
            ),
            "203": _deal("Kiosk pilot", "101", "closedlost", "8000", "CNY"),
            "204": _deal("Fleet tracking pilot", "101", "closedwon", "30000", "CNY"),
            "205": _deal(
                "Booking platform integration",
                "103",
                "appointmentscheduled",
                "20000",
                "CNY",
            ),
        },
        "companies": {
            "501": {
                "name": "Hangzhou West Lake Tea Co., Ltd.",
                "domain": "westlaketea.example",
                "phone": "+86 571 8888 0000",
                "hubspot_owner_id": "101",
            },
            "502": {
                "name": "Suzhou Silk Imports",
                "domain": "suzhousilk.example",
                "hubspot_owner_id": "103",
            },
            "503": {
                "name": "Shenzhen Harbor Logistics",
                "phone": "+86 755 2222 9090",
                "hubspot_owner_id": "101",
            },
            "504": {"name": "Chengdu Panda Travel", "hubspot_owner_id": "103"},
        },
        "contacts": {
            "401": {
                "firstname": "Li",
                "lastname": "Wang",
                "jobtitle": "Purchasing manager",
                "email": "wang.li@westlaketea.example",
                "phone": "+86 571 8888 1234",
            },
            "402": {
                "firstname": "Min",
                "lastname": "Zhou",
                "email": "zhou.min@suzhousilk.example",
            },
        },
        "quotes": {
            "301": {
                "hs_title": "POS rollout proposal",
                "hs_quote_amount": "126000.00",
                "hs_currency": "CNY",
                "hs_status": "APPROVAL_NOT_NEEDED",
                "hs_createdate": "2026-10-20T08:00:00Z",
            },
            "302": {
                "hs_title": "POS rollout, first draft",
                "hs_quote_amount": "140000.00",
                "hs_currency": "CNY",
                "hs_status": "APPROVAL_NOT_NEEDED",
                "hs_createdate": "2026-09-01T08:00:00Z",
            },
        },
        "associations": {
            ("deals", "companies"): {
                "201": ["501"],
                "202": ["502"],
                "203": ["501"],
                "204": ["503"],
                "205": ["504"],
            },
            ("companies", "contacts"): {"501": ["401"], "502": ["402"]},
            ("deals", "quotes"): {"201": ["302", "301"]},
        },
    }


@dataclass
class FakeHubSpot:
    """The state of the fake and what it was asked.

    ``fail(status, times=1, path=None)`` makes the next matching requests fail;
    ``page_size`` is how many results a search page holds at most.
    """

    url: str
    token: str = TOKEN
    page_size: int = 100
    data: dict = field(default_factory=seed)
    requests: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    # Correlation ids of the error answers, in order.
    errors: list = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.url.rstrip("/")

    def settings(self, **overrides) -> dict:
        return {"base_url": self.base_url, "timeout": 5, **overrides}

    def secrets(self, **overrides) -> dict:
        return {"token": self.token, **overrides}

    def fail(self, status: int, *, times: int = 1, path: str | None = None) -> None:
        self.failures.append({"status": status, "times": times, "path": path})

    def owner_of(self, object_type: str, object_id: str) -> str:
        return self.data[object_type][object_id].get("hubspot_owner_id", "")

    def calls(self, method: str, path_pattern: str) -> list:
        pattern = re.compile(path_pattern)
        return [
            entry
            for entry in self.requests
            if entry["method"] == method and pattern.fullmatch(entry["path"])
        ]

    # Serving ----------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        response = self._handle(request)
        if response.status_code >= 400:
            self.errors.append(response.headers["X-HubSpot-Correlation-Id"])
        return response

    def _handle(self, request: Request) -> Response:
        body = request.get_data()
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "args": request.args.to_dict(),
                "json": payload,
            }
        )
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(
                401,
                "Authentication credentials not found. This API supports OAuth 2.0 "
                "authentication.",
                "INVALID_AUTHENTICATION",
            )
        for failure in self.failures:
            if failure["times"] and (
                failure["path"] is None or re.search(failure["path"], request.path)
            ):
                failure["times"] -= 1
                return self._failure(failure["status"])
        return self._route(request, payload or {})

    def _failure(self, status: int) -> Response:
        if status == 429:
            return _error(
                429,
                "You have reached your secondly limit.",
                "RATE_LIMITS",
                headers={"Retry-After": "1"},
                extra={"errorType": "RATE_LIMIT", "policyName": "SECONDLY"},
            )
        return _error(status, "Internal error", "INTERNAL_ERROR")

    def _route(self, request: Request, payload: dict) -> Response:
        path = request.path
        method = request.method
        if method == "GET" and path == "/crm/v3/owners":
            return self._owners(request)
        if method == "GET" and path == "/crm/v3/pipelines/deals":
            return _ok({"results": [_pipeline(p) for p in PIPELINES]})
        match = re.fullmatch(r"/crm/v3/objects/(\w+)/search", path)
        if method == "POST" and match:
            return self._search(match[1], payload)
        match = re.fullmatch(r"/crm/v3/objects/(\w+)/batch/read", path)
        if method == "POST" and match:
            return self._batch_read(match[1], payload)
        match = re.fullmatch(r"/crm/v4/associations/(\w+)/(\w+)/batch/read", path)
        if method == "POST" and match:
            return self._associations(match[1], match[2], payload)
        match = re.fullmatch(r"/crm/v3/objects/(\w+)/(\d+)", path)
        if match and method in ("GET", "PATCH"):
            return self._object(match[1], match[2], method, request, payload)
        return _error(404, "Resource not found", "OBJECT_NOT_FOUND")

    def _owners(self, request: Request) -> Response:
        email = request.args.get("email")
        limit = int(request.args.get("limit", 100))
        owners = [
            {
                "id": owner["id"],
                "email": owner["email"],
                "type": "PERSON",
                "firstName": owner["first"],
                "lastName": owner["last"],
                "userId": int(owner["id"]) + 9000,
                "userIdIncludingInactive": int(owner["id"]) + 9000,
                "createdAt": "2025-01-05T08:00:00Z",
                "updatedAt": "2026-10-01T08:00:00Z",
                "archived": False,
                "teams": [],
            }
            for owner in OWNERS
            if email is None or owner["email"] == email
        ]
        answer = {"results": owners[:limit]}
        if len(owners) > limit:
            answer["paging"] = {"next": {"after": str(limit), "link": "…"}}
        return _ok(answer)

    def _search(self, object_type: str, payload: dict) -> Response:
        objects = self.data.get(object_type)
        if objects is None:
            return _error(404, "Unknown object type", "OBJECT_NOT_FOUND")
        matching = []
        for object_id, properties in sorted(objects.items(), key=lambda i: int(i[0])):
            groups = payload.get("filterGroups") or []
            if groups and not any(
                all(_matches(properties, rule) for rule in group.get("filters", []))
                for group in groups
            ):
                continue
            matching.append(
                _object(object_id, properties, payload.get("properties") or [])
            )
        start = int(payload.get("after") or 0)
        size = min(int(payload.get("limit") or 10), self.page_size)
        page = matching[start : start + size]
        answer = {"total": len(matching), "results": page}
        if start + size < len(matching):
            answer["paging"] = {"next": {"after": str(start + size)}}
        return _ok(answer)

    def _batch_read(self, object_type: str, payload: dict) -> Response:
        objects = self.data.get(object_type, {})
        wanted = payload.get("properties") or []
        results = [
            _object(entry["id"], objects[entry["id"]], wanted)
            for entry in payload.get("inputs") or []
            if entry.get("id") in objects
        ]
        return _ok(
            {
                "status": "COMPLETE",
                "results": results,
                "startedAt": "2026-11-02T08:00:00Z",
                "completedAt": "2026-11-02T08:00:01Z",
            }
        )

    def _associations(self, source: str, target: str, payload: dict) -> Response:
        links = self.data["associations"].get((source, target), {})
        results = []
        for entry in payload.get("inputs") or []:
            targets = links.get(entry.get("id"))
            if not targets:
                continue
            results.append(
                {
                    "from": {"id": entry["id"]},
                    "to": [
                        {
                            "toObjectId": int(target_id),
                            "associationTypes": [
                                {"category": "HUBSPOT_DEFINED", "typeId": 5}
                            ],
                        }
                        for target_id in targets
                    ],
                }
            )
        return _ok({"status": "COMPLETE", "results": results})

    def _object(self, object_type, object_id, method, request, payload) -> Response:
        objects = self.data.get(object_type, {})
        if object_id not in objects:
            return _error(404, "resource not found", "OBJECT_NOT_FOUND")
        if method == "PATCH":
            changes = payload.get("properties")
            if not isinstance(changes, dict):
                return _error(400, "Invalid input JSON", "VALIDATION_ERROR")
            owner = changes.get("hubspot_owner_id")
            if owner is not None and owner not in {o["id"] for o in OWNERS}:
                return _error(
                    400,
                    f'Property values were not valid: "{owner}" is not a valid owner',
                    "VALIDATION_ERROR",
                )
            objects[object_id].update(changes)
            return _ok(_object(object_id, objects[object_id], list(changes)))
        wanted = (request.args.get("properties") or "").split(",")
        return _ok(_object(object_id, objects[object_id], wanted))


def install(httpserver) -> FakeHubSpot:
    """Serve a fresh fake from ``httpserver``."""
    fake = FakeHubSpot(url=httpserver.url_for("/"))
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    return fake


def _matches(properties: dict, rule: dict) -> bool:
    value = properties.get(rule.get("propertyName"))
    if rule.get("operator") == "EQ":
        return value == rule.get("value")
    if rule.get("operator") == "NEQ":
        return value != rule.get("value")
    return False


def _object(object_id: str, properties: dict, wanted) -> dict:
    shown = {name: properties.get(name) for name in wanted if name}
    shown["hs_object_id"] = object_id
    return {
        "id": object_id,
        "properties": copy.deepcopy(shown),
        "createdAt": "2026-09-01T08:00:00Z",
        "updatedAt": "2026-10-20T08:00:00Z",
        "archived": False,
    }


def _pipeline(pipeline: dict) -> dict:
    return {
        **{key: value for key, value in pipeline.items() if key != "stages"},
        "stages": [
            {
                "id": stage_id,
                "label": label,
                "displayOrder": order,
                "metadata": {"probability": probability, "isClosed": closed},
                "archived": False,
            }
            for order, (stage_id, label, probability, closed) in enumerate(
                pipeline["stages"]
            )
        ],
    }


def _ok(body) -> Response:
    return Response(
        json.dumps(body),
        status=200,
        content_type="application/json;charset=utf-8",
        headers={"X-HubSpot-Correlation-Id": str(uuid.uuid4())},
    )


def _error(status, message, category, *, headers=None, extra=None) -> Response:
    correlation = str(uuid.uuid4())
    body = {
        "status": "error",
        "message": message,
        "correlationId": correlation,
        "category": category,
        **(extra or {}),
    }
    return Response(
        json.dumps(body),
        status=status,
        content_type="application/json;charset=utf-8",
        headers={"X-HubSpot-Correlation-Id": correlation, **(headers or {})},
    )
