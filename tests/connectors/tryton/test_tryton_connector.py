"""The Tryton CRM connector against a real trytond (see server.py): Chen Fang's
clients and open opportunities, reassigning them to Yang Jing, and what people
are told when the server, the password or the successor is wrong."""

import pytest

from connectors.registry import get_type
from connectors.sdk.base import (
    ConnectorError,
    EmployeeRef,
    MisconfiguredError,
    Record,
)
from connectors.types.tryton import TrytonConnector

pytestmark = pytest.mark.tryton

SALES = EmployeeRef(
    email="sales@baton.example",
    employee_number="E0005",
    username="sales",
    name="Chen Fang",
)
SUCCESSOR = EmployeeRef(
    email="successor@baton.example",
    employee_number="E0007",
    username="successor",
    name="Yang Jing",
)
# In Baton, not in Tryton.
HR = EmployeeRef(email="hr@baton.example", username="hr", name="Li Na")

TEA = "Hangzhou West Lake Tea Co., Ltd."
SILK = "Suzhou Silk Imports"
HARBOR = "Shenzhen Harbor Logistics"
POS = "Tea shop POS rollout"
RENEWAL = "Annual silk supply renewal"

_made = []


@pytest.fixture(autouse=True)
def _close_connectors():
    yield
    while _made:
        _made.pop().close()


def connector(server, secrets=None, **settings) -> TrytonConnector:
    made = TrytonConnector(
        settings=server.settings(**settings),
        secrets=server.secrets() if secrets is None else secrets,
    )
    _made.append(made)
    return made


def by_title(records):
    return {record.title: record for record in records}


def test_the_type_is_registered_and_can_write_back():
    assert get_type("tryton") is TrytonConnector
    assert TrytonConnector.can("transfer")
    assert set(TrytonConnector.record_kinds()) == {"client", "deal"}


def test_test_connection_names_the_database(running_tryton):
    text = connector(running_tryton).test_connection()
    assert text == (
        f"Connected to database “baton” on 127.0.0.1:{running_tryton.port} as "
        "admin (5 opportunities)."
    )


def test_the_salesperson_has_three_clients(running_tryton):
    clients = by_title(
        connector(running_tryton).discover(employee=SALES, record_kind="client")
    )

    # Not Chengdu Panda Travel: that lead is Liu Lei's.
    assert sorted(clients) == [TEA, HARBOR, SILK]
    tea = clients[TEA].fields
    assert clients[TEA].external_id == str(running_tryton.ids["parties"][TEA])
    assert tea["customer"] == TEA
    assert tea["contact"] == {
        "name": "Wang Li",
        "email": "wang.li@westlaketea.example",
        "phone": "+86 571 8888 1234",
    }
    # The lost "Kiosk pilot" is not an open deal.
    assert tea["open_deals"] == [
        {
            "title": POS,
            "amount": "128000.00",
            "currency": "CNY",
            "stage": "Opportunity (60% likely)",
            "next_step": "Send the revised proposal by Friday.",
        }
    ]
    assert tea["last_quote"] is None

    silk = clients[SILK].fields
    # No named contact mechanism: the address's attention line names the person.
    assert silk["contact"] == {"name": "Zhou Min", "email": "orders@suzhousilk.example"}
    assert silk["open_deals"] == [
        {
            "title": RENEWAL,
            "amount": "45000.50",
            "currency": "USD",
            "stage": "Lead (50% likely)",
        }
    ]

    harbor = clients[HARBOR].fields
    # Converted into a sale: no open deal left, the quotation is the last quote.
    assert harbor["open_deals"] == []
    assert harbor["last_quote"] == "30000.00 CNY, quote 1 of 2026-10-20"


