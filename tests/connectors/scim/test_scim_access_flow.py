"""The access handover against the real scim2-server: inventory at start, the
dry run equals what happens, verified; restore within the buffer."""

import datetime
import uuid

import pytest

from cms import services
from cms.models import ChecklistTemplatePage, Employee, Item
from connectors.access import services as access
from connectors.models import AccessAction, AccessGrant, ConnectorConfig
from tests.fixtures.handovers import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.scim]


@pytest.fixture
def idp(scim_server):
    """Throwaway people and groups, so the seeded ones stay as they are."""
    tag = uuid.uuid4().hex[:6]
    leaver = f"leaver-{tag}"
    heir = f"heir-{tag}"
    scim_server.add_user(leaver, email=f"{leaver}@idp.example", active=True)
    scim_server.add_user(heir, email=f"{heir}@idp.example", active=True)
    scim_server.add_group(f"alone-{tag}", [leaver])
    scim_server.add_group(f"shared-{tag}", [leaver, heir])
    return scim_server, leaver, heir, tag


@pytest.fixture
def handover(idp, people, user_factory, django_capture_on_commit_callbacks):
    server, leaver_name, heir_name, _tag = idp
    config = ConnectorConfig(
        type="scim",
        name="Identity provider",
        slug="idp",
        settings={"base_url": server.base_url, "auth": "bearer", "timeout": 5},
    )
    config.set_secrets({"token": server.token})
    config.save()
    users = {}
    for number, name in enumerate((leaver_name, heir_name)):
        user = user_factory(username=name, email=f"{name}@idp.example")
        user.save()
        Employee.objects.create(
            employee_number=f"S{number}{name[-6:]}",
            name=name,
            user=user,
            work_email=user.email,
        )
        users[name] = user
    with django_capture_on_commit_callbacks(execute=True):
        return services.handover_start(
            actor=people["hr"],
            employee=Employee.objects.get(user=users[leaver_name]),
            template=ChecklistTemplatePage.objects.get(
                slug="general", locale__language_code="en"
            ),
            last_working_day=datetime.date(2026, 12, 31),
            successors=[users[heir_name]],
            manager=people["manager"],
            it_users=[people["it"]],
        )


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


def test_scim_revocation_is_what_the_dry_run_said_and_can_be_restored(
    handover, idp, people, django_capture_on_commit_callbacks
):
    _server, _leaver, _heir, tag = idp
    grants = {grant.group_label: grant for grant in handover.access_grants.all()}
    assert set(grants) == {"", f"alone-{tag}", f"shared-{tag}"}
    assert grants[f"alone-{tag}"].decision == "transfer"
    promised = sorted(row["change"] for row in access.access_dry_run(handover))

    confirm_everything(handover, people, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        access.access_revoke_now(actor=people["it"], handover=handover)

    done = AccessAction.objects.filter(handover=handover)
    assert {action.state for action in done} == {"verified"}, [
        (action.description, action.error) for action in done
    ]
    assert sorted(action.description for action in done) == promised
    account = grants[""]
    client = account.connector.client()
    try:
        state = client.access_state(account_id=account.account_id)
        assert (state.exists, state.active, state.groups) == (True, False, [])
    finally:
        client.close()

    with django_capture_on_commit_callbacks(execute=True):
        access.access_restore(actor=people["it"], grant=account)
    account.refresh_from_db()
    assert account.state == "active"
    client = account.connector.client()
    try:
        assert client.access_state(account_id=account.account_id).active is True
    finally:
        client.close()
