"""The generic REST/JSON connector type: against the real SCIM server's REST API
once, and against pytest-httpserver for each pagination style, each kind of
authentication and each way an upstream API can fail."""

import base64
import json
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug import Response

from connectors.sdk.base import ConnectorError, EmployeeRef, MisconfiguredError
from connectors.types.rest import RestConnector

from .scim.server import scim_server  # noqa: F401  (session fixture)

pytestmark = pytest.mark.rest

SALES = EmployeeRef(
    email="sales@baton.example",
    employee_number="E1001",
    directory_id="dir-sales",
    username="sales",
    name="Sam Sales",
)


def make(base_url, secrets=None, **settings):
    return RestConnector(
        settings={"base_url": base_url, **settings},
        secrets=secrets or {},
        timeout=settings.pop("timeout", 5),
    )


@pytest.fixture
def rest(httpserver):
    made = []

    def build(secrets=None, **settings):
        settings.setdefault("path", "/api/clients")
        connector = make(httpserver.url_for(""), secrets, timeout=0.5, **settings)
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()


def clients(*ids):
    return [{"id": ident, "name": f"Client {ident}"} for ident in ids]


def requests_to(httpserver, path):
    return [request for request, _response in httpserver.log if request.path == path]


def host(httpserver):
    return urlsplit(httpserver.url_for("/")).netloc


# The real SCIM server, read as plain REST ------------------------------------------


@pytest.mark.scim
def test_reads_users_from_the_real_scim_server(scim_server):  # noqa: F811
    connector = make(
        scim_server.base_url,
        {"token": scim_server.token},
        path="/Users",
        auth="bearer",
        query={"filter": 'userName eq "{username}"'},
        records_path="Resources",
        id_path="id",
        title_path="userName",
        kind="account",
        field_paths={"email": "emails[0].value", "active": "active"},
    )

    records = connector.discover(employee=SALES, record_kind="account")

    assert [(r.external_id, r.title, r.error) for r in records] == [
        (scim_server.users["sales"], "sales", "")
    ]
    assert records[0].fields == {"email": "sales@baton.example", "active": True}


@pytest.mark.scim
def test_offset_pagination_against_the_real_scim_server(scim_server):  # noqa: F811
    connector = make(
        scim_server.base_url,
        {"token": scim_server.token},
        path="/Users",
        auth="bearer",
        records_path="Resources",
        title_path="userName",
        pagination="offset",
        offset_param="startIndex",
        limit_param="count",
        offset_start=1,
        page_size=1,
    )

    records = connector.discover(employee=SALES, record_kind="account")

    ids = [record.external_id for record in records]
    assert len(ids) == len(set(ids))
    assert set(scim_server.users.values()) <= set(ids)


# Request templates ----------------------------------------------------------------


def test_employee_values_are_url_encoded_into_the_path(httpserver, rest):
    httpserver.expect_request("/api/users/a+b@x.example/clients").respond_with_json(
        clients("c1")
    )
    connector = rest(path="/api/users/{email}/clients")

    records = connector.discover(
        employee=EmployeeRef(email="a+b@x.example"), record_kind="client"
    )

    assert [record.external_id for record in records] == ["c1"]
    raw_uri = httpserver.log[0][0].environ["REQUEST_URI"]
    assert raw_uri == "/api/users/a%2Bb%40x.example/clients"


def test_a_slash_in_a_value_cannot_change_the_path(httpserver, rest):
    httpserver.expect_request("/api/users/x/clients").respond_with_json([])
    connector = rest(path="/api/users/{username}")

    connector.discover(employee=EmployeeRef(username="x/clients"), record_kind="client")

    assert httpserver.log[0][0].environ["REQUEST_URI"] == "/api/users/x%2Fclients"


def test_unknown_variables_are_named(rest):
    connector = rest(path="/api/users/{mail}/clients/{dept}")

    with pytest.raises(MisconfiguredError) as caught:
        connector.discover(employee=SALES, record_kind="client")

    assert "{dept}, {mail}" in str(caught.value)
    assert "“path”" in str(caught.value)