def test_the_salesperson_has_two_open_deals(running_tryton):
    deals = by_title(
        connector(running_tryton).discover(employee=SALES, record_kind="deal")
    )

    assert sorted(deals) == [RENEWAL, POS]
    pos = deals[POS]
    assert pos.external_id == str(running_tryton.ids["opportunities"][POS])
    assert pos.fields["customer"] == TEA
    assert pos.fields["reference"] == "WLT-2026-04"
    assert pos.fields["owner"] == "Chen Fang"
    assert pos.fields["amount"] == "128000.00"
    assert pos.fields["stage"] == "Opportunity (60% likely)"
    assert pos.fields["contact"]["name"] == "Wang Li"
    assert pos.fields["open_deals"] == [
        {
            "title": POS,
            "amount": "128000.00",
            "currency": "CNY",
            "stage": "Opportunity (60% likely)",
            "next_step": "Send the revised proposal by Friday.",
        }
    ]


@pytest.mark.parametrize(
    ("match_by", "match_attribute"),
    [("employee_number", "party_code"), ("username", "login")],
)
def test_employees_can_be_matched_by_number_or_login(
    running_tryton, match_by, match_attribute
):
    deals = connector(
        running_tryton, match_by=match_by, match_attribute=match_attribute
    ).discover(employee=SALES, record_kind="deal")
    assert sorted(deal.title for deal in deals) == [RENEWAL, POS]


def test_someone_without_an_employee_record_has_nothing_in_tryton(running_tryton):
    made = connector(running_tryton)
    assert made.discover(employee=HR, record_kind="client") == []
    with pytest.raises(ConnectorError) as caught:
        made.discover(employee=EmployeeRef(name="No Mail"), record_kind="deal")
    assert caught.value.message == (
        "The employee has no email address to look up in Tryton."
    )
    assert not caught.value.retryable


def test_an_opportunity_is_reassigned_to_the_successor_and_read_back(
    running_tryton,
):
    running_tryton.changed = True
    made = connector(running_tryton)
    (pos,) = [
        deal
        for deal in made.discover(employee=SALES, record_kind="deal")
        if deal.title == POS
    ]
    record = Record(external_id=pos.external_id, kind="deal", title=POS)

    assert made.describe_transfer(record=record, owner=SALES, successor=SUCCESSOR) == (
        "Reassign opportunity “Tea shop POS rollout” in Tryton from Chen Fang to "
        "Yang Jing."
    )
    assert not made.verify_transfer(record=record, successor=SUCCESSOR)

    note = "Handed over in Baton (H-2026-0001): Chen Fang → Yang Jing."
    result = made.transfer(record=record, owner=SALES, successor=SUCCESSOR, note=note)

    employees = running_tryton.ids["employees"]
    assert running_tryton.owner_of(POS) == employees["successor"]
    # Baton's explanation is kept as a note on the opportunity.
    notes = running_tryton.call(
        "ir.note",
        "search_read",
        [("resource", "=", f"sale.opportunity,{pos.external_id}")],
        0,
        None,
        None,
        ["message"],
    )
    assert [row["message"] for row in notes] == [note]
    assert result.response == {
        "opportunity": int(pos.external_id),
        "number": pos.fields["number"],
        "from_employee": employees["sales"],
        "to_employee": employees["successor"],
        "changed": True,
    }
    assert made.verify_transfer(record=record, successor=SUCCESSOR)
    assert not made.verify_transfer(record=record, successor=SALES)
    # Yang Jing has it now; Chen Fang keeps the other one.
    assert [d.title for d in made.discover(employee=SUCCESSOR, record_kind="deal")] == [
        POS
    ]
    assert [d.title for d in made.discover(employee=SALES, record_kind="deal")] == [
        RENEWAL
    ]
    # A retry after a lost answer changes nothing twice.
    again = made.transfer(record=record, owner=SALES, successor=SUCCESSOR, note=note)
    assert again.response["changed"] is False
    assert len(running_tryton.call("ir.note", "search", [], 0, None, None)) == 1


