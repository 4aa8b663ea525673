"""The seed's sales scenario end to end, against the real Tryton CRM and the
Feishu fake: a salesperson with 3 clients and 2 open deals, 1 pending approval
and 1 unreimbursed expense → a filled Sales handover → the successor accepts →
ownership moved in the CRM → the expense is reimbursed upstream → its item is
resolved → the handover completes with a certificate anyone can verify."""

import pytest

from cms import services
from cms.models import Certificate, Employee, Item
from connectors.models import BlockSync, ConnectorConfig, Transfer
from connectors.sync import employee_ref, run_block_sync
from tests.connectors.fake_feishu import (
    FakeFeishu,
    Instance,
    amount,
    date,
    text,
)
from tests.connectors.helpers import (
    connector_block,
    connectors_template,
    start_handover,
)
from tests.fixtures.handovers import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.tryton]


@pytest.fixture
def crm(running_tryton):
    running_tryton.changed = True  # put the prepared data back afterwards
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


@pytest.fixture
def oa(httpserver, people):
    fake = FakeFeishu(httpserver).install()
    email = employee_ref(Employee.objects.get(user=people["sales"])).email
    fake.users = {email.lower(): "ou_sales"}
    fake.add(
        Instance(
            code="PUR-7",
            approval_code="APPROVAL-PURCHASE",
            approval_name="采购申请",
            user="ou_sales",
            serial="202611200001",
            form=[text("采购事由", "Demo units for West Lake Tea"), amount(4999)],
        )
    )
    fake.add(
        Instance(
            code="EXP-1000",
            approval_code="APPROVAL-EXPENSE",
            approval_name="差旅报销",
            user="ou_sales",
            serial="202611210001",
            form=[
                text("报销事由", "Client visit, Hangzhou"),
                date("发生日期", "2026-11-18T00:00:00+08:00"),
                amount(1000),
            ],
        )
    )
    config = ConnectorConfig(
        type="feishu", name="Feishu", slug="feishu", settings=fake.settings()
    )
    config.set_secrets(fake.secrets())
    config.save()
    return fake


def by_block(handover):
    found = {}
    for item in Item.objects.filter(handover=handover, kind="connector_list"):
        found.setdefault(item.definition["label"], []).append(item)
    return found


def test_the_sales_scenario(
    crm, oa, running_tryton, people, client, django_capture_on_commit_callbacks
):
    template = connectors_template(
        "Sales handover (connected)",
        [
            connector_block("tryton-crm", "client", label="Clients"),
            connector_block("tryton-crm", "deal", label="Open deals"),
            connector_block("feishu", "approval", label="Pending approvals"),
            connector_block("feishu", "expense", label="Unreimbursed expenses"),
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        handover = start_handover(people, template)

    # A filled Sales handover, without anyone typing it.
    filled = by_block(handover)
    assert {label: len(items) for label, items in filled.items()} == {
        "Clients": 3,
        "Open deals": 2,
        "Pending approvals": 1,
        "Unreimbursed expenses": 1,
    }
    assert set(
        BlockSync.objects.filter(handover=handover).values_list("state", flat=True)
    ) == {"ok"}
    [expense] = filled["Unreimbursed expenses"]
    assert expense.data["data"]["amount"] == "1000.00"

    # The leaver submits what they own; the successor accepts it.
    for label in ("Clients", "Open deals", "Pending approvals"):
        for item in filled[label]:
            item = services.item_submit(
                actor=people["sales"], item=item, version=item.version
            )
            with django_capture_on_commit_callbacks(execute=True):
                services.item_accept(
                    actor=people["successor"],
                    item=item,
                    version=item.version,
                    password=PASSWORD,
                )

    # Ownership moved in the CRM, verified by reading it back.
    successor_employee = running_tryton.ids["employees"]["successor"]
    for title in ("Tea shop POS rollout", "Annual silk supply renewal"):
        assert running_tryton.owner_of(title) == successor_employee
    transfers = Transfer.objects.filter(handover=handover)
    assert transfers.count() == 5
    assert set(transfers.values_list("state", flat=True)) == {"done"}

    # Finance pays the 1000 元: the expense item resolves itself.
    oa.instances["EXP-1000"].status = "APPROVED"
    expense_block = BlockSync.objects.get(
        handover=handover, label="Unreimbursed expenses"
    )
    run = run_block_sync(
        handover_id=handover.pk, block_id=expense_block.block_id, trigger="webhook"
    )
    assert run.resolved == 1
    expense.refresh_from_db()
    assert expense.state == Item.State.NOT_APPLICABLE
    assert expense.not_applicable_reason == "Resolved upstream in Feishu."

    # Declared, approved, certified.
    services.handover_declare(
        actor=people["sales"], handover=handover, password=PASSWORD
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.handover_approve(
            actor=people["manager"], handover=handover, password=PASSWORD
        )
    handover.refresh_from_db()
    assert handover.state == "completed"
    certificate = Certificate.objects.get(handover=handover)
    page = client.get(f"/verify/{certificate.code}/").content.decode()
    assert "Valid certificate" in page
    assert handover.number in page
