"""The Feishu approvals connector against a fake open platform that answers in
the published API's shapes: pending approvals both ways, unpaid reimbursements,
pagination, the employee found by e-mail, and every way Feishu says no."""

import threading

import pytest
from django.utils import translation
from werkzeug import Response

from cms.models import Employee, Item
from connectors.models import BlockSync, ConnectorConfig
from connectors.sdk.base import ConnectorError, EmployeeRef, MisconfiguredError
from connectors.sync import employee_ref, run_block_sync
from connectors.types.feishu import FeishuConnector
from tests.connectors.helpers import connector_template, start_handover

from .fake_feishu import APP_SECRET, FakeFeishu, Instance, Task, amount, date, text

SALES = EmployeeRef(email="sales@baton.example", username="sales", name="Sam Sales")


@pytest.fixture
def feishu(httpserver):
    fake = FakeFeishu(httpserver).install()
    fake.users = {"sales@baton.example": "ou_sales", "manager@baton.example": "ou_mgr"}
    return fake


@pytest.fixture
def connect(feishu):
    made = []

    def build(secrets=None, timeout=2, **settings):
        connector = FeishuConnector(
            settings=feishu.settings(**settings),
            secrets=secrets if secrets is not None else feishu.secrets(),
            timeout=timeout,
        )
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()


def purchase(feishu, code="PUR-1", user="ou_sales", **extra):
    return feishu.add(
        Instance(
            code=code,
            approval_code="APPROVAL-PURCHASE",
            approval_name="采购申请",
            user=user,
            serial=extra.pop("serial", "202611030001"),
            form=[text("采购事由", "Demo laptops"), amount(4999)],
            **extra,
        )
    )


def reimbursement(feishu, code="EXP-1", **extra):
    return feishu.add(
        Instance(
            code=code,
            approval_code="APPROVAL-EXPENSE",
            approval_name="差旅报销",
            user="ou_sales",
            serial=extra.pop("serial", "202611030002"),
            form=extra.pop(
                "form",
                [
                    text("报销事由", "Client visit, Hangzhou"),
                    date("发生日期", "2026-10-28T00:00:00+08:00"),
                    amount(1000),
                ],
            ),
            **extra,
        )
    )


# Approvals ---------------------------------------------------------------------------


def test_pending_approvals_raised_and_awaiting_the_employee(feishu, connect):
    purchase(feishu)
    purchase(feishu, code="PUR-OLD", status="APPROVED", serial="202610010001")
    feishu.add(
        Instance(
            code="LEAVE-9",
            approval_code="APPROVAL-LEAVE",
            approval_name="请假",
            user="ou_mgr",
            serial="202611040007",
        )
    )
    feishu.tasks = [Task("LEAVE-9", "ou_sales"), Task("PUR-OLD", "ou_sales", "DONE")]
    reimbursement(feishu)

    records = connect().discover(employee=SALES, record_kind="approval")

    by_id = {record.external_id: record for record in records}
    assert sorted(by_id) == ["LEAVE-9", "PUR-1"]
    raised = by_id["PUR-1"]
    assert raised.title == "采购申请 — 202611030001"
    assert raised.fields["direction"] == "raised_by_me"
    assert raised.fields["amount"] == "4999.00"
    assert raised.fields["reference"] == "PUR-1"
    assert raised.fields["title"] == "采购申请"
    assert raised.fields["status"] == "pending"
    assert raised.fields["system"] == "Feishu"
    assert raised.fields["started_on"] == "2026-11-03"
    waiting = by_id["LEAVE-9"]
    assert waiting.fields["direction"] == "awaiting_my_action"
    assert waiting.fields["amount"] is None


def test_reimbursements_can_be_listed_among_approvals_too(feishu, connect):
    reimbursement(feishu)

    assert connect().discover(employee=SALES, record_kind="approval") == []
    records = connect(expenses_in_approvals=True).discover(
        employee=SALES, record_kind="approval"
    )
    assert [record.fields["amount"] for record in records] == ["1000.00"]


def test_every_page_is_read(feishu, connect):
    for number in range(5):
        purchase(feishu, code=f"PUR-{number}", serial=f"20261103000{number}")
    feishu.max_page_size = 2

    records = connect().discover(employee=SALES, record_kind="approval")

    assert sorted(record.external_id for record in records) == [
        f"PUR-{number}" for number in range(5)
    ]
    queries = feishu.requests_to("/open-apis/approval/v4/instances/query")
    assert [request.args.get("page_token") for request in queries] == [None, "2", "4"]


# Reimbursements ----------------------------------------------------------------------


def test_unpaid_reimbursements_become_expenses(feishu, connect):
    reimbursement(feishu)
    reimbursement(feishu, code="EXP-PAID", status="APPROVED", serial="202610150003")
    purchase(feishu)

    records = connect().discover(employee=SALES, record_kind="expense")

    assert len(records) == 1
    expense = records[0]
    assert expense.external_id == "EXP-1"
    assert expense.title == "Client visit, Hangzhou — 202611030002"
    assert expense.fields["description"] == "差旅报销: Client visit, Hangzhou"
    assert expense.fields["amount"] == "1000.00"
    assert expense.fields["currency"] == "CNY"
    assert expense.fields["incurred_on"] == "2026-10-28"
    assert expense.fields["status"] == "submitted"
    assert expense.fields["reference"] == "EXP-1"


