"""The Redmine connector type against a real Redmine (see conftest.py): open
issues and projects of the departing employee, status mapping, pagination,
reassigning to the successor and reading it back, and the errors people see."""

import pytest

from connectors.sdk.base import (
    ConnectorError,
    EmployeeRef,
    MisconfiguredError,
    Record,
)
from connectors.types.redmine import RedmineConnector

pytestmark = pytest.mark.redmine

SALES = EmployeeRef(
    email="sales@baton.example",
    username="sales",
    employee_number="E0005",
    name="Chen Fang",
)
SUCCESSOR = EmployeeRef(
    email="successor@baton.example", username="successor", name="Yang Jing"
)
DEV = EmployeeRef(email="dev@baton.example", username="dev", name="Liu Lei")
NEWCOMER = EmployeeRef(
    email="newcomer@baton.example", username="newcomer", name="Wu Min"
)

SALES_OPEN_ISSUES = {
    "Fix invoice export",
    "Tax rate table for 2026",
    "Customer asked for a new PDF layout",
    "Rounding in totals",
    "Confirm the payment terms",
    "Landing page copy",
}


def connector(redmine, secrets=None, **settings):
    return RedmineConnector(
        settings=redmine.settings(**settings),
        secrets=secrets if secrets is not None else redmine.secrets(),
    )


@pytest.fixture
def tracker(running_redmine):
    instance = connector(running_redmine)
    yield instance
    instance.close()


def by_title(records):
    return {record.title: record for record in records}


def issue_record(issue_id, title):
    return Record(external_id=str(issue_id), kind="issue", title=title)


# Connection ------------------------------------------------------------------------


def test_connection_names_the_server_and_whether_the_key_is_an_administrators(
    running_redmine, tracker
):
    host = f"127.0.0.1:{running_redmine.port}"
    assert tracker.test_connection() == (
        f"Connected to Redmine at {host} as baton-admin (administrator)."
    )
    reader = connector(
        running_redmine,
        secrets=running_redmine.secrets(api_key=running_redmine.reader_key),
    )
    assert reader.test_connection() == (
        f"Connected to Redmine at {host} as reader. Not an administrator: Baton "
        "finds only the people listed in the Redmine user ids."
    )


def test_a_wrong_api_key_is_refused_without_showing_the_key(running_redmine):
    wrong = "0123456789abcdef0123456789abcdef01234567"
    instance = connector(running_redmine, secrets={"api_key": wrong})

    for call in (
        instance.test_connection,
        lambda: instance.discover(employee=SALES, record_kind="issue"),
    ):
        with pytest.raises(MisconfiguredError) as caught:
            call()
        assert caught.value.message == (
            "Redmine refused the API key. Check the key, and that the REST API is "
            "enabled in Redmine (Administration → Settings → API)."
        )
        assert caught.value.retryable is False
        assert wrong not in str(caught.value)
        assert caught.value.request_id  # Redmine's X-Request-Id, for its log


def test_a_server_that_is_down_is_worth_retrying(running_redmine):
    instance = connector(running_redmine, timeout=3)
    running_redmine.stop()

    with pytest.raises(ConnectorError) as caught:
        instance.discover(employee=SALES, record_kind="issue")

    assert caught.value.retryable is True
    assert not isinstance(caught.value, MisconfiguredError)
    assert caught.value.message == (
        f"Could not connect to 127.0.0.1:{running_redmine.port}. Is it running and "
        "reachable?"
    )

    running_redmine.start()
    assert len(instance.discover(employee=SALES, record_kind="issue")) == 6


def test_settings_that_cannot_work_are_reported_before_calling(running_redmine):
    with pytest.raises(MisconfiguredError, match="must start with https://"):
        connector(running_redmine, base_url="redmine.example.com").test_connection()
    with pytest.raises(MisconfiguredError, match="Enter “API key”"):
        connector(running_redmine, secrets={}).test_connection()
    with pytest.raises(MisconfiguredError, match="cannot list records of kind"):
        connector(running_redmine).discover(employee=SALES, record_kind="deal")


# Issues ----------------------------------------------------------------------------


