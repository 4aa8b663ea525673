"""Access changes (suspend, restore, delete, group membership) of the LDAP / Active
Directory connector against the real slapd of conftest.py.

The OpenLDAP tests work in a sandbox of their own (``ou=access-…`` with people
and groups, made for each test and removed after it), so the seeded tree other
test modules read stays as it is. The Active Directory tests change the seeded
entries and put them back.
"""

import contextlib
import secrets as _secrets
import uuid

import ldap3
import pytest
from django.utils import translation
from ldap3.core import exceptions as ldap_errors

from connectors.sdk.base import (
    REVOKE,
    ConnectorError,
    EmployeeRef,
    MisconfiguredError,
)
from connectors.types.ldap import LdapConnector

from .conftest import (
    AD_FINANCE_GROUP_GUID,
    AD_SALES_GROUP_GUID,
    AD_SALES_GUID,
    BASE_DN,
    email,
)

pytestmark = pytest.mark.ldap

LEAVER = EmployeeRef(email="leaver@access.example", name="Lee Leaver")
SUCCESSOR = EmployeeRef(email="successor@access.example", name="Sue Successor")
AD_SALES = EmployeeRef(email=email("sales"))


def admin(slapd, *, ad=False):
    base = slapd.ad_base_dn if ad else slapd.base_dn
    return ldap3.Connection(
        slapd.uri,
        user=f"cn=admin,{base}",
        password=slapd.password,
        auto_bind=True,
        raise_exceptions=True,
    )


def read(slapd, dn, *attributes, ad=False):
    """An entry's attributes as the admin sees them (raw bytes, lists)."""
    conn = admin(slapd, ad=ad)
    try:
        conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=list(attributes))
        return {
            name.lower(): values
            for name, values in conn.response[0]["raw_attributes"].items()
            if values
        }
    finally:
        conn.unbind()


def can_sign_in(slapd, dn, password) -> bool:
    conn = ldap3.Connection(slapd.uri, user=dn, password=password)
    try:
        return conn.bind()
    finally:
        conn.unbind()


class Sandbox:
    """``ou=access-<random>`` with people (leaver, successor, bystander) and
    groups: ``team`` (groupOfNames: leaver, successor), ``vpn``
    (groupOfUniqueNames: leaver, bystander) and ``solo`` (groupOfNames: leaver
    alone)."""

    def __init__(self, slapd):
        self.slapd = slapd
        self.dn = f"ou=access-{_secrets.token_hex(4)},{BASE_DN}"
        self.people = f"ou=people,{self.dn}"
        self.groups = f"ou=groups,{self.dn}"
        self.passwords = {}

    def person(self, uid):
        return f"uid={uid},{self.people}"

    def group(self, cn):
        return f"cn={cn},{self.groups}"

    def create(self):
        conn = admin(self.slapd)
        try:
            for dn in (self.dn, self.people, self.groups):
                conn.add(dn, "organizationalUnit")
            for uid in ("leaver", "successor", "bystander"):
                self.passwords[uid] = f"{uid}-{_secrets.token_hex(4)}"
                conn.add(
                    self.person(uid),
                    "inetOrgPerson",
                    {
                        "cn": uid.title(),
                        "sn": uid.title(),
                        "mail": f"{uid}@access.example",
                        "userPassword": self.passwords[uid],
                    },
                )
            conn.add(
                self.group("team"),
                "groupOfNames",
                {"member": [self.person("leaver"), self.person("successor")]},
            )
            conn.add(
                self.group("vpn"),
                "groupOfUniqueNames",
                {"uniqueMember": [self.person("leaver"), self.person("bystander")]},
            )
            conn.add(
                self.group("solo"), "groupOfNames", {"member": self.person("leaver")}
            )
        finally:
            conn.unbind()

    def remove(self):
        conn = admin(self.slapd)
        try:
            conn.search(self.dn, "(objectClass=*)", attributes=["1.1"])
            dns = [entry["dn"] for entry in conn.response]
            for dn in sorted(dns, key=lambda dn: dn.count(","), reverse=True):
                conn.delete(dn)
        except ldap_errors.LDAPNoSuchObjectResult:
            pass
        finally:
            conn.unbind()

    def uuid_of(self, dn):
        return read(self.slapd, dn, "entryUUID")["entryuuid"][0].decode()