def test_an_expense_list_form_is_summed_and_its_first_date_used(feishu, connect):
    rows = [
        [date("日期", "2026-10-20T00:00:00+08:00"), amount("350.50")],
        [date("日期", "2026-10-21T00:00:00+08:00"), amount(649.5)],
    ]
    reimbursement(
        feishu,
        form=[{"id": "w-list", "name": "费用明细", "type": "fieldList", "value": rows}],
    )

    (expense,) = connect().discover(employee=SALES, record_kind="expense")

    assert expense.fields["amount"] == "1000.00"
    assert expense.fields["incurred_on"] == "2026-10-20"
    assert expense.fields["description"] == "差旅报销"


def test_reimbursement_codes_decide_what_is_an_expense(feishu, connect):
    reimbursement(feishu)
    purchase(feishu)

    records = connect(expense_codes=["APPROVAL-PURCHASE"]).discover(
        employee=SALES, record_kind="expense"
    )

    assert [record.external_id for record in records] == ["PUR-1"]


def test_a_currency_baton_cannot_record_is_reported_not_guessed(feishu, connect):
    reimbursement(feishu, form=[amount(80, currency="SGD")])
    reimbursement(feishu, code="EXP-2", serial="202611030009")

    records = connect().discover(employee=SALES, record_kind="expense")

    errors = {record.external_id: record.error for record in records}
    assert errors["EXP-1"] == "EXP-1 is in SGD, a currency Baton cannot record yet."
    assert errors["EXP-2"] == ""


# Finding the employee -----------------------------------------------------------------


def test_the_employee_is_found_by_email(feishu, connect):
    purchase(feishu)

    connect().discover(employee=SALES, record_kind="approval")

    (lookup,) = feishu.requests_to("/open-apis/contact/v3/users/batch_get_id")
    assert lookup.get_json() == {
        "emails": ["sales@baton.example"],
        "include_resigned": True,
    }
    assert lookup.args["user_id_type"] == "open_id"


def test_an_unknown_email_is_a_clear_error(feishu, connect):
    nobody = EmployeeRef(email="nobody@baton.example")

    with pytest.raises(ConnectorError) as caught:
        connect().discover(employee=nobody, record_kind="approval")

    assert str(caught.value) == (
        "No Feishu user has the e-mail address nobody@baton.example."
    )
    assert caught.value.retryable is False


def test_another_match_value_is_the_feishu_user_id(feishu, connect):
    purchase(feishu, user="E1001")

    records = connect(match_by="employee_number", user_id_type="user_id").discover(
        employee=EmployeeRef(employee_number="E1001"), record_kind="approval"
    )

    assert [record.external_id for record in records] == ["PUR-1"]
    assert feishu.requests_to("/open-apis/contact/v3/users/batch_get_id") == []


# Credentials and failures ------------------------------------------------------------


def test_a_wrong_app_secret_is_a_misconfiguration_without_the_secret(feishu, connect):
    with pytest.raises(MisconfiguredError) as caught:
        connect(secrets={"app_secret": "wrong-s3cret"}).test_connection()

    message = str(caught.value)
    assert message == (
        "Feishu refused the app credentials (code 10014: app secret invalid). "
        "Check the App ID and App secret."
    )
    assert "wrong-s3cret" not in message
    assert caught.value.request_id.startswith("2026112709")


def test_reasons_read_in_chinese_for_a_chinese_handover(feishu, connect):
    with translation.override("zh-hans"), pytest.raises(MisconfiguredError) as caught:
        connect(secrets={"app_secret": "wrong-s3cret"}).test_connection()

    assert str(caught.value) == (
        "飞书拒绝了应用凭据（错误码 10014：app secret invalid）。"  # noqa: RUF001
        "请检查 App ID 和 App Secret。"
    )


def test_an_unknown_app_id_is_a_misconfiguration(feishu, connect):
    with pytest.raises(MisconfiguredError) as caught:
        connect(app_id="cli_nope").discover(employee=SALES, record_kind="approval")

    assert "(code 10003: invalid param)" in str(caught.value)


def test_missing_credentials_are_named(feishu, connect):
    with pytest.raises(MisconfiguredError, match="Enter “App secret”"):
        connect(secrets={}).test_connection()


def test_a_revoked_token_is_renewed_once(feishu, connect):
    purchase(feishu)
    connector = connect()
    connector.test_connection()
    feishu.revoked.add(feishu.tokens[-1])

    records = connector.discover(employee=SALES, record_kind="approval")

    assert [record.external_id for record in records] == ["PUR-1"]
    assert len(feishu.tokens) == 2