def test_query_values_use_the_employee_variables(httpserver, rest):
    httpserver.expect_request("/api/clients").respond_with_json(clients("c1"))
    connector = rest(query={"owner": "{employee_number}", "status": "open"})

    connector.discover(employee=SALES, record_kind="client")

    query = parse_qs(httpserver.log[0][0].query_string.decode())
    assert query == {"owner": ["E1001"], "status": ["open"]}


def test_post_sends_the_body_template(httpserver, rest):
    httpserver.expect_request(
        "/api/search",
        method="POST",
        json={"filter": {"owner": "sales@baton.example", "names": ["Sam Sales"]}},
    ).respond_with_json({"hits": clients("c1", "c2")})
    connector = rest(
        path="/api/search",
        method="POST",
        body={"filter": {"owner": "{email}", "names": ["{name}"]}},
        records_path="hits",
    )

    records = connector.discover(employee=SALES, record_kind="client")

    assert [record.title for record in records] == ["Client c1", "Client c2"]


def test_an_employee_without_a_needed_value_is_reported(rest):
    connector = rest(path="/api/users/{employee_number}")

    with pytest.raises(ConnectorError) as caught:
        connector.discover(employee=EmployeeRef(email="x@y"), record_kind="client")

    assert caught.value.retryable is False
    assert "employee number" in str(caught.value)


def test_not_found_is_an_error_unless_it_means_no_records(httpserver, rest):
    httpserver.expect_request("/api/users/sales/clients").respond_with_json(
        {"error": "no such user"}, status=404
    )
    strict = rest(path="/api/users/{username}/clients")
    lenient = rest(path="/api/users/{username}/clients", not_found_is_empty=True)

    with pytest.raises(MisconfiguredError) as caught:
        strict.discover(employee=SALES, record_kind="client")
    assert "rejected the request (HTTP 404): no such user" in str(caught.value)
    assert lenient.discover(employee=SALES, record_kind="client") == []


# Mapping ----------------------------------------------------------------------------


def test_field_paths_build_the_record_fields(httpserver, rest):
    httpserver.expect_request("/api/clients").respond_with_json(
        {
            "data": {
                "items": [
                    {
                        "key": 7,
                        "company": {"name": "ACME", "tier": "gold"},
                        "contacts": [{"name": "Wile", "email": "w@acme.example"}],
                    }
                ]
            }
        }
    )
    connector = rest(
        records_path="data.items",
        id_path="key",
        title_path="company.name",
        kind="client",
        field_paths={
            "customer": "company.name",
            "contact": "contacts[0]",
            "tier": "company.tier",
        },
    )

    (record,) = connector.discover(employee=SALES, record_kind="client")

    assert record.external_id == "7"
    assert record.title == "ACME"
    assert record.kind == "client"
    assert record.fields == {
        "customer": "ACME",
        "contact": {"name": "Wile", "email": "w@acme.example"},
        "tier": "gold",
    }


def test_without_field_paths_a_record_keeps_what_the_api_sent(httpserver, rest):
    httpserver.expect_request("/api/clients").respond_with_json(
        [{"id": "c1", "name": "ACME", "owner": {"email": "sales@baton.example"}}]
    )

    (record,) = rest().discover(employee=SALES, record_kind="client")

    assert record.fields == {
        "id": "c1",
        "name": "ACME",
        "owner": {"email": "sales@baton.example"},
    }


def test_a_record_without_id_is_reported_and_the_others_imported(httpserver, rest):
    httpserver.expect_request("/api/clients").respond_with_json(
        [{"id": "c1", "name": "One"}, {"name": "No id"}, {"id": "c3", "name": "Three"}]
    )

    records = rest().discover(employee=SALES, record_kind="client")

    assert [(r.external_id, r.title) for r in records if not r.error] == [
        ("c1", "One"),
        ("c3", "Three"),
    ]
    (broken,) = [record for record in records if record.error]
    assert broken.error == "Record 2 on page 1 has no id at “id”."


def test_an_invalid_jmespath_names_the_setting(rest):
    connector = rest(field_paths={"customer": "company.[name"})

    with pytest.raises(MisconfiguredError) as caught:
        connector.discover(employee=SALES, record_kind="client")

    assert "field_paths.customer" in str(caught.value)