@pytest.fixture
def sandbox(running_slapd):
    box = Sandbox(running_slapd)
    box.create()
    yield box
    # A test may have left the server down or frozen.
    running_slapd.resume() if running_slapd.running else running_slapd.start()
    box.remove()


_made = []


@pytest.fixture(autouse=True)
def _close_connectors():
    yield
    while _made:
        _made.pop().close()


def connector(slapd, box, secrets=None, **settings):
    """Reads as the read-only service account, writes as the admin."""
    made = LdapConnector(
        settings=slapd.settings(
            **{
                "bind_dn": slapd.service_dn,
                "write_bind_dn": slapd.bind_dn,
                "user_base_dn": box.people,
                "group_base_dn": box.groups,
                **settings,
            }
        ),
        secrets=secrets
        if secrets is not None
        else {
            "bind_password": slapd.service_password,
            "write_bind_password": slapd.password,
        },
    )
    _made.append(made)
    return made


def ad_connector(slapd, **settings):
    made = LdapConnector(
        settings=slapd.ad_settings(
            bind_dn=slapd.service_dn,
            write_bind_dn=f"cn=admin,{slapd.ad_base_dn}",
            **settings,
        ),
        secrets={
            "bind_password": slapd.service_password,
            "write_bind_password": slapd.password,
        },
    )
    _made.append(made)
    return made


def account_of(conn, person=LEAVER):
    (record,) = conn.discover(employee=person, record_kind="account")
    return record


def group_ids(conn, person=LEAVER):
    return {
        record.title: record.external_id
        for record in conn.discover(employee=person, record_kind="group")
    }


def test_the_type_declares_access_changes():
    assert LdapConnector.can(REVOKE)
    names = [spec.name for spec in LdapConnector.settings]
    for name in (
        "disable_method",
        "disabled_value",
        "enabled_value",
        "password_backup_attribute",
        "write_bind_dn",
        "write_bind_password",
    ):
        assert name in names


# Access state -------------------------------------------------------------------------


def test_access_state_matches_what_discover_reports(running_slapd, sandbox):
    conn = connector(running_slapd, sandbox)
    account = account_of(conn)

    state = conn.access_state(account_id=account.external_id)

    assert state.exists is True
    assert state.active is True
    assert sorted(state.groups) == sorted(group_ids(conn).values())
    assert len(state.groups) == 3


def test_access_state_by_dn_and_of_an_unknown_account(running_slapd, sandbox):
    conn = connector(running_slapd, sandbox)

    by_dn = conn.access_state(account_id=sandbox.person("leaver"))
    unknown = conn.access_state(account_id=str(uuid.uuid4()))
    gone = conn.access_state(account_id=sandbox.person("nobody"))

    assert (by_dn.exists, by_dn.active, len(by_dn.groups)) == (True, True, 3)
    assert (unknown.exists, unknown.active, unknown.groups) == (False, False, [])
    assert gone.exists is False


def test_entries_outside_the_base_dn_are_never_touched(running_slapd, sandbox):
    conn = connector(running_slapd, sandbox)
    outsider = f"uid=sales,ou=people,{BASE_DN}"

    with pytest.raises(MisconfiguredError, match="is outside"):
        conn.suspend_account(account_id=outsider)

    assert "pwdaccountlockedtime" not in read(
        running_slapd, outsider, "pwdAccountLockedTime"
    )