def test_open_issues_assigned_to_sales_become_tasks(running_redmine, tracker):
    records = tracker.discover(employee=SALES, record_kind="issue")

    assert {record.title for record in records} == SALES_OPEN_ISSUES
    assert all(record.error == "" and record.kind == "issue" for record in records)
    export = by_title(records)["Fix invoice export"]
    assert export.fields["url"] == (
        f"{running_redmine.url}/issues/{export.external_id}"
    )
    assert export.fields["details"] == (
        "Fix invoice export\n\nExports to the tax office fail for credit notes.\n"
        "See the log of 3 Nov."
    )
    assert export.fields["status"] == "In Progress"
    assert export.fields["task_status"] == "in_progress"
    assert export.fields["done_ratio"] == 40
    assert export.fields["next_step"] == "Due on 2026-01-15."
    assert export.fields["project"] == "Invoice system"
    assert export.fields["tracker"] == "Bug"
    # Asked as "task" records, the same issues come back.
    assert {
        record.title for record in tracker.discover(employee=SALES, record_kind="task")
    } == SALES_OPEN_ISSUES


def test_redmine_statuses_map_to_task_statuses(running_redmine, tracker):
    statuses = {
        record.title: record.fields["task_status"]
        for record in tracker.discover(employee=SALES, record_kind="issue")
    }
    assert statuses == {
        "Fix invoice export": "in_progress",  # In Progress
        "Tax rate table for 2026": "not_started",  # New
        "Customer asked for a new PDF layout": "blocked",  # Feedback
        "Rounding in totals": "done",  # Resolved
        # A status of this Redmine's own, not in the map, no work done yet.
        "Confirm the payment terms": "not_started",
        "Landing page copy": "not_started",
    }

    mapped = connector(
        running_redmine,
        status_map={"waiting for Customer": "blocked", "New": "in_progress"},
    )
    statuses = {
        record.title: record.fields["task_status"]
        for record in mapped.discover(employee=SALES, record_kind="issue")
    }
    assert statuses["Confirm the payment terms"] == "blocked"
    assert statuses["Tax rate table for 2026"] == "in_progress"
    assert statuses["Customer asked for a new PDF layout"] == "blocked"

    wrong = connector(running_redmine, status_map={"Feedback": "waiting"})
    with pytest.raises(MisconfiguredError) as caught:
        wrong.discover(employee=SALES, record_kind="issue")
    assert caught.value.message == (
        "The status mapping sends “Feedback” to “waiting”; use one of not_started, "
        "in_progress, blocked, done."
    )


def test_every_page_is_read(running_redmine):
    # dev has 106 open issues: more than Redmine sends in one page (100).
    records = connector(running_redmine).discover(employee=DEV, record_kind="issue")
    assert len(records) == 106
    assert len({record.external_id for record in records}) == 106
    assert "Nightly load 105" in by_title(records)

    small_pages = connector(running_redmine, page_size=4)
    records = small_pages.discover(employee=SALES, record_kind="issue")
    assert sorted(record.title for record in records) == sorted(SALES_OPEN_ISSUES)


def test_people_without_a_redmine_account_have_nothing_to_hand_over(tracker):
    assert tracker.discover(employee=NEWCOMER, record_kind="issue") == []
    assert tracker.discover(employee=NEWCOMER, record_kind="project") == []


def test_people_are_found_by_user_name_or_through_the_user_id_map(running_redmine):
    by_login = connector(running_redmine, match_by="username")
    assert {
        record.title
        for record in by_login.discover(employee=SALES, record_kind="issue")
    } == SALES_OPEN_ISSUES

    by_number = connector(running_redmine, match_by="employee_number")
    with pytest.raises(MisconfiguredError) as caught:
        by_number.discover(employee=SALES, record_kind="issue")
    assert caught.value.message == (
        "Redmine finds people by e-mail address or user name only. Add “E0005” to "
        "the Redmine user ids of this connector."
    )
    mapped = connector(
        running_redmine,
        match_by="employee_number",
        user_id_map={"E0005": running_redmine.user_id("sales")},
    )
    assert len(mapped.discover(employee=SALES, record_kind="issue")) == 6