def test_a_non_list_at_the_records_path_is_an_error(httpserver, rest):
    httpserver.expect_request("/api/clients").respond_with_json({"data": {"count": 3}})
    connector = rest(records_path="data")

    with pytest.raises(ConnectorError) as caught:
        connector.discover(employee=SALES, record_kind="client")

    assert "no list of records at “data”" in str(caught.value)


def test_another_record_kind_than_configured_is_refused(rest):
    connector = rest(kind="client")

    with pytest.raises(MisconfiguredError):
        connector.discover(employee=SALES, record_kind="task")


def test_every_record_kind_is_allowed():
    from checklist_blocks.blocks.connector import RECORD_KINDS

    assert set(RestConnector.record_kinds()) == set(RECORD_KINDS)


# Pagination -------------------------------------------------------------------------


def test_page_numbers_until_an_empty_page(httpserver, rest):
    pages = {"1": clients("a", "b"), "2": clients("c"), "3": []}

    def handler(request):
        assert request.args["per_page"] == "2"
        return Response(
            json.dumps(pages[request.args["p"]]), content_type="application/json"
        )

    httpserver.expect_request("/api/clients").respond_with_handler(handler)
    connector = rest(
        pagination="page", page_param="p", page_size_param="per_page", page_size=2
    )

    records = connector.discover(employee=SALES, record_kind="client")

    assert [record.external_id for record in records] == ["a", "b", "c"]
    assert len(httpserver.log) == 3


def test_offset_and_limit_until_an_empty_page(httpserver, rest):
    everything = clients(*"abcde")

    def handler(request):
        skip, take = int(request.args["skip"]), int(request.args["take"])
        body = {"items": everything[skip : skip + take]}
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/api/clients").respond_with_handler(handler)
    connector = rest(
        pagination="offset",
        offset_param="skip",
        limit_param="take",
        page_size=2,
        records_path="items",
    )

    records = connector.discover(employee=SALES, record_kind="client")

    assert [record.external_id for record in records] == list("abcde")


def test_cursor_from_the_response(httpserver, rest):
    pages = {
        None: {"data": clients("a"), "meta": {"next": "t2"}},
        "t2": {"data": clients("b"), "meta": {"next": "t3"}},
        "t3": {"data": clients("c"), "meta": {"next": None}},
    }

    def handler(request):
        body = pages[request.args.get("after")]
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/api/clients").respond_with_handler(handler)
    connector = rest(
        pagination="cursor",
        cursor_path="meta.next",
        cursor_param="after",
        records_path="data",
        query={"owner": "{email}"},
    )

    records = connector.discover(employee=SALES, record_kind="client")

    assert [record.external_id for record in records] == ["a", "b", "c"]
    owners = [request.args["owner"] for request, _response in httpserver.log]
    assert owners == ["sales@baton.example"] * 3


def test_link_header_next(httpserver, rest):
    httpserver.expect_request("/api/clients").respond_with_json(
        clients("a"),
        headers={"Link": '</api/clients/p2?token=x>; rel="next", </api/x>; rel="last"'},
    )
    httpserver.expect_request("/api/clients/p2").respond_with_json(
        clients("b"),
        headers={"Link": f'<{httpserver.url_for("/api/clients/p3")}>; rel="next"'},
    )
    httpserver.expect_request("/api/clients/p3").respond_with_json(clients("c"))
    connector = rest(pagination="link")

    records = connector.discover(employee=SALES, record_kind="client")

    assert [record.external_id for record in records] == ["a", "b", "c"]
    assert requests_to(httpserver, "/api/clients/p2")[0].args["token"] == "x"


def test_more_pages_than_allowed_is_a_clear_error(httpserver, rest):
    def endless(request):
        number = int(request.args.get("cursor") or 0)
        body = {"data": clients(f"r{number}"), "next": number + 1}
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/api/clients").respond_with_handler(endless)
    connector = rest(
        pagination="cursor", cursor_path="next", records_path="data", max_pages=3
    )

    with pytest.raises(MisconfiguredError) as caught:
        connector.discover(employee=SALES, record_kind="client")

    assert "more than 3 pages" in str(caught.value)
    assert len(httpserver.log) == 3


# Authentication ---------------------------------------------------------------------