# Suspend and restore ------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        {},  # the default: the disabled attribute, pwdAccountLockedTime
        {"disable_method": "pwdAccountLockedTime", "disabled_attribute": ""},
    ],
    ids=["default", "ppolicy"],
)
def test_suspend_locks_the_account_and_restore_unlocks_it(
    running_slapd, sandbox, settings
):
    conn = connector(running_slapd, sandbox, **settings)
    account_id = account_of(conn).external_id
    dn = sandbox.person("leaver")
    password = sandbox.passwords["leaver"]
    assert can_sign_in(running_slapd, dn, password)

    result = conn.suspend_account(account_id=account_id)

    assert result.response == {"operation": "suspend", "dn": dn, "changed": True}
    assert read(running_slapd, dn, "pwdAccountLockedTime")["pwdaccountlockedtime"] == [
        b"000001010000Z"
    ]
    assert conn.access_state(account_id=account_id).active is False
    assert account_of(conn).fields["disabled"] is True
    assert not can_sign_in(running_slapd, dn, password)
    # Suspending again succeeds and changes nothing.
    assert conn.suspend_account(account_id=account_id).response["changed"] is False

    result = conn.restore_account(account_id=account_id)

    assert result.response["changed"] is True
    assert "pwdaccountlockedtime" not in read(running_slapd, dn, "pwdAccountLockedTime")
    state = conn.access_state(account_id=account_id)
    assert (state.exists, state.active) == (True, True)
    assert account_of(conn).fields["disabled"] is False
    assert can_sign_in(running_slapd, dn, password)
    assert conn.restore_account(account_id=account_id).response["changed"] is False


def test_suspend_with_a_status_attribute_and_values(running_slapd, sandbox):
    conn = connector(
        running_slapd,
        sandbox,
        disabled_attribute="employeeType",
        disabled_value="disabled",
        enabled_value="staff",
    )
    account_id = account_of(conn).external_id
    dn = sandbox.person("leaver")

    conn.suspend_account(account_id=account_id)

    assert read(running_slapd, dn, "employeeType")["employeetype"] == [b"disabled"]
    assert account_of(conn).fields["disabled"] is True
    assert conn.access_state(account_id=account_id).active is False

    conn.restore_account(account_id=account_id)

    assert read(running_slapd, dn, "employeeType")["employeetype"] == [b"staff"]
    assert account_of(conn).fields["disabled"] is False
    assert conn.access_state(account_id=account_id).active is True


def test_restore_removes_the_status_attribute_without_an_enabled_value(
    running_slapd, sandbox
):
    conn = connector(running_slapd, sandbox, disabled_attribute="employeeType")
    account_id = account_of(conn).external_id
    dn = sandbox.person("leaver")

    conn.suspend_account(account_id=account_id)
    assert read(running_slapd, dn, "employeeType")["employeetype"] == [b"TRUE"]
    conn.restore_account(account_id=account_id)

    assert "employeetype" not in read(running_slapd, dn, "employeeType")
    assert conn.access_state(account_id=account_id).active is True


def test_suspend_by_unusable_password_keeps_the_old_one_for_restore(
    running_slapd, sandbox
):
    conn = connector(
        running_slapd,
        sandbox,
        disable_method="password",
        password_backup_attribute="description",
    )
    account_id = account_of(conn).external_id
    dn = sandbox.person("leaver")
    password = sandbox.passwords["leaver"]

    conn.suspend_account(account_id=account_id)

    assert read(running_slapd, dn, "userPassword")["userpassword"] == [b"{CRYPT}!"]
    assert not can_sign_in(running_slapd, dn, password)
    assert conn.access_state(account_id=account_id).active is False
    assert account_of(conn).fields["disabled"] is True
    assert conn.suspend_account(account_id=account_id).response["changed"] is False

    conn.restore_account(account_id=account_id)

    assert can_sign_in(running_slapd, dn, password)
    assert "description" not in read(running_slapd, dn, "description")
    assert conn.access_state(account_id=account_id).active is True
    assert conn.restore_account(account_id=account_id).response["changed"] is False


