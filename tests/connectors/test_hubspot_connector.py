"""The HubSpot CRM connector against a fake of HubSpot's CRM API
(hubspot_fake.py, on pytest-httpserver): the salesperson's deals and clients,
paging, reassigning deals and companies to the successor, and what people are
told when HubSpot refuses or falters."""

import pytest

import connectors.types.hubspot  # noqa: F401  (registers the type)
from cms.models import Item
from connectors.models import BlockSync, ConnectorConfig
from connectors.registry import get_type
from connectors.sdk.base import (
    ConnectorError,
    EmployeeRef,
    MisconfiguredError,
    Record,
)
from connectors.types.hubspot import HubSpotConnector
from tests.connectors.helpers import connector_template, start_handover

from .hubspot_fake import TOKEN, install

pytestmark = pytest.mark.hubspot

SALES = EmployeeRef(email="sales@baton.example", username="sales", name="Chen Fang")
SUCCESSOR = EmployeeRef(
    email="successor@baton.example", username="successor", name="Yang Jing"
)
HR = EmployeeRef(email="hr@baton.example", username="hr", name="Li Na")

TEA = "Hangzhou West Lake Tea Co., Ltd."
SILK = "Suzhou Silk Imports"
HARBOR = "Shenzhen Harbor Logistics"
POS = "Tea shop POS rollout"
RENEWAL = "Annual silk supply renewal"


@pytest.fixture
def hubspot(httpserver):
    return install(httpserver)


@pytest.fixture
def connector(hubspot):
    made = []

    def build(secrets=None, **settings):
        client = HubSpotConnector(
            settings=hubspot.settings(**settings),
            secrets=hubspot.secrets() if secrets is None else secrets,
        )
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


def by_title(records):
    return {record.title: record for record in records}


def test_the_type_is_registered_and_takes_webhooks():
    assert get_type("hubspot") is HubSpotConnector
    assert HubSpotConnector.can("transfer")
    assert HubSpotConnector.can("webhook")
    assert set(HubSpotConnector.record_kinds()) == {"client", "deal"}


def test_test_connection_counts_the_deals(connector, hubspot):
    host = hubspot.base_url.split("//")[1]
    assert connector().test_connection() == (
        f"Connected to HubSpot at {host} (5 deals)."
    )


def test_the_salesperson_has_two_open_deals(connector, hubspot):
    deals = by_title(connector().discover(employee=SALES, record_kind="deal"))

    # Not the lost "Kiosk pilot", nor the won "Fleet tracking pilot", nor Liu
    # Lei's deal.
    assert sorted(deals) == [RENEWAL, POS]
    pos = deals[POS]
    assert pos.external_id == "201"
    assert pos.fields["customer"] == TEA
    assert pos.fields["contact"] == {
        "name": "Li Wang",
        "title": "Purchasing manager",
        "phone": "+86 571 8888 1234",
        "email": "wang.li@westlaketea.example",
    }
    assert pos.fields["open_deals"] == [
        {
            "title": POS,
            "amount": "128000.00",
            "currency": "CNY",
            "stage": "Contract sent",
            "next_step": "Send the revised proposal by Friday.",
        }
    ]
    assert deals[RENEWAL].fields["open_deals"] == [
        {
            "title": RENEWAL,
            "amount": "45000.50",
            "currency": "USD",
            "stage": "Qualified to buy",
        }
    ]
    # Found by the owner's id, looked up by e-mail.
    (lookup,) = hubspot.calls("GET", "/crm/v3/owners")
    assert lookup["args"]["email"] == "sales@baton.example"
    (search,) = hubspot.calls("POST", "/crm/v3/objects/deals/search")
    assert search["json"]["filterGroups"] == [
        {
            "filters": [
                {"propertyName": "hubspot_owner_id", "operator": "EQ", "value": "101"}
            ]
        }
    ]


