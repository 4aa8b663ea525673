"""The DingTalk approvals connector (official SDK for the v1.0 API, requests for
the older user API) against a fake DingTalk answering in the published shapes."""

import threading

import pytest
from werkzeug import Response

from connectors.sdk.base import ConnectorError, EmployeeRef, MisconfiguredError
from connectors.types.dingtalk import DingTalkConnector

from .fake_dingtalk import (
    APP_SECRET,
    FakeDingTalk,
    Instance,
    cell,
    day,
    money,
    table,
    textarea,
)

SALES = EmployeeRef(
    email="sales@baton.example", employee_number="E1001", name="Sam Sales"
)
PURCHASE = "PROC-PURCHASE-01"
EXPENSE = "PROC-EXPENSE-02"


@pytest.fixture
def dingtalk(httpserver):
    fake = FakeDingTalk(httpserver).install()
    fake.users = [
        {
            "userid": "old-sam",
            "name": "Sam Sales",
            "email": "sam@elsewhere.example",
            "org_email": "",
            "job_number": "E0042",
        },
        {
            "userid": "0431281562",
            "name": "Sam Sales",
            "email": "",
            "org_email": "sales@baton.example",
            "job_number": "E1001",
        },
        {"userid": "mgr01", "name": "Mia Manager", "email": "", "org_email": ""},
    ]
    return fake


@pytest.fixture
def connect(dingtalk):
    made = []

    def build(secrets=None, timeout=2, **settings):
        settings.setdefault("process_codes", [PURCHASE, EXPENSE])
        connector = DingTalkConnector(
            settings=dingtalk.settings(**settings),
            secrets=secrets if secrets is not None else dingtalk.secrets(),
            timeout=timeout,
        )
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()


def purchase(dingtalk, instance_id="inst-pur-1", **extra):
    return dingtalk.add(
        Instance(
            instance_id=instance_id,
            process_code=PURCHASE,
            title="Sam Sales提交的采购申请",
            originator=extra.pop("originator", "0431281562"),
            business_id=extra.pop("business_id", "202611030001"),
            components=[textarea("采购事由", "Demo laptops"), money("4999")],
            **extra,
        )
    )


def reimbursement(dingtalk, instance_id="inst-exp-1", **extra):
    return dingtalk.add(
        Instance(
            instance_id=instance_id,
            process_code=EXPENSE,
            title="Sam Sales提交的报销",
            originator="0431281562",
            business_id=extra.pop("business_id", "202611030002"),
            components=extra.pop(
                "components",
                [
                    textarea("报销事由", "Client visit, Hangzhou"),
                    day("发生日期", "2026-10-28"),
                    money("1000.00"),
                ],
            ),
            **extra,
        )
    )


def test_running_approvals_raised_and_awaiting_the_employee(dingtalk, connect):
    purchase(dingtalk)
    purchase(dingtalk, "inst-pur-done", status="COMPLETED", business_id="202610010001")
    dingtalk.add(
        Instance(
            instance_id="inst-leave-9",
            process_code="PROC-LEAVE",
            title="Mia Manager提交的请假",
            originator="mgr01",
            business_id="202611040007",
            approvers=["0431281562"],
        )
    )
    reimbursement(dingtalk)

    records = connect().discover(employee=SALES, record_kind="approval")

    by_id = {record.external_id: record for record in records}
    assert sorted(by_id) == ["inst-leave-9", "inst-pur-1"]
    raised = by_id["inst-pur-1"]
    assert raised.title == "Sam Sales提交的采购申请 — 202611030001"
    assert raised.fields["direction"] == "raised_by_me"
    assert raised.fields["amount"] == "4999.00"
    assert raised.fields["reference"] == "inst-pur-1"
    assert raised.fields["status"] == "pending"
    assert raised.fields["system"] == "DingTalk"
    assert by_id["inst-leave-9"].fields["direction"] == "awaiting_my_action"


