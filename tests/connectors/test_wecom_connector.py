"""The WeCom connector against a fake of WeCom's server API: the leaver's
customers and customer groups, cursor pages, on-job and resigned transfers and
their read-back (waiting, done, refused), failed groups, token renewal, errcode
refusals, and finding people by the user ID map or by e-mail."""

import pytest

from cms import services
from cms.models import Employee, Item
from connectors import tasks
from connectors.models import BlockSync, ConnectorConfig, Transfer
from connectors.sdk.base import (
    ConnectorError,
    EmployeeRef,
    MisconfiguredError,
    TransferPending,
)
from connectors.sdk.network import PrivateAddressRefused
from connectors.sync import employee_ref
from connectors.types.wecom import WeComConnector
from tests.connectors.helpers import (
    connector_block,
    connector_template,
    connectors_template,
    start_handover,
)
from tests.fixtures.handovers import PASSWORD

from .fake_wecom import SECRET, Customer, FakeWeCom, Group

SALES = EmployeeRef(email="sales@baton.example", username="sales", name="Sam Sales")
SUCCESSOR = EmployeeRef(
    email="successor@baton.example", username="successor", name="Sue Successor"
)
TEA = Customer(
    "wmTEA0001",
    "王丽",
    "SamSales",
    corp_name="西湖茶业",
    corp_full_name="杭州西湖茶业有限公司",
    position="采购经理",
    remark="王经理-西湖茶业",
    description="每季度复购龙井, 喜欢电话沟通",
    remark_mobiles=["+86 571 8888 1234"],
    tag_id=["etTAG1"],
)
SOLO = Customer("wmSOLO0002", "Li Ming", "SamSales")


@pytest.fixture
def wecom(httpserver):
    fake = FakeWeCom(httpserver).install()
    fake.members = {
        "SamSales": ("sales@baton.example", ""),
        # No WeCom mailbox: found by the e-mail on the profile.
        "SueSuccessor": ("", "successor@baton.example"),
        "DevDan": ("dan@baton.example", ""),
    }
    fake.customers = [TEA, SOLO, Customer("wmDAN0003", "Zhou Yu", "DevDan")]
    fake.groups = {
        "wrTEAGROUP": Group(
            "wrTEAGROUP",
            "西湖茶业采购群",
            "SamSales",
            members=["SamSales", "DevDan", "wmTEA0001"],
            admins=["DevDan"],
        ),
        "wrDANGROUP": Group("wrDANGROUP", "Platform users", "DevDan"),
    }
    return fake


@pytest.fixture
def connect(wecom):
    made = []

    def build(secret=SECRET, timeout=2, **settings):
        connector = WeComConnector(
            settings=wecom.settings(**settings),
            secrets=wecom.secrets(secret) if secret else {},
            timeout=timeout,
        )
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()


def customer(connector, external_userid, employee=SALES):
    records = connector.discover(employee=employee, record_kind="client")
    return next(
        record for record in records if record.external_id.endswith(external_userid)
    )


def group(connector, chat_id="wrTEAGROUP"):
    records = connector.discover(employee=SALES, record_kind="group")
    return next(record for record in records if record.external_id == chat_id)


# Listing ----------------------------------------------------------------------------


def test_customers_are_listed_with_names_companies_and_remarks(wecom, connect):
    records = list(connect().discover(employee=SALES, record_kind="client"))

    assert [(record.external_id, record.title) for record in records] == [
        ("SamSales:wmTEA0001", "王丽"),
        ("SamSales:wmSOLO0002", "Li Ming"),
    ]
    tea, solo = (record.fields for record in records)
    assert tea["customer"] == "杭州西湖茶业有限公司"
    assert tea["contact_person"] == {
        "name": "王丽",
        "title": "采购经理",
        "phone": "+86 571 8888 1234",
    }
    assert tea["relationship_notes"] == "王经理-西湖茶业\n每季度复购龙井, 喜欢电话沟通"
    assert tea["tag_id"] == ["etTAG1"]
    assert tea["userid"] == "SamSales"
    # A WeChat user without a company is their own customer.
    assert solo["customer"] == "Li Ming"
    assert solo["contact_person"] == {"name": "Li Ming"}
    assert solo["relationship_notes"] == ""
    (asked,) = wecom.requests_to("batch/get_by_user")
    assert asked.get_json() == {"userid_list": ["SamSales"], "limit": 100}
    # The token travels in the query, as WeCom wants it, and nowhere else.
    assert asked.args["access_token"] == wecom.tokens[-1]
    assert "Authorization" not in asked.headers


