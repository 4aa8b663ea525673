"""The Jira connector type against a fake Jira Cloud (tests/connectors/
jira_fake.py, shaped like Atlassian's REST API v3): unresolved issues and led
projects, status mapping, paging, people lookup, reassigning with a comment and
reading it back, and the errors people see. Last, the engine fills a block
from it."""

import socket

import pytest

import connectors.types.jira  # noqa: F401  (registers the type)
from cms.models import Item
from connectors.models import BlockSync, ConnectorConfig, SyncRun
from connectors.sdk.base import (
    ConnectorError,
    EmployeeRef,
    MisconfiguredError,
    Record,
)
from connectors.types.jira import JiraConnector
from connectors.types.jira.payloads import adf_text
from tests.connectors.helpers import connector_template, start_handover

from . import jira_fake
from .jira_fake import account

pytestmark = pytest.mark.jira

SALES = EmployeeRef(
    email="sales@baton.example",
    username="sales",
    employee_number="E0005",
    name="Chen Fang",
)
SUCCESSOR = EmployeeRef(
    email="successor@baton.example", username="successor", name="Yang Jing"
)
NEWCOMER = EmployeeRef(email="newcomer@baton.example", name="Zhou Xin")
SALES_OPEN = {
    "Fix invoice export",
    "Tax rate table for 2026",
    "Customer asked for a new PDF layout",
    "Review the dunning letters",
    "Landing page copy",
}


@pytest.fixture
def fake(httpserver):
    return jira_fake.install(httpserver)


def connector(fake, token=jira_fake.TOKEN, **settings):
    return JiraConnector(
        settings={
            "base_url": fake.base_url,
            "email": jira_fake.EMAIL,
            "match_by": "email",
            **settings,
        },
        secrets={"api_token": token},
        timeout=settings.pop("timeout", 5),
    )


@pytest.fixture
def jira(fake):
    instance = connector(fake)
    yield instance
    instance.close()


def by_title(records):
    return {record.title: record for record in records}


def issue_record(fake, key):
    issue = fake.issue(key)
    return Record(
        external_id=issue["id"],
        kind="issue",
        title=issue["summary"],
        fields={"location": f"{fake.base_url}/browse/{key}"},
    )


def host_of(fake):
    return fake.base_url.split("://", 1)[1]


# Connection ------------------------------------------------------------------------


def test_connection_names_the_site_and_the_account(fake, jira):
    assert jira.test_connection() == (
        f"Connected to Jira at {host_of(fake)} as Baton Service."
    )


def test_a_wrong_token_is_refused_without_showing_it(fake):
    wrong = "ATATT3xFfGF0-wrong-token"
    instance = connector(fake, token=wrong)

    for call in (
        instance.test_connection,
        lambda: instance.discover(employee=SALES, record_kind="issue"),
    ):
        with pytest.raises(MisconfiguredError) as caught:
            call()
        assert caught.value.message == (
            "Jira refused the e-mail address or API token. Check both; API tokens "
            "expire."
        )
        assert wrong not in str(caught.value)
        assert caught.value.request_id  # Atlassian's X-AREQUESTID


def test_outages_and_rate_limits_are_worth_retrying(fake, jira):
    fake.failures = [(503, {}), (429, {"Retry-After": "30"})]

    with pytest.raises(ConnectorError) as outage:
        jira.discover(employee=SALES, record_kind="issue")
    with pytest.raises(ConnectorError) as limited:
        jira.discover(employee=SALES, record_kind="issue")

    assert outage.value.retryable and limited.value.retryable
    assert outage.value.message == f"{host_of(fake)} failed to answer (HTTP 503)."
    assert limited.value.message == (
        f"{host_of(fake)} is limiting how often Baton may call it (HTTP 429)."
    )
    assert {
        record.title for record in jira.discover(employee=SALES, record_kind="issue")
    } >= SALES_OPEN


def test_a_site_that_is_down_is_worth_retrying():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    instance = JiraConnector(
        settings={"base_url": f"http://127.0.0.1:{port}", "email": jira_fake.EMAIL},
        secrets={"api_token": jira_fake.TOKEN},
        timeout=2,
    )
    with pytest.raises(ConnectorError) as caught:
        instance.test_connection()
    assert caught.value.retryable is True
    assert caught.value.message == (
        f"Could not connect to 127.0.0.1:{port}. Is it running and reachable?"
    )


