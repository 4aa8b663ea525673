"""Access handover through a directory kept in memory (the real LDAP and SCIM
servers are exercised in tests/connectors/ldap and scim): inventory, decisions,
dry run, scheduled revocation, verification, restore, delete limits, residual
access and by-hand systems."""

import datetime
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from cms import services
from cms.errors import Conflict, InvalidInput
from cms.models import ChecklistTemplatePage, Employee, Item
from connectors.access import services as access
from connectors.models import AccessAction, AccessGrant, ConnectorConfig
from connectors.registry import register, unregister
from connectors.sdk.base import (
    DISCOVER,
    REVOKE,
    AccessState,
    ConnectorError,
    ConnectorType,
    MisconfiguredError,
    Record,
    TransferResult,
)
from tests.connectors.helpers import admin_user
from tests.fixtures.handovers import PASSWORD

pytestmark = pytest.mark.django_db

LAST_DAY = datetime.date(2026, 12, 31)


class Directory:
    """The state of the in-memory directory, shared by every client."""

    accounts: dict = {}
    groups: dict = {}
    fail_next: list = []


class MemoryDirectory(ConnectorType):
    slug = "memory"
    label = "In-memory directory"
    capabilities = frozenset({DISCOVER, REVOKE})
    default_mappings = {"account": {}, "group": {}}

    def _account_of(self, email):
        for account_id, account in Directory.accounts.items():
            if account["email"] == email:
                return account_id
        return None

    def discover(self, *, employee, record_kind):
        account_id = self._account_of(employee.email)
        if account_id is None:
            return []
        if record_kind == "account":
            return [
                Record(account_id, "account", Directory.accounts[account_id]["uid"])
            ]
        return [
            Record(
                group_id,
                "group",
                group_id,
                fields={"sole_member": members == {account_id}},
            )
            for group_id, members in sorted(Directory.groups.items())
            if account_id in members
        ]

    def _maybe_fail(self):
        if Directory.fail_next:
            raise Directory.fail_next.pop()

    def access_state(self, *, account_id):
        account = Directory.accounts.get(account_id)
        if account is None:
            return AccessState(exists=False, active=False)
        groups = [
            gid for gid, members in Directory.groups.items() if account_id in members
        ]
        return AccessState(exists=True, active=account["active"], groups=groups)

    def suspend_account(self, *, account_id):
        self._maybe_fail()
        Directory.accounts[account_id]["active"] = False
        return TransferResult(response={"suspended": account_id}, request_id="req-1")

    def restore_account(self, *, account_id):
        Directory.accounts[account_id]["active"] = True
        return TransferResult(response={"restored": account_id})

    def delete_account(self, *, account_id):
        Directory.accounts.pop(account_id, None)
        return TransferResult(response={"deleted": account_id})

    def remove_member(self, *, group_id, account_id):
        self._maybe_fail()
        Directory.groups[group_id].discard(account_id)
        return TransferResult(response={"removed": [group_id, account_id]})

    def add_member(self, *, group_id, person):
        account_id = self._account_of(person.email)
        if account_id is None:
            raise MisconfiguredError("The successor has no account.")
        Directory.groups[group_id].add(account_id)
        return TransferResult(response={"added": [group_id, account_id]})


