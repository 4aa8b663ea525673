"""The GitLab connector against a fake of the v4 REST API: projects the
employee maintains or owns (sole maintainer flagged), found through
memberships or a group, X-Next-Page pagination, handing a project to the
successor and reading it back, failures."""

import threading

import pytest
from werkzeug import Response

from connectors.sdk.base import (
    ConnectorError,
    EmployeeRef,
    MisconfiguredError,
    Record,
)
from connectors.types.gitlab import GitLabConnector

from .fake_gitlab import TOKEN, FakeGitLab

SALES = EmployeeRef(email="sales@baton.example", username="sam.sales", name="Sam")
SUCCESSOR = EmployeeRef(email="successor@baton.example", username="sue.successor")
SAM, SUE, DAN = 11, 12, 13


@pytest.fixture
def gitlab(httpserver):
    fake = FakeGitLab(httpserver).install()
    fake.add_user(SAM, "sam.sales", email="sales@baton.example")
    fake.add_user(SUE, "sue.successor", email="successor@baton.example")
    fake.add_user(DAN, "dan.dev", email="dan@baton.example")
    return fake


@pytest.fixture
def connect(gitlab):
    made = []

    def build(token=TOKEN, timeout=2, **settings):
        connector = GitLabConnector(
            settings=gitlab.settings(**settings),
            secrets={"token": token} if token else {},
            timeout=timeout,
        )
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()


def seed(gitlab):
    gitlab.add_project(
        "billing-api", members={SAM: 40, DAN: 30}, description="Invoices."
    )
    gitlab.add_project("crm-sync", members={SAM: 50, DAN: 40})
    gitlab.add_project("website", members={SAM: 30, DAN: 40})
    gitlab.add_project("scratch", namespace="sam.sales")


def test_projects_the_employee_maintains_or_owns(gitlab, connect):
    seed(gitlab)

    records = connect().discover(employee=SALES, record_kind="repository")

    by_path = {record.title: record for record in records}
    assert sorted(by_path) == ["acme/billing-api", "acme/crm-sync", "sam.sales/scratch"]
    billing = by_path["acme/billing-api"]
    assert billing.external_id == str(gitlab.project("acme/billing-api")["id"])
    assert billing.fields["role"] == "Maintainer"
    assert billing.fields["sole_maintainer"] is True
    assert billing.fields["notes"] == (
        "Invoices.\nSole maintainer: nobody else can administer it."
    )
    assert billing.fields["web_url"] == "https://gitlab.example.com/acme/billing-api"
    crm = by_path["acme/crm-sync"]
    assert crm.fields["role"] == "Owner"
    assert crm.fields["other_maintainers"] == ["dan.dev"]
    assert crm.fields["sole_maintainer"] is False
    assert by_path["sam.sales/scratch"].fields["role"] == "Owner"


def test_with_a_group_its_projects_are_checked_without_an_admin_token(gitlab, connect):
    seed(gitlab)
    gitlab.token_is_admin = False
    gitlab.group["members"] = {SAM: 40}  # inherited Maintainer on every group project
    sales = EmployeeRef(username="sam.sales")

    with pytest.raises(MisconfiguredError) as caught:
        connect(match_by="username").discover(employee=sales, record_kind="repository")
    assert "needs an administrator token" in str(caught.value)

    records = connect(match_by="username", group="acme").discover(
        employee=sales, record_kind="repository"
    )

    assert sorted(record.title for record in records) == [
        "acme/billing-api",
        "acme/crm-sync",
        "acme/website",
        "sam.sales/scratch",
    ]
    website = next(record for record in records if record.title == "acme/website")
    assert website.fields["other_maintainers"] == ["dan.dev"]


def test_every_page_is_read_through_x_next_page(gitlab, connect):
    for number in range(5):
        gitlab.add_project(f"service-{number}", members={SAM: 40})
    gitlab.per_page_cap = 2

    records = connect().discover(employee=SALES, record_kind="repository")

    assert len(records) == 5
    pages = gitlab.requests_to(f"/api/v4/users/{SAM}/memberships")
    assert [request.args.get("page") for request in pages] == [None, "2", "3"]


def test_the_account_itself(gitlab, connect):
    (record,) = connect().discover(employee=SALES, record_kind="account")

    assert record.external_id == f"user:{SAM}"
    assert record.fields["username"] == "sam.sales"
    assert record.fields["system"] == "GitLab"


def test_an_unknown_email_is_a_clear_error(connect):
    with pytest.raises(ConnectorError) as caught:
        connect().discover(
            employee=EmployeeRef(email="nobody@baton.example"), record_kind="account"
        )

    assert str(caught.value) == (
        "No GitLab user has the e-mail nobody@baton.example (or it is not public): "
        "add them to the GitLab usernames setting."
    )
    assert caught.value.retryable is False