def test_settings_that_cannot_work_are_reported_before_calling(fake):
    with pytest.raises(MisconfiguredError, match="must start with https://"):
        connector(fake, base_url="example.atlassian.net").test_connection()
    with pytest.raises(MisconfiguredError, match="Enter “API token”"):
        connector(fake, token="").test_connection()
    with pytest.raises(MisconfiguredError, match="cannot list records of kind"):
        connector(fake).discover(employee=SALES, record_kind="deal")
    assert fake.requests == []


# Issues ----------------------------------------------------------------------------


def test_unresolved_issues_assigned_to_sales_become_tasks(fake, jira):
    records = jira.discover(employee=SALES, record_kind="issue")

    assert fake.searches()[0]["jql"] == (
        f'assignee = "{account("sales")}" AND statusCategory != Done '
        "ORDER BY created ASC"
    )
    good = [record for record in records if not record.error]
    assert {record.title for record in good} == SALES_OPEN
    # The issue without a summary is reported, not imported.
    (broken,) = [record for record in records if record.error]
    assert broken.external_id == fake.issue("FIN-7")["id"]
    assert broken.error == "Issue FIN-7 has no summary in Jira."

    export = by_title(good)["Fix invoice export"]
    assert export.external_id == fake.issue("FIN-1")["id"]
    assert export.fields["key"] == "FIN-1"
    assert export.fields["details"] == (
        "Fix invoice export\n\nExports to the tax office fail for credit notes.\n"
        "See the log of 3 Nov."
    )
    assert export.fields["task_status"] == "in_progress"
    assert export.fields["progress_percent"] == 40
    assert export.fields["next_step"] == "Due on 2026-01-15."
    assert export.fields["url"] == f"{fake.base_url}/browse/FIN-1"
    assert export.fields["issue_type"] == "Bug"
    assert export.fields["project"] == "Finance system"
    assert by_title(good)["Landing page copy"].fields["progress_percent"] is None


def test_jira_statuses_map_to_task_statuses(fake, jira):
    statuses = {
        record.title: record.fields["task_status"]
        for record in jira.discover(employee=SALES, record_kind="task")
        if not record.error
    }
    assert statuses == {
        "Fix invoice export": "in_progress",
        "Tax rate table for 2026": "not_started",
        "Customer asked for a new PDF layout": "blocked",  # "Blocked"
        "Review the dunning letters": "in_progress",  # by its category
        "Landing page copy": "not_started",
    }

    mapped = connector(fake, status_map={"in review": "blocked"})
    records = by_title(mapped.discover(employee=SALES, record_kind="task"))
    assert records["Review the dunning letters"].fields["task_status"] == "blocked"

    with pytest.raises(MisconfiguredError, match="sends “In Review” to “later”"):
        connector(fake, status_map={"In Review": "later"}).discover(
            employee=SALES, record_kind="task"
        )


def test_every_page_is_read(fake):
    records = connector(fake, page_size=2).discover(employee=SALES, record_kind="issue")

    assert len(records) == 6
    assert len({record.external_id for record in records}) == 6
    searches = fake.searches()
    assert [query["maxResults"] for query in searches] == ["2", "2", "2"]
    assert "nextPageToken" not in searches[0]
    assert searches[1]["nextPageToken"] and searches[2]["nextPageToken"]


def test_extra_jql_narrows_the_issues_and_bad_jql_is_explained(fake):
    narrowed = connector(fake, jql="project = WEB")
    assert [
        record.title
        for record in narrowed.discover(employee=SALES, record_kind="issue")
    ] == ["Landing page copy"]
    assert fake.searches()[-1]["jql"].endswith(
        " AND (project = WEB) ORDER BY created ASC"
    )

    with pytest.raises(MisconfiguredError) as caught:
        connector(fake, jql="frobnicate FIN").discover(
            employee=SALES, record_kind="issue"
        )
    assert caught.value.message.startswith(
        "Jira rejected the request: Error in the JQL Query: Expecting operator"
    )


# People ----------------------------------------------------------------------------


def test_people_are_found_by_email_even_when_jira_hides_it(fake, jira):
    assert jira.discover(employee=NEWCOMER, record_kind="issue") == []
    hidden = EmployeeRef(email="private@baton.example", name="Wu Min")
    assert jira.discover(employee=hidden, record_kind="issue") == []
    # Searched by address, Wu Min's account was found and its issues asked for.
    assert fake.user_searches()[-1] == "private@baton.example"
    assert account("private") in fake.searches()[-1]["jql"]
    # Nobody's issues are asked for when there is no account.
    assert len(fake.searches()) == 1


