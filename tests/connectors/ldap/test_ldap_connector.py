"""The LDAP / Active Directory connector against a real slapd (see conftest.py)."""

import re

import pytest
from django.utils import translation

from connectors.registry import get_type
from connectors.sdk.base import ConnectorError, EmployeeRef, MisconfiguredError
from connectors.types.ldap import LdapConnector

from ..servers import free_port
from .conftest import (
    AD_FINANCE_GROUP_GUID,
    AD_SALES_GROUP_GUID,
    AD_SALES_GUID,
    GROUPS_DN,
    PEOPLE_DN,
    email,
    group_dn,
    person_dn,
)

pytestmark = pytest.mark.ldap

SALES = EmployeeRef(
    email=email("sales"), employee_number="E0005", username="sales", name="Chen Fang"
)
UUID_PATTERN = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


# Connectors made by a test; closed after it, as the sync engine does after a run.
_made = []


@pytest.fixture(autouse=True)
def _close_connectors():
    yield
    while _made:
        _made.pop().close()


def connector(server, secrets=None, **settings):
    made = LdapConnector(
        settings=server.settings(**settings),
        secrets=server.secrets() if secrets is None else secrets,
    )
    _made.append(made)
    return made


def ad_connector(server, **settings):
    made = LdapConnector(
        settings=server.ad_settings(**settings), secrets=server.secrets()
    )
    _made.append(made)
    return made


def by_title(records):
    return {record.title: record for record in records if not record.error}


def test_the_type_is_registered():
    assert get_type("ldap") is LdapConnector
    assert str(LdapConnector.label) == "LDAP / Active Directory"
    assert set(LdapConnector.record_kinds()) == {"account", "group"}
    assert [spec.name for spec in LdapConnector.setting_specs(secret=True)] == [
        "bind_password",
        "write_bind_password",
    ]


# test_connection ------------------------------------------------------------------


def test_connection_names_the_server_the_bind_dn_and_the_accounts(running_slapd):
    message = connector(running_slapd).test_connection()

    assert message == (
        f"Connected to {running_slapd.uri} as {running_slapd.bind_dn}; "
        f"5 accounts under {PEOPLE_DN}."
    )


def test_connection_as_a_read_only_service_account(running_slapd):
    conn = connector(
        running_slapd,
        secrets={"bind_password": running_slapd.service_password},
        bind_dn=running_slapd.service_dn,
    )

    assert f"as {running_slapd.service_dn};" in conn.test_connection()


def test_connection_anonymously(running_slapd):
    conn = connector(running_slapd, secrets={}, bind_dn="")

    assert "as anonymous;" in conn.test_connection()


def test_a_wrong_password_is_a_configuration_error_that_hides_the_password(
    running_slapd,
):
    wrong = "Wr0ng-" + running_slapd.password[::-1]
    conn = connector(running_slapd, secrets={"bind_password": wrong})

    with pytest.raises(MisconfiguredError) as caught:
        conn.test_connection()

    assert str(caught.value) == "The directory refused the bind DN or password."
    assert caught.value.retryable is False
    assert wrong not in _everything_said(caught.value)


def test_an_unknown_bind_dn_is_refused_like_a_wrong_password(running_slapd):
    conn = connector(running_slapd, bind_dn=f"cn=nobody,{running_slapd.base_dn}")

    with pytest.raises(MisconfiguredError, match="refused the bind DN or password"):
        conn.test_connection()


def test_a_bind_dn_without_password_is_reported_before_connecting(running_slapd):
    conn = connector(running_slapd, secrets={})

    with pytest.raises(MisconfiguredError, match="needs a password"):
        conn.test_connection()


def test_a_closed_port_is_a_retryable_error_naming_the_server(running_slapd):
    uri = f"ldap://127.0.0.1:{free_port()}"
    conn = connector(running_slapd, server_uri=uri)

    with pytest.raises(ConnectorError) as caught:
        conn.test_connection()

    assert not isinstance(caught.value, MisconfiguredError)
    assert caught.value.retryable is True
    assert str(caught.value) == (
        f"Could not connect to the directory server at {uri}; "
        "check that it is running and reachable."
    )


