"""The GitHub connector against a fake of the REST API: repositories the
employee maintains (sole maintainer flagged), memberships, Link pagination,
logins, handing a repository to the successor and reading it back, failures."""

import threading

import pytest
from werkzeug import Response

from connectors.sdk.base import (
    ConnectorError,
    EmployeeRef,
    MisconfiguredError,
    Record,
)
from connectors.types.github import GitHubConnector

from .fake_github import TOKEN, FakeGitHub

SALES = EmployeeRef(email="sales@baton.example", username="sales", name="Sam Sales")
SUCCESSOR = EmployeeRef(email="successor@baton.example", username="successor")


@pytest.fixture
def github(httpserver):
    fake = FakeGitHub(httpserver).install()
    fake.users = {
        "sam-sales": "sales@baton.example",
        "sue-successor": "successor@baton.example",
        "olga-owner": "",
        "dev-dan": "",
        "outside-oz": "oz@partner.example",
    }
    fake.owners = {"olga-owner"}
    fake.members = {"sam-sales", "sue-successor", "dev-dan"}
    return fake


@pytest.fixture
def connect(github):
    made = []

    def build(token=TOKEN, timeout=2, **settings):
        connector = GitHubConnector(
            settings=github.settings(**settings),
            secrets={"token": token} if token else {},
            timeout=timeout,
        )
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()


def seed(github):
    github.add_repo(
        "billing-api",
        collaborators={"sam-sales": "admin"},
        description="Invoices and payments.",
    )
    github.add_repo(
        "crm-sync", collaborators={"sam-sales": "maintain", "dev-dan": "maintain"}
    )
    github.add_repo("website", collaborators={"sam-sales": "write", "dev-dan": "admin"})
    github.add_repo("infra", collaborators={"dev-dan": "admin"})


# Repositories ------------------------------------------------------------------------


def test_repositories_the_employee_maintains(github, connect):
    seed(github)

    records = connect().discover(employee=SALES, record_kind="repository")

    by_name = {record.title: record for record in records}
    assert sorted(by_name) == ["acme/billing-api", "acme/crm-sync"]
    billing = by_name["acme/billing-api"]
    assert billing.external_id == str(github.repo("acme/billing-api")["id"])
    assert billing.fields["html_url"] == "https://github.example.com/acme/billing-api"
    assert billing.fields["role"] == "admin"
    # The organisation owner administers everything: not counted as a maintainer.
    assert billing.fields["sole_maintainer"] is True
    assert billing.fields["notes"] == (
        "Invoices and payments.\nSole maintainer: nobody else can administer it."
    )
    crm = by_name["acme/crm-sync"]
    assert crm.fields["sole_maintainer"] is False
    assert crm.fields["other_maintainers"] == ["dev-dan"]
    assert crm.fields["notes"] == ""


def test_a_repository_github_lists_without_a_name_is_reported_not_lost(github, connect):
    seed(github)
    broken = github.add_repo("broken", collaborators={"sam-sales": "admin"})
    del broken["full_name"]

    records = connect().discover(employee=SALES, record_kind="repository")

    unreadable = [record for record in records if record.error]
    assert [record.external_id for record in unreadable] == [str(broken["id"])]
    assert "without a name or id" in unreadable[0].error
    assert len(records) == 3


def test_counting_owners_as_maintainers_is_a_setting(github, connect):
    seed(github)

    records = connect(ignore_org_owners=False).discover(
        employee=SALES, record_kind="repository"
    )

    billing = next(record for record in records if record.title == "acme/billing-api")
    assert billing.fields["other_maintainers"] == ["olga-owner"]
    assert billing.fields["sole_maintainer"] is False


def test_every_page_is_followed_through_the_link_header(github, connect):
    for number in range(5):
        github.add_repo(f"service-{number}", collaborators={"sam-sales": "admin"})
    github.per_page_cap = 2

    records = connect().discover(employee=SALES, record_kind="repository")

    assert len(records) == 5
    pages = github.requests_to("/orgs/acme/repos")
    assert [request.args.get("page") for request in pages] == [None, "2", "3"]


def test_repositories_the_employee_owns_are_included_on_request(github, connect):
    github.add_repo("notes", owner="sam-sales")

    assert connect().discover(employee=SALES, record_kind="repository") == []
    (record,) = connect(include_user_repos=True).discover(
        employee=SALES, record_kind="repository"
    )
    assert record.title == "sam-sales/notes"
    assert record.fields["role"] == "owner"
    assert record.fields["sole_maintainer"] is True


