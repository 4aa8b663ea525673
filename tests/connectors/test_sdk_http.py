"""The connector SDK as a type author meets it: a system declared in a few
lines (auth, pagination) talks to a real HTTP server, and every failure comes
back as the error a person can act on."""

from __future__ import annotations

import json

import pytest
import requests
from django.utils.translation import gettext_lazy as _
from werkzeug import Response

from connectors.sdk.base import (
    ConnectorError,
    EmployeeRef,
    MisconfiguredError,
    Record,
    Setting,
)
from connectors.sdk.http import (
    BASE_URL,
    Bearer,
    Cursor,
    Header,
    HttpConnector,
    LinkHeader,
    Offset,
    PageNumber,
    TokenExchange,
)
from connectors.sdk.payloads import Payload, Text, parse, parse_each
from connectors.sdk.people import FindsPeople
from connectors.sdk.settings import settings_errors
from connectors.sdk.vendor import upstream_errors

TOKEN = "sdk-secret-token-0123456789"


class Acme(FindsPeople, HttpConnector):
    """The whole of a small system: what a type author writes."""

    slug = "acme-test"
    label = "Acme"
    auth = Bearer("token")
    pagination = PageNumber(size=2, items="results")
    request_id_headers = ("X-Acme-Trace",)
    people_map_setting = "people"
    default_mappings = {"project": {"title": "name"}}
    settings = (
        BASE_URL,
        Setting("people", "People", required=False, default={}, type="object"),
        Setting(
            "token", "API token", secret=True, missing=_("Enter an Acme API token.")
        ),
    )

    def find_person(self, *, value, match_by):
        found = self.get("/users", {"email": value}).get("results") or []
        return str(found[0]["id"]) if found else None

    def list_records(self, *, employee, record_kind):
        owner = self.person_id(employee)
        for entry in parse_each(Project, self.paginate("/projects", {"owner": owner})):
            yield Record(external_id=entry.id, kind="project", title=entry.name)


class Project(Payload):
    id: Text
    name: Text = ""


def acme(httpserver, **settings):
    secrets = {"token": TOKEN}
    secrets.update(settings.pop("secrets", {}))
    return Acme(
        settings={"base_url": httpserver.url_for("").rstrip("/"), **settings},
        secrets=secrets,
        timeout=5,
    )


def _json(data, status=200, headers=None):
    return Response(json.dumps(data), status, headers, content_type="application/json")


ANN = EmployeeRef(email="ann@example.com", name="Ann")


def test_a_declared_type_pages_through_with_its_token(httpserver):
    httpserver.expect_request(
        "/users", query_string="email=ann%40example.com"
    ).respond_with_json({"results": [{"id": 7}]})
    pages = {
        "1": [{"id": "p1", "name": "One"}, {"id": "p2", "name": "Two"}],
        "2": [{"id": "p3", "name": "Three"}, "not an object"],
    }

    def projects(request):
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.args["owner"] == "7"
        assert request.args["per_page"] == "2"
        return _json({"results": pages.get(request.args["page"], [])})

    httpserver.expect_request("/projects").respond_with_handler(projects)

    records = list(acme(httpserver).discover(employee=ANN, record_kind="project"))

    assert [(r.external_id, r.title) for r in records] == [
        ("p1", "One"),
        ("p2", "Two"),
        ("p3", "Three"),
    ]


def test_the_people_map_wins_and_a_lookup_is_asked_once(httpserver):
    calls = []

    def users(request):
        calls.append(request.args["email"])
        return _json({"results": [{"id": 9}]})

    httpserver.expect_request("/users").respond_with_handler(users)
    connector = acme(httpserver, people={"ANN@example.com": "42"})
    assert connector.person_id(ANN) == "42"
    bob = EmployeeRef(email="bob@example.com")
    assert connector.person_id(bob) == "9"
    assert connector.person_id(bob) == "9"
    assert calls == ["bob@example.com"]


