"""Employees kept in step with a real OpenLDAP (slapd), and leavers reported to
intake: people with departments and managers become employee records, HR's
typing is kept, and an account that is disabled, marked leaving or given a
last working day becomes one resignation event.

Each OpenLDAP test works in a sandbox of its own (``ou=directory-…``, removed
after it); the Active Directory test changes seeded entries and puts them back.
"""

import datetime
import secrets as _secrets

import ldap3
import pytest
from django.utils import timezone
from ldap3.core import exceptions as ldap_errors

from cms.models import Employee, Handover, ResignationEvent
from cms.services.employees import employee_record_edit
from connectors.directory import directory_sync
from connectors.models import ConnectorConfig, SyncRun
from connectors.types.ldap import LdapConnector

from .ldap import conftest as ldap_server

# The slapd fixtures of the LDAP tests (their conftest is not this module's).
slapd = ldap_server.slapd
running_slapd = ldap_server.running_slapd

pytestmark = [pytest.mark.django_db, pytest.mark.ldap]

LAST_DAY = datetime.date(2026, 12, 31)
# shadowExpire: the first day the account no longer works (days since 1970).
SHADOW_EXPIRE = str(
    (LAST_DAY + datetime.timedelta(days=1) - datetime.date(1970, 1, 1)).days
)
LOCKED = "000001010000Z"


def admin(server, *, ad=False):
    base = server.ad_base_dn if ad else server.base_dn
    return ldap3.Connection(
        server.uri,
        user=f"cn=admin,{base}",
        password=server.password,
        auto_bind=True,
        raise_exceptions=True,
    )


class Directory:
    """An OU of people for one test, changed the way a directory admin would."""

    def __init__(self, server):
        self.server = server
        self.dn = f"ou=directory-{_secrets.token_hex(4)},{server.base_dn}"
        self.groups = f"ou=groups,{self.dn}"

    def person_dn(self, uid):
        return f"uid={uid},{self.dn}"

    def create(self):
        conn = admin(self.server)
        try:
            conn.add(self.dn, "organizationalUnit")
            conn.add(self.groups, "organizationalUnit")
            conn.add(f"cn=leavers,{self.groups}", "groupOfNames", {"member": self.dn})
        finally:
            conn.unbind()

    def add(self, uid, name, number, *, manager=None, **attributes):
        conn = admin(self.server)
        try:
            conn.add(
                self.person_dn(uid),
                ["inetOrgPerson", "shadowAccount"],
                {
                    "cn": name,
                    "sn": name.split()[-1],
                    "displayName": name,
                    "mail": f"{uid}@baton.example",
                    "employeeNumber": number,
                    **({"manager": self.person_dn(manager)} if manager else {}),
                    **attributes,
                },
            )
        finally:
            conn.unbind()

    def change(self, uid, **attributes):
        conn = admin(self.server)
        try:
            conn.modify(
                self.person_dn(uid),
                {
                    name: [(ldap3.MODIFY_REPLACE, [value] if value else [])]
                    for name, value in attributes.items()
                },
            )
        finally:
            conn.unbind()

    def join_leavers(self, uid):
        conn = admin(self.server)
        try:
            conn.modify(
                f"cn=leavers,{self.groups}",
                {"member": [(ldap3.MODIFY_ADD, [self.person_dn(uid)])]},
            )
        finally:
            conn.unbind()

    def uuid_of(self, uid):
        conn = admin(self.server)
        try:
            conn.search(
                self.person_dn(uid),
                "(objectClass=*)",
                ldap3.BASE,
                attributes=["entryUUID"],
            )
            return conn.response[0]["raw_attributes"]["entryUUID"][0].decode()
        finally:
            conn.unbind()

    def remove(self):
        conn = admin(self.server)
        try:
            conn.search(self.dn, "(objectClass=*)", attributes=["1.1"])
            dns = [entry["dn"] for entry in conn.response]
            for dn in sorted(dns, key=lambda dn: dn.count(","), reverse=True):
                conn.delete(dn)
        except ldap_errors.LDAPNoSuchObjectResult:
            pass
        finally:
            conn.unbind()


@pytest.fixture
def tree(running_slapd):
    """The sales team as the directory knows it: Zhang Wei manages Chen Fang
    (sales, E0005) and a new hire, Sun Li, in Marketing."""
    directory = Directory(running_slapd)
    directory.create()
    directory.add(
        "manager",
        "Zhang Wei",
        "E0002",
        departmentNumber="sales",
        ou="Sales",
        title="Sales director",
    )
    directory.add(
        "sales",
        "Chen Fang",
        "E0005",
        manager="manager",
        departmentNumber="sales",
        ou="Sales",
        title="Senior key account manager",
        telephoneNumber="+86 10 5555 0105",
    )
    directory.add(
        "successor",
        "Yang Jing",
        "E0007",
        manager="manager",
        departmentNumber="sales",
        ou="Sales",
        title="Account manager",
    )
    directory.add(
        "sunli",
        "Sun Li",
        "E9001",
        manager="manager",
        departmentNumber="mkt",
        ou="Marketing",
        title="Marketing specialist",
    )
    yield directory
    directory.remove()