def test_other_employee_values_need_the_account_id_map(fake):
    with pytest.raises(MisconfiguredError) as caught:
        connector(fake, match_by="employee_number").discover(
            employee=SALES, record_kind="issue"
        )
    assert caught.value.message == (
        "Jira finds people by e-mail address only. Add “E0005” to the Atlassian "
        "account ids of this connector."
    )

    mapped = connector(
        fake, match_by="employee_number", account_id_map={"E0005": account("sales")}
    )
    assert len(mapped.discover(employee=SALES, record_kind="issue")) == 6
    assert fake.user_searches() == []


def test_an_account_that_may_not_browse_users_is_told_so(fake, jira):
    fake.browse_users = False

    with pytest.raises(MisconfiguredError) as caught:
        jira.discover(employee=SALES, record_kind="issue")

    assert caught.value.message == (
        "The Jira account may not look people up. Give it the global permission "
        "“Browse users and groups”, or fill in the Atlassian account ids of this "
        "connector."
    )


# Projects --------------------------------------------------------------------------


def test_projects_sales_leads_become_project_items(fake, jira):
    projects = by_title(
        connector(fake, page_size=1).discover(employee=SALES, record_kind="project")
    )

    # Not Operations (dev leads it), not the archived Old CRM.
    assert set(projects) == {"Finance system", "Website"}
    finance = projects["Finance system"].fields
    assert finance["key"] == "FIN"
    assert finance["stage"] == "in_progress"
    # 7 issues, one of them done.
    assert (finance["issues_total"], finance["issues_done"]) == (7, 1)
    assert finance["progress_percent"] == 14
    assert finance["next_step"] == "Next version: 2.0, due on 2026-03-31."
    assert finance["documents"] == [
        {"title": "Project in Jira", "location": f"{fake.base_url}/browse/FIN"}
    ]
    assert projects["Website"].fields["next_step"] is None


# Write-back ------------------------------------------------------------------------


def test_describe_transfer_says_what_will_change(fake, jira):
    assert jira.describe_transfer(
        record=issue_record(fake, "FIN-1"), owner=SALES, successor=SUCCESSOR
    ) == (
        "Reassign issue FIN-1 “Fix invoice export” in Jira from Chen Fang to Yang "
        "Jing, with a comment."
    )
    project = Record(external_id="10000", kind="project", title="Finance system")
    assert jira.describe_transfer(record=project, owner=SALES, successor=SUCCESSOR) == (
        "Make Yang Jing the lead of project “Finance system” in Jira instead of "
        "Chen Fang."
    )
    assert fake.requests == []  # a preview calls nobody


def test_transfer_reassigns_with_a_comment_and_reads_it_back(fake, jira):
    record = issue_record(fake, "FIN-2")
    assert jira.verify_transfer(record=record, successor=SUCCESSOR) is False

    result = jira.transfer(
        record=record,
        owner=SALES,
        successor=SUCCESSOR,
        note="Handed over in Baton (H-1): Chen Fang → Yang Jing.",
    )

    assert result.response == {
        "issue": "FIN-2",
        "assignee": account("successor"),
        "status": 204,
        "comment": "20000",
    }
    assert result.request_id
    assert fake.issue("FIN-2")["assignee"] == "successor"
    assert [jira_fake.adf_plain(c) for c in fake.comments["FIN-2"]] == [
        "Handed over in Baton (H-1): Chen Fang → Yang Jing."
    ]
    assert jira.verify_transfer(record=record, successor=SUCCESSOR) is True

    # A retry after a lost answer changes nothing and comments no second time.
    again = jira.transfer(record=record, owner=SALES, successor=SUCCESSOR, note="x")
    assert again.response == {"issue": "FIN-2", "assignee": account("successor")}
    assert len(fake.comments["FIN-2"]) == 1