def test_an_unusable_password_without_a_backup_cannot_be_restored(
    running_slapd, sandbox
):
    conn = connector(running_slapd, sandbox, disable_method="password")
    account_id = account_of(conn).external_id

    conn.suspend_account(account_id=account_id)

    with pytest.raises(MisconfiguredError, match="cannot be restored") as caught:
        conn.restore_account(account_id=account_id)
    assert caught.value.retryable is False
    assert conn.access_state(account_id=account_id).active is False


def test_suspending_an_unknown_account_is_an_error(running_slapd, sandbox):
    conn = connector(running_slapd, sandbox)

    with pytest.raises(MisconfiguredError, match="has no account"):
        conn.suspend_account(account_id=str(uuid.uuid4()))


# Group membership ---------------------------------------------------------------------


def test_remove_member_from_both_kinds_of_group(running_slapd, sandbox):
    conn = connector(running_slapd, sandbox)
    account_id = account_of(conn).external_id
    groups = group_ids(conn)

    for name in ("team", "vpn"):
        result = conn.remove_member(group_id=groups[name], account_id=account_id)
        assert result.response["changed"] is True
        # Removing a non-member succeeds.
        again = conn.remove_member(group_id=groups[name], account_id=account_id)
        assert again.response["changed"] is False

    assert conn.access_state(account_id=account_id).groups == [groups["solo"]]
    assert set(group_ids(conn)) == {"solo"}
    team = read(running_slapd, sandbox.group("team"), "member")["member"]
    assert team == [sandbox.person("successor").encode()]


def test_the_last_member_of_a_group_of_names_stays_with_a_clear_reason(
    running_slapd, sandbox
):
    conn = connector(running_slapd, sandbox)
    account_id = account_of(conn).external_id

    with pytest.raises(MisconfiguredError, match="last member") as caught:
        conn.remove_member(group_id=group_ids(conn)["solo"], account_id=account_id)

    assert "successor" in str(caught.value)


def test_add_the_successor_to_the_leavers_groups(running_slapd, sandbox):
    conn = connector(running_slapd, sandbox)
    groups = group_ids(conn)
    successor_id = account_of(conn, SUCCESSOR).external_id

    for name in ("vpn", "solo", "team"):
        conn.add_member(group_id=groups[name], person=SUCCESSOR)
        # Adding an existing member succeeds.
        again = conn.add_member(group_id=groups[name], person=SUCCESSOR)
        assert again.response["changed"] is False

    assert sorted(conn.access_state(account_id=successor_id).groups) == sorted(
        groups.values()
    )
    vpn = read(running_slapd, sandbox.group("vpn"), "uniqueMember")["uniquemember"]
    assert sandbox.person("successor").encode() in vpn
    # Now the leaver can leave "solo".
    conn.remove_member(group_id=groups["solo"], account_id=account_of(conn).external_id)


def test_add_member_needs_the_person_to_have_an_account(running_slapd, sandbox):
    conn = connector(running_slapd, sandbox)
    stranger = EmployeeRef(email="stranger@access.example", name="Stan Stranger")

    with pytest.raises(MisconfiguredError, match="Stan Stranger has no account"):
        conn.add_member(group_id=group_ids(conn)["team"], person=stranger)


# Delete -------------------------------------------------------------------------------


def test_delete_removes_the_account_and_its_memberships(running_slapd, sandbox):
    conn = connector(running_slapd, sandbox)
    account_id = account_of(conn).external_id
    dn = sandbox.person("leaver")

    result = conn.delete_account(account_id=account_id)

    assert result.response["changed"] is True
    # A groupOfNames cannot lose its only member: it is reported, not hidden.
    assert result.response["still_listed_in"] == [sandbox.group("solo")]
    state = conn.access_state(account_id=account_id)
    assert (state.exists, state.active, state.groups) == (False, False, [])
    assert conn.discover(employee=LEAVER, record_kind="account") == []
    assert read(running_slapd, sandbox.group("team"), "member")["member"] == [
        sandbox.person("successor").encode()
    ]
    vpn = read(running_slapd, sandbox.group("vpn"), "uniqueMember")["uniquemember"]
    assert vpn == [sandbox.person("bystander").encode()]
    # Deleting again succeeds.
    assert conn.delete_account(account_id=account_id).response["changed"] is False
    assert conn.delete_account(account_id=dn).response["changed"] is False


