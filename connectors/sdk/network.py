"""Where connectors may connect: never to loopback, link-local or private
addresses unless an administrator allows those networks.

A connector's URL is typed by an HR or IT administrator; without this guard it
would make Baton probe the internal network on their behalf (which ports
answer, and how). The check runs at connect time, on the very address the
socket connects to, so a name resolving to a private address is refused too,
and a DNS answer that changes between a check and the connection (rebinding)
cannot slip through: there is nothing between the check and the connection.

Every method of the connector contract runs inside ``outbound_guard()``
(``ConnectorType`` wraps them), so whatever client library a type uses
(requests, ldap3, the Feishu and DingTalk SDKs, proteus) connects through the
checked ``socket.socket.connect``. Outside the guard, sockets are untouched:
the database, Redis and email keep their private addresses.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .base import ConnectorError, MisconfiguredError

__all__ = [
    "PrivateAddressRefused",
    "address_refused",
    "guarded",
    "outbound_guard",
]

SETTING = "BATON_CONNECTORS_ALLOW_PRIVATE_NETWORKS"

# NAT64 prefixes carry an IPv4 address in their last 32 bits.
_NAT64 = (
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
)

_guard_active: ContextVar[bool] = ContextVar("baton_outbound_guard", default=False)
# The addresses refused inside the current guarded call (see ``guarded``).
_refusals: ContextVar[list | None] = ContextVar("baton_outbound_refusals", default=None)
_install_lock = threading.Lock()
_installed = False
_socket_connect = socket.socket.connect
_socket_connect_ex = socket.socket.connect_ex


class PrivateAddressRefused(MisconfiguredError):
    """A connector tried to reach an address of a private network."""

    def __init__(self, address: str):
        super().__init__(
            _(
                "Baton does not connect to private or loopback addresses "
                "(%(address)s). An administrator can allow them with the "
                "%(setting)s setting (a list of networks, e.g. 10.0.0.0/8)."
            )
            % {"address": address, "setting": SETTING}
        )
        self.address = address


# Which addresses ---------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _networks(allowed: tuple[str, ...]):
    return tuple(ipaddress.ip_network(network, strict=False) for network in allowed)


def allowed_networks():
    """The networks an administrator allowed (``BATON_CONNECTORS_ALLOW_PRIVATE_
    NETWORKS``); settings validate them at start-up."""
    return _networks(tuple(getattr(settings, SETTING, ()) or ()))


def _embedded_ipv4(address):
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo, NAT64)."""
    if address.version != 6:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in prefix for prefix in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _is_public(address) -> bool:
    return address.is_global and not address.is_multicast


def address_refused(address: str) -> bool:
    """True when ``address`` (an IP literal) is not a public unicast address and
    no allowed network contains it."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    allowed = allowed_networks()
    candidates = [ip]
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        candidates.append(embedded)
    for candidate in candidates:
        if _is_public(candidate):
            continue
        if not any(
            candidate.version == network.version and candidate in network
            for network in allowed
        ):
            return True
    return False


# The guard ------------------------------------------------------------------------


def _checked_sockaddr(sock: socket.socket, address):
    """The address to connect ``sock`` to, refused when private. A host name
    (``socket.connect`` accepts one) is resolved here and the checked address
    is the one connected to."""
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return address
    host, port = address[0], address[1]
    try:
        ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:
        infos = socket.getaddrinfo(host, port, sock.family, sock.type)
        address = infos[0][4]
        host = address[0]
    if address_refused(host):
        refused = PrivateAddressRefused(host)
        refusals = _refusals.get()
        if refusals is not None:
            refusals.append(refused)
        raise refused
    return address


def _connect(self, address):
    if _guard_active.get():
        address = _checked_sockaddr(self, address)
    return _socket_connect(self, address)


def _connect_ex(self, address):
    if _guard_active.get():
        address = _checked_sockaddr(self, address)
    return _socket_connect_ex(self, address)


def _install() -> None:
    global _installed
    with _install_lock:
        if not _installed:
            # ssl.SSLSocket and every client library connect through these.
            socket.socket.connect = _connect
            socket.socket.connect_ex = _connect_ex
            _installed = True


@contextmanager
def outbound_guard():
    """Inside, sockets of this thread (or task) refuse private addresses."""
    if not _installed:
        _install()
    token = _guard_active.set(True)
    try:
        yield
    finally:
        _guard_active.reset(token)


@contextmanager
def _plain_refusal():
    """Client libraries catch the refusal and report "could not connect" in
    their own words (ldap3 tries the next address, the DingTalk SDK wraps it);
    a connection failure after a refusal is that refusal: say so plainly."""
    if _refusals.get() is not None:
        yield  # an outer guarded call reports it
        return
    refusals = []
    token = _refusals.set(refusals)
    try:
        yield
    except ConnectorError as error:
        # ldap3 even rebuilds the exception around its own class: the original
        # refusal is the one whose address is right.
        rewrapped = error.retryable or isinstance(error, PrivateAddressRefused)
        if refusals and rewrapped and error is not refusals[0]:
            raise refusals[0] from error
        raise
    finally:
        _refusals.reset(token)


def _guarded_iterator(iterator: Iterator):
    # Guard each step only: the caller's own work between two records (writing
    # rows, queueing tasks) must reach its database and Redis as usual.
    while True:
        with outbound_guard(), _plain_refusal():
            try:
                value = next(iterator)
            except StopIteration:
                return
        yield value


def guarded(method):
    """Run ``method`` inside ``outbound_guard()``; a returned iterator (a
    generator that pages through an API) is guarded while it is consumed."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with outbound_guard(), _plain_refusal():
            result = method(*args, **kwargs)
        if isinstance(result, Iterator):
            return _guarded_iterator(result)
        return result

    wrapper.__baton_guarded__ = True
    return wrapper
