"""Connectors never reach loopback, link-local or private addresses unless an
administrator allows those networks: not by address, not by a name that
resolves to one, whatever client library the type uses. The suite's own
settings allow loopback (its fake servers listen there); these tests take
that allowance away."""

import socket

import pytest
from django.urls import reverse

from connectors.models import ConnectorConfig
from connectors.registry import get_type
from connectors.sdk.base import ConnectorError
from connectors.sdk.network import PrivateAddressRefused, address_refused

REFUSED = "Baton does not connect to private or loopback addresses"


@pytest.fixture
def no_private_networks(settings):
    settings.BATON_CONNECTORS_ALLOW_PRIVATE_NETWORKS = []


@pytest.fixture
def listener():
    """A TCP server on loopback that only counts who knocked."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def _knocks(server) -> int:
    count = 0
    while True:
        try:
            connection, _address = server.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.254",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 - a destination here, not a bind
        "224.0.0.1",
        "::1",
        "::",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "fe80::1%lo",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "2002:a00:1::",  # 6to4 around 10.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 around 169.254.169.254
    ],
)
def test_private_addresses_are_refused(no_private_networks, address):
    assert address_refused(address)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "172.32.0.1", "192.169.0.1", "2001:4860:4860::8888"]
)
def test_public_addresses_are_allowed(no_private_networks, address):
    assert not address_refused(address)


def test_an_administrator_allows_exactly_the_networks_listed(settings):
    settings.BATON_CONNECTORS_ALLOW_PRIVATE_NETWORKS = ["10.20.0.0/16", "fd00::/8"]

    assert not address_refused("10.20.1.1")
    assert not address_refused("fd00::7")
    assert address_refused("10.21.0.1")
    assert address_refused("127.0.0.1")
    assert not address_refused("8.8.8.8")


# Every connector type, whatever its client library --------------------------------

TYPES = {
    "rest": ({"base_url": "{url}", "path": "/records"}, {}),
    "scim": ({"base_url": "{url}"}, {"token": "t"}),
    "github": ({"base_url": "{url}", "organization": "acme"}, {"token": "t"}),
    "gitlab": ({"base_url": "{url}", "group": "acme"}, {"token": "t"}),
    "hubspot": ({"base_url": "{url}"}, {"token": "t"}),
    "jira": ({"base_url": "{url}", "email": "it@baton.example"}, {"api_token": "t"}),
    "redmine": ({"base_url": "{url}"}, {"api_key": "t"}),
    "feishu": ({"base_url": "{url}", "app_id": "cli_a"}, {"app_secret": "s"}),
    "wecom": ({"base_url": "{url}", "corp_id": "ww"}, {"secret": "s"}),
    "dingtalk": (
        {"api_base_url": "{url}", "oapi_base_url": "{url}", "app_key": "k"},
        {"app_secret": "s"},
    ),
    "ldap": (
        {
            "server_uri": "ldap://{host}:{port}",
            "flavour": "openldap",
            "user_base_dn": "ou=people,dc=baton,dc=example",
            "group_base_dn": "ou=groups,dc=baton,dc=example",
        },
        {},
    ),
    "tryton": (
        {"url": "{url}/", "database": "baton", "username": "admin"},
        {"password": "p"},
    ),
}


def _client(slug, host, port):
    settings, secrets = TYPES[slug]
    url = f"http://{host}:{port}"
    filled = {
        name: value.format(url=url, host=host, port=port)
        for name, value in settings.items()
    }
    return get_type(slug)(settings=filled, secrets=secrets, timeout=3)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
@pytest.mark.parametrize("slug", sorted(TYPES))
def test_every_connector_type_refuses_loopback_before_connecting(
    no_private_networks, listener, slug, host
):
    port = listener.getsockname()[1]
    client = _client(slug, host, port)

    with pytest.raises(ConnectorError) as refused:
        client.test_connection()
    client.close()

    assert isinstance(refused.value, PrivateAddressRefused)
    assert str(refused.value.message).startswith(REFUSED)
    assert "BATON_CONNECTORS_ALLOW_PRIVATE_NETWORKS" in str(refused.value.message)
    assert refused.value.retryable is False
    assert _knocks(listener) == 0


@pytest.mark.parametrize("slug", ["rest", "ldap", "tryton"])
def test_the_same_connector_reaches_loopback_once_allowed(settings, listener, slug):
    settings.BATON_CONNECTORS_ALLOW_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    port = listener.getsockname()[1]
    client = _client(slug, "127.0.0.1", port)

    # The listener never answers: the client gives up, but it did connect.
    with pytest.raises(ConnectorError) as failed:
        client.test_connection()
    client.close()

    assert not isinstance(failed.value, PrivateAddressRefused)
    assert _knocks(listener) >= 1


def test_a_public_name_that_resolves_to_a_private_address_is_refused(
    no_private_networks, listener, monkeypatch
):
    """The address connected to is checked, not the name (DNS rebinding: the
    name may have looked public a moment before)."""
    port = listener.getsockname()[1]
    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host == "api.partner.example":
            host = "127.0.0.1"
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    client = _client("rest", "api.partner.example", port)

    with pytest.raises(PrivateAddressRefused):
        client.test_connection()
    client.close()

    assert _knocks(listener) == 0


def test_outside_connector_calls_sockets_are_untouched(no_private_networks, listener):
    """The database, Redis and email keep their private addresses."""
    port = listener.getsockname()[1]
    _client("rest", "127.0.0.1", port)  # constructing a type guards nothing after

    with socket.create_connection(("127.0.0.1", port), timeout=3):
        pass

    assert _knocks(listener) == 1


# What HR and IT see ---------------------------------------------------------------


@pytest.mark.django_db
def test_test_connection_says_plainly_why_nothing_was_reached(
    client, people, no_private_networks, listener
):
    port = listener.getsockname()[1]
    connector = ConnectorConfig.objects.create(
        type="rest",
        name="Intranet",
        slug="intranet",
        settings={"base_url": f"http://127.0.0.1:{port}", "path": "/records"},
    )
    client.force_login(people["it"])

    page = client.post(
        reverse("connectors_test", args=[connector.pk]), follow=True
    ).content.decode()

    assert (
        "Baton does not connect to private or loopback addresses (127.0.0.1). "
        "An administrator can allow them with the "
        "BATON_CONNECTORS_ALLOW_PRIVATE_NETWORKS setting"
    ) in page
    connector.refresh_from_db()
    assert connector.last_test_ok is False
    assert _knocks(listener) == 0