# Credentials and failures -------------------------------------------------------------


def _everything_said(error) -> str:
    parts = []
    seen = error
    while seen is not None:
        parts += [str(seen), repr(seen), repr(getattr(seen, "args", ""))]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def test_a_read_only_account_cannot_write_and_says_so(running_slapd, sandbox):
    conn = connector(
        running_slapd,
        sandbox,
        secrets={"bind_password": running_slapd.service_password},
        write_bind_dn="",
    )
    account_id = account_of(conn).external_id

    for change in (
        lambda: conn.suspend_account(account_id=account_id),
        lambda: conn.remove_member(
            group_id=group_ids(conn)["team"], account_id=account_id
        ),
    ):
        with pytest.raises(MisconfiguredError) as caught:
            change()
        assert str(caught.value).startswith(
            f"{running_slapd.service_dn} has no write rights on "
        )
        assert caught.value.retryable is False
        assert running_slapd.service_password not in _everything_said(caught.value)

    assert conn.access_state(account_id=account_id).active is True


def test_the_reason_is_translated(running_slapd, sandbox):
    conn = connector(
        running_slapd,
        sandbox,
        secrets={"bind_password": running_slapd.service_password},
        write_bind_dn="",
    )

    with translation.override("zh-hans"), pytest.raises(MisconfiguredError) as caught:
        conn.suspend_account(account_id=sandbox.person("leaver"))

    assert "没有写入权限" in str(caught.value)


def test_separate_write_credentials_are_used_for_writes(running_slapd, sandbox):
    conn = connector(running_slapd, sandbox)
    account_id = account_of(conn).external_id

    conn.suspend_account(account_id=account_id)

    assert conn.access_state(account_id=account_id).active is False


def test_a_wrong_write_password_is_named_and_hidden(running_slapd, sandbox):
    wrong = "Wr0ng-" + _secrets.token_hex(6)
    conn = connector(
        running_slapd,
        sandbox,
        secrets={
            "bind_password": running_slapd.service_password,
            "write_bind_password": wrong,
        },
    )
    account_id = account_of(conn).external_id

    with pytest.raises(MisconfiguredError) as caught:
        conn.suspend_account(account_id=account_id)

    assert str(caught.value) == "The directory refused the write bind DN or password."
    assert wrong not in _everything_said(caught.value)
    assert running_slapd.password not in _everything_said(caught.value)


def test_anonymous_connectors_cannot_write(running_slapd, sandbox):
    conn = connector(running_slapd, sandbox, secrets={}, bind_dn="", write_bind_dn="")

    with pytest.raises(MisconfiguredError, match="needs an account with write rights"):
        conn.suspend_account(account_id=sandbox.person("leaver"))


def test_a_server_going_down_is_retryable_and_recovers(running_slapd, sandbox):
    conn = connector(running_slapd, sandbox)
    account_id = account_of(conn).external_id
    running_slapd.stop()

    with pytest.raises(ConnectorError) as caught:
        conn.suspend_account(account_id=account_id)

    assert caught.value.retryable is True
    assert running_slapd.uri in str(caught.value)
    assert running_slapd.password not in _everything_said(caught.value)

    running_slapd.start()
    conn.suspend_account(account_id=account_id)
    assert conn.access_state(account_id=account_id).active is False


# Active Directory ---------------------------------------------------------------------