# Memberships ----------------------------------------------------------------------


def test_organisation_and_team_memberships_are_accounts(github, connect):
    github.teams = {
        "sales-eng": {
            "name": "Sales engineering",
            "members": {"sam-sales": "maintainer"},
        },
        "platform": {"name": "Platform", "members": {"dev-dan": "member"}},
        "all-staff": {"name": "All staff", "members": {"sam-sales": "member"}},
    }

    records = connect().discover(employee=SALES, record_kind="account")

    assert [(r.external_id, r.fields["role_permission"]) for r in records] == [
        ("org:acme", "Member of acme"),
        ("team:acme/sales-eng", "Maintainer of team acme/Sales engineering"),
        ("team:acme/all-staff", "Member of team acme/All staff"),
    ]
    assert {record.fields["login"] for record in records} == {"sam-sales"}
    assert records[0].fields["system"] == "GitHub"


def test_someone_outside_the_organisation_has_no_accounts(github, connect):
    assert (
        connect().discover(
            employee=EmployeeRef(email="oz@partner.example"), record_kind="account"
        )
        == []
    )


# Logins -------------------------------------------------------------------------


def test_the_login_comes_from_the_public_email(github, connect):
    seed(github)

    connect().discover(employee=SALES, record_kind="repository")

    (search,) = github.requests_to("/search/users")
    assert search.args["q"] == "sales@baton.example in:email"


def test_the_logins_setting_wins_over_the_search(github, connect):
    seed(github)
    github.users["sam-sales"] = ""  # e-mail kept private

    with pytest.raises(ConnectorError) as caught:
        connect().discover(employee=SALES, record_kind="repository")
    assert str(caught.value) == (
        "No GitHub user shows the e-mail sales@baton.example publicly: add them "
        "to the GitHub logins setting."
    )
    assert caught.value.retryable is False

    records = connect(logins={"Sales@Baton.example": "sam-sales"}).discover(
        employee=SALES, record_kind="repository"
    )
    assert len(records) == 2


def test_matching_by_user_name_takes_it_as_the_login(github, connect):
    github.add_repo("tools", collaborators={"dev-dan": "admin"})

    records = connect(match_by="username").discover(
        employee=EmployeeRef(username="dev-dan"), record_kind="repository"
    )

    assert [record.title for record in records] == ["acme/tools"]
    assert github.requests_to("/search/users") == []


# Handing over -------------------------------------------------------------------------


def repository_record(repo):
    """What the write-back passes: the item data the record was mapped to."""
    return Record(
        external_id=str(repo["id"]),
        kind="repository",
        title=repo["full_name"],
        fields={"title": repo["full_name"], "location": repo["html_url"]},
    )


def test_a_repository_is_handed_to_the_successor_as_maintainer(github, connect):
    seed(github)
    record = repository_record(github.repo("acme/billing-api"))
    connector = connect()

    preview = connector.describe_transfer(
        record=record, owner=SALES, successor=SUCCESSOR
    )
    assert preview == (
        "Add sue-successor as a maintainer of GitHub repository acme/billing-api."
    )
    assert github.repo("acme/billing-api")["collaborators"] == {"sam-sales": "admin"}
    assert connector.verify_transfer(record=record, successor=SUCCESSOR) is False

    result = connector.transfer(
        record=record, owner=SALES, successor=SUCCESSOR, note="Handover of Sam Sales"
    )

    assert result.response == {
        "repository": "acme/billing-api",
        "collaborator": "sue-successor",
        "permission": "maintain",
        "status": 204,
    }
    assert result.request_id.startswith("C0DE:")
    (put,) = [
        request
        for request in github.requests_to(
            "/repos/acme/billing-api/collaborators/sue-successor"
        )
        if request.method == "PUT"
    ]
    assert put.get_json() == {"permission": "maintain"}
    assert connector.verify_transfer(record=record, successor=SUCCESSOR) is True


def test_an_outside_successor_gets_an_invitation_not_yet_verified(github, connect):
    seed(github)
    record = repository_record(github.repo("acme/crm-sync"))
    outsider = EmployeeRef(email="oz@partner.example")
    connector = connect(successor_permission="admin")

    result = connector.transfer(record=record, owner=SALES, successor=outsider, note="")

    assert result.response["status"] == 201
    assert result.response["invitation_id"] == github.invitations[0]["id"]
    assert github.invitations[0]["permissions"] == "admin"
    assert connector.verify_transfer(record=record, successor=outsider) is False