def test_a_server_that_never_answers_times_out(running_slapd):
    conn = connector(running_slapd, timeout=1)
    running_slapd.pause()
    try:
        with pytest.raises(ConnectorError) as caught:
            conn.test_connection()
    finally:
        running_slapd.resume()

    assert caught.value.retryable is True
    assert str(caught.value) == (
        f"The directory server at {running_slapd.uri} did not answer within 1 second."
    )


@pytest.mark.parametrize("setting", ["user_base_dn", "group_base_dn"])
def test_a_missing_base_dn_is_named(running_slapd, setting):
    missing = f"ou=nowhere,{running_slapd.base_dn}"
    conn = connector(running_slapd, **{setting: missing})

    with pytest.raises(MisconfiguredError) as caught:
        conn.test_connection()

    assert (
        str(caught.value) == f"The directory has no entry {missing}; check the base DN."
    )


def test_a_base_dn_that_is_not_a_dn(running_slapd):
    conn = connector(running_slapd, user_base_dn="people")

    with pytest.raises(MisconfiguredError, match="“people” is not a valid DN"):
        conn.test_connection()


def test_an_address_that_is_not_ldap(running_slapd):
    conn = connector(running_slapd, server_uri="https://127.0.0.1/")

    with pytest.raises(MisconfiguredError, match="is not an LDAP server address"):
        conn.test_connection()


def test_a_broken_filter_is_a_configuration_error(running_slapd):
    conn = connector(running_slapd, user_filter="(objectClass=inetOrgPerson")

    with pytest.raises(MisconfiguredError, match="not a valid LDAP filter"):
        conn.test_connection()


def test_ldaps_with_the_servers_ca(running_slapd):
    conn = connector(
        running_slapd,
        server_uri=running_slapd.ldaps_uri,
        ca_certificate=running_slapd.ca_certificate,
    )

    assert conn.test_connection().startswith(
        f"Connected to {running_slapd.ldaps_uri} as"
    )
    assert [r.title for r in conn.discover(employee=SALES, record_kind="account")] == [
        "sales"
    ]


def test_start_tls_with_the_servers_ca(running_slapd):
    conn = connector(
        running_slapd, start_tls=True, ca_certificate=running_slapd.ca_certificate
    )

    assert conn.test_connection().startswith(f"Connected to {running_slapd.uri} as")


@pytest.mark.parametrize("start_tls", [False, True])
def test_an_untrusted_certificate_is_a_configuration_error(running_slapd, start_tls):
    uri = running_slapd.uri if start_tls else running_slapd.ldaps_uri
    conn = connector(running_slapd, server_uri=uri, start_tls=start_tls)

    with pytest.raises(MisconfiguredError) as caught:
        conn.test_connection()

    assert str(caught.value) == (
        f"TLS with the directory server at {uri} failed; check its certificate "
        "and the CA certificate setting."
    )


def test_reasons_are_translated(running_slapd):
    conn = connector(running_slapd, secrets={"bind_password": "nope"})

    with translation.override("zh-hans"), pytest.raises(MisconfiguredError) as caught:
        conn.test_connection()

    assert str(caught.value) != "The directory refused the bind DN or password."
    assert re.search(r"[\u4e00-\u9fff]", str(caught.value))


# discover: OpenLDAP ---------------------------------------------------------------


def test_discover_finds_the_employees_account(running_slapd):
    records = connector(running_slapd).discover(employee=SALES, record_kind="account")

    assert len(records) == 1
    record = records[0]
    assert record.kind == "account"
    assert record.title == "sales"
    assert record.error == ""
    assert UUID_PATTERN.match(record.external_id)
    assert record.fields["dn"] == person_dn("sales")
    assert record.fields["uid"] == "sales"
    assert record.fields["mail"] == "sales@baton.example"
    assert record.fields["cn"] == "Chen Fang"
    assert record.fields["employee_number"] == "E0005"
    assert record.fields["disabled"] is False
    assert record.fields["system"] == "127.0.0.1"


def test_the_account_id_is_stable_across_runs(running_slapd):
    first = connector(running_slapd).discover(employee=SALES, record_kind="account")
    second = connector(running_slapd).discover(employee=SALES, record_kind="account")

    assert first[0].external_id == second[0].external_id


