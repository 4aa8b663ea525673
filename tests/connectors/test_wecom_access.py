"""The leaver's WeCom member as an access item, through the real access engine
against the fake WeCom: found when the handover starts, disabled at the end of
the last working day with the Contacts Sync token and read back, restored,
deleted only when IT asks after the buffer; the customer groups they own
handed to the successor; a missing or wrong contacts secret failing that one
change with a reason, and no secret ever in a message or the audit trail."""

import datetime
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from cms import services
from cms.errors import Conflict
from cms.models import AuditEvent, ChecklistTemplatePage, Employee, Item
from connectors.access import services as access
from connectors.models import AccessAction, AccessGrant, ConnectorConfig
from connectors.sdk.base import EmployeeRef, MisconfiguredError
from connectors.types.wecom import WeComConnector
from tests.fixtures.handovers import PASSWORD

from .fake_wecom import APP_SECRET, CONTACTS_SECRET, SECRET, FakeWeCom, Group

pytestmark = pytest.mark.django_db

LAST_DAY = datetime.date(2026, 12, 31)
# 18:00 on the last working day in Shanghai.
REVOKE_AT = datetime.datetime(2026, 12, 31, 10, 0, tzinfo=datetime.UTC)
USER_GET, USER_UPDATE = "/cgi-bin/user/get", "/cgi-bin/user/update"
USER_DELETE, GET_TOKEN = "/cgi-bin/user/delete", "/cgi-bin/gettoken"
NO_CONTACTS_SECRET = (
    "Enter “Contacts sync secret” in the WeCom connector: WeCom lets only the "
    "Contacts Sync (通讯录同步) secret disable, enable or delete members."
)