def test_customer_groups_the_employee_owns_are_listed(wecom, connect):
    (record,) = connect().discover(employee=SALES, record_kind="group")

    assert record.external_id == "wrTEAGROUP"
    assert record.title == "西湖茶业采购群"
    assert (
        record.fields["role_permission"]
        == "Owner of WeCom customer group “西湖茶业采购群”"
    )
    assert record.fields["account_id"] == "SamSales"
    assert record.fields["member_count"] == 3
    assert record.fields["admins"] == ["DevDan"]
    assert record.fields["action"] == "transfer"
    (listed,) = wecom.requests_to("groupchat/list")
    assert listed.get_json() == {
        "status_filter": 0,
        "owner_filter": {"userid_list": ["SamSales"]},
        "limit": 1000,
    }


def test_every_cursor_page_is_read(wecom, connect):
    wecom.customers = [
        Customer(f"wmMANY{number:04d}", f"Customer {number}", "SamSales")
        for number in range(5)
    ]
    for number in range(3):
        chat_id = f"wrMANY{number}"
        wecom.groups[chat_id] = Group(chat_id, f"Group {number}", "SamSales")
    wecom.page_cap = 2
    connector = connect()

    customers = list(connector.discover(employee=SALES, record_kind="client"))
    groups = list(connector.discover(employee=SALES, record_kind="group"))

    assert [record.title for record in customers] == [
        f"Customer {number}" for number in range(5)
    ]
    assert len(groups) == 4
    pages = wecom.requests_to("batch/get_by_user")
    assert [page.get_json().get("cursor") for page in pages] == [None, "2", "4"]
    assert len(wecom.requests_to("groupchat/list")) == 2


# Finding people ---------------------------------------------------------------------


def test_people_are_found_by_their_wecom_mailbox_then_their_profile_email(
    wecom, connect
):
    connector = connect()

    assert connector.person_id(SALES) == "SamSales"
    assert connector.person_id(SUCCESSOR) == "SueSuccessor"
    asked = [
        request.get_json()
        for request in wecom.requests_to("/cgi-bin/user/get_userid_by_email")
    ]
    assert asked == [
        {"email": "sales@baton.example", "email_type": 1},
        {"email": "successor@baton.example", "email_type": 1},
        {"email": "successor@baton.example", "email_type": 2},
    ]


def test_the_user_id_map_wins_over_the_email_lookup(wecom, connect):
    connector = connect(userids={"Sales@Baton.example": "SamSales"})

    records = list(connector.discover(employee=SALES, record_kind="client"))

    assert len(records) == 2
    assert wecom.requests_to("/cgi-bin/user/get_userid_by_email") == []


def test_matching_by_user_name_takes_it_as_the_user_id(wecom, connect):
    records = connect(match_by="username").discover(
        employee=EmployeeRef(username="DevDan"), record_kind="client"
    )

    assert [record.title for record in records] == ["Zhou Yu"]


def test_someone_wecom_does_not_know_is_named(wecom, connect):
    with pytest.raises(ConnectorError) as caught:
        list(
            connect().discover(
                employee=EmployeeRef(email="nobody@baton.example"),
                record_kind="client",
            )
        )

    assert str(caught.value) == (
        "WeCom has no member nobody@baton.example this app can see: add them to "
        "the WeCom user IDs setting."
    )
    assert caught.value.retryable is False


# Transfers ----------------------------------------------------------------------


def test_an_on_job_transfer_waits_for_the_customer_then_is_done(wecom, connect):
    connector = connect(transfer_message="后续由 Sue 为您服务。")
    record = customer(connector, "wmTEA0001")

    assert connector.describe_transfer(
        record=record, owner=SALES, successor=SUCCESSOR
    ) == (
        "Hand WeCom customer “王丽” from Sam Sales to Sue Successor; WeCom tells "
        "the customer, who has 24 hours to refuse."
    )
    result = connector.transfer(
        record=record, owner=SALES, successor=SUCCESSOR, note="Handover H-1"
    )

    assert result.response == {
        "handover_userid": "SamSales",
        "takeover_userid": "SueSuccessor",
        "external_userid": "wmTEA0001",
    }
    (sent,) = wecom.requests_to("transfer_customer")
    assert sent.get_json() == {
        "handover_userid": "SamSales",
        "takeover_userid": "SueSuccessor",
        "external_userid": ["wmTEA0001"],
        "transfer_success_msg": "后续由 Sue 为您服务。",
    }
    # Waiting (2): the customer has 24 hours to refuse; read back again later.
    with pytest.raises(TransferPending, match="waiting for customer") as waiting:
        connector.verify_transfer(record=record, successor=SUCCESSOR)
    assert waiting.value.retry_after == 3600

    wecom.transfers[("on_job", "SamSales", "SueSuccessor", "wmTEA0001")] = 1
    assert connector.verify_transfer(record=record, successor=SUCCESSOR) is True