def connector(server, directory, **settings):
    config = ConnectorConfig(
        type="ldap",
        name="Company directory",
        slug="company-ldap",
        settings={
            **{
                key: value
                for key, value in server.settings(user_base_dn=directory.dn).items()
                if key != "match_by"
            },
            "directory_sync": True,
            "directory_status_attribute": "employeeType",
            "directory_leaving_group": f"cn=leavers,{directory.groups}",
            "directory_last_working_day_attribute": "shadowExpire",
            **settings,
        },
    )
    config.set_secrets(server.secrets())
    config.save()
    return config


def employee(number):
    return Employee.objects.select_related("manager", "department").get(
        employee_number=number
    )


def test_the_type_lists_people(running_slapd, tree):
    client = LdapConnector(
        settings=running_slapd.settings(user_base_dn=tree.dn),
        secrets=running_slapd.secrets(),
    )
    try:
        people = {person.employee_number: person for person in client.list_people()}
    finally:
        client.close()

    assert LdapConnector.supports_directory
    assert set(people) == {"E0002", "E0005", "E0007", "E9001"}
    sales = people["E0005"]
    assert sales.directory_id == tree.uuid_of("sales")
    assert sales.manager_directory_id == tree.uuid_of("manager")
    assert (sales.name, sales.email, sales.phone) == (
        "Chen Fang",
        "sales@baton.example",
        "+86 10 5555 0105",
    )
    assert (sales.department_code, sales.department_name, sales.position) == (
        "sales",
        "Sales",
        "Senior key account manager",
    )
    assert (sales.status, sales.last_working_day) == ("active", None)


def test_employees_are_created_and_updated_and_hr_typing_is_kept(
    people,
    running_slapd,
    tree,
):
    # Given HR typed Chen Fang's position by hand
    sales = employee("E0005")
    employee_record_edit(
        actor=people["hr"], employee=sales, changed_fields=["position"]
    )
    config = connector(running_slapd, tree)

    # When the directory is synced
    run = directory_sync(config)

    # Then the new hire has a record with department and manager
    assert (run.state, run.seen, run.created) == (SyncRun.State.OK, 4, 1)
    sun = employee("E9001")
    assert (sun.name, sun.position, sun.work_email) == (
        "Sun Li",
        "Marketing specialist",
        "sunli@baton.example",
    )
    assert sun.department.name == "Marketing"
    assert sun.manager == employee("E0002")
    assert sun.directory_id == tree.uuid_of("sunli")
    assert sun.user is None
    assert sun.provenance["name"]["source"] == "directory:company-ldap"
    # And Chen Fang is updated, but keeps the position HR typed; the
    # directory's differs and waits beside it
    sales = employee("E0005")
    assert sales.position == "Key account manager"
    assert sales.provenance["position"]["directory_value"] == (
        "Senior key account manager"
    )
    assert sales.work_phone == "+86 10 5555 0105"
    assert sales.manager == employee("E0002")
    assert sales.directory_id == tree.uuid_of("sales")
    assert employee("E0002").position == "Sales director"
    assert run.conflicts == 1
    # And nobody left: no resignation events
    assert not ResignationEvent.objects.exists()


