"""The SCIM 2.0 connector type against a real SCIM server (scim2-server), and
against pytest-httpserver for what real servers do that scim2-server won't
(string booleans, a ``groups`` attribute, outages)."""

import json
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import translation
from werkzeug import Response

from connectors.sdk.base import ConnectorError, EmployeeRef, MisconfiguredError
from connectors.types.scim import ScimConnector, scim_filter

from ..servers import free_port

pytestmark = pytest.mark.scim

SALES = EmployeeRef(
    email="sales@baton.example",
    employee_number="E1001",
    directory_id="dir-sales",
    username="sales",
    name="Sam Sales",
)
SUCCESSOR = EmployeeRef(email="successor@baton.example", username="successor")
DEV = EmployeeRef(email="dev@baton.example", username="dev")


def connector(base_url, token="", **settings):
    return ScimConnector(
        settings={"base_url": base_url, "auth": "bearer", **settings},
        secrets={"token": token},
        timeout=settings.pop("timeout", 5),
    )


@pytest.fixture
def scim(scim_server):
    instance = connector(scim_server.base_url, scim_server.token)
    yield instance
    instance.close()


# Against the real server -------------------------------------------------------------


def test_finds_the_account_of_sales_by_email(scim, scim_server):
    records = scim.discover(employee=SALES, record_kind="account")

    assert len(records) == 1
    account = records[0]
    assert account.error == ""
    assert account.kind == "account"
    assert account.external_id == scim_server.users["sales"]
    assert account.title == "sales"
    assert account.fields["displayName"] == "Sam Sales"
    assert account.fields["email"] == "sales@baton.example"
    assert account.fields["active"] is True
    assert account.fields["employeeNumber"] == "E1001"
    assert account.fields["system"] == urlsplit(scim_server.base_url).netloc
    assert sorted(account.fields["groups"]) == ["Key accounts", "Sales team"]


def test_default_mapping_fills_the_account_item(scim):
    (account,) = scim.discover(employee=SALES, record_kind="account")
    mapping = ScimConnector.default_mappings["account"]

    item = {prop: account.fields[path] for prop, path in mapping.items()}

    assert item["account_id"] == "sales"
    assert "Key accounts" in item["role_permission"]
    assert item["system"]


@pytest.mark.parametrize(
    ("match_attribute", "match_by"),
    [
        ("userName", "username"),
        ("externalId", "directory_id"),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "employee_number",
        ),
    ],
)
def test_other_match_attributes_find_the_same_account(
    scim_server, match_attribute, match_by
):
    instance = connector(
        scim_server.base_url,
        scim_server.token,
        match_attribute=match_attribute,
        match_by=match_by,
    )

    records = instance.discover(employee=SALES, record_kind="account")

    assert [record.external_id for record in records] == [scim_server.users["sales"]]


def test_an_inactive_account_says_so(scim):
    (account,) = scim.discover(employee=DEV, record_kind="account")

    assert account.fields["active"] is False


def test_someone_unknown_to_the_server_has_no_records(scim):
    nobody = EmployeeRef(email="nobody@baton.example")

    assert scim.discover(employee=nobody, record_kind="account") == []
    assert scim.discover(employee=nobody, record_kind="group") == []


def test_lists_the_groups_of_sales_and_flags_where_sales_is_alone(scim, scim_server):
    records = scim.discover(employee=SALES, record_kind="group")

    by_name = {record.title: record for record in records}
    assert set(by_name) == {"Key accounts", "Sales team"}
    alone = by_name["Key accounts"]
    assert alone.external_id == scim_server.groups["Key accounts"]
    assert alone.fields["member_count"] == 1
    assert alone.fields["sole_member"] is True
    shared = by_name["Sales team"]
    assert shared.fields["member_count"] == 2
    assert shared.fields["sole_member"] is False
    assert all(record.fields["userName"] == "sales" for record in records)


def test_the_successor_shares_the_sales_team_only(scim):
    records = scim.discover(employee=SUCCESSOR, record_kind="group")

    assert [(r.title, r.fields["sole_member"]) for r in records] == [
        ("Sales team", False)
    ]


def test_a_quote_in_the_searched_value_is_escaped(scim_server):
    username = 'o"hara\\x'
    user_id = scim_server.add_user(username, email="ohara@baton.example")
    instance = connector(
        scim_server.base_url,
        scim_server.token,
        match_attribute="userName",
        match_by="username",
    )

    records = instance.discover(
        employee=EmployeeRef(username=username), record_kind="account"
    )

    assert [(r.external_id, r.title) for r in records] == [(user_id, username)]