def test_a_retried_transfer_is_not_sent_twice(wecom, connect):
    connector = connect()
    record = customer(connector, "wmTEA0001")
    connector.transfer(record=record, owner=SALES, successor=SUCCESSOR, note="")

    again = connector.transfer(record=record, owner=SALES, successor=SUCCESSOR, note="")

    assert again.response["already"] is True
    assert len(wecom.requests_to("transfer_customer")) == 1


def test_a_resigned_transfer_uses_the_id_kept_in_the_record(wecom, connect):
    listing = connect()
    record = customer(listing, "wmTEA0001")
    # The leaver is deleted from WeCom: no e-mail lookup finds them any more.
    del wecom.members["SamSales"]
    wecom.new_status = 1
    connector = connect(transfer_mode="resigned", transfer_message="ignored")

    assert "who has left" in connector.describe_transfer(
        record=record, owner=SALES, successor=SUCCESSOR
    )
    result = connector.transfer(
        record=record, owner=SALES, successor=SUCCESSOR, note=""
    )

    assert result.response["external_userid"] == "wmTEA0001"
    (sent,) = wecom.requests_to("resigned/transfer_customer")
    assert "transfer_success_msg" not in sent.get_json()
    assert wecom.requests_to("transfer_customer") == []
    assert connector.verify_transfer(record=record, successor=SUCCESSOR) is True


def test_the_wrong_transfer_mode_says_so(wecom, connect):
    record = customer(connect(), "wmTEA0001")

    with pytest.raises(MisconfiguredError) as caught:
        connect(transfer_mode="resigned").transfer(
            record=record, owner=SALES, successor=SUCCESSOR, note=""
        )

    assert str(caught.value).startswith(
        "The transfer mode does not fit the leaver's state (errcode 40097: "
    )


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (3, "the customer refused"),
        (4, "the successor has reached WeCom's limit of customers"),
        (5, "WeCom has no record of the transfer"),
    ],
)
def test_a_customer_not_handed_over_says_why(wecom, connect, status, reason):
    connector = connect()
    record = customer(connector, "wmTEA0001")
    connector.transfer(record=record, owner=SALES, successor=SUCCESSOR, note="")
    wecom.transfers[("on_job", "SamSales", "SueSuccessor", "wmTEA0001")] = status

    with pytest.raises(ConnectorError) as caught:
        connector.verify_transfer(record=record, successor=SUCCESSOR)

    assert str(caught.value) == f"WeCom did not hand customer “王丽” over: {reason}."
    assert caught.value.retryable is False


def test_a_customer_refused_in_the_transfer_answer_is_a_failure(wecom, connect):
    wecom.customer_errors["wmTEA0001"] = 40128
    connector = connect()
    record = customer(connector, "wmTEA0001")

    with pytest.raises(ConnectorError) as caught:
        connector.transfer(record=record, owner=SALES, successor=SUCCESSOR, note="")

    assert str(caught.value) == "WeCom answered with errcode 40128."
    assert caught.value.retryable is False
    assert wecom.transfers == {}


def test_a_group_is_handed_over_and_read_back(wecom, connect):
    connector = connect()
    record = group(connector)

    assert connector.describe_transfer(
        record=record, owner=SALES, successor=SUCCESSOR
    ) == (
        "Make Sue Successor the owner of WeCom customer group “西湖茶业采购群” "
        "instead of Sam Sales."
    )
    assert connector.verify_transfer(record=record, successor=SUCCESSOR) is False
    result = connector.transfer(
        record=record, owner=SALES, successor=SUCCESSOR, note=""
    )

    assert result.response == {
        "chat_id": "wrTEAGROUP",
        "new_owner": "SueSuccessor",
    }
    (sent,) = wecom.requests_to("groupchat/onjob_transfer")
    assert sent.get_json() == {
        "chat_id_list": ["wrTEAGROUP"],
        "new_owner": "SueSuccessor",
    }
    assert wecom.groups["wrTEAGROUP"].owner == "SueSuccessor"
    assert connector.verify_transfer(record=record, successor=SUCCESSOR) is True