def test_the_salesperson_has_three_clients(connector, hubspot):
    clients = by_title(connector().discover(employee=SALES, record_kind="client"))

    # Owned companies (Tea, Harbor) and the company of an open deal (Silk, owned
    # by Liu Lei); not Liu Lei's own Chengdu Panda Travel.
    assert sorted(clients) == [TEA, HARBOR, SILK]
    tea = clients[TEA].fields
    assert clients[TEA].external_id == "501"
    assert tea["customer"] == TEA
    assert tea["contact"]["name"] == "Li Wang"
    assert [deal["title"] for deal in tea["open_deals"]] == [POS]
    # The newer of the deal's two quotes.
    assert tea["last_quote"] == (
        "126000.00 CNY, quote “POS rollout proposal” of 2026-10-20"
    )
    assert clients[SILK].fields["open_deals"][0]["amount"] == "45000.50"
    assert clients[SILK].fields["owned"] is False
    harbor = clients[HARBOR].fields
    # No contact: the company's own phone; no open deal, no quote.
    assert harbor["contact"] == {"phone": "+86 755 2222 9090"}
    assert harbor["open_deals"] == []
    assert harbor["last_quote"] is None


def test_search_results_are_followed_page_by_page(connector, hubspot):
    hubspot.page_size = 1

    deals = connector().discover(employee=SALES, record_kind="deal")

    assert sorted(deal.title for deal in deals) == [RENEWAL, POS]
    searches = hubspot.calls("POST", "/crm/v3/objects/deals/search")
    # Chen Fang owns four deals (two closed): four pages, each asking for the
    # page after the previous one.
    assert [search["json"].get("after") for search in searches] == [
        None,
        "1",
        "2",
        "3",
    ]


def test_someone_without_a_hubspot_user_has_nothing(connector):
    assert connector().discover(employee=HR, record_kind="client") == []


def test_a_deal_is_reassigned_to_the_successor_and_read_back(connector, hubspot):
    made = connector()
    record = Record(external_id="201", kind="deal", title=POS)
    assert made.describe_transfer(record=record, owner=SALES, successor=SUCCESSOR) == (
        "Reassign deal “Tea shop POS rollout” in HubSpot from Chen Fang to Yang Jing."
    )
    assert not made.verify_transfer(record=record, successor=SUCCESSOR)

    result = made.transfer(record=record, owner=SALES, successor=SUCCESSOR, note="")

    assert hubspot.owner_of("deals", "201") == "102"
    (patch,) = hubspot.calls("PATCH", "/crm/v3/objects/deals/201")
    assert patch["json"] == {"properties": {"hubspot_owner_id": "102"}}
    assert result.response == {
        "deal": "201",
        "owner": "102",
        "from_owner": "101",
        "changed": True,
    }
    assert result.request_id  # HubSpot's correlation id of the PATCH
    assert made.verify_transfer(record=record, successor=SUCCESSOR)
    # A retry after a lost answer changes nothing twice.
    again = made.transfer(record=record, owner=SALES, successor=SUCCESSOR, note="")
    assert again.response["changed"] is False
    assert len(hubspot.calls("PATCH", "/crm/v3/objects/deals/201")) == 1


def test_a_client_moves_with_the_leavers_open_deals(connector, hubspot):
    made = connector()
    (tea,) = [
        client
        for client in made.discover(employee=SALES, record_kind="client")
        if client.title == TEA
    ]
    record = Record(external_id="501", kind="client", title=TEA, fields=tea.fields)
    assert made.describe_transfer(record=record, owner=SALES, successor=SUCCESSOR) == (
        "Make Yang Jing the owner of company “Hangzhou West Lake Tea Co., Ltd.” and "
        "of Chen Fang's open deals with it in HubSpot."
    )

    made.transfer(record=record, owner=SALES, successor=SUCCESSOR, note="")

    assert hubspot.owner_of("companies", "501") == "102"
    assert hubspot.owner_of("deals", "201") == "102"
    # The lost deal with the same company stays in Chen Fang's history.
    assert hubspot.owner_of("deals", "203") == "101"
    assert made.verify_transfer(record=record, successor=SUCCESSOR)