def test_a_client_moves_with_its_open_opportunities_only(running_tryton):
    running_tryton.changed = True
    made = connector(running_tryton)
    (tea,) = [
        client
        for client in made.discover(employee=SALES, record_kind="client")
        if client.title == TEA
    ]
    record = Record(
        external_id=tea.external_id, kind="client", title=TEA, fields=tea.fields
    )
    assert made.describe_transfer(record=record, owner=SALES, successor=SUCCESSOR) == (
        "Reassign Chen Fang's open opportunities with “Hangzhou West Lake Tea Co., "
        "Ltd.” in Tryton to Yang Jing."
    )

    result = made.transfer(record=record, owner=SALES, successor=SUCCESSOR, note="")

    employees = running_tryton.ids["employees"]
    assert [row["opportunity"] for row in result.response["opportunities"]] == [
        running_tryton.ids["opportunities"][POS]
    ]
    assert made.verify_transfer(record=record, successor=SUCCESSOR)
    assert running_tryton.owner_of(POS) == employees["successor"]
    # The lost deal stays in Chen Fang's history.
    assert running_tryton.owner_of("Kiosk pilot") == employees["sales"]


def test_a_successor_without_an_employee_record_is_a_clear_error(running_tryton):
    made = connector(running_tryton)
    opportunity = running_tryton.ids["opportunities"][RENEWAL]
    record = Record(external_id=str(opportunity), kind="deal", title=RENEWAL)

    with pytest.raises(MisconfiguredError) as caught:
        made.transfer(record=record, owner=SALES, successor=HR, note="")

    assert caught.value.message == (
        "Li Na has no employee record in Tryton: no employee matches "
        "“hr@baton.example” (E-mail address of the employee's party). Create one, "
        "then try again."
    )
    assert running_tryton.owner_of(RENEWAL) == running_tryton.ids["employees"]["sales"]


def test_a_converted_opportunity_keeps_its_employee(running_tryton):
    made = connector(running_tryton)
    opportunity = running_tryton.ids["opportunities"]["Fleet tracking pilot"]
    record = Record(
        external_id=str(opportunity), kind="deal", title="Fleet tracking pilot"
    )

    with pytest.raises(ConnectorError) as caught:
        made.transfer(record=record, owner=SALES, successor=SUCCESSOR, note="")

    assert caught.value.message == (
        "Opportunity “Fleet tracking pilot” is no longer open in Tryton (it is "
        "Converted), so it keeps its employee."
    )
    assert not caught.value.retryable


def test_a_wrong_password_is_not_retried_and_never_shown(running_tryton):
    made = connector(running_tryton, secrets={"password": "wrong-password-123"})

    with pytest.raises(MisconfiguredError) as caught:
        made.discover(employee=SALES, record_kind="deal")

    assert caught.value.message == (
        "Tryton refused the user name or password for database “baton”."
    )
    assert not caught.value.retryable
    assert "wrong-password-123" not in str(caught.value)


def test_an_unknown_database_is_named(running_tryton):
    with pytest.raises(MisconfiguredError) as caught:
        connector(running_tryton, database="crm").test_connection()
    assert caught.value.message == (
        f"There is no database “crm” on the Tryton server at 127.0.0.1:"
        f"{running_tryton.port}."
    )


def test_a_stopped_server_is_worth_retrying(running_tryton):
    running_tryton.stop()

    with pytest.raises(ConnectorError) as caught:
        connector(running_tryton).discover(employee=SALES, record_kind="client")

    assert caught.value.message == (
        f"Could not connect to the Tryton server at 127.0.0.1:{running_tryton.port}. "
        "Is it running and reachable?"
    )
    assert caught.value.retryable


def test_a_server_that_hangs_times_out(running_tryton):
    made = connector(running_tryton, timeout=1)
    made.test_connection()
    running_tryton.pause()

    with pytest.raises(ConnectorError) as caught:
        made.discover(employee=SALES, record_kind="deal")

    assert caught.value.message == (
        f"The Tryton server at 127.0.0.1:{running_tryton.port} did not answer "
        "within 1 seconds."
    )
    assert caught.value.retryable


@pytest.mark.parametrize("url", ["", "ftp://tryton.example.com/", "tryton:8000"])
def test_a_bad_url_is_refused_before_any_call(url):
    made = TrytonConnector(
        settings={"url": url, "database": "baton", "username": "admin"},
        secrets={"password": "x"},
    )
    with pytest.raises(MisconfiguredError) as caught:
        made.test_connection()
    assert caught.value.message == (
        "The Tryton server URL must start with https:// (or http://), e.g. "
        "https://tryton.example.com/"
    )