def test_a_group_in_the_failed_list_is_a_failure(wecom, connect):
    wecom.group_errors["wrTEAGROUP"] = (90503, "group member count over limit")
    connector = connect(transfer_mode="resigned")
    record = group(connector)

    with pytest.raises(ConnectorError) as caught:
        connector.transfer(record=record, owner=SALES, successor=SUCCESSOR, note="")

    assert str(caught.value) == (
        "WeCom answered with errcode 90503: group member count over limit."
    )
    assert len(wecom.requests_to("groupchat/transfer")) == 1
    assert wecom.groups["wrTEAGROUP"].owner == "SamSales"


def test_an_unknown_successor_is_a_misconfiguration(wecom, connect):
    connector = connect()
    record = customer(connector, "wmTEA0001")

    with pytest.raises(MisconfiguredError) as caught:
        connector.transfer(
            record=record,
            owner=SALES,
            successor=EmployeeRef(email="new@baton.example"),
            note="",
        )
    assert "new@baton.example" in str(caught.value)

    mapped = connect(userids={"new@baton.example": "NoSuchUser"})
    with pytest.raises(MisconfiguredError) as caught:
        mapped.transfer(
            record=record,
            owner=SALES,
            successor=EmployeeRef(email="new@baton.example"),
            note="",
        )
    assert str(caught.value).startswith("WeCom does not know a user ID Baton sent")


# Tokens and refusals ----------------------------------------------------------------


def test_an_expired_token_is_renewed_once(wecom, connect):
    connector = connect()
    connector.test_connection()
    wecom.expired.add(wecom.tokens[-1])

    records = list(connector.discover(employee=SALES, record_kind="client"))

    assert len(records) == 2
    assert len(wecom.tokens) == 2
    _first, renewal = wecom.requests_to("/cgi-bin/gettoken")
    assert "access_token" not in renewal.args


def test_a_token_refused_twice_is_a_misconfiguration(wecom, connect, monkeypatch):
    connector = connect()
    connector.test_connection()
    monkeypatch.setattr(wecom, "expired", _Everything())

    with pytest.raises(MisconfiguredError) as caught:
        connector.test_connection()

    assert "errcode 42001" in str(caught.value)
    assert len(wecom.requests_to("/cgi-bin/gettoken")) == 2


class _Everything:
    def __contains__(self, item):
        return True


def test_a_wrong_secret_is_a_misconfiguration_without_the_secret(wecom, connect):
    with pytest.raises(MisconfiguredError) as caught:
        connect(secret="wrong-s3cret").test_connection()

    message = str(caught.value)
    assert message.startswith(
        "WeCom refused the corp ID, secret or token (errcode 40001: invalid "
        "credential, hint: ["
    )
    assert message.endswith("from ip: 1.2.3.4): check them.")
    assert "wrong-s3cret" not in message
    assert len(wecom.requests_to("/cgi-bin/gettoken")) == 1


def test_a_wrong_corp_id_is_a_misconfiguration(wecom, connect):
    with pytest.raises(MisconfiguredError, match="errcode 40013"):
        connect(corp_id="ww0000").test_connection()


def test_a_missing_secret_is_named_before_any_call(wecom, connect):
    with pytest.raises(MisconfiguredError, match="Enter “Customer contact secret”"):
        connect(secret=None).test_connection()
    assert wecom.requests_to("/cgi-bin/gettoken") == []


@pytest.mark.parametrize(
    ("errcode", "errmsg"), [(45009, "api freq out of limit"), (-1, "system busy")]
)
def test_a_rate_limit_or_a_busy_wecom_is_retryable(wecom, connect, errcode, errmsg):
    wecom.fail = (errcode, errmsg)

    with pytest.raises(ConnectorError) as caught:
        list(connect().discover(employee=SALES, record_kind="client"))

    assert not isinstance(caught.value, MisconfiguredError)
    assert caught.value.retryable is True
    assert str(caught.value).startswith(
        f"WeCom is busy or limiting how often Baton may call it (errcode {errcode}: "
    )


def test_an_app_without_customer_contact_rights_is_a_misconfiguration(wecom, connect):
    wecom.fail = (48002, "api forbidden")

    with pytest.raises(MisconfiguredError) as caught:
        connect().test_connection()

    assert str(caught.value).startswith(
        "This WeCom app may not do that (errcode 48002: api forbidden"
    )
    assert str(caught.value).endswith("check its API permissions.")


def test_test_connection_names_the_corp(wecom, connect):
    assert connect().test_connection() == (
        f"Connected to WeCom at {connect().host} as corp ww8a1b2c3d4e5f6a7b."
    )