def test_the_employee_is_found_by_name_and_confirmed_by_email(dingtalk, connect):
    purchase(dingtalk)

    connect().discover(employee=SALES, record_kind="approval")

    (search,) = dingtalk.requests_to("/v1.0/contact/users/search")
    assert search.get_json()["queryWord"] == "Sam Sales"
    queries = dingtalk.requests_to("/v1.0/workflow/processes/instanceIds/query")
    assert {tuple(query.get_json()["userIds"]) for query in queries} == {
        ("0431281562",)
    }
    assert queries[0].get_json()["statuses"] == ["RUNNING"]


def test_by_employee_number_the_job_number_confirms(dingtalk, connect):
    purchase(dingtalk)

    records = connect(match_by="employee_number").discover(
        employee=SALES, record_kind="approval"
    )

    assert [record.external_id for record in records] == ["inst-pur-1"]


def test_nobody_with_that_email_is_a_clear_error(dingtalk, connect):
    stranger = EmployeeRef(email="sam@baton.example", name="Sam Sales")

    with pytest.raises(ConnectorError) as caught:
        connect().discover(employee=stranger, record_kind="approval")

    assert str(caught.value) == (
        "No DingTalk user named Sam Sales has the e-mail sam@baton.example."
    )
    assert caught.value.retryable is False


def test_a_directory_id_is_the_dingtalk_user_id(dingtalk, connect):
    purchase(dingtalk, originator="dir-77")

    records = connect(match_by="directory_id").discover(
        employee=EmployeeRef(directory_id="dir-77"), record_kind="approval"
    )

    assert [record.external_id for record in records] == ["inst-pur-1"]
    assert dingtalk.requests_to("/v1.0/contact/users/search") == []


def test_every_page_of_instances_and_tasks_is_read(dingtalk, connect):
    for number in range(5):
        purchase(dingtalk, f"inst-pur-{number}", business_id=f"2026110300{number}")
    for number in range(3):
        dingtalk.add(
            Instance(
                instance_id=f"inst-todo-{number}",
                process_code="PROC-LEAVE",
                title="Leave",
                originator="mgr01",
                approvers=["0431281562"],
            )
        )
    dingtalk.page_size = 2

    records = connect().discover(employee=SALES, record_kind="approval")

    assert len(records) == 8
    todo_pages = dingtalk.requests_to("/v1.0/workflow/workRecords/todoTasks")
    assert [page.args["nextToken"] for page in todo_pages] == ["0", "2"]


def test_unpaid_reimbursements_become_expenses(dingtalk, connect):
    reimbursement(dingtalk)
    reimbursement(dingtalk, "inst-exp-paid", status="COMPLETED", business_id="2026101")
    purchase(dingtalk)

    records = connect(expense_codes=[EXPENSE]).discover(
        employee=SALES, record_kind="expense"
    )

    (expense,) = records
    assert expense.external_id == "inst-exp-1"
    assert expense.title == "Client visit, Hangzhou — 202611030002"
    assert expense.fields["description"] == (
        "Sam Sales提交的报销: Client visit, Hangzhou"
    )
    assert expense.fields["amount"] == "1000.00"
    assert expense.fields["currency"] == "CNY"
    assert expense.fields["incurred_on"] == "2026-10-28"
    assert expense.fields["status"] == "submitted"


def test_a_table_of_expenses_is_summed(dingtalk, connect):
    rows = [
        [
            cell("DDDateField", "日期", "2026-10-20"),
            cell("MoneyField", "金额", "350.5"),
        ],
        [
            cell("DDDateField", "日期", "2026-10-21"),
            cell("MoneyField", "金额", "649.50"),
        ],
    ]
    reimbursement(dingtalk, components=[table("报销明细", rows)])

    (expense,) = connect().discover(employee=SALES, record_kind="expense")

    assert expense.fields["amount"] == "1000.00"
    assert expense.fields["incurred_on"] == "2026-10-20"