def test_a_wrong_token_is_a_clear_misconfiguration(scim_server):
    wrong = "not-the-token-" + "x" * 20
    instance = connector(scim_server.base_url, wrong)

    with pytest.raises(MisconfiguredError) as caught:
        instance.discover(employee=SALES, record_kind="account")

    assert caught.value.message == "The SCIM server refused the token."
    assert caught.value.retryable is False
    assert wrong not in str(caught.value)
    assert scim_server.token not in str(caught.value)


def test_a_wrong_base_url_is_a_misconfiguration(scim_server):
    instance = connector(scim_server.base_url + "/nothing-here", scim_server.token)

    with pytest.raises(MisconfiguredError) as caught:
        instance.discover(employee=SALES, record_kind="account")

    assert "There is no SCIM service at" in str(caught.value)


def test_a_server_that_is_down_is_worth_retrying():
    port = free_port()
    instance = connector(f"http://127.0.0.1:{port}/scim/v2", "token")

    with pytest.raises(ConnectorError) as caught:
        instance.discover(employee=SALES, record_kind="account")

    assert caught.value.retryable is True
    assert f"127.0.0.1:{port}" in str(caught.value)


def test_test_connection_counts_the_users(scim, scim_server):
    total = requests.get(
        f"{scim_server.base_url}/Users",
        headers=scim_server.headers,
        timeout=10,
    ).json()["totalResults"]

    description = scim.test_connection()

    host = urlsplit(scim_server.base_url).netloc
    assert description == f"Connected to {host} ({total} users)."


def test_test_connection_with_a_wrong_token_fails(scim_server):
    instance = connector(scim_server.base_url, "wrong-token")

    with pytest.raises(MisconfiguredError, match="refused the token"):
        instance.test_connection()


def test_an_unknown_record_kind_is_refused(scim):
    with pytest.raises(MisconfiguredError):
        scim.discover(employee=SALES, record_kind="client")


# Against pytest-httpserver --------------------------------------------------------


def list_response(*resources, total=None):
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": len(resources) if total is None else total,
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": list(resources),
    }


def user(user_id="u1", **attributes):
    return {
        "id": user_id,
        "userName": "sales",
        "emails": [{"value": "sales@baton.example", "primary": True}],
        "groups": [],
        **attributes,
    }


@pytest.fixture
def fake(httpserver):
    instance = connector(httpserver.url_for("/scim/v2"), "t0ken", timeout=0.5)
    yield instance
    instance.close()


@pytest.mark.parametrize(
    ("active", "expected"),
    [(True, True), (False, False), ("true", True), ("False", False), ("TRUE", True)],
)
def test_active_accepts_booleans_and_their_strings(httpserver, fake, active, expected):
    httpserver.expect_request("/scim/v2/Users").respond_with_json(
        list_response(user(active=active))
    )

    (account,) = fake.discover(employee=SALES, record_kind="account")

    assert account.error == ""
    assert account.fields["active"] is expected


@pytest.mark.parametrize("active", ["yes", "1", 1, ""])
def test_an_unreadable_active_value_marks_only_that_account(httpserver, fake, active):
    httpserver.expect_request("/scim/v2/Users").respond_with_json(
        list_response(user("u1", active=active), user("u2", active="true"))
    )

    first, second = fake.discover(employee=SALES, record_kind="account")

    assert first.external_id == "u1"
    assert "neither true nor false" in first.error
    assert second.error == ""
    assert second.fields["active"] is True


def test_the_search_filter_is_quoted(httpserver, fake):
    httpserver.expect_request("/scim/v2/Users").respond_with_json(list_response())
    tricky = EmployeeRef(email='a"b\\c@baton.example')

    fake.discover(employee=tricky, record_kind="account")

    request, _response = httpserver.log[0]
    query = parse_qs(request.query_string.decode())
    assert query["filter"] == ['emails.value eq "a\\"b\\\\c@baton.example"']
    assert request.headers["Authorization"] == "Bearer t0ken"
    assert scim_filter("userName", 'x"y') == 'userName eq "x\\"y"'