@pytest.fixture
def wecom(httpserver, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    fake = FakeWeCom(httpserver).install()
    fake.members = {
        "SamSales": ("sales@baton.example", ""),
        "SueSuccessor": ("", "successor@baton.example"),
        "DevDan": ("dan@baton.example", ""),
    }
    fake.profiles["SamSales"] = {"name": "Sam Sales", "position": "Sales lead"}
    fake.groups = {
        "wrTEAGROUP": Group("wrTEAGROUP", "西湖茶业采购群", "SamSales"),
        "wrDANGROUP": Group("wrDANGROUP", "Platform users", "DevDan"),
    }
    return fake


def connector(wecom, contacts_secret=CONTACTS_SECRET):
    config = ConnectorConfig(
        type="wecom", name="WeCom", slug="wecom", settings=wecom.settings()
    )
    config.set_secrets({"secret": SECRET, "contacts_secret": contacts_secret})
    config.save()
    return config


def start(people, capture):
    with capture(execute=True):
        return services.handover_start(
            actor=people["hr"],
            employee=Employee.objects.get(user=people["sales"]),
            template=ChecklistTemplatePage.objects.get(
                slug="general", locale__language_code="en"
            ),
            last_working_day=LAST_DAY,
            successors=[people["successor"]],
            manager=people["manager"],
            it_users=[people["it"]],
        )


@pytest.fixture
def handover(wecom, people, django_capture_on_commit_callbacks):
    connector(wecom)
    return start(people, django_capture_on_commit_callbacks)


def grants(handover):
    return {
        (grant.kind, grant.group_id): grant
        for grant in AccessGrant.objects.filter(handover=handover)
    }


def confirm(grant, people, capture, **data):
    item = Item.objects.get(pk=grant.item_id)
    if data:
        item = services.item_update(
            actor=people["it"], item=item, version=item.version, data=data
        )
    item = services.item_submit(actor=people["it"], item=item, version=item.version)
    with capture(execute=True):
        services.item_accept(
            actor=people["manager"], item=item, version=item.version, password=PASSWORD
        )


def revoke_now(handover, people, capture):
    with capture(execute=True):
        access.access_revoke_now(actor=people["it"], handover=handover)


def member_calls(wecom, path):
    return [
        (request.args.get("userid") or request.get_json().get("userid"), request)
        for request in wecom.requests_to(path)
    ]


# The inventory ----------------------------------------------------------------------


def test_the_leavers_member_becomes_an_access_item_and_customer_groups_do_not(
    handover,
):
    found = grants(handover)

    # The customer groups the leaver owns are handed over as items (written
    # back by the connector's transfer), never as access memberships.
    assert set(found) == {("account", "")}
    account = found[("account", "")]
    assert (account.system, account.account_id) == ("WeCom", "SamSales")
    item = Item.objects.get(pk=account.item_id)
    assert item.label == "Account Sam Sales (SamSales) in WeCom"
    assert item.data["action"] == "revoke"
    rows = {row["change"] for row in access.access_dry_run(handover)}
    assert rows == {"WeCom: suspend the account Sam Sales (SamSales)."}
    assert wecom_groups_untouched(handover)


def wecom_groups_untouched(handover):
    return not AccessAction.objects.filter(
        handover=handover, operation__in=["add_member", "remove_member"]
    ).exists()


def test_a_leaver_without_a_wecom_member_has_no_wecom_access(
    wecom, people, django_capture_on_commit_callbacks
):
    del wecom.members["SamSales"]
    connector(wecom)

    handover = start(people, django_capture_on_commit_callbacks)

    assert grants(handover) == {}
    assert wecom.requests_to(USER_GET) == []


def test_a_mapped_user_id_wecom_does_not_know_finds_nothing(
    wecom, people, django_capture_on_commit_callbacks
):
    config = connector(wecom)
    config.settings["userids"] = {"sales@baton.example": "GoneUser"}
    config.save()

    handover = start(people, django_capture_on_commit_callbacks)

    assert grants(handover) == {}
    [(asked, _request)] = member_calls(wecom, USER_GET)
    assert asked == "GoneUser"


# Suspend, verify, restore, delete ---------------------------------------------------


def test_the_member_is_disabled_at_the_end_of_the_last_working_day_and_read_back(
    handover, wecom, people, django_capture_on_commit_callbacks
):
    account = grants(handover)[("account", "")]
    confirm(account, people, django_capture_on_commit_callbacks)

    assert access.access_run_due(now=REVOKE_AT - timedelta(minutes=1)) == 0
    assert wecom.member_status("SamSales") == 1
    assert access.access_run_due(now=REVOKE_AT) == 1

    assert wecom.member_status("SamSales") == 2
    (update,) = wecom.requests_to(USER_UPDATE)
    assert update.get_json() == {"userid": "SamSales", "enable": 0}
    # Written with the Contacts Sync token, not the customer contact app's.
    assert update.args["access_token"] in wecom.contacts_tokens
    action = AccessAction.objects.get(grant=account)
    assert action.state == AccessAction.State.VERIFIED
    account.refresh_from_db()
    assert account.state == "suspended"
    event = handover.audit_events.get(action="access.suspend_account")
    assert event.details["asked"] == "WeCom: suspend the account Sam Sales (SamSales)."
    assert event.details["answer"] == {
        "operation": "suspend",
        "userid": "SamSales",
        "changed": True,
        "enable": 0,
    }
    assert event.details["verified"] is True


def test_suspending_a_disabled_member_again_changes_nothing(
    handover, wecom, people, django_capture_on_commit_callbacks
):
    account = grants(handover)[("account", "")]
    confirm(account, people, django_capture_on_commit_callbacks)
    revoke_now(handover, people, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        access.access_plan(account, approved_by=people["manager"])
    revoke_now(handover, people, django_capture_on_commit_callbacks)

    first, again = AccessAction.objects.filter(grant=account).order_by("pk")
    assert (first.state, again.state) == ("verified", "verified")
    assert again.response == {
        "operation": "suspend",
        "userid": "SamSales",
        "changed": False,
        "gone": False,
    }
    assert len(wecom.requests_to(USER_UPDATE)) == 1
    assert wecom.member_status("SamSales") == 2


def test_restore_enables_the_member_again(
    handover, wecom, people, django_capture_on_commit_callbacks
):
    account = grants(handover)[("account", "")]
    confirm(account, people, django_capture_on_commit_callbacks)
    revoke_now(handover, people, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        access.access_restore(actor=people["it"], grant=account)

    account.refresh_from_db()
    assert account.state == "active"
    assert wecom.member_status("SamSales") == 1
    restore = AccessAction.objects.get(grant=account, operation="restore_account")
    assert restore.state == AccessAction.State.VERIFIED
    assert [call.get_json()["enable"] for call in wecom.requests_to(USER_UPDATE)] == [
        0,
        1,
    ]


def test_the_member_is_deleted_only_when_it_asks_after_the_buffer(
    handover, wecom, people, django_capture_on_commit_callbacks
):
    account = grants(handover)[("account", "")]
    confirm(account, people, django_capture_on_commit_callbacks)
    revoke_now(handover, people, django_capture_on_commit_callbacks)
    assert wecom.requests_to(USER_DELETE) == []

    with pytest.raises(Conflict, match="still in its buffer period"):
        access.access_delete(
            actor=people["it"], connector=account.connector, grant_ids=[account.pk]
        )
    assert "SamSales" in wecom.members

    AccessGrant.objects.filter(pk=account.pk).update(
        suspended_at=timezone.now() - timedelta(days=31)
    )
    with django_capture_on_commit_callbacks(execute=True):
        access.access_delete(
            actor=people["it"], connector=account.connector, grant_ids=[account.pk]
        )

    account.refresh_from_db()
    assert account.state == "deleted"
    assert "SamSales" not in wecom.members
    [(userid, delete)] = member_calls(wecom, USER_DELETE)
    assert userid == "SamSales"
    assert delete.args["access_token"] in wecom.contacts_tokens
    event = handover.audit_events.get(action="access.delete_account")
    assert event.details["verified"] is True


# Refusals ---------------------------------------------------------------------------


def test_without_the_contacts_secret_only_the_member_change_fails(
    wecom, people, django_capture_on_commit_callbacks
):
    connector(wecom, contacts_secret="")
    handover = start(people, django_capture_on_commit_callbacks)
    found = grants(handover)
    # Found with the customer contact app's token: it may read members.
    assert set(found) == {("account", "")}
    for grant in found.values():
        confirm(grant, people, django_capture_on_commit_callbacks)

    assert access.access_run_due(now=REVOKE_AT) == 1

    suspend = AccessAction.objects.get(operation="suspend_account")
    assert suspend.state == AccessAction.State.FAILED
    assert suspend.error == NO_CONTACTS_SECRET
    assert wecom.requests_to(USER_UPDATE) == []
    assert wecom.member_status("SamSales") == 1
    failed = handover.audit_events.get(action="access.suspend_account.failed")
    assert failed.details["error"] == NO_CONTACTS_SECRET
    assert not AccessAction.objects.exclude(pk=suspend.pk).exists()


@pytest.mark.parametrize(
    ("errcode", "errmsg"),
    [
        (60011, "no privilege to access/modify contact/party/agent"),
        (48009, "api forbidden"),
    ],
)
def test_an_app_secret_in_the_contacts_field_says_what_to_fix(
    wecom, people, django_capture_on_commit_callbacks, errcode, errmsg
):
    wecom.app_secrets = {APP_SECRET}
    wecom.write_refusal = (errcode, errmsg)
    connector(wecom, contacts_secret=APP_SECRET)
    handover = start(people, django_capture_on_commit_callbacks)
    account = grants(handover)[("account", "")]
    confirm(account, people, django_capture_on_commit_callbacks)

    revoke_now(handover, people, django_capture_on_commit_callbacks)

    action = AccessAction.objects.get(grant=account)
    assert action.state == AccessAction.State.FAILED
    assert action.error.startswith(
        f"WeCom did not let Baton change the member (errcode {errcode}: {errmsg}"
    )
    assert action.error.endswith(
        "“Contacts sync secret” must be the secret of Contacts Sync (通讯录同步) "
        "with editing through the API turned on."
    )
    assert wecom.member_status("SamSales") == 1


def test_an_untrusted_ip_is_named(wecom, people, django_capture_on_commit_callbacks):
    connector(wecom)
    handover = start(people, django_capture_on_commit_callbacks)
    account = grants(handover)[("account", "")]
    confirm(account, people, django_capture_on_commit_callbacks)
    wecom.contacts_fail = (60020, "not allow to access from your ip")

    revoke_now(handover, people, django_capture_on_commit_callbacks)

    action = AccessAction.objects.get(grant=account)
    assert action.error.startswith(
        "WeCom refused Baton's IP address (errcode 60020: not allow to access from "
        "your ip"
    )
    assert "trusted IPs (企业可信IP)" in action.error


def test_no_secret_or_token_is_ever_shown_or_audited(
    wecom, people, django_capture_on_commit_callbacks
):
    config = connector(wecom)
    handover = start(people, django_capture_on_commit_callbacks)
    account = grants(handover)[("account", "")]
    confirm(account, people, django_capture_on_commit_callbacks)
    # Rotated in WeCom, not yet in Baton.
    wrong = "wrong-contacts-s3cret"
    config.set_secrets({"secret": SECRET, "contacts_secret": wrong})
    config.save()

    revoke_now(handover, people, django_capture_on_commit_callbacks)

    action = AccessAction.objects.get(grant=account)
    assert action.error.startswith(
        "WeCom refused the contacts sync secret (errcode 40001: invalid credential"
    )
    assert action.error.endswith("check “Contacts sync secret” and the corp ID.")
    trail = json.dumps(
        [event.details for event in AuditEvent.objects.all()], ensure_ascii=False
    )
    shown = trail + action.error + json.dumps(action.response)
    for secret in (wrong, SECRET, CONTACTS_SECRET, *wecom.tokens):
        assert secret not in shown


# The type on its own ----------------------------------------------------------------


@pytest.fixture
def client(wecom):
    made = WeComConnector(
        settings=wecom.settings(),
        secrets={"secret": SECRET, "contacts_secret": CONTACTS_SECRET},
        timeout=2,
    )
    yield made
    made.close()


@pytest.mark.parametrize(
    ("status", "disabled", "active"),
    [(1, False, True), (4, False, True), (5, False, False), (1, True, False)],
)
def test_the_state_follows_status_and_enable(wecom, client, status, disabled, active):
    wecom.statuses["SamSales"] = status
    if disabled:
        wecom.disabled.add("SamSales")

    state = client.access_state(account_id="SamSales")

    assert (state.exists, state.active) == (True, active)
    assert state.groups == []
    assert client.access_state(account_id="Nobody").exists is False


def test_the_two_tokens_are_kept_apart_and_renewed_on_their_own(wecom, client):
    (account,) = client.discover(
        employee=EmployeeRef(email="sales@baton.example"), record_kind="account"
    )
    assert account.fields["position"] == "Sales lead"
    client.suspend_account(account_id="SamSales")
    wecom.expired.update(wecom.contacts_tokens)

    client.restore_account(account_id="SamSales")
    list(
        client.discover(
            employee=EmployeeRef(email="sales@baton.example"), record_kind="group"
        )
    )

    secrets = [request.args["corpsecret"] for request in wecom.requests_to(GET_TOKEN)]
    # The app's token once; Contacts Sync's once, and again once it expired.
    assert secrets == [SECRET, CONTACTS_SECRET, CONTACTS_SECRET]
    listed = wecom.requests_to("groupchat/list")[-1]
    assert listed.args["access_token"] not in wecom.contacts_tokens
    assert wecom.member_status("SamSales") == 1


def test_restoring_a_deleted_member_is_refused_and_deleting_twice_is_not(wecom, client):
    assert client.delete_account(account_id="SamSales").response["changed"] is True
    assert client.delete_account(account_id="SamSales").response == {
        "operation": "delete",
        "userid": "SamSales",
        "changed": False,
        "gone": True,
    }

    with pytest.raises(MisconfiguredError, match="WeCom has no member SamSales"):
        client.restore_account(account_id="SamSales")


def test_test_connection_tries_the_contacts_secret_too(wecom, client):
    assert client.test_connection().endswith("the contacts sync secret works too.")

    wrong = WeComConnector(
        settings=wecom.settings(),
        secrets={"secret": SECRET, "contacts_secret": "wrong-contacts-s3cret"},
        timeout=2,
    )
    with pytest.raises(MisconfiguredError) as caught:
        wrong.test_connection()
    wrong.close()

    assert str(caught.value).startswith(
        "WeCom refused the contacts sync secret (errcode 40001: invalid credential"
    )
    assert "wrong-contacts-s3cret" not in str(caught.value)