@pytest.fixture
def directory(people, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    register(MemoryDirectory)
    Directory.accounts = {
        "u-sales": {"uid": "sales", "email": "sales@baton.example", "active": True},
        "u-successor": {
            "uid": "successor",
            "email": "successor@baton.example",
            "active": True,
        },
    }
    Directory.groups = {
        "crm-admins": {"u-sales"},
        "sales-team": {"u-sales", "u-successor"},
    }
    Directory.fail_next = []
    config = ConnectorConfig.objects.create(
        type="memory", name="Directory", slug="directory"
    )
    yield config
    unregister("memory")


@pytest.fixture
def handover(directory, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
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


def test_starting_a_handover_inventories_access_as_items(handover):
    found = grants(handover)

    assert set(found) == {
        ("account", ""),
        ("membership", "crm-admins"),
        ("membership", "sales-team"),
    }
    assert found[("membership", "crm-admins")].sole_owner is True
    assert found[("membership", "crm-admins")].decision == "transfer"
    sole_item = Item.objects.get(pk=found[("membership", "crm-admins")].item_id)
    assert sole_item.label == (
        "Membership of crm-admins in Directory (only member: transfer it, or it is "
        "orphaned)"
    )
    assert found[("membership", "sales-team")].decision == "revoke"
    item = Item.objects.get(pk=found[("account", "")].item_id)
    assert item.label == "Account sales in Directory"
    assert item.section_title == "Access and accounts"
    assert (item.filled_by_role, item.confirmed_by_role) == ("it", "manager")
    assert item.data["action"] == "revoke"


def test_the_dry_run_lists_every_change_before_anything_runs(handover):
    rows = access.access_dry_run(handover)

    assert sorted((row["change"], row["confirmed"]) for row in rows) == [
        ("Directory: add Jing Yang to crm-admins.", False),
        ("Directory: remove sales from crm-admins.", False),
        ("Directory: remove sales from sales-team.", False),
        ("Directory: suspend the account sales.", False),
    ]
    # 18:00 on the last working day in Shanghai is 10:00 UTC.
    suspend = next(row for row in rows if "suspend" in row["change"])
    assert suspend["at"] == datetime.datetime(2026, 12, 31, 10, 0, tzinfo=datetime.UTC)
    assert Directory.accounts["u-sales"]["active"] is True
    assert not AccessAction.objects.exists()


def test_confirmed_decisions_run_at_the_end_of_the_last_working_day(
    handover, people, django_capture_on_commit_callbacks
):
    found = grants(handover)
    for grant in found.values():
        confirm(grant, people, django_capture_on_commit_callbacks)

    # The transfer to the successor runs at once, and is read back.
    add = AccessAction.objects.get(operation="add_member")
    assert add.state == AccessAction.State.VERIFIED
    assert "u-successor" in Directory.groups["crm-admins"]
    # Revocation waits for 18:00 Shanghai time on the last working day.
    before = datetime.datetime(2026, 12, 31, 9, 59, tzinfo=datetime.UTC)
    assert access.access_run_due(now=before) == 0
    assert Directory.accounts["u-sales"]["active"] is True

    at = datetime.datetime(2026, 12, 31, 10, 0, tzinfo=datetime.UTC)
    assert access.access_run_due(now=at) == 3

    assert Directory.accounts["u-sales"]["active"] is False
    assert "u-sales" not in Directory.groups["crm-admins"]
    assert "u-sales" not in Directory.groups["sales-team"]
    states = {key: grant.state for key, grant in grants(handover).items()}
    assert states == {
        ("account", ""): "suspended",
        ("membership", "crm-admins"): "removed",
        ("membership", "sales-team"): "removed",
    }
    event = handover.audit_events.get(action="access.suspend_account")
    assert event.details["asked"] == "Directory: suspend the account sales."
    assert event.details["answer"] == {"suspended": "u-sales"}
    assert event.details["approved_by"] == people["manager"].pk
    assert event.details["verified"] is True


def test_keep_needs_a_reason_and_acts_at_its_end_date(
    handover, people, django_capture_on_commit_callbacks
):
    grant = grants(handover)[("membership", "sales-team")]
    item = Item.objects.get(pk=grant.item_id)
    with pytest.raises(InvalidInput):
        services.item_update(
            actor=people["it"],
            item=item,
            version=item.version,
            data={"action": "keep", "keep_reason": 5},
        )

    confirm(
        grant,
        people,
        django_capture_on_commit_callbacks,
        action="keep",
        keep_reason="Needs the team's files until the January audit.",
    )

    grant.refresh_from_db()
    assert grant.decision == "keep"
    assert grant.keep_until == LAST_DAY + timedelta(days=30)
    [action] = AccessAction.objects.filter(grant=grant)
    assert action.operation == "remove_member"
    assert timezone.localtime(action.scheduled_for).date() == grant.keep_until


def test_a_failure_waits_in_it_queue_and_runs_again(
    handover, people, django_capture_on_commit_callbacks
):
    account = grants(handover)[("account", "")]
    confirm(account, people, django_capture_on_commit_callbacks)
    Directory.fail_next = [
        ConnectorError("The directory did not answer.", request_id="r-7")
    ]

    with django_capture_on_commit_callbacks(execute=True):
        access.access_revoke_now(actor=people["it"], handover=handover)

    action = AccessAction.objects.get(grant=account)
    assert action.state == AccessAction.State.FAILED
    assert (action.error, action.request_id) == ("The directory did not answer.", "r-7")
    assert Directory.accounts["u-sales"]["active"] is True
    account.refresh_from_db()
    assert account.state == "active"

    with django_capture_on_commit_callbacks(execute=True):
        access.access_action_retry(actor=people["it"], action=action)

    action.refresh_from_db()
    assert action.state == AccessAction.State.VERIFIED
    assert action.attempts == 2


def test_restore_within_the_buffer_and_delete_only_after_it(
    handover, people, django_capture_on_commit_callbacks, settings
):
    account = grants(handover)[("account", "")]
    confirm(account, people, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        access.access_revoke_now(actor=people["it"], handover=handover)
    account.refresh_from_db()
    assert account.state == "suspended"

    with pytest.raises(Conflict, match="still in its buffer period"):
        access.access_delete(
            actor=people["it"], connector=account.connector, grant_ids=[account.pk]
        )
    with django_capture_on_commit_callbacks(execute=True):
        access.access_restore(actor=people["it"], grant=account)
    account.refresh_from_db()
    assert account.state == "active"
    assert Directory.accounts["u-sales"]["active"] is True

    # Suspended again, and the buffer has passed: an explicit delete works.
    with django_capture_on_commit_callbacks(execute=True):
        access.access_plan(account, approved_by=people["manager"])
        access.access_revoke_now(actor=people["it"], handover=handover)
    AccessGrant.objects.filter(pk=account.pk).update(
        suspended_at=timezone.now() - timedelta(days=31)
    )
    with django_capture_on_commit_callbacks(execute=True):
        access.access_delete(
            actor=people["it"], connector=account.connector, grant_ids=[account.pk]
        )
    account.refresh_from_db()
    assert account.state == "deleted"
    assert "u-sales" not in Directory.accounts


def test_the_threshold_stops_a_mass_delete(handover, people, settings):
    settings.BATON_ACCESS_DELETE_THRESHOLD = 2
    connector = grants(handover)[("account", "")].connector
    ids = [grant.pk for grant in AccessGrant.objects.filter(handover=handover)]

    with pytest.raises(Conflict, match="more than the limit of 2"):
        access.access_delete(actor=people["it"], connector=connector, grant_ids=ids)

    assert not AccessAction.objects.filter(operation="delete_account").exists()


def test_only_it_and_hr_change_access(handover, people):
    from cms.errors import NotFound

    with pytest.raises(NotFound):
        access.access_revoke_now(actor=people["successor"], handover=handover)


def test_residual_access_is_found_and_it_is_alerted(
    handover, people, django_capture_on_commit_callbacks
):
    account = grants(handover)[("account", "")]
    confirm(account, people, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        access.access_revoke_now(actor=people["it"], handover=handover)
    Directory.accounts["u-sales"]["active"] = True  # someone re-enabled it upstream

    from connectors.notifications import residual_alert

    findings = access.access_residual_check(today=LAST_DAY + timedelta(days=1))
    residual_alert([finding for finding in findings if finding.active])

    [finding] = findings
    assert (finding.active, finding.days_after) == (True, 1)
    assert mail.outbox[-1].subject == "Baton: 1 account(s) still active after departure"
    assert "Directory: sales" in mail.outbox[-1].body
    # Checked once per milestone.
    assert access.access_residual_check(today=LAST_DAY + timedelta(days=1)) == []


def test_a_system_without_connector_becomes_an_it_task_closed_with_a_signature(
    handover, people, django_capture_on_commit_callbacks
):
    grant = access.access_grant_add(
        actor=people["it"],
        handover=handover,
        system="Finance portal",
        account="chen.fang",
        instructions="Disable the user in Settings → Users, then remove the token.",
    )
    confirm(grant, people, django_capture_on_commit_callbacks)
    [action] = AccessAction.objects.filter(grant=grant)
    assert action.operation == "manual"
    assert access.access_run_due(now=timezone.now() + timedelta(days=400)) == 0

    with pytest.raises(InvalidInput):
        access.access_action_complete(actor=people["it"], action=action, password="x")
    access.access_action_complete(
        actor=people["it"], action=action, password=PASSWORD, note="Done in the portal."
    )

    action.refresh_from_db()
    assert (action.state, action.done_by) == ("verified", people["it"])
    event = handover.audit_events.get(action="access.manual")
    assert event.details["answer"]["note"] == "Done in the portal."


def test_unknown_ids_are_refused_by_delete(handover, people):
    connector = grants(handover)[("account", "")].connector
    with pytest.raises(InvalidInput):
        access.access_delete(
            actor=people["it"],
            connector=connector,
            grant_ids=[uuid.uuid4().int % 10**6],
        )


# Screens and API ----------------------------------------------------------------------


def test_the_handover_page_shows_the_dry_run_to_the_manager_only(
    handover, people, client
):
    url = f"/en/handovers/{handover.pk}/"
    assert client.login(username="manager", password=PASSWORD)
    html = client.get(url).content.decode()
    assert "Access changes" in html
    assert "Directory: suspend the account sales." in html
    assert "Waits for the decision to be confirmed" in html

    client.logout()
    assert client.login(username="successor", password=PASSWORD)
    assert (
        "Directory: suspend the account sales." not in client.get(url).content.decode()
    )


def test_it_runs_selected_changes_now_from_the_queue(
    handover, people, client, django_capture_on_commit_callbacks
):
    account = grants(handover)[("account", "")]
    confirm(account, people, django_capture_on_commit_callbacks)
    action = AccessAction.objects.get(grant=account)
    assert client.login(username="it", password=PASSWORD)

    queue = client.get("/admin/access/").content.decode()
    assert "Directory: suspend the account sales." in queue
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/admin/access/", {"selected": [action.pk], "intent": "run"}, follow=True
        )

    assert "1 change(s) queued to run now." in done.content.decode()
    action.refresh_from_db()
    assert action.state == AccessAction.State.VERIFIED
    assert Directory.accounts["u-sales"]["active"] is False
    suspended = client.get("/admin/access/suspended/").content.decode()
    assert "sales" in suspended and handover.number in suspended


def test_the_queue_is_it_and_hr_only(handover, people, client):
    admin_user(people["manager"])
    assert client.login(username="manager", password=PASSWORD)

    response = client.get("/admin/access/")

    assert response.status_code == 404


def test_access_through_the_api(handover, people, django_capture_on_commit_callbacks):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(people["manager"])
    body = api.get(f"/api/v1/handovers/{handover.pk}/access/").json()
    assert len(body["grants"]) == 3
    assert {row["change"] for row in body["dry_run"]} >= {
        "Directory: suspend the account sales."
    }
    outsider = APIClient()
    outsider.force_authenticate(people["successor"])
    assert outsider.get(f"/api/v1/handovers/{handover.pk}/access/").status_code == 404

    it = APIClient()
    it.force_authenticate(people["it"])
    added = it.post(
        f"/api/v1/handovers/{handover.pk}/access/",
        {"system": "Wiki", "account": "chen", "instructions": ""},
        format="json",
    )
    assert added.status_code == 400
    assert "instructions" in added.json()["errors"]
    account = grants(handover)[("account", "")]
    confirm(account, people, django_capture_on_commit_callbacks)
    [row] = it.get("/api/v1/access-changes/?state=planned").json()["results"]
    with django_capture_on_commit_callbacks(execute=True):
        ran = it.post(
            "/api/v1/access-changes/run-now/", {"ids": [row["id"]]}, format="json"
        )
    assert ran.json() == {"count": 1}
    assert AccessAction.objects.get(pk=row["id"]).state == "verified"
    refused = it.post(
        "/api/v1/access-grants/delete/",
        {"connector": "directory", "ids": [account.pk]},
        format="json",
    )
    assert refused.status_code == 409
    assert "buffer period" in refused.json()["detail"]


def test_it_adds_access_by_hand_in_the_admin(handover, people, client):
    assert client.login(username="it", password=PASSWORD)

    refused = client.post(
        "/admin/access/add/",
        {
            "handover": "HO-0000-99999",
            "system": "Wiki",
            "account": "chen",
            "instructions": "Remove the user.",
        },
    )
    assert refused.status_code == 400
    assert "There is no such handover." in refused.content.decode()

    done = client.post(
        "/admin/access/add/",
        {
            "handover": handover.number,
            "system": "Finance portal",
            "account": "chen.fang",
            "instructions": "Disable the user under Settings → Users.",
        },
        follow=True,
    )

    assert "IT will get the task once the manager confirms" in done.content.decode()
    grant = AccessGrant.objects.get(handover=handover, system="Finance portal")
    assert grant.connector is None
    assert Item.objects.get(pk=grant.item_id).label == (
        "Account chen.fang in Finance portal"
    )


def test_the_daily_refresh_finds_new_groups(handover):
    from connectors.tasks import access_refresh_task

    Directory.groups["finance"] = {"u-sales"}

    assert access_refresh_task.call_local() == 1
    assert ("membership", "finance") in grants(handover)