def test_default_mappings_fill_the_account_item(running_slapd):
    conn = connector(running_slapd, system_name="Company directory")
    for kind, expected in (
        ("account", {"system": "Company directory", "account_id": "sales"}),
        (
            "group",
            {
                "system": "Company directory",
                "account_id": "sales",
                "role_permission": "crm-admins",
            },
        ),
    ):
        record = by_title(conn.discover(employee=SALES, record_kind=kind)).get(
            "sales" if kind == "account" else "crm-admins"
        )
        mapped = {
            prop: record.fields[path]
            for prop, path in LdapConnector.default_mappings[kind].items()
        }
        assert mapped == expected


@pytest.mark.parametrize(
    ("match_by", "match_attribute"),
    [("employee_number", "employeeNumber"), ("username", "uid"), ("email", "mail")],
)
def test_match_by_any_employee_detail(running_slapd, match_by, match_attribute):
    conn = connector(running_slapd, match_by=match_by, match_attribute=match_attribute)

    records = conn.discover(employee=SALES, record_kind="account")

    assert [record.title for record in records] == ["sales"]


def test_a_locked_account_is_flagged_disabled(running_slapd):
    hr = EmployeeRef(email=email("hr"))

    (record,) = connector(running_slapd).discover(employee=hr, record_kind="account")

    assert record.fields["disabled"] is True


def test_disabled_attribute_can_be_switched_off(running_slapd):
    hr = EmployeeRef(email=email("hr"))
    conn = connector(running_slapd, disabled_attribute="employeeType")

    (record,) = conn.discover(employee=hr, record_kind="account")

    assert record.fields["disabled"] is False


def test_discover_lists_the_groups_the_employee_belongs_to(running_slapd):
    records = connector(running_slapd).discover(employee=SALES, record_kind="group")
    groups = by_title(records)

    # sales-lead is an organizationalRole, engineering does not include sales.
    assert sorted(groups) == ["crm-admins", "sales-team", "vpn-users"]
    assert all(record.kind == "group" for record in records)

    crm = groups["crm-admins"]
    assert crm.fields["sole_member"] is True
    assert crm.fields["member_count"] == 1
    assert crm.fields["dn"] == group_dn("crm-admins")
    assert crm.fields["description"] == "Administrators of the CRM"
    assert crm.fields["owner"] == person_dn("manager")
    assert crm.fields["owner_name"] == "manager"
    assert crm.fields["account"] == "sales"
    assert UUID_PATTERN.match(crm.external_id)

    team = groups["sales-team"]
    assert team.fields["sole_member"] is False
    assert team.fields["member_count"] == 3

    vpn = groups["vpn-users"]  # groupOfUniqueNames
    assert vpn.fields["sole_member"] is False
    assert vpn.fields["member_count"] == 3
    assert vpn.fields["owner"] == ""


def test_a_malformed_group_is_reported_not_raised(running_slapd):
    records = connector(running_slapd).discover(employee=SALES, record_kind="group")

    broken = [record for record in records if record.error]
    assert len(broken) == 1
    assert broken[0].title == ""
    assert broken[0].error == (
        f"The group ou=legacy-share,{GROUPS_DN} has no common name (cn)."
    )
    assert len(records) == 4


def test_an_unknown_employee_has_no_records(running_slapd):
    stranger = EmployeeRef(email="nobody@baton.example")
    conn = connector(running_slapd)

    assert conn.discover(employee=stranger, record_kind="account") == []
    assert conn.discover(employee=stranger, record_kind="group") == []


@pytest.mark.parametrize(
    "value",
    ["*", "sales@baton.example)(uid=*", "*)(|(mail=*", "sales@baton.example\\2a"],
)
def test_filter_values_are_escaped(running_slapd, value):
    records = connector(running_slapd).discover(
        employee=EmployeeRef(email=value), record_kind="account"
    )

    assert records == []


def test_an_employee_without_the_match_detail_is_an_error(running_slapd):
    conn = connector(
        running_slapd, match_by="employee_number", match_attribute="employeeNumber"
    )

    with pytest.raises(ConnectorError) as caught:
        conn.discover(employee=EmployeeRef(email=email("sales")), record_kind="account")

    assert caught.value.retryable is False
    assert (
        str(caught.value)
        == "The employee has no employee number to look up in the directory."
    )