def test_loopback_is_refused_without_the_allowance(wecom, connect, settings):
    settings.BATON_CONNECTORS_ALLOW_PRIVATE_NETWORKS = []

    with pytest.raises(PrivateAddressRefused):
        connect().test_connection()
    with pytest.raises(PrivateAddressRefused):
        list(connect().discover(employee=SALES, record_kind="client"))

    assert wecom.server.log == []


# The sync engine --------------------------------------------------------------------


@pytest.mark.django_db
def test_customers_and_groups_fill_the_handover(
    wecom, people, django_capture_on_commit_callbacks
):
    sales = employee_ref(Employee.objects.get(user=people["sales"]))
    config = ConnectorConfig(
        type="wecom",
        name="WeCom",
        slug="wecom",
        settings=wecom.settings(userids={sales.email: "SamSales"}),
    )
    config.set_secrets(wecom.secrets())
    config.save()
    template = connectors_template(
        "WeCom",
        [
            connector_block("wecom", "client", label="WeCom customers"),
            connector_block("wecom", "group", label="WeCom customer groups"),
        ],
    )

    with django_capture_on_commit_callbacks(execute=True):
        handover = start_handover(people, template)

    states = BlockSync.objects.filter(handover=handover).values_list("state", flat=True)
    assert list(states) == [BlockSync.State.OK, BlockSync.State.OK]
    items = Item.objects.filter(handover=handover, kind="connector_list")
    filled = {
        item.label: item.data["data"]
        for item in items
        if item.data["record_kind"] == "client"
    }
    assert filled == {
        "王丽": {
            "customer": "杭州西湖茶业有限公司",
            "contact_person": {
                "name": "王丽",
                "title": "采购经理",
                "phone": "+86 571 8888 1234",
            },
            "relationship_notes": "王经理-西湖茶业\n每季度复购龙井, 喜欢电话沟通",
        },
        "Li Ming": {
            "customer": "Li Ming",
            "contact_person": {"name": "Li Ming"},
            "relationship_notes": "",
        },
    }
    (owned,) = [item for item in items if item.data["record_kind"] == "group"]
    assert owned.label == "西湖茶业采购群"
    assert owned.data["data"] == {
        "system": "WeCom",
        "account_id": "SamSales",
        "role_permission": "Owner of WeCom customer group “西湖茶业采购群”",
        "action": "transfer",
    }


@pytest.mark.django_db
def test_an_accepted_customer_waits_for_wecom_then_is_read_back_again(
    wecom, people, django_capture_on_commit_callbacks, monkeypatch
):
    """WeCom takes up to 24 hours: the write-back waits (queued, not failed),
    reads back again an hour later, and is done once WeCom is."""
    scheduled = []
    monkeypatch.setattr(
        tasks.transfer_task,
        "schedule",
        lambda args, delay: scheduled.append((args, delay)),
    )
    sales = employee_ref(Employee.objects.get(user=people["sales"]))
    config = ConnectorConfig(
        type="wecom",
        name="WeCom",
        slug="wecom",
        settings=wecom.settings(userids={sales.email: "SamSales"}),
        transfer_on_accept=True,
    )
    config.set_secrets(wecom.secrets())
    config.save()
    wecom.customers = [TEA]
    template = connector_template("wecom", "client", label="WeCom customers")
    with django_capture_on_commit_callbacks(execute=True):
        handover = start_handover(people, template)
    item = Item.objects.get(handover=handover, kind="connector_list")
    successor = employee_ref(Employee.objects.get(user=people["successor"]))
    wecom.members["SueSuccessor"] = ("", successor.email)
    item = services.item_submit(actor=people["sales"], item=item, version=item.version)

    with django_capture_on_commit_callbacks(execute=True):
        services.item_accept(
            actor=people["successor"],
            item=item,
            version=item.version,
            password=PASSWORD,
        )

    transfer = Transfer.objects.get(item=item)
    assert transfer.preview.startswith("Hand WeCom customer “王丽” from ")
    assert transfer.state == Transfer.State.QUEUED
    assert "waiting for customer “王丽”" in transfer.error
    assert scheduled == [((transfer.pk,), 3600)]

    wecom.transfers[("on_job", "SamSales", "SueSuccessor", "wmTEA0001")] = 1
    with django_capture_on_commit_callbacks(execute=True):
        tasks.transfer_task.call_local(transfer.pk)

    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.DONE
    assert transfer.response["already"] is True
    assert len(wecom.requests_to("transfer_customer")) == 1