def test_a_key_that_is_not_an_administrators_needs_the_user_id_map(running_redmine):
    secrets = running_redmine.secrets(api_key=running_redmine.reader_key)
    plain = connector(running_redmine, secrets=secrets)
    with pytest.raises(MisconfiguredError) as caught:
        plain.discover(employee=SALES, record_kind="issue")
    assert caught.value.message == (
        "Redmine lets only administrators look people up. Use an administrator's "
        "API key, or fill in the Redmine user ids of this connector."
    )

    # With the map, the reader's key finds what the reader may see: the
    # Website project only.
    mapped = connector(
        running_redmine,
        secrets=secrets,
        user_id_map={"sales@baton.example": running_redmine.user_id("sales")},
    )
    assert [
        record.title for record in mapped.discover(employee=SALES, record_kind="issue")
    ] == ["Landing page copy"]


# Projects --------------------------------------------------------------------------


def test_active_projects_sales_is_a_member_of_become_project_items(
    running_redmine, tracker
):
    projects = by_title(tracker.discover(employee=SALES, record_kind="project"))

    # Not "Legacy CRM" (closed) nor "Data warehouse" (not a member).
    assert set(projects) == {"Invoice system", "Website relaunch"}
    invoices = projects["Invoice system"].fields
    assert invoices["name"] == "Invoice system"
    assert invoices["stage"] == "in_progress"
    # 10 issues, 2 of them closed.
    assert (invoices["issues_total"], invoices["issues_closed"]) == (10, 2)
    assert invoices["progress_percent"] == 20
    assert invoices["next_step"] == "Next version: 2.0, due on 2026-03-31."
    assert invoices["role_names"] == "Manager, Developer"
    assert invoices["url"] == f"{running_redmine.url}/projects/invoice-system"
    website = projects["Website relaunch"].fields
    assert website["progress_percent"] == 0
    assert website["next_step"] is None


# Write-back ------------------------------------------------------------------------


def test_describe_transfer_says_what_will_change(tracker):
    assert (
        tracker.describe_transfer(
            record=issue_record(12, "Fix invoice export"),
            owner=SALES,
            successor=SUCCESSOR,
        )
        == "Reassign issue #12 “Fix invoice export” in Redmine from Chen Fang to "
        "Yang Jing."
    )
    project = Record(external_id="2", kind="project", title="Website relaunch")
    assert tracker.describe_transfer(
        record=project, owner=SALES, successor=SUCCESSOR
    ) == (
        "Give Yang Jing the roles Chen Fang has in project “Website relaunch” in "
        "Redmine."
    )


def test_transfer_reassigns_the_issue_with_a_note_and_reads_it_back(
    running_redmine, tracker, scratch_issues
):
    issue_id = scratch_issues("Chase the overdue invoice")
    record = issue_record(issue_id, "Chase the overdue invoice")
    assert tracker.verify_transfer(record=record, successor=SUCCESSOR) is False

    result = tracker.transfer(
        record=record,
        owner=SALES,
        successor=SUCCESSOR,
        note="Handed over in Baton (H-1): Chen Fang → Yang Jing.",
    )

    assert result.response == {
        "issue": str(issue_id),
        "assigned_to_id": running_redmine.user_id("successor"),
        "status": 204,
    }
    assert result.request_id
    issue = running_redmine.issue(issue_id)
    assert issue["assigned_to"]["id"] == running_redmine.user_id("successor")
    assert [journal["notes"] for journal in issue["journals"]] == [
        "Handed over in Baton (H-1): Chen Fang → Yang Jing."
    ]
    assert tracker.verify_transfer(record=record, successor=SUCCESSOR) is True

    # Running it again (a retry after a lost answer) changes nothing.
    again = tracker.transfer(record=record, owner=SALES, successor=SUCCESSOR, note="x")
    assert "status" not in again.response
    assert len(running_redmine.issue(issue_id)["journals"]) == 1


