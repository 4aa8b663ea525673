"""The Tryton connector through the engine against a real trytond: a started
sales handover's block fills with Chen Fang's clients or open deals, and
accepting a deal reassigns the opportunity to Yang Jing in Tryton."""

import pytest

import connectors.types.tryton  # noqa: F401  (registers the type)
from cms import services
from cms.models import Item
from connectors.models import BlockSync, ConnectorConfig, Transfer
from connectors.writeback import transfer_preview
from tests.connectors.helpers import connector_template, start_handover
from tests.fixtures.handovers import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.tryton]


@pytest.fixture
def crm(running_tryton):
    config = ConnectorConfig(
        type="tryton",
        name="Tryton CRM",
        slug="tryton-crm",
        settings={
            key: value
            for key, value in running_tryton.settings().items()
            if key != "match_by"
        },
        transfer_on_accept=True,
    )
    config.set_secrets(running_tryton.secrets())
    config.save()
    return config


def items(handover):
    return {
        item.label: item
        for item in Item.objects.filter(handover=handover, kind="connector_list")
    }


def test_clients_fill_the_sales_handover(
    crm, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        clients = start_handover(people, connector_template("tryton-crm", "client"))

    assert BlockSync.objects.get(handover=clients).state == BlockSync.State.OK
    filled = items(clients)
    assert set(filled) == {
        "Hangzhou West Lake Tea Co., Ltd.",
        "Suzhou Silk Imports",
        "Shenzhen Harbor Logistics",
    }
    tea = filled["Hangzhou West Lake Tea Co., Ltd."].data["data"]
    assert tea["customer"] == "Hangzhou West Lake Tea Co., Ltd."
    assert tea["contact_person"] == {
        "name": "Wang Li",
        "email": "wang.li@westlaketea.example",
        "phone": "+86 571 8888 1234",
    }
    assert tea["open_deals"] == [
        {
            "title": "Tea shop POS rollout",
            "amount": "128000.00",
            "currency": "CNY",
            "stage": "Opportunity (60% likely)",
            "next_step": "Send the revised proposal by Friday.",
        }
    ]
    harbor = filled["Shenzhen Harbor Logistics"].data["data"]
    assert harbor["last_quote"] == "30000.00 CNY, quote 1 of 2026-10-20"


def test_accepting_a_deal_reassigns_the_opportunity_in_tryton(
    crm, running_tryton, people, django_capture_on_commit_callbacks
):
    running_tryton.changed = True
    with django_capture_on_commit_callbacks(execute=True):
        handover = start_handover(people, connector_template("tryton-crm", "deal"))
    assert set(items(handover)) == {
        "Tea shop POS rollout",
        "Annual silk supply renewal",
    }
    item = items(handover)["Annual silk supply renewal"]
    renewal = item.data["data"]
    assert renewal["customer"] == "Suzhou Silk Imports"
    assert renewal["contact_person"] == {
        "name": "Zhou Min",
        "email": "orders@suzhousilk.example",
    }
    assert renewal["open_deals"] == [
        {
            "title": "Annual silk supply renewal",
            "amount": "45000.50",
            "currency": "USD",
            "stage": "Lead (50% likely)",
        }
    ]
    assert transfer_preview(item) == (
        "Reassign opportunity “Annual silk supply renewal” in Tryton from "
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
    assert transfer.response["changed"] is True
    employees = running_tryton.ids["employees"]
    assert (
        running_tryton.owner_of("Annual silk supply renewal")
        == (employees["successor"])
    )
    # The other deal was not accepted: it stays with Chen Fang.
    assert running_tryton.owner_of("Tea shop POS rollout") == employees["sales"]