def test_transfers_jira_refuses_are_explained(fake, jira):
    # No account for the successor.
    with pytest.raises(MisconfiguredError) as caught:
        jira.transfer(
            record=issue_record(fake, "FIN-2"),
            owner=SALES,
            successor=NEWCOMER,
            note="x",
        )
    assert caught.value.message == (
        "Zhou Xin has no active Atlassian account in Jira (looked up by e-mail "
        "address “newcomer@baton.example”). Invite them, or add their account id "
        "to this connector, then try again."
    )
    # A deactivated account cannot take over either.
    manager = EmployeeRef(email="manager@baton.example", name="Zhang Wei")
    with pytest.raises(MisconfiguredError, match="Zhang Wei has no active Atlassian"):
        jira.transfer(
            record=issue_record(fake, "FIN-2"), owner=SALES, successor=manager, note="x"
        )
    # Not assignable in the project.
    with pytest.raises(MisconfiguredError) as caught:
        jira.transfer(
            record=issue_record(fake, "WEB-1"),
            owner=SALES,
            successor=SUCCESSOR,
            note="x",
        )
    assert caught.value.message == (
        "Jira refused to reassign issue WEB-1: User 'Yang Jing' cannot be assigned "
        "issues. The successor needs the “Assignable user” permission in the "
        "issue's project."
    )
    assert fake.issue("WEB-1")["assignee"] == "sales"
    # Someone else took the issue over meanwhile.
    with pytest.raises(ConnectorError) as caught:
        jira.transfer(
            record=issue_record(fake, "FIN-6"),
            owner=SALES,
            successor=SUCCESSOR,
            note="x",
        )
    assert caught.value.retryable is False
    assert caught.value.message == (
        "Issue FIN-6 is now assigned to Liu Lei, not to Chen Fang: Baton leaves it "
        "as it is."
    )
    # Deleted upstream.
    gone = Record(external_id="19999", kind="issue", title="Gone")
    with pytest.raises(MisconfiguredError, match="Issue 19999 is no longer in Jira"):
        jira.transfer(record=gone, owner=SALES, successor=SUCCESSOR, note="x")
    assert fake.comments == {}


def test_a_project_lead_changes_only_with_an_administrators_token(fake, jira):
    record = Record(external_id="10000", kind="project", title="Finance system")

    with pytest.raises(MisconfiguredError) as caught:
        jira.transfer(record=record, owner=SALES, successor=SUCCESSOR, note="x")
    assert caught.value.message == (
        "Only Jira administrators may change the lead of project FIN."
    )

    fake.administrator = True
    result = jira.transfer(record=record, owner=SALES, successor=SUCCESSOR, note="x")
    assert result.response["lead"] == account("successor")
    assert fake.project("FIN")["lead"] == "successor"
    assert jira.verify_transfer(record=record, successor=SUCCESSOR) is True


def test_rich_text_becomes_plain_text():
    document = {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "Ask "},
                    {"type": "mention", "attrs": {"id": "x", "text": "@Liu Lei"}},
                    {"type": "hardBreak"},
                    {"type": "text", "text": "today"},
                ],
            },
            {
                "type": "bulletList",
                "content": [
                    {
                        "type": "listItem",
                        "content": [
                            {
                                "type": "paragraph",
                                "content": [{"type": "text", "text": "one"}],
                            }
                        ],
                    },
                    {
                        "type": "listItem",
                        "content": [
                            {
                                "type": "paragraph",
                                "content": [{"type": "text", "text": "two"}],
                            }
                        ],
                    },
                ],
            },
        ],
    }
    assert adf_text(document) == "Ask @Liu Lei\ntoday\n- one\n- two"
    assert adf_text(None) == ""


# Through the engine ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_started_handover_fills_its_block_from_jira(
    fake, people, django_capture_on_commit_callbacks
):
    config = ConnectorConfig(
        type="jira",
        name="Jira",
        slug="jira",
        settings={"base_url": fake.base_url, "email": jira_fake.EMAIL, "timeout": 5},
    )
    config.set_secrets({"api_token": jira_fake.TOKEN})
    config.save()

    with django_capture_on_commit_callbacks(execute=True):
        handover = start_handover(people, connector_template("jira", "issue"))

    items = {
        item.label: item.data["data"]
        for item in Item.objects.filter(handover=handover, kind="connector_list")
    }
    assert set(items) == SALES_OPEN
    assert items["Fix invoice export"]["status"] == "in_progress"
    assert items["Fix invoice export"]["progress_percent"] == 40
    assert items["Fix invoice export"]["location"] == f"{fake.base_url}/browse/FIN-1"
    assert items["Customer asked for a new PDF layout"]["status"] == "blocked"
    status = BlockSync.objects.get(handover=handover)
    assert status.state == BlockSync.State.OK
    run = SyncRun.objects.get(handover=handover)
    # The issue without a summary is skipped and reported.
    assert (run.state, run.created, run.skipped) == ("partial", 5, 1)