def test_a_deal_someone_else_took_is_left_alone(connector, hubspot):
    hubspot.data["deals"]["202"]["hubspot_owner_id"] = "103"
    record = Record(external_id="202", kind="deal", title=RENEWAL)

    with pytest.raises(ConnectorError) as caught:
        connector().transfer(record=record, owner=SALES, successor=SUCCESSOR, note="")

    assert caught.value.message == (
        "“Annual silk supply renewal” now belongs to another HubSpot user (owner "
        "103), not to Chen Fang; Baton leaves it alone."
    )
    assert not caught.value.retryable
    assert hubspot.calls("PATCH", "/crm/v3/objects/deals/202") == []


def test_a_successor_without_a_hubspot_user_is_a_clear_error(connector, hubspot):
    record = Record(external_id="202", kind="deal", title=RENEWAL)

    with pytest.raises(MisconfiguredError) as caught:
        connector().transfer(record=record, owner=SALES, successor=HR, note="")

    assert caught.value.message == (
        "Li Na has no HubSpot user that can own records (no owner with the e-mail "
        "address “hr@baton.example”). Add them in HubSpot, then try again."
    )
    assert hubspot.owner_of("deals", "202") == "101"


def test_a_refused_token_is_not_retried_and_never_shown(connector, hubspot):
    with pytest.raises(MisconfiguredError) as caught:
        connector(secrets={"token": "pat-na1-wrong-token"}).discover(
            employee=SALES, record_kind="deal"
        )

    host = hubspot.base_url.split("//")[1]
    assert caught.value.message == (
        f"{host} refused Baton's credentials (HTTP 401). Check the token."
    )
    assert not caught.value.retryable
    assert caught.value.request_id == hubspot.errors[-1]
    assert "pat-na1-wrong-token" not in str(caught.value)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (429, "is limiting how often Baton may call it (HTTP 429)."),
        (502, "failed to answer (HTTP 502)."),
    ],
)
def test_rate_limits_and_outages_are_retried_with_the_request_id(
    connector, hubspot, status, message
):
    hubspot.fail(status, path="/crm/v3/objects/deals/search")

    with pytest.raises(ConnectorError) as caught:
        connector().discover(employee=SALES, record_kind="deal")

    host = hubspot.base_url.split("//")[1]
    assert caught.value.message == f"{host} {message}"
    assert caught.value.retryable
    # HubSpot's correlation id, for its support.
    assert caught.value.request_id == hubspot.errors[-1]

    # HubSpot recovers: the next run finds everything.
    assert len(connector().discover(employee=SALES, record_kind="deal")) == 2


def test_a_missing_token_is_refused_before_any_call(connector, hubspot):
    with pytest.raises(MisconfiguredError) as caught:
        connector(secrets={}).test_connection()
    assert caught.value.message == "Enter “Private app access token”."
    assert hubspot.requests == []


@pytest.mark.django_db
def test_clients_fill_the_sales_handover(
    hubspot, people, django_capture_on_commit_callbacks
):
    config = ConnectorConfig(
        type="hubspot",
        name="HubSpot",
        slug="hubspot-crm",
        settings=hubspot.settings(),
    )
    config.set_secrets(hubspot.secrets())
    config.save()

    with django_capture_on_commit_callbacks(execute=True):
        handover = start_handover(people, connector_template("hubspot-crm", "client"))

    assert BlockSync.objects.get(handover=handover).state == BlockSync.State.OK
    filled = {
        item.label: item.data["data"]
        for item in Item.objects.filter(handover=handover, kind="connector_list")
    }
    assert set(filled) == {TEA, SILK, HARBOR}
    assert filled[TEA]["customer"] == TEA
    assert filled[TEA]["contact_person"] == {
        "name": "Li Wang",
        "title": "Purchasing manager",
        "phone": "+86 571 8888 1234",
        "email": "wang.li@westlaketea.example",
    }
    assert filled[TEA]["open_deals"][0]["stage"] == "Contract sent"
    assert filled[TEA]["last_quote"] == (
        "126000.00 CNY, quote “POS rollout proposal” of 2026-10-20"
    )
    assert filled[HARBOR]["contact_person"] == {"phone": "+86 755 2222 9090"}