def test_a_repository_the_employee_owns_is_transferred(github, connect):
    repo = github.add_repo("notes", owner="sam-sales")
    record = repository_record(repo)
    connector = connect(include_user_repos=True)

    assert connector.describe_transfer(
        record=record, owner=SALES, successor=SUCCESSOR
    ) == ("Transfer GitHub repository sam-sales/notes from sam-sales to sue-successor.")
    result = connector.transfer(
        record=record, owner=SALES, successor=SUCCESSOR, note=""
    )

    assert result.response["new_owner"] == "sue-successor"
    assert result.response["status"] == 202
    (post,) = github.requests_to("/repos/sam-sales/notes/transfer")
    assert post.get_json() == {"new_owner": "sue-successor"}
    # Found again by its id under the new owner.
    assert connector.verify_transfer(record=record, successor=SUCCESSOR) is True


def test_a_successor_without_a_github_login_is_a_misconfiguration(github, connect):
    seed(github)
    record = repository_record(github.repo("acme/billing-api"))

    with pytest.raises(MisconfiguredError) as caught:
        connect().transfer(
            record=record,
            owner=SALES,
            successor=EmployeeRef(email="new@baton.example"),
            note="",
        )

    assert "new@baton.example" in str(caught.value)


def test_only_repositories_can_be_handed_over(github, connect):
    record = Record(external_id="team:acme/platform", kind="account", title="acme/x")

    with pytest.raises(MisconfiguredError, match="Only GitHub repositories"):
        connect().transfer(record=record, owner=SALES, successor=SUCCESSOR, note="")


# Failures -----------------------------------------------------------------------


def test_a_bad_token_is_a_misconfiguration_without_the_token(github, connect):
    connector = connect(token="ghp_wrong")
    with pytest.raises(MisconfiguredError) as caught:
        connector.test_connection()

    assert str(caught.value) == (
        f"{connector.host} refused Baton's credentials (HTTP 401). Check the token."
    )
    assert "ghp_wrong" not in str(caught.value)
    assert caught.value.request_id.startswith("C0DE:")


def test_an_unknown_organisation_is_named(connect):
    with pytest.raises(MisconfiguredError) as caught:
        connect(organization="acme-typo").test_connection()

    assert str(caught.value) == (
        "GitHub has no organisation acme-typo, or the token cannot see it."
    )


def test_a_missing_token_is_named(connect):
    with pytest.raises(MisconfiguredError, match="Enter “Access token”"):
        connect(token=None).test_connection()


def test_the_rate_limit_is_retryable(github, connect):
    github.fail = (
        403,
        {"message": "API rate limit exceeded for installation."},
        {"X-RateLimit-Remaining": "0"},
    )

    with pytest.raises(ConnectorError) as caught:
        connect().discover(employee=SALES, record_kind="repository")

    assert caught.value.retryable is True
    assert "is limiting how often Baton may call it (HTTP 403)" in str(caught.value)


def test_a_token_that_may_not_do_this_is_a_misconfiguration(github, connect):
    github.fail = (403, {"message": "Resource not accessible by integration"}, {})

    with pytest.raises(MisconfiguredError) as caught:
        connect().discover(employee=SALES, record_kind="repository")

    assert str(caught.value) == (
        "The GitHub token may not do this (HTTP 403): Resource not accessible by "
        "integration"
    )
    assert caught.value.request_id.startswith("C0DE:")


def test_a_server_error_is_retryable_with_the_request_id(github, connect):
    github.fail = (502, {"message": "Server Error"}, {})

    with pytest.raises(ConnectorError) as caught:
        connect().discover(employee=SALES, record_kind="repository")

    assert caught.value.retryable is True
    assert "failed to answer (HTTP 502)" in str(caught.value)
    assert caught.value.request_id.startswith("C0DE:")


def test_a_slow_server_times_out_and_is_retryable(connect, httpserver):
    released = threading.Event()

    def slow(request):
        released.wait(10)
        return Response("{}", content_type="application/json")

    httpserver.clear_all_handlers()
    httpserver.expect_request("/orgs/acme").respond_with_handler(slow)
    try:
        with pytest.raises(ConnectorError) as caught:
            connect(timeout=0.5).test_connection()
    finally:
        released.set()

    assert caught.value.retryable is True
    assert "did not answer within 0.5 seconds" in str(caught.value)


def test_test_connection_names_the_organisation(connect):
    assert connect().test_connection().endswith(": organisation acme.")