def test_active_directory_suspend_sets_the_disabled_bit(running_slapd):
    conn = ad_connector(running_slapd)
    dn = f"CN=Chen Fang,{running_slapd.ad_user_base_dn}"
    account_id = str(AD_SALES_GUID)
    try:
        conn.suspend_account(account_id=account_id)

        flags = read(running_slapd, dn, "userAccountControl", ad=True)
        assert flags["useraccountcontrol"] == [b"514"]  # NORMAL_ACCOUNT | 0x2
        assert conn.access_state(account_id=account_id).active is False
        assert account_of(conn, AD_SALES).fields["disabled"] is True
        assert conn.suspend_account(account_id=account_id).response["changed"] is False

        conn.restore_account(account_id=account_id)

        flags = read(running_slapd, dn, "userAccountControl", ad=True)
        assert flags["useraccountcontrol"] == [b"512"]
        assert conn.access_state(account_id=account_id).active is True
        assert account_of(conn, AD_SALES).fields["disabled"] is False
    finally:
        fix = admin(running_slapd, ad=True)
        fix.modify(dn, {"userAccountControl": [(ldap3.MODIFY_REPLACE, ["512"])]})
        fix.unbind()


def test_active_directory_group_membership(running_slapd):
    conn = ad_connector(running_slapd)
    account_id = str(AD_SALES_GUID)
    finance = str(AD_FINANCE_GROUP_GUID)
    sales_group = str(AD_SALES_GROUP_GUID)
    dn = f"CN=Chen Fang,{running_slapd.ad_user_base_dn}"
    finance_dn = f"CN=Finance Approvers,{running_slapd.ad_group_base_dn}"
    try:
        assert sorted(conn.access_state(account_id=account_id).groups) == sorted(
            [finance, sales_group]
        )

        conn.remove_member(group_id=finance, account_id=account_id)
        conn.remove_member(group_id=finance, account_id=account_id)

        assert conn.access_state(account_id=account_id).groups == [sales_group]

        conn.add_member(group_id=finance, person=AD_SALES)
        conn.add_member(group_id=finance, person=AD_SALES)

        assert sorted(conn.access_state(account_id=account_id).groups) == sorted(
            [finance, sales_group]
        )
    finally:
        members = read(running_slapd, finance_dn, "member", ad=True).get("member", [])
        if dn.encode().lower() not in [member.lower() for member in members]:
            fix = admin(running_slapd, ad=True)
            fix.modify(finance_dn, {"member": [(ldap3.MODIFY_ADD, [dn])]})
            fix.unbind()


def test_active_directory_delete(running_slapd):
    guid = uuid.uuid4()
    dn = f"CN=Temp Leaver,{running_slapd.ad_user_base_dn}"
    finance_dn = f"CN=Finance Approvers,{running_slapd.ad_group_base_dn}"
    fix = admin(running_slapd, ad=True)
    fix.add(
        dn,
        ["top", "person", "organizationalPerson", "user", "extensibleObject"],
        {
            "cn": "Temp Leaver",
            "sn": "Leaver",
            "sAMAccountName": "templeaver",
            "mail": "templeaver@access.example",
            "userAccountControl": "512",
            "objectGUID": guid.bytes_le,
            "instanceType": "4",
            "objectCategory": f"CN=Person,CN=Schema,CN=Configuration,{BASE_DN}",
            "nTSecurityDescriptor": b"\x01\x00\x04\x80",
        },
    )
    try:
        conn = ad_connector(running_slapd)
        conn.add_member(
            group_id=str(AD_FINANCE_GROUP_GUID),
            person=EmployeeRef(email="templeaver@access.example"),
        )
        assert conn.access_state(account_id=str(guid)).groups == [
            str(AD_FINANCE_GROUP_GUID)
        ]

        assert conn.delete_account(account_id=str(guid)).response["changed"] is True

        assert conn.access_state(account_id=str(guid)).exists is False
        assert conn.delete_account(account_id=str(guid)).response["changed"] is False
    finally:
        with contextlib.suppress(ldap_errors.LDAPNoSuchObjectResult):
            fix.delete(dn)
        with contextlib.suppress(ldap_errors.LDAPNoSuchAttributeResult):
            fix.modify(finance_dn, {"member": [(ldap3.MODIFY_DELETE, [dn])]})
        fix.unbind()