def test_the_usernames_setting_maps_people(gitlab, connect):
    (record,) = connect(usernames={"SALES@baton.example": "dan.dev"}).discover(
        employee=SALES, record_kind="account"
    )

    assert record.fields["username"] == "dan.dev"


# Handing over ---------------------------------------------------------------------


def project_record(project):
    return Record(
        external_id=str(project["id"]),
        kind="repository",
        title=project["path_with_namespace"],
        fields={"title": project["path_with_namespace"]},
    )


def test_a_project_is_handed_to_the_successor_as_maintainer(gitlab, connect):
    seed(gitlab)
    project = gitlab.project("acme/billing-api")
    record = project_record(project)
    connector = connect()

    assert connector.describe_transfer(
        record=record, owner=SALES, successor=SUCCESSOR
    ) == ("Add sue.successor as a Maintainer of GitLab project acme/billing-api.")
    assert connector.verify_transfer(record=record, successor=SUCCESSOR) is False

    result = connector.transfer(
        record=record, owner=SALES, successor=SUCCESSOR, note=""
    )

    assert result.response == {
        "project": "acme/billing-api",
        "user": "sue.successor",
        "access_level": 40,
        "status": 201,
    }
    assert result.request_id.startswith("01JBATON")
    (post,) = [
        request
        for request in gitlab.requests_to(f"/api/v4/projects/{project['id']}/members")
        if request.method == "POST"
    ]
    assert post.get_json() == {"user_id": SUE, "access_level": 40}
    assert project["members"][SUE] == 40
    assert connector.verify_transfer(record=record, successor=SUCCESSOR) is True


def test_a_successor_already_a_developer_is_raised_to_maintainer(gitlab, connect):
    seed(gitlab)
    project = gitlab.project("acme/billing-api")
    project["members"][SUE] = 30

    result = connect().transfer(
        record=project_record(project), owner=SALES, successor=SUCCESSOR, note=""
    )

    assert result.response["previous_access_level"] == 30
    assert result.response["status"] == 200
    assert project["members"][SUE] == 40


def test_a_successor_without_a_gitlab_account_is_a_misconfiguration(gitlab, connect):
    seed(gitlab)
    record = project_record(gitlab.project("acme/billing-api"))

    with pytest.raises(MisconfiguredError, match=r"new@baton\.example"):
        connect().transfer(
            record=record,
            owner=SALES,
            successor=EmployeeRef(email="new@baton.example"),
            note="",
        )


# Failures -------------------------------------------------------------------------


def test_a_bad_token_is_a_misconfiguration_without_the_token(connect):
    connector = connect(token="glpat-wrong")
    with pytest.raises(MisconfiguredError) as caught:
        connector.test_connection()

    assert str(caught.value) == (
        f"{connector.host} refused Baton's credentials (HTTP 401). Check the token."
    )
    assert "glpat-wrong" not in str(caught.value)
    assert caught.value.request_id.startswith("01JBATON")


def test_an_unknown_group_is_named(connect):
    with pytest.raises(MisconfiguredError) as caught:
        connect(group="acme-typo").test_connection()

    assert str(caught.value) == (
        "GitLab has no group acme-typo, or the token cannot see it."
    )


def test_a_token_that_may_not_do_this_is_a_misconfiguration(gitlab, connect):
    gitlab.fail = (403, {"message": "403 Forbidden"})

    with pytest.raises(MisconfiguredError) as caught:
        connect().discover(employee=SALES, record_kind="account")

    assert str(caught.value) == (
        "The GitLab token may not do this (HTTP 403): 403 Forbidden"
    )
    assert caught.value.request_id.startswith("01JBATON")


def test_a_server_error_is_retryable_with_the_request_id(gitlab, connect):
    gitlab.fail = (500, {"message": "500 Internal Server Error"})

    with pytest.raises(ConnectorError) as caught:
        connect().discover(employee=SALES, record_kind="repository")

    assert caught.value.retryable is True
    assert "failed to answer (HTTP 500)" in str(caught.value)
    assert caught.value.request_id.startswith("01JBATON")


def test_a_slow_server_times_out_and_is_retryable(connect, httpserver):
    released = threading.Event()

    def slow(request):
        released.wait(10)
        return Response("{}", content_type="application/json")

    httpserver.clear_all_handlers()
    httpserver.expect_request("/api/v4/user").respond_with_handler(slow)
    try:
        with pytest.raises(ConnectorError) as caught:
            connect(timeout=0.5).test_connection()
    finally:
        released.set()

    assert caught.value.retryable is True
    assert "did not answer within 0.5 seconds" in str(caught.value)


def test_test_connection_names_the_user_and_group(connect):
    message = connect(group="acme").test_connection()

    assert message.endswith(" as baton-bot. Group: acme.")