def test_nobody_found_is_an_error_retrying_cannot_fix(httpserver):
    httpserver.expect_request("/users").respond_with_json({"results": []})
    with pytest.raises(ConnectorError) as raised:
        acme(httpserver).person_id(ANN)
    assert "ann@example.com" in str(raised.value)
    assert raised.value.retryable is False


def test_a_missing_secret_is_named_before_anything_is_sent(httpserver):
    connector = acme(httpserver, secrets={"token": ""})
    with pytest.raises(MisconfiguredError, match=r"Enter an Acme API token\."):
        connector.get("/anything")
    assert httpserver.log == []


def test_a_base_url_that_is_no_url_is_refused(httpserver):
    connector = acme(httpserver)
    connector.config["base_url"] = "ftp://example.com"
    with pytest.raises(MisconfiguredError, match="must start with https://"):
        connector.get("/x")
    assert settings_errors(Acme, {"base_url": "example.com"}) == [
        "“Base URL” must start with https:// (or http://)."
    ]


def test_a_gateway_hiccup_is_retried_for_reads_only(httpserver):
    answers = iter([503, 502, 200])

    def flaky(request):
        status = next(answers)
        return _json({"ok": status == 200}, status)

    httpserver.expect_request("/flaky").respond_with_handler(flaky)
    assert acme(httpserver).get("/flaky") == {"ok": True}

    httpserver.expect_request("/write", method="POST").respond_with_json({}, status=503)
    with pytest.raises(ConnectorError) as raised:
        acme(httpserver).post("/write", {"a": 1})
    assert raised.value.retryable is True
    assert len([e for e in httpserver.log if e[0].path == "/write"]) == 1


def test_refusals_outages_and_rejections_read_as_what_to_do(httpserver):
    connector = acme(httpserver)
    httpserver.expect_request("/denied").respond_with_json(
        {"message": TOKEN}, status=401
    )
    with pytest.raises(MisconfiguredError) as raised:
        connector.get("/denied")
    assert "HTTP 401" in str(raised.value) and TOKEN not in str(raised.value)

    httpserver.expect_request("/down").respond_with_response(
        _json({}, 500, {"X-Acme-Trace": "trace-1"})
    )
    with pytest.raises(ConnectorError) as raised:
        connector.get("/down")
    assert raised.value.retryable and raised.value.request_id == "trace-1"

    httpserver.expect_request("/bad").respond_with_json(
        {"message": f"field owner is wrong for {TOKEN}"}, status=422
    )
    with pytest.raises(MisconfiguredError) as raised:
        connector.get("/bad")
    assert "field owner is wrong" in str(raised.value)
    assert TOKEN not in str(raised.value)

    httpserver.expect_request("/gone").respond_with_json({}, status=404)
    with pytest.raises(MisconfiguredError, match="No such project"):
        connector.get("/gone", not_found=_("No such project."))

    httpserver.expect_request("/slow-down").respond_with_json({}, status=429)
    with pytest.raises(ConnectorError, match="limiting") as raised:
        connector.get("/slow-down")
    assert raised.value.retryable


def test_every_pagination_style_reads_every_entry(httpserver):
    rows = [{"id": str(n)} for n in range(5)]

    def offset(request):
        start, size = int(request.args["startAt"]), int(request.args["maxResults"])
        return _json({"issues": rows[start : start + size], "total": len(rows)})

    def cursor(request):
        body = json.loads(request.data)
        start = int(body.get("after") or 0)
        page = rows[start : start + body["limit"]]
        more = start + len(page) < len(rows)
        return _json(
            {
                "results": page,
                "paging": {"next": {"after": str(start + len(page))}} if more else {},
            }
        )

    def linked(request):
        start = int(request.args.get("from", 0))
        size = int(request.args.get("per_page") or 2)
        headers = {}
        if start + size < len(rows):
            following = httpserver.url_for(
                f"/linked?from={start + size}&per_page={size}"
            )
            headers["Link"] = f'<{following}>; rel="next"'
        return _json(rows[start : start + size], headers=headers)

    httpserver.expect_request("/offset").respond_with_handler(offset)
    httpserver.expect_request("/cursor", method="POST").respond_with_handler(cursor)
    httpserver.expect_request("/linked").respond_with_handler(linked)
    connector = acme(httpserver)

    styles = {
        "/offset": {"pagination": Offset(size=2, items="issues", total="total")},
        "/cursor": {
            "pagination": Cursor(size=2, in_body=True),
            "method": "POST",
            "body": {"q": 1},
        },
        "/linked": {"pagination": LinkHeader(size=2)},
    }
    for path, how in styles.items():
        assert list(connector.paginate(path, **how)) == rows, path