def test_a_token_refused_twice_is_a_misconfiguration(feishu, connect, monkeypatch):
    connector = connect()
    monkeypatch.setattr(feishu, "revoked", _Everything())

    with pytest.raises(MisconfiguredError) as caught:
        connector.discover(employee=SALES, record_kind="approval")

    assert str(caught.value).startswith(
        "Feishu refused Baton's access token (code 99991663: Invalid access token"
    )
    assert APP_SECRET not in str(caught.value)


class _Everything:
    def __contains__(self, item):
        return True


def test_a_missing_permission_says_what_to_grant(feishu, connect):
    feishu.approval_error = (
        400,
        99991672,
        "Access denied. One of the following scopes is required: [approval:approval]",
    )

    with pytest.raises(MisconfiguredError) as caught:
        connect().discover(employee=SALES, record_kind="approval")

    assert "lacks a permission (code 99991672" in str(caught.value)
    assert "Grant it read access to Approval and Contacts" in str(caught.value)
    assert caught.value.request_id


def test_an_error_code_with_http_200_is_retryable_with_the_log_id(feishu, connect):
    feishu.approval_error = (200, 1390099, "internal error, please retry")

    with pytest.raises(ConnectorError) as caught:
        connect().discover(employee=SALES, record_kind="approval")

    assert not isinstance(caught.value, MisconfiguredError)
    assert caught.value.retryable is True
    assert str(caught.value) == (
        "Feishu answered with error code 1390099: internal error, please retry"
    )
    assert caught.value.request_id.startswith("2026112709")


def test_a_gateway_error_is_retryable_with_the_log_id(feishu, connect):
    feishu.approval_error = (502, None, None)

    with pytest.raises(ConnectorError) as caught:
        connect().discover(employee=SALES, record_kind="approval")

    assert caught.value.retryable is True
    assert "failed to answer (HTTP 502)" in str(caught.value)
    assert caught.value.request_id == "20261127-gateway"


def test_a_slow_platform_times_out_and_is_retryable(feishu, connect, httpserver):
    released = threading.Event()

    def slow(request):
        released.wait(10)
        return Response("{}", content_type="application/json")

    httpserver.clear_all_handlers()
    httpserver.expect_request(
        "/open-apis/auth/v3/tenant_access_token/internal"
    ).respond_with_handler(slow)
    try:
        with pytest.raises(ConnectorError) as caught:
            connect(timeout=0.5).test_connection()
    finally:
        released.set()

    assert caught.value.retryable is True
    assert "did not answer within 0.5 seconds" in str(caught.value)


def test_only_an_https_origin_is_accepted_as_the_platform_url(connect):
    with pytest.raises(MisconfiguredError, match="must look like https://open"):
        connect(base_url="http://open.feishu.example/api").test_connection()


def test_test_connection_names_the_app(feishu, connect):
    message = connect().test_connection()

    assert message.startswith("Connected to Feishu at ")
    assert message.endswith(" as app cli_a1b2c3d4e5f6a7b8.")


# Through the sync engine --------------------------------------------------------------


@pytest.mark.django_db
def test_a_reimbursement_paid_between_two_runs_is_resolved_upstream(
    feishu, people, django_capture_on_commit_callbacks
):
    email = employee_ref(Employee.objects.get(user=people["sales"])).email
    feishu.users = {email.lower(): "ou_sales"}
    reimbursement(feishu)
    reimbursement(
        feishu,
        code="EXP-2",
        serial="202611050001",
        form=[text("报销事由", "Team dinner"), amount(260)],
    )
    config = ConnectorConfig(
        type="feishu", name="Feishu", slug="feishu", settings=feishu.settings()
    )
    config.set_secrets(feishu.secrets())
    config.save()
    template = connector_template("feishu", "expense", label="Unpaid expenses")
    with django_capture_on_commit_callbacks(execute=True):
        handover = start_handover(people, template)

    items = {
        item.data["data"]["reference"]: item
        for item in Item.objects.filter(handover=handover, kind="connector_list")
    }
    assert sorted(items) == ["EXP-1", "EXP-2"]
    assert items["EXP-1"].label == "Client visit, Hangzhou — 202611030002"
    assert items["EXP-1"].data["data"] == {
        "description": "差旅报销: Client visit, Hangzhou",
        "amount": "1000.00",
        "currency": "CNY",
        "incurred_on": "2026-10-28",
        "status": "submitted",
        "reference": "EXP-1",
    }

    # Finance pays the 1000: Feishu no longer lists the reimbursement as pending.
    feishu.instances["EXP-1"].status = "APPROVED"
    status = BlockSync.objects.get(handover=handover)
    run = run_block_sync(
        handover_id=handover.pk, block_id=status.block_id, trigger="manual"
    )

    assert run.resolved == 1
    paid = Item.objects.get(pk=items["EXP-1"].pk)
    assert paid.state == Item.State.NOT_APPLICABLE
    assert paid.not_applicable_reason == "Resolved upstream in Feishu."
    assert Item.objects.get(pk=items["EXP-2"].pk).state == Item.State.PENDING
