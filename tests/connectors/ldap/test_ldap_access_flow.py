"""The access handover against the real slapd: inventory at start, the dry run
equals what then happens, transfer + revoke + verification, residual access."""

import datetime

import pytest

from cms import services
from cms.models import ChecklistTemplatePage, Employee, Item
from connectors.access import services as access
from connectors.models import AccessAction, AccessGrant, ConnectorConfig
from tests.fixtures.handovers import PASSWORD

from .test_ldap_access import Sandbox, can_sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.ldap]

LAST_DAY = datetime.date(2026, 12, 31)


@pytest.fixture
def box(running_slapd):
    sandbox = Sandbox(running_slapd)
    sandbox.create()
    yield sandbox
    running_slapd.resume() if running_slapd.running else running_slapd.start()
    sandbox.remove()


@pytest.fixture
def directory(running_slapd, box):
    config = ConnectorConfig(
        type="ldap",
        name="Company directory",
        slug="directory",
        settings={
            key: value
            for key, value in running_slapd.settings(
                bind_dn=running_slapd.service_dn,
                write_bind_dn=running_slapd.bind_dn,
                user_base_dn=box.people,
                group_base_dn=box.groups,
                timeout=3,
            ).items()
            if key != "match_by"
        },
    )
    config.set_secrets(
        {
            "bind_password": running_slapd.service_password,
            "write_bind_password": running_slapd.password,
        }
    )
    config.save()
    return config


@pytest.fixture
def handover(directory, people, user_factory, django_capture_on_commit_callbacks):
    leaver = user_factory(username="leaver", email="leaver@access.example")
    leaver.save()
    successor = user_factory(username="heir", email="successor@access.example")
    successor.save()
    for user, number in ((leaver, "A0001"), (successor, "A0002")):
        Employee.objects.create(
            employee_number=number,
            name=user.username.title(),
            user=user,
            work_email=user.email,
        )
    with django_capture_on_commit_callbacks(execute=True):
        started = services.handover_start(
            actor=people["hr"],
            employee=Employee.objects.get(user=leaver),
            template=ChecklistTemplatePage.objects.get(
                slug="general", locale__language_code="en"
            ),
            last_working_day=LAST_DAY,
            successors=[successor],
            manager=people["manager"],
            it_users=[people["it"]],
        )
    started.successor_user = successor
    return started


def confirm_everything(handover, people, capture):
    for grant in AccessGrant.objects.filter(handover=handover):
        item = Item.objects.get(pk=grant.item_id)
        item = services.item_submit(actor=people["it"], item=item, version=item.version)
        with capture(execute=True):
            services.item_accept(
                actor=people["manager"],
                item=item,
                version=item.version,
                password=PASSWORD,
            )


def test_the_dry_run_is_what_happens_and_it_is_verified(
    handover, box, running_slapd, people, django_capture_on_commit_callbacks
):
    grants = {grant.group_label: grant for grant in handover.access_grants.all()}
    assert set(grants) == {"", "team", "vpn", "solo"}
    assert grants["solo"].sole_owner is True
    assert grants["solo"].decision == "transfer"
    promised = sorted(row["change"] for row in access.access_dry_run(handover))

    confirm_everything(handover, people, django_capture_on_commit_callbacks)
    # The successor joins "solo" at once, before the leaver leaves it.
    add = AccessAction.objects.get(handover=handover, operation="add_member")
    assert add.state == "verified", add.error
    with django_capture_on_commit_callbacks(execute=True):
        access.access_revoke_now(actor=people["it"], handover=handover)

    done = AccessAction.objects.filter(handover=handover)
    assert {action.state for action in done} == {"verified"}, [
        (action.description, action.error) for action in done
    ]
    assert sorted(action.description for action in done) == promised
    leaver_dn = box.person("leaver")
    assert not can_sign_in(running_slapd, leaver_dn, box.passwords["leaver"])
    assert can_sign_in(
        running_slapd, box.person("successor"), box.passwords["successor"]
    )
    client = handover.access_grants.first().connector.client()
    try:
        state = client.access_state(account_id=grants[""].account_id)
        assert state.exists and not state.active
        assert state.groups == []
    finally:
        client.close()


def test_residual_access_is_found_when_the_account_is_re_enabled_upstream(
    handover, box, running_slapd, people, django_capture_on_commit_callbacks
):
    confirm_everything(handover, people, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        access.access_revoke_now(actor=people["it"], handover=handover)
    account = handover.access_grants.get(group_id="")
    # Someone turns the account back on in the directory.
    client = account.connector.client()
    try:
        client.restore_account(account_id=account.account_id)
    finally:
        client.close()

    findings = access.access_residual_check(today=LAST_DAY + datetime.timedelta(days=1))

    assert [(finding.grant_id, finding.active) for finding in findings] == [
        (account.pk, True)
    ]