def test_a_server_that_never_stops_paging_is_cut_off(httpserver):
    httpserver.expect_request("/endless").respond_with_json(
        {"results": [{"id": "a"}, {"id": "b"}]}
    )
    connector = acme(httpserver)
    connector.max_pages = 3
    with pytest.raises(ConnectorError, match="after 3 pages"):
        list(connector.paginate("/endless"))


def test_a_token_exchange_happens_once_and_signs_every_call(httpserver):
    class Exchanging(Acme):
        auth = TokenExchange(
            "/token",
            body=lambda c: {"app_secret": c.secrets["token"]},
            token="data.access_token",
            expires="data.expire",
        )

    exchanges = []

    def token(request):
        exchanges.append(json.loads(request.data))
        return _json({"data": {"access_token": "short-lived", "expire": 7200}})

    def data(request):
        assert request.headers["Authorization"] == "Bearer short-lived"
        return _json({"fine": True})

    httpserver.expect_request("/token", method="POST").respond_with_handler(token)
    httpserver.expect_request("/data").respond_with_handler(data)
    connector = Exchanging(
        settings={"base_url": httpserver.url_for("").rstrip("/")},
        secrets={"token": TOKEN},
    )
    assert connector.get("/data") == {"fine": True}
    assert connector.get("/data") == {"fine": True}
    assert exchanges == [{"app_secret": TOKEN}]


def test_a_header_key_is_sent_as_its_own_header(httpserver):
    class Keyed(Acme):
        auth = Header("token", header="X-Api-Key")

    def echo(request):
        return _json({"key": request.headers.get("X-Api-Key")})

    httpserver.expect_request("/who").respond_with_handler(echo)
    connector = Keyed(
        settings={"base_url": httpserver.url_for("").rstrip("/")},
        secrets={"token": TOKEN},
    )
    assert connector.get("/who") == {"key": TOKEN}


def test_payloads_arrive_typed_or_name_the_field_that_is_wrong():
    class Deal(Payload):
        id: Text
        amount: float = 0
        owner: Text = ""

    deal = parse(Deal, {"id": 12, "amount": "10.5", "owner": {"x": 1}}, system="CRM")
    assert (deal.id, deal.amount, deal.owner) == ("12", 10.5, "")
    with pytest.raises(ConnectorError, match="amount"):
        parse(Deal, {"id": "1", "amount": "lots"}, system="CRM")


def test_a_vendor_library_error_reads_like_any_other(httpserver):
    class LibraryError(Exception):
        def __init__(self, status, body):
            super().__init__(body)
            self.status = status
            self.data = body

    connector = acme(httpserver)
    with (
        pytest.raises(MisconfiguredError, match="HTTP 403"),
        upstream_errors(connector, refused="HTTP 403", library_errors=LibraryError),
    ):
        raise LibraryError(403, {"message": "nope"})
    rejected = upstream_errors(connector, refused="-", library_errors=LibraryError)
    with pytest.raises(MisconfiguredError, match="repo is archived"), rejected:
        raise LibraryError(422, {"message": "repo is archived"})
    unreachable = upstream_errors(connector, refused="-")
    with pytest.raises(ConnectorError, match="Could not connect"), unreachable:
        raise requests.exceptions.ConnectionError("refused")