def test_leavers_become_resignation_events_once(people, running_slapd, tree):
    # Given a directory synced once
    config = connector(running_slapd, tree)
    directory_sync(config)
    handovers = Handover.objects.count()

    # When IT disables Chen Fang's account, HR gives Yang Jing a last working
    # day, and Sun Li is put in the leavers' group
    tree.change("sales", pwdAccountLockedTime=LOCKED)
    tree.change("successor", shadowExpire=SHADOW_EXPIRE)
    tree.join_leavers("sunli")
    run = directory_sync(config)

    # Then each becomes a resignation event, proposed to HR for review
    assert run.state == SyncRun.State.OK
    events = {
        event.employee.employee_number: event
        for event in ResignationEvent.objects.select_related("employee")
    }
    assert set(events) == {"E0005", "E0007", "E9001"}
    disabled = events["E0005"]
    today = timezone.localdate()
    assert (disabled.source, disabled.connector_slug) == ("directory", "company-ldap")
    assert disabled.external_id == f"{tree.uuid_of('sales')}:{today.isoformat()}"
    assert disabled.last_working_day == today
    assert disabled.state == ResignationEvent.State.PROPOSED
    assert employee("E0005").status == Employee.Status.LEFT
    dated = events["E0007"]
    assert dated.external_id == f"{tree.uuid_of('successor')}:2026-12-31"
    assert dated.last_working_day == LAST_DAY
    assert dated.state == ResignationEvent.State.PROPOSED
    # Sun Li is leaving without a date (nor an account): refused with the
    # reasons, for HR to see
    undated = events["E9001"]
    assert employee("E9001").status == Employee.Status.LEAVING
    assert undated.state == ResignationEvent.State.REFUSED
    assert undated.refusal.endswith("The last working day is missing.")
    assert Handover.objects.count() == handovers

    # When the directory is synced again, unchanged
    again = directory_sync(config)

    # Then nothing new happens
    assert again.state == SyncRun.State.OK
    assert ResignationEvent.objects.count() == 3
    assert Handover.objects.count() == handovers


def test_a_status_value_in_start_mode_starts_the_handover(
    people,
    running_slapd,
    tree,
):
    # Given a directory whose resignations start handovers at once
    config = connector(running_slapd, tree, intake_mode="start")
    directory_sync(config)

    # When HR marks Chen Fang leaving with a last working day
    tree.change("sales", employeeType="leaving", shadowExpire=SHADOW_EXPIRE)
    directory_sync(config)

    # Then the handover started, for that day, from the directory's event
    event = ResignationEvent.objects.get()
    assert event.state == ResignationEvent.State.STARTED
    handover = event.handover
    assert handover.employee == employee("E0005")
    assert handover.last_working_day == LAST_DAY
    assert employee("E0005").status == Employee.Status.LEAVING
    started = handover.audit_events.get(action="handover.started")
    assert started.details["source"] == "directory"


def test_a_directory_that_cannot_be_read_fails_its_run(people, running_slapd, tree):
    # Given a connector with a wrong password
    config = connector(running_slapd, tree)
    config.set_secrets({"bind_password": "wrong"})
    config.save()

    # When it is synced
    run = directory_sync(config)

    # Then the run failed, saying why, and nothing changed
    assert run.state == SyncRun.State.FAILED
    assert run.errors[-1]["message"] == "The directory refused the bind DN or password."
    assert not Employee.objects.filter(employee_number="E9001").exists()


def filetime(moment: datetime.datetime) -> str:
    epoch = datetime.datetime(1601, 1, 1, tzinfo=datetime.UTC)
    return str(int((moment - epoch).total_seconds()) * 10_000_000)


def test_active_directory_disabled_bit_and_account_expiry(
    people,
    running_slapd,
):
    # Given the Active Directory tree, synced once (the disabled dev account was
    # disabled before Baton looked: no event for it)
    config = ConnectorConfig(
        type="ldap",
        name="AD",
        slug="company-ad",
        settings={
            **{
                key: value
                for key, value in running_slapd.ad_settings().items()
                if key != "match_by"
            },
            "directory_sync": True,
            "directory_last_working_day_attribute": "accountExpires",
        },
    )
    config.set_secrets(running_slapd.secrets())
    config.save()
    directory_sync(config)
    assert employee("E0006").status == Employee.Status.LEFT
    assert not ResignationEvent.objects.exists()

    # When Chen Fang's account is disabled and set to expire at the end of
    # 31 December (AD stores the midnight that starts 1 January)
    sales_dn = f"CN=Chen Fang,{running_slapd.ad_user_base_dn}"
    conn = admin(running_slapd, ad=True)
    expires = timezone.make_aware(datetime.datetime(2027, 1, 1))
    try:
        conn.modify(
            sales_dn,
            {
                "userAccountControl": [(ldap3.MODIFY_REPLACE, ["514"])],
                "accountExpires": [(ldap3.MODIFY_REPLACE, [filetime(expires)])],
            },
        )
        directory_sync(config)
    finally:
        conn.modify(
            sales_dn,
            {
                "userAccountControl": [(ldap3.MODIFY_REPLACE, ["512"])],
                "accountExpires": [(ldap3.MODIFY_REPLACE, [])],
            },
        )
        conn.unbind()

    # Then one event, on the last working day, keyed by the objectGUID
    event = ResignationEvent.objects.get()
    assert event.employee == employee("E0005")
    assert event.last_working_day == LAST_DAY
    assert event.external_id == "3f2504e0-4f89-41d3-9a0c-0305e82c3301:2026-12-31"
    assert employee("E0005").status == Employee.Status.LEFT