def test_results_are_read_page_by_page(httpserver, fake):
    people = [user(f"u{number}", userName=f"user{number}") for number in range(5)]

    def pages(request):
        start = int(request.args["startIndex"])
        # This server hands out two at a time whatever count asks for.
        chunk = people[start - 1 : start + 1]
        body = list_response(*chunk, total=len(people))
        return Response(json.dumps(body), content_type="application/scim+json")

    httpserver.expect_request("/scim/v2/Users").respond_with_handler(pages)

    records = fake.discover(employee=SALES, record_kind="account")

    assert [record.external_id for record in records] == [f"u{n}" for n in range(5)]
    assert len(httpserver.log) == 3


def test_groups_come_from_the_users_groups_attribute_when_present(httpserver, fake):
    httpserver.expect_request("/scim/v2/Users").respond_with_json(
        list_response(
            user(
                groups=[
                    {"value": "g1", "display": "Key accounts"},
                    {"value": "g2", "display": "Everyone"},
                ]
            )
        )
    )
    httpserver.expect_request("/scim/v2/Groups/g1").respond_with_json(
        {"id": "g1", "displayName": "Key accounts", "members": [{"value": "u1"}]}
    )
    httpserver.expect_request("/scim/v2/Groups/g2").respond_with_json(
        {
            "id": "g2",
            "displayName": "Everyone",
            "members": [{"value": "u1"}, {"value": "u9"}],
        }
    )

    records = fake.discover(employee=SALES, record_kind="group")

    assert [
        (r.title, r.fields["member_count"], r.fields["sole_member"]) for r in records
    ] == [
        ("Key accounts", 1, True),
        ("Everyone", 2, False),
    ]
    paths = [request.path for request, _response in httpserver.log]
    assert "/scim/v2/Groups" not in paths


def test_a_server_error_is_retryable_and_carries_the_request_id(httpserver, fake):
    httpserver.expect_request("/scim/v2/Users").respond_with_json(
        {"detail": "boom"}, status=503, headers={"X-Request-ID": "req-42"}
    )

    with pytest.raises(ConnectorError) as caught:
        fake.discover(employee=SALES, record_kind="account")

    assert caught.value.retryable is True
    assert caught.value.request_id == "req-42"
    assert "503" in str(caught.value)


def test_a_forbidden_answer_never_echoes_the_token(httpserver, fake):
    httpserver.expect_request("/scim/v2/Users").respond_with_json(
        {"detail": "token t0ken is not allowed"},
        status=403,
        headers={"Request-Id": "r-7"},
    )

    with pytest.raises(MisconfiguredError) as caught:
        fake.discover(employee=SALES, record_kind="account")

    assert str(caught.value) == "The SCIM server refused the token."
    assert caught.value.request_id == "r-7"


def test_an_answer_that_is_not_json_is_reported(httpserver, fake):
    httpserver.expect_request("/scim/v2/Users").respond_with_data(
        "<html>Sign in</html>", content_type="text/html"
    )

    with pytest.raises(
        ConnectorError, match="answered with something that is not JSON"
    ):
        fake.discover(employee=SALES, record_kind="account")


def test_a_slow_server_times_out_and_is_retryable(httpserver, fake):
    answered = threading.Event()

    def slow(request):
        # Longer than the 0.5 s timeout; released once the client gave up, so
        # the (single-threaded) test server is free for the next test.
        answered.wait(10)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/scim/v2/Users").respond_with_handler(slow)

    try:
        with pytest.raises(ConnectorError) as caught:
            fake.discover(employee=SALES, record_kind="account")
    finally:
        answered.set()

    assert caught.value.retryable is True
    assert "did not answer within 0.5 seconds" in str(caught.value)


def test_test_connection_falls_back_without_service_provider_config(httpserver, fake):
    httpserver.expect_request("/scim/v2/ServiceProviderConfig").respond_with_data(
        "", status=404
    )
    httpserver.expect_request("/scim/v2/Users").respond_with_json(
        list_response(user(), total=1)
    )

    host = urlsplit(httpserver.url_for("/")).netloc
    assert fake.test_connection() == f"Connected to {host} (1 user)."


def test_an_employee_without_the_matched_value_is_reported(fake):
    with pytest.raises(ConnectorError) as caught:
        fake.discover(employee=EmployeeRef(username="sales"), record_kind="account")

    assert caught.value.retryable is False
    assert "e-mail address" in str(caught.value)


def test_reasons_read_in_chinese(scim_server):
    instance = connector(scim_server.base_url, "wrong-token")

    with (
        translation.override("zh-hans"),
        pytest.raises(MisconfiguredError) as caught,
    ):
        instance.discover(employee=SALES, record_kind="account")

    assert str(caught.value) == "SCIM 服务器拒绝了该令牌。"