def test_reimbursements_stay_out_of_the_approvals_by_default(dingtalk, connect):
    reimbursement(dingtalk)

    assert connect().discover(employee=SALES, record_kind="approval") == []
    (record,) = connect(expenses_in_approvals=True).discover(
        employee=SALES, record_kind="approval"
    )
    assert record.fields["amount"] == "1000.00"


def test_wrong_credentials_are_a_misconfiguration_without_the_secret(connect):
    with pytest.raises(MisconfiguredError) as caught:
        connect(secrets={"app_secret": "wrong-s3cret"}).test_connection()

    assert str(caught.value) == (
        "DingTalk refused the app credentials (invalidClientIdOrSecret: "
        "无效的clientId或者clientSecret). Check the app key and app secret."
    )
    assert "wrong-s3cret" not in str(caught.value)
    assert caught.value.request_id.endswith("-ERR")


def test_a_revoked_token_is_renewed_once(dingtalk, connect):
    purchase(dingtalk)
    connector = connect()
    connector.test_connection()
    dingtalk.revoked.add(dingtalk.tokens[-1])

    records = connector.discover(employee=SALES, record_kind="approval")

    assert [record.external_id for record in records] == ["inst-pur-1"]
    assert len(dingtalk.tokens) == 2


def test_a_forbidden_call_says_what_the_app_needs(dingtalk, connect):
    dingtalk.workflow_error = (
        403,
        {
            "requestid": "REQ-403",
            "code": "Forbidden.AccessDenied.AccessTokenPermissionDenied",
            "message": "没有调用该接口的权限",
        },
    )

    with pytest.raises(MisconfiguredError) as caught:
        connect().discover(employee=SALES, record_kind="approval")

    assert "may read approvals and the address book" in str(caught.value)
    assert caught.value.request_id == "REQ-403"


def test_a_server_error_is_retryable_with_the_request_id(dingtalk, connect):
    dingtalk.workflow_error = (
        503,
        {"requestid": "REQ-503", "code": "ServiceUnavailable", "message": "busy"},
    )

    with pytest.raises(ConnectorError) as caught:
        connect().discover(employee=SALES, record_kind="approval")

    assert caught.value.retryable is True
    assert "failed to answer (HTTP 503, ServiceUnavailable)" in str(caught.value)
    assert caught.value.request_id == "REQ-503"


def test_a_gateway_page_is_retryable(dingtalk, connect):
    dingtalk.workflow_error = (502, None)

    with pytest.raises(ConnectorError) as caught:
        connect().discover(employee=SALES, record_kind="approval")

    assert caught.value.retryable is True
    assert "failed to answer" in str(caught.value)


def test_a_slow_server_times_out_and_is_retryable(connect, httpserver):
    released = threading.Event()

    def slow(request):
        released.wait(10)
        return Response("{}", content_type="application/json")

    httpserver.clear_all_handlers()
    httpserver.expect_request("/v1.0/oauth2/accessToken").respond_with_handler(slow)
    try:
        with pytest.raises(ConnectorError) as caught:
            connect(timeout=0.5).test_connection()
    finally:
        released.set()

    assert caught.value.retryable is True
    assert "did not answer within 0.5 seconds" in str(caught.value)


def test_missing_settings_are_named(connect):
    with pytest.raises(MisconfiguredError, match="Enter “App secret”"):
        connect(secrets={}).test_connection()
    with pytest.raises(MisconfiguredError, match="must look like https://api"):
        connect(api_base_url="https://api.dingtalk.com/v1.0").test_connection()


def test_test_connection_names_the_app(connect):
    message = connect().test_connection()

    assert message.startswith("Connected to DingTalk at 127.0.0.1:") or (
        message.startswith("Connected to DingTalk at localhost:")
    )
    assert message.endswith(f" as app {'dingabcdefghijk12345'}.")
    assert APP_SECRET not in message
