"""The Redmine connector through the engine against a real Redmine: a started
handover's block fills with the departing employee's issues and projects, and
accepting an issue reassigns it to the successor in Redmine."""

import pytest

import connectors.types.redmine  # noqa: F401  (registers the type)
from cms import services
from cms.models import Item
from connectors.models import BlockSync, ConnectorConfig, Transfer
from connectors.writeback import transfer_preview
from tests.connectors.helpers import connector_template, start_handover
from tests.fixtures.handovers import PASSWORD

from .test_redmine_connector import SALES_OPEN_ISSUES

pytestmark = [pytest.mark.django_db, pytest.mark.redmine]


@pytest.fixture
def tracker(running_redmine, demo):
    # The demo's "tracker" connector, pointed at the running Redmine.
    config = ConnectorConfig.objects.filter(slug="tracker").first() or ConnectorConfig(
        slug="tracker"
    )
    config.type = "redmine"
    config.name = "Issue tracker"
    config.settings = {"base_url": running_redmine.url, "timeout": 10}
    config.transfer_on_accept = True
    config.set_secrets(running_redmine.secrets())
    config.save()
    return config


def items(handover):
    return {
        item.label: item
        for item in Item.objects.filter(handover=handover, kind="connector_list")
    }


def test_issues_fill_the_block(
    tracker, running_redmine, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        handover = start_handover(people, connector_template("tracker", "issue"))

    filled = items(handover)
    assert set(filled) == SALES_OPEN_ISSUES
    assert BlockSync.objects.get(handover=handover).state == BlockSync.State.OK
    export = filled["Fix invoice export"].data["data"]
    assert export["status"] == "in_progress"
    assert export["progress_percent"] == 40
    assert export["next_step"] == "Due on 2026-01-15."
    assert export["location"].startswith(f"{running_redmine.url}/issues/")
    assert export["description"].startswith("Fix invoice export\n\nExports to")
    assert filled["Customer asked for a new PDF layout"].data["data"]["status"] == (
        "blocked"
    )


def test_projects_fill_the_block(
    tracker, running_redmine, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        handover = start_handover(people, connector_template("tracker", "project"))

    filled = items(handover)
    assert set(filled) == {"Invoice system", "Website relaunch"}
    invoices = filled["Invoice system"].data["data"]
    assert invoices["project_name"] == "Invoice system"
    assert invoices["stage"] == "in_progress"
    assert invoices["progress_percent"] == 20
    assert invoices["next_step"] == "Next version: 2.0, due on 2026-03-31."
    assert invoices["documents"] == [
        {
            "title": "Project page in Redmine",
            "location": f"{running_redmine.url}/projects/invoice-system",
        }
    ]
    assert invoices["contacts"] == [
        {"name": "Jing Yang", "role": "Developer"},
        {"name": "Lei Liu", "role": "Developer"},
        {"name": "Wei Zhang", "role": "Manager"},
    ]


def test_accepting_an_issue_reassigns_it_in_redmine(
    tracker, running_redmine, people, scratch_issues, django_capture_on_commit_callbacks
):
    issue_id = scratch_issues("Hand over the dunning run")
    with django_capture_on_commit_callbacks(execute=True):
        handover = start_handover(people, connector_template("tracker", "issue"))
    item = items(handover)["Hand over the dunning run"]
    assert transfer_preview(item) == (
        f"Reassign issue #{issue_id} “Hand over the dunning run” in Redmine from "
        f"{handover.employee.name} to {people['successor'].employee.name}."
    )

    item = services.item_submit(actor=people["sales"], item=item, version=item.version)
    with django_capture_on_commit_callbacks(execute=True):
        services.item_accept(
            actor=people["successor"],
            item=item,
            version=item.version,
            password=PASSWORD,
        )

    transfer = Transfer.objects.get(item=item)
    assert transfer.state == Transfer.State.DONE, transfer.error
    issue = running_redmine.issue(issue_id)
    assert issue["assigned_to"]["id"] == running_redmine.user_id("successor")
    assert issue["journals"][0]["notes"].startswith(
        f"Handed over in Baton ({handover.number}):"
    )