def test_an_unknown_record_kind_is_refused(running_slapd):
    with pytest.raises(
        MisconfiguredError, match="cannot list records of kind “client”"
    ):
        connector(running_slapd).discover(employee=SALES, record_kind="client")


def test_a_bad_match_attribute_is_refused(running_slapd):
    conn = connector(running_slapd, match_attribute="mail)(uid=*")

    with pytest.raises(MisconfiguredError, match="is not an LDAP attribute name"):
        conn.discover(employee=SALES, record_kind="account")


# discover: Active Directory -------------------------------------------------------


def test_active_directory_account(running_slapd):
    (record,) = ad_connector(running_slapd).discover(
        employee=SALES, record_kind="account"
    )

    assert record.title == "sales"
    assert record.external_id == str(AD_SALES_GUID)
    assert record.fields["uid"] == "sales"
    assert record.fields["user_principal_name"] == "sales@ad.baton.test"
    assert record.fields["disabled"] is False
    assert record.fields["member_of"] == [
        f"CN=Sales,{running_slapd.ad_group_base_dn}",
        f"CN=Finance Approvers,{running_slapd.ad_group_base_dn}",
    ]


def test_active_directory_disabled_flag_comes_from_user_account_control(running_slapd):
    dev = EmployeeRef(email=email("dev"))

    (record,) = ad_connector(running_slapd).discover(
        employee=dev, record_kind="account"
    )

    assert record.fields["disabled"] is True


def test_active_directory_groups(running_slapd):
    records = ad_connector(running_slapd).discover(employee=SALES, record_kind="group")
    groups = by_title(records)

    assert sorted(groups) == ["Finance Approvers", "Sales"]
    finance = groups["Finance Approvers"]
    assert finance.external_id == str(AD_FINANCE_GROUP_GUID)
    assert finance.fields["sole_member"] is True
    assert finance.fields["owner_name"] == "Zhang Wei"
    sales = groups["Sales"]
    assert sales.external_id == str(AD_SALES_GROUP_GUID)
    assert sales.fields["sole_member"] is False
    assert sales.fields["member_count"] == 2


# outages ------------------------------------------------------------------------


def test_server_going_down_mid_sync_is_retryable_and_recovers(running_slapd):
    conn = connector(running_slapd)
    assert conn.discover(employee=SALES, record_kind="account")

    running_slapd.stop()
    try:
        with pytest.raises(ConnectorError) as caught:
            conn.discover(employee=SALES, record_kind="group")
        assert caught.value.retryable is True
        assert not isinstance(caught.value, MisconfiguredError)
        assert running_slapd.uri in str(caught.value)
        assert running_slapd.password not in _everything_said(caught.value)
    finally:
        running_slapd.start()

    # The same connector reconnects, and so does a fresh one.
    assert "crm-admins" in by_title(conn.discover(employee=SALES, record_kind="group"))
    fresh = connector(running_slapd)
    assert [r.title for r in fresh.discover(employee=SALES, record_kind="account")] == [
        "sales"
    ]


def test_server_killed_abruptly_is_retryable(running_slapd):
    conn = connector(running_slapd)
    assert conn.discover(employee=SALES, record_kind="account")

    running_slapd.stop(kill=True)
    try:
        with pytest.raises(ConnectorError) as caught:
            conn.discover(employee=SALES, record_kind="account")
    finally:
        running_slapd.start()

    assert caught.value.retryable is True


def _everything_said(exc):
    """The message, repr and chained causes of an exception, as one string."""
    parts = []
    seen = exc
    while seen is not None:
        parts += [str(seen), repr(seen), repr(getattr(seen, "args", ""))]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def test_the_password_never_appears_in_any_failure(running_slapd):
    password = running_slapd.password
    failures = []
    for settings in (
        {"user_base_dn": f"ou=nowhere,{running_slapd.base_dn}"},
        {"server_uri": f"ldap://127.0.0.1:{free_port()}"},
        {"bind_dn": "cn=x,dc=nowhere"},
        {"user_filter": "(broken"},
    ):
        with pytest.raises(ConnectorError) as caught:
            connector(running_slapd, **settings).test_connection()
        failures.append(caught.value)

    for failure in failures:
        assert password not in _everything_said(failure)