def test_bearer_token(httpserver, rest):
    httpserver.expect_request(
        "/api/clients", headers={"Authorization": "Bearer s3cret"}
    ).respond_with_json(clients("c1"))
    connector = rest({"token": "s3cret"}, auth="bearer")

    assert len(connector.discover(employee=SALES, record_kind="client")) == 1


def test_basic_auth(httpserver, rest):
    expected = "Basic " + base64.b64encode(b"baton:pa55").decode()
    httpserver.expect_request(
        "/api/clients", headers={"Authorization": expected}
    ).respond_with_json(clients("c1"))
    connector = rest({"password": "pa55"}, auth="basic", username="baton")

    assert len(connector.discover(employee=SALES, record_kind="client")) == 1


def test_api_key_header(httpserver, rest):
    httpserver.expect_request(
        "/api/clients", headers={"X-API-Key": "k3y"}
    ).respond_with_json(clients("c1"))
    connector = rest(
        {"header_value": "k3y"}, auth="header", auth_header_name="X-API-Key"
    )

    assert len(connector.discover(employee=SALES, record_kind="client")) == 1


def test_missing_credentials_are_named(rest):
    connector = rest(auth="basic", username="baton")

    with pytest.raises(MisconfiguredError, match="Password"):
        connector.discover(employee=SALES, record_kind="client")


def oauth_settings(httpserver, **extra):
    return {
        "auth": "oauth2_client_credentials",
        "token_url": httpserver.url_for("/oauth/token"),
        "client_id": "baton",
        "scope": "clients.read",
        **extra,
    }


def test_oauth2_token_is_fetched_once_and_reused(httpserver, rest):
    httpserver.expect_request("/oauth/token", method="POST").respond_with_json(
        {"access_token": "tok-1", "token_type": "Bearer", "expires_in": 3600}
    )
    httpserver.expect_request(
        "/api/clients", headers={"Authorization": "Bearer tok-1"}
    ).respond_with_json(clients("c1"))
    connector = rest({"client_secret": "cl1ent"}, **oauth_settings(httpserver))

    connector.discover(employee=SALES, record_kind="client")
    connector.discover(employee=SALES, record_kind="client")

    (token_request,) = requests_to(httpserver, "/oauth/token")
    assert token_request.form["grant_type"] == "client_credentials"
    assert token_request.form["scope"] == "clients.read"
    assert token_request.authorization.username == "baton"
    assert token_request.authorization.password == "cl1ent"
    assert len(requests_to(httpserver, "/api/clients")) == 2


def test_oauth2_credentials_in_the_body(httpserver, rest):
    httpserver.expect_request("/oauth/token", method="POST").respond_with_json(
        {"access_token": "tok-2", "expires_in": 3600}
    )
    httpserver.expect_request("/api/clients").respond_with_json([])
    connector = rest(
        {"client_secret": "cl1ent"}, **oauth_settings(httpserver, client_auth="body")
    )

    connector.discover(employee=SALES, record_kind="client")

    (token_request,) = requests_to(httpserver, "/oauth/token")
    assert token_request.form["client_id"] == "baton"
    assert token_request.form["client_secret"] == "cl1ent"
    assert "Authorization" not in token_request.headers


def test_an_expired_oauth2_token_is_renewed(httpserver, rest):
    # Lives for less than the renewal margin, so it is stale at once.
    httpserver.expect_request("/oauth/token", method="POST").respond_with_json(
        {"access_token": "short", "expires_in": 5}
    )
    httpserver.expect_request("/api/clients").respond_with_json([])
    connector = rest({"client_secret": "cl1ent"}, **oauth_settings(httpserver))

    connector.discover(employee=SALES, record_kind="client")
    connector.discover(employee=SALES, record_kind="client")

    assert len(requests_to(httpserver, "/oauth/token")) == 2


def test_refused_client_credentials_are_a_misconfiguration(httpserver, rest):
    httpserver.expect_request("/oauth/token", method="POST").respond_with_json(
        {"error": "invalid_client", "error_description": "Bad secret cl1ent"},
        status=401,
    )
    connector = rest({"client_secret": "cl1ent"}, **oauth_settings(httpserver))

    with pytest.raises(MisconfiguredError) as caught:
        connector.discover(employee=SALES, record_kind="client")

    assert "refused the client credentials" in str(caught.value)
    assert "cl1ent" not in str(caught.value)
    assert requests_to(httpserver, "/api/clients") == []


