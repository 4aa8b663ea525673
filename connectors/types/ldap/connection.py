"""Talking to the directory with ldap3 (the maintained client): a read-only
connection bound with the bind DN (or anonymously), a second one bound with
the write DN for access changes, paged searches, and every ldap3 or socket
failure as a ``ConnectorError`` (worth retrying) or a ``MisconfiguredError``
(an admin must fix the connector) naming the server and DN, never the
password. A dead connection is dropped so that the next call reconnects.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import re
import socket
import ssl
from urllib.parse import urlsplit

import ldap3
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from ldap3.core import exceptions as ldap_errors
from ldap3.core import results as codes
from ldap3.utils.ciDict import CaseInsensitiveDict
from ldap3.utils.dn import parse_dn

from ...sdk.base import ConnectorError, MisconfiguredError

__all__ = ["FAILURES", "Entry", "LdapConnection", "ldap_date", "normal_dn"]

PAGE_SIZE = 500
PAGED_RESULTS_OID = "1.2.840.113556.1.4.319"  # RFC 2696
# ldap3's failures, the socket's, and the outbound guard's refusal.
FAILURES = (ldap_errors.LDAPException, OSError, ConnectorError)
# The server is overloaded or going down: try again later.
RETRYABLE_RESULTS = frozenset(
    {
        codes.RESULT_BUSY,
        codes.RESULT_UNAVAILABLE,
        codes.RESULT_TIME_LIMIT_EXCEEDED,
        codes.RESULT_ADMIN_LIMIT_EXCEEDED,
        codes.RESULT_OTHER,
    }
)
NEEDS_PASSWORD = _("The bind DN %(dn)s needs a password; add it to the connector.")
INVALID_DN = _("“%(dn)s” is not a valid DN.")
TLS_FAILED = _(
    "TLS with the directory server at %(uri)s failed; check its certificate and "
    "the CA certificate setting."
)
ENCRYPTION_REQUIRED = _(
    "The directory requires an encrypted connection: use ldaps:// or turn on StartTLS."
)
# Result codes only an admin can fix.
REFUSALS = {
    codes.RESULT_INVALID_CREDENTIALS: _(
        "The directory refused the bind DN or password."
    ),
    codes.RESULT_NO_SUCH_OBJECT: _(
        "The directory has no entry %(dn)s; check the base DN."
    ),
    codes.RESULT_INVALID_DN_SYNTAX: INVALID_DN,
    codes.RESULT_INSUFFICIENT_ACCESS_RIGHTS: _("The bind DN may not read %(dn)s."),
    codes.RESULT_INAPPROPRIATE_AUTHENTICATION: _(
        "The directory does not accept this kind of bind; set a bind DN and password."
    ),
    codes.RESULT_STRONGER_AUTH_REQUIRED: ENCRYPTION_REQUIRED,
    codes.RESULT_CONFIDENTIALITY_REQUIRED: ENCRYPTION_REQUIRED,
}
# What the write bind is refused for a reason an admin must fix.
CHANGE_REFUSED = _("The directory refused to change %(dn)s: %(reason)s.")
WRITE_REFUSALS = {
    codes.RESULT_INSUFFICIENT_ACCESS_RIGHTS: _(
        "%(account)s has no write rights on %(dn)s; give it write access or set "
        "the write bind DN of the connector."
    ),
    codes.RESULT_NO_SUCH_OBJECT: _("The directory has no entry %(dn)s any more."),
    codes.RESULT_OBJECT_CLASS_VIOLATION: CHANGE_REFUSED,
    codes.RESULT_UNDEFINED_ATTRIBUTE_TYPE: CHANGE_REFUSED,
    codes.RESULT_CONSTRAINT_VIOLATION: CHANGE_REFUSED,
}
TLS_ERRORS = (
    ldap_errors.LDAPStartTLSError,
    ldap_errors.LDAPSSLConfigurationError,
    ldap_errors.LDAPCertificateError,
    ssl.SSLError,
)
# ldap3 failures that are no result code, in the order they are told apart,
# and the error each is (``ConnectorError``: trying again may help).
FAILURE_MESSAGES = (
    (ldap_errors.LDAPInvalidDnError, INVALID_DN, MisconfiguredError),
    (
        ldap_errors.LDAPInvalidFilterError,
        _("A search filter of the connector is not a valid LDAP filter."),
        MisconfiguredError,
    ),
    (TLS_ERRORS, TLS_FAILED, MisconfiguredError),
    (
        ldap_errors.LDAPSocketOpenError,
        _(
            "Could not connect to the directory server at %(uri)s; check that it "
            "is running and reachable."
        ),
        ConnectorError,
    ),
    (
        (ldap_errors.LDAPCommunicationError, OSError),
        _("The directory server at %(uri)s closed the connection."),
        ConnectorError,
    ),
)
# uniqueMember may carry a trailing #'bitstring' uid.
UNIQUE_MEMBER_UID = re.compile(rb"#'[01]*'B$")
# Active Directory's FILETIME: 100-nanosecond ticks since 1601-01-01 UTC; 0 and
# the largest value mean "never expires".
FILETIME_EPOCH = datetime.datetime(1601, 1, 1, tzinfo=datetime.UTC)
FILETIME_NEVER = (0, 0x7FFFFFFFFFFFFFFF)
# 2026-12-31, 20261231 or a generalized time 20261231160000Z.
TEXT_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})")


def result_of(exc):
    """The LDAP result code of an ldap3 operation failure, else None."""
    return exc.result if isinstance(exc, ldap_errors.LDAPOperationResult) else None


def dn_parts(dn) -> list:
    """The (attribute, value, separator) parts of a DN; [] when it is none."""
    try:
        return parse_dn(dn, escape=False, strip=True)
    except Exception:  # noqa: BLE001 - anything unparsable is not a DN
        return []


def normal_dn(dn: str) -> str:
    """``dn`` as DNs compare (case and spaces aside); unparsable ones as text."""
    parts = dn_parts(dn)
    text = ",".join(f"{name.strip()}={value.strip()}" for name, value, _s in parts)
    return (text if parts else dn.strip()).lower()


class Entry:
    """A search result: attributes depend on the settings, so they are read by
    name (in any case) from the bytes received."""

    def __init__(self, response: dict):
        self.dn: str = response["dn"]
        self.raw = CaseInsensitiveDict(response.get("raw_attributes") or {})

    def raw_values(self, name: str) -> list[bytes]:
        return list(self.raw.get(name) or ()) if name else []

    def texts(self, name: str) -> list[str]:
        values = self.raw_values(name)
        return [value.decode(errors="replace") for value in values if value]

    def first(self, name: str) -> str:
        return next(iter(self.texts(name)), "")

    def members(self) -> tuple[dict[str, list], bool]:
        """Normalised member DN -> the (attribute, value) pairs listing it, and
        whether that is every member (Active Directory sends large groups in
        ranges, ``member;range=0-1499``)."""
        members, complete = {}, True
        for name, values in self.raw.items():
            base, _sep, option = name.partition(";")
            if base.lower() not in ("member", "uniquemember"):
                continue
            if option.lower().startswith("range=") and not option.endswith("-*"):
                complete = False
            for value in values:
                dn = UNIQUE_MEMBER_UID.sub(b"", value).decode(errors="replace")
                members.setdefault(normal_dn(dn), []).append((base, value))
        return members, complete


def ldap_date(value: str, attribute: str) -> datetime.date | None:
    """The last working day a value stands for; None for "never" or nothing."""
    text, name = value.strip(), attribute.lower()
    if not text:
        return None
    if name == "shadowexpire":
        # shadow(5): the account is expired from that day on; -1 is "never".
        days = int(text) - 1
        return (
            datetime.date(1970, 1, 1) + datetime.timedelta(days) if days >= 0 else None
        )
    if name == "accountexpires" or (text.isdigit() and len(text) > 14):
        if int(text) in FILETIME_NEVER:
            return None
        expires = FILETIME_EPOCH + datetime.timedelta(microseconds=int(text) // 10)
        # "End of 31 December" is stored as midnight starting 1 January (local).
        return timezone.localtime(expires - datetime.timedelta(seconds=1)).date()
    match = TEXT_DATE.match(text)
    if match is None:
        raise ValueError(text)
    return datetime.date(*(int(part) for part in match.groups()))


def _drop(conn):
    # Thrown away: a failing unbind changes nothing; ldap3 keeps the socket of
    # a connect that failed.
    with contextlib.suppress(Exception):
        conn.unbind()
    with contextlib.suppress(Exception):
        conn.socket.close()


class LdapConnection:
    """The connections of ``LdapConnector`` (which provides the settings)."""

    uri = property(lambda self: self._text("server_uri"))
    bind_dn = property(lambda self: self._text("bind_dn"))
    write_bind_dn = property(lambda self: self._text("write_bind_dn") or self.bind_dn)

    def _text(self, name) -> str:
        return str(self.option(name) or "").strip()

    def _endpoint(self):
        """(host, port, use_ssl) from the server address."""
        try:
            parts = urlsplit(self.uri)
            scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
        except ValueError:
            scheme = host = port = None
        if scheme not in ("ldap", "ldaps") or not host:
            raise MisconfiguredError(
                gettext(
                    "“%(uri)s” is not an LDAP server address; write it as "
                    "ldap://host:389 or ldaps://host:636."
                )
                % {"uri": self.uri}
            )
        return host, port or (636 if scheme == "ldaps" else 389), scheme == "ldaps"

    def _connection(self, *, write=False):
        """The read (or write) connection, bound on first use."""
        conns = self.__dict__.setdefault("_conns", {})
        if write not in conns:
            conns[write] = self._open(write)
        return conns[write]

    def close(self) -> None:
        for conn in self.__dict__.pop("_conns", {}).values():
            _drop(conn)

    def _open(self, write: bool):
        self.require_settings()
        separate = write and bool(self._text("write_bind_dn"))
        bind_dn = self.write_bind_dn if write else self.bind_dn
        password = self.secrets.get(
            "write_bind_password" if separate else "bind_password"
        )
        if write and not bind_dn:
            raise MisconfiguredError(
                gettext(
                    "Changing directory accounts needs an account with write "
                    "rights; set the write bind DN and its password."
                )
            )
        if bind_dn and not password:
            raise MisconfiguredError(NEEDS_PASSWORD % {"dn": bind_dn})
        host, port, use_ssl = self._endpoint()
        self._resolve(host, port)
        start_tls = bool(self.option("start_tls")) and not use_ssl
        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED,
            ca_certs_data=self._text("ca_certificate") or None,
        )
        server = ldap3.Server(
            host,
            port=port,
            use_ssl=use_ssl,
            tls=tls if (use_ssl or start_tls) else None,
            get_info=ldap3.NONE,
            connect_timeout=self.timeout,
        )
        conn = ldap3.Connection(
            server,
            user=bind_dn or None,
            password=password or None,
            authentication=ldap3.SIMPLE if bind_dn else ldap3.ANONYMOUS,
            read_only=not write,
            raise_exceptions=True,
            auto_referrals=False,
            # ldap3 packs this into SO_RCVTIMEO as whole seconds.
            receive_timeout=max(1, math.ceil(self.timeout)),
            return_empty_attributes=False,
        )
        try:
            conn.open()
            if start_tls:
                conn.start_tls()
            conn.bind()
        except FAILURES as exc:
            _drop(conn)
            if separate and result_of(exc) == codes.RESULT_INVALID_CREDENTIALS:
                raise MisconfiguredError(
                    gettext("The directory refused the write bind DN or password.")
                ) from exc
            self._raise(exc)
        return conn

    def _resolve(self, host, port):
        """A host that does not exist is for an admin to fix, not retried."""
        try:
            socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            if exc.errno == socket.EAI_AGAIN:
                raise ConnectorError(
                    gettext(
                        "Looking up the directory server %(host)s failed; "
                        "try again later."
                    )
                    % {"host": host}
                ) from exc
            raise MisconfiguredError(
                gettext("The directory server host %(host)s does not exist.")
                % {"host": host}
            ) from exc

    def _search(
        self,
        base_dn,
        search_filter,
        attributes,
        *,
        scope=ldap3.SUBTREE,
        write=False,
        missing_ok=False,
    ) -> list[Entry]:
        """Every entry of a paged search (with the write bind when ``write``).
        ``missing_ok``: a base DN that does not exist gives no entries instead
        of an error."""
        conn = self._connection(write=write)
        entries, cookie = [], None
        try:
            while True:
                conn.search(
                    base_dn,
                    search_filter,
                    search_scope=scope,
                    attributes=attributes,
                    paged_size=PAGE_SIZE if scope != ldap3.BASE else None,
                    paged_cookie=cookie,
                )
                entries += [
                    Entry(item)
                    for item in conn.response or ()
                    if item.get("type") == "searchResEntry"
                ]
                if conn.result.get("result") == codes.RESULT_REFERRAL and not entries:
                    # The base DN lives in another directory (or nowhere).
                    raise ldap_errors.LDAPOperationResult(
                        result=codes.RESULT_NO_SUCH_OBJECT, dn=base_dn
                    )
                controls = conn.result.get("controls") or {}
                cookie = controls.get(PAGED_RESULTS_OID, {}).get("value", {})
                if not (cookie := cookie.get("cookie")):
                    return entries
        except FAILURES as exc:
            if missing_ok and result_of(exc) == codes.RESULT_NO_SUCH_OBJECT:
                return []
            self._raise(exc, dn=base_dn)

    def _modify(self, dn, changes, *, unchanged=()) -> bool:
        """Apply ``changes`` with the write bind; False when a result code in
        ``unchanged`` says they were already in place."""
        try:
            self._connection(write=True).modify(dn, changes)
        except FAILURES as exc:
            if result_of(exc) in unchanged:
                return False
            self._raise(exc, dn=dn, write=True)
        return True

    def _raise(self, exc, *, dn: str = "", write=False):
        """Raise what ``exc`` (one of ``FAILURES``) at ``dn`` (or while binding
        as the bind DN) means to a person; a dead connection is dropped."""
        if isinstance(exc, ConnectorError):
            raise exc
        error = self._failure(exc, dn or self.bind_dn, write)
        if error.retryable:
            self.close()
        raise error from exc

    def _failure(self, exc, dn, write) -> ConnectorError:
        code = result_of(exc)
        values = {"uri": self.uri, "dn": dn, "account": self.write_bind_dn}
        values["reason"] = getattr(exc, "description", "") or str(code)
        refusals = {**REFUSALS, **WRITE_REFUSALS} if write else REFUSALS
        if code in refusals:
            return MisconfiguredError(refusals[code] % values)
        if code in RETRYABLE_RESULTS:
            message = gettext(
                "The directory server at %(uri)s could not answer: %(reason)s."
            )
            return ConnectorError(message % values)
        if code is not None:
            message = gettext(
                "The directory server at %(uri)s refused the request: %(reason)s."
            )
            return MisconfiguredError(message % values)
        text = str(exc).lower()
        if isinstance(exc, TimeoutError | ldap_errors.LDAPResponseTimeoutError) or (
            "timed out" in text
        ):
            values["seconds"] = f"{self.timeout:g}"
            return ConnectorError(
                ngettext(
                    "The directory server at %(uri)s did not answer within "
                    "%(seconds)s second.",
                    "The directory server at %(uri)s did not answer within "
                    "%(seconds)s seconds.",
                    1 if self.timeout == 1 else 2,
                )
                % values
            )
        if isinstance(exc, ldap_errors.LDAPSocketOpenError) and (
            "certificate" in text or "ssl" in text
        ):
            return MisconfiguredError(TLS_FAILED % values)
        for classes, message, error in FAILURE_MESSAGES:
            if isinstance(exc, classes):
                return error(message % values)
        values["error"] = type(exc).__name__
        return ConnectorError(
            gettext("Talking to the directory server at %(uri)s failed (%(error)s).")
            % values
        )