def test_a_successor_without_a_redmine_account_is_a_clear_error(
    running_redmine, tracker, scratch_issues
):
    issue_id = scratch_issues("Send the year-end statement")
    record = issue_record(issue_id, "Send the year-end statement")

    with pytest.raises(MisconfiguredError) as caught:
        tracker.transfer(record=record, owner=SALES, successor=NEWCOMER, note="x")

    assert caught.value.message == (
        "Wu Min has no active account in Redmine (looked up by e-mail address "
        "“newcomer@baton.example”). Create the account, or add it to the Redmine "
        "user ids of this connector, then try again."
    )
    assert running_redmine.issue(issue_id)["assigned_to"]["id"] == (
        running_redmine.user_id("sales")
    )
    # A locked account cannot take over either.
    manager = EmployeeRef(email="manager@baton.example", name="Zhang Wei")
    with pytest.raises(MisconfiguredError, match="Zhang Wei has no active account"):
        tracker.transfer(record=record, owner=SALES, successor=manager, note="x")


def test_a_successor_outside_the_project_cannot_be_assigned(
    running_redmine, tracker, scratch_issues
):
    issue_id = scratch_issues("Update the imprint", project="website")
    record = issue_record(issue_id, "Update the imprint")

    with pytest.raises(MisconfiguredError) as caught:
        tracker.transfer(record=record, owner=SALES, successor=SUCCESSOR, note="x")

    assert caught.value.message == (
        f"Redmine refused to reassign issue #{issue_id}: Assignee is invalid The "
        "successor must be a member of the issue's project with a role that issues "
        "can be assigned to."
    )
    assert running_redmine.issue(issue_id)["assigned_to"]["id"] == (
        running_redmine.user_id("sales")
    )


def test_an_issue_someone_else_took_over_is_left_alone(
    running_redmine, tracker, scratch_issues
):
    issue_id = scratch_issues("Reconcile the bank account", assignee="dev")

    with pytest.raises(ConnectorError) as caught:
        tracker.transfer(
            record=issue_record(issue_id, "Reconcile the bank account"),
            owner=SALES,
            successor=SUCCESSOR,
            note="x",
        )

    assert caught.value.retryable is False
    assert caught.value.message == (
        f"Issue #{issue_id} is now assigned to Lei Liu, not to Chen Fang: Baton "
        "leaves it as it is."
    )
    assert running_redmine.issue(issue_id)["assigned_to"]["id"] == (
        running_redmine.user_id("dev")
    )


def test_an_issue_deleted_upstream_cannot_be_transferred(
    running_redmine, tracker, scratch_issues
):
    issue_id = scratch_issues("Short-lived")
    running_redmine.api("DELETE", f"/issues/{issue_id}.json")
    record = issue_record(issue_id, "Short-lived")

    with pytest.raises(MisconfiguredError) as caught:
        tracker.transfer(record=record, owner=SALES, successor=SUCCESSOR, note="x")
    assert caught.value.message == (
        f"Issue #{issue_id} is no longer in Redmine, or the API key may not see it."
    )
    with pytest.raises(MisconfiguredError):
        tracker.verify_transfer(record=record, successor=SUCCESSOR)


def test_a_project_is_handed_over_by_giving_the_successor_the_same_roles(
    running_redmine, tracker
):
    website = running_redmine.api("GET", "/projects/website.json").json()["project"]
    record = Record(external_id=str(website["id"]), kind="project", title="Website")
    assert tracker.verify_transfer(record=record, successor=SUCCESSOR) is False
    try:
        result = tracker.transfer(
            record=record, owner=SALES, successor=SUCCESSOR, note="x"
        )

        assert result.response["roles"] == ["Developer"]
        assert result.response["status"] == 201
        assert tracker.verify_transfer(record=record, successor=SUCCESSOR) is True
        memberships = running_redmine.api(
            "GET", "/projects/website/memberships.json"
        ).json()["memberships"]
        successor = [
            m
            for m in memberships
            if m["user"]["id"] == running_redmine.user_id("successor")
        ]
        assert [role["name"] for role in successor[0]["roles"]] == ["Developer"]
    finally:
        for membership in running_redmine.api(
            "GET", "/projects/website/memberships.json"
        ).json()["memberships"]:
            if membership["user"]["id"] == running_redmine.user_id("successor"):
                running_redmine.api("DELETE", f"/memberships/{membership['id']}.json")