def test_refused_credentials_do_not_echo_the_token(httpserver, rest):
    httpserver.expect_request("/api/clients").respond_with_json(
        {"message": "token s3cret revoked"}, status=401
    )
    connector = rest({"token": "s3cret"}, auth="bearer")

    with pytest.raises(MisconfiguredError) as caught:
        connector.discover(employee=SALES, record_kind="client")

    assert (
        str(caught.value) == f"{host(httpserver)} refused the credentials (HTTP 401)."
    )
    assert caught.value.retryable is False


# Failures ---------------------------------------------------------------------------


def test_a_server_error_carries_the_request_id(httpserver, rest):
    httpserver.expect_request("/api/clients").respond_with_json(
        {"error": "internal"}, status=500, headers={"X-Request-Id": "abc-123"}
    )

    with pytest.raises(ConnectorError) as caught:
        rest().discover(employee=SALES, record_kind="client")

    assert caught.value.retryable is True
    assert caught.value.request_id == "abc-123"
    assert str(caught.value) == f"{host(httpserver)} failed to answer (HTTP 500)."


def test_a_rejected_request_quotes_the_reason_without_secrets(httpserver, rest):
    httpserver.expect_request("/api/clients").respond_with_json(
        {"error": {"message": "unknown field 'ownr' (key k3y)"}}, status=422
    )
    connector = rest({"header_value": "k3y"}, auth="header", auth_header_name="X-Key")

    with pytest.raises(MisconfiguredError) as caught:
        connector.discover(employee=SALES, record_kind="client")

    assert "unknown field 'ownr' (key •••)" in str(caught.value)
    assert "k3y" not in str(caught.value)


def test_a_slow_server_times_out_and_is_retryable(httpserver, rest):
    released = threading.Event()

    def slow(request):
        # Longer than the 0.5 s timeout; released once the client gave up.
        released.wait(10)
        return Response("[]", content_type="application/json")

    httpserver.expect_request("/api/clients").respond_with_handler(slow)

    try:
        with pytest.raises(ConnectorError) as caught:
            rest().discover(employee=SALES, record_kind="client")
    finally:
        released.set()

    assert caught.value.retryable is True
    assert "did not answer within 0.5 seconds" in str(caught.value)


def test_malformed_json_is_reported(httpserver, rest):
    httpserver.expect_request("/api/clients").respond_with_data(
        '{"items": [', content_type="application/json", headers={"X-Request-Id": "r1"}
    )

    with pytest.raises(ConnectorError) as caught:
        rest().discover(employee=SALES, record_kind="client")

    assert "answered with something that is not JSON" in str(caught.value)
    assert caught.value.request_id == "r1"


def test_nothing_listening_is_retryable(rest):
    from .servers import free_port

    connector = make(f"http://127.0.0.1:{free_port()}", path="/x")

    with pytest.raises(ConnectorError) as caught:
        connector.discover(employee=SALES, record_kind="client")

    assert caught.value.retryable is True


# Test connection -------------------------------------------------------------------


def test_test_connection_requests_the_base_url(httpserver, rest):
    httpserver.expect_request("/").respond_with_json({"ok": True})

    assert rest().test_connection() == f"Connected to {host(httpserver)} (HTTP 200)."


def test_test_connection_uses_the_test_path_with_credentials(httpserver, rest):
    httpserver.expect_request(
        "/api/me", headers={"Authorization": "Bearer s3cret"}
    ).respond_with_json({"user": "baton"})
    connector = rest({"token": "s3cret"}, auth="bearer", test_path="/api/me")

    assert connector.test_connection() == f"Connected to {host(httpserver)} (HTTP 200)."


def test_test_connection_reports_refused_credentials(httpserver, rest):
    httpserver.expect_request("/api/me").respond_with_data("", status=403)
    connector = rest({"token": "wrong"}, auth="bearer", test_path="/api/me")

    with pytest.raises(MisconfiguredError, match="refused the credentials"):
        connector.test_connection()
