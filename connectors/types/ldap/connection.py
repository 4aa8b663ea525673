"""Talking to the directory with ldap3 (the maintained client): a read-only
connection bound with the bind DN (or anonymously), a second one bound with
the write DN for access changes, paged searches, and every ldap3 or socket
failure as a ``ConnectorError`` (worth retrying) or a ``MisconfiguredError``
(an admin must fix the connector) naming the server and DN, never the
password. A dead connection is dropped so that the next call reconnects.
"""

from __future__ import annotations

import contextlib
import math
import socket
import ssl
from urllib.parse import urlsplit

import ldap3
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from ldap3.core import exceptions as ldap_errors
from ldap3.core import results as codes

from ...sdk.base import ConnectorError, MisconfiguredError
from .entries import Entry

__all__ = ["FAILURES", "LdapConnection", "result_of"]

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
# ldap3 failures that are no result code, in the order they are told apart.
ADMIN_MUST_FIX = (
    (ldap_errors.LDAPInvalidDnError, INVALID_DN),
    (
        ldap_errors.LDAPInvalidFilterError,
        _("A search filter of the connector is not a valid LDAP filter."),
    ),
    (ldap_errors.LDAPPasswordIsMandatoryError, NEEDS_PASSWORD),
    (
        (
            ldap_errors.LDAPStartTLSError,
            ldap_errors.LDAPSSLConfigurationError,
            ldap_errors.LDAPCertificateError,
            ssl.SSLError,
        ),
        TLS_FAILED,
    ),
)
WORTH_RETRYING = (
    (
        ldap_errors.LDAPSocketOpenError,
        _(
            "Could not connect to the directory server at %(uri)s; check that it "
            "is running and reachable."
        ),
    ),
    (
        (ldap_errors.LDAPCommunicationError, OSError),
        _("The directory server at %(uri)s closed the connection."),
    ),
)
# A change the directory refuses for a reason an admin must fix.
WRITE_REFUSED = (
    codes.RESULT_OBJECT_CLASS_VIOLATION,
    codes.RESULT_UNDEFINED_ATTRIBUTE_TYPE,
    codes.RESULT_CONSTRAINT_VIOLATION,
)


def result_of(exc):
    """The LDAP result code of an ldap3 operation failure, else None."""
    return exc.result if isinstance(exc, ldap_errors.LDAPOperationResult) else None


class LdapConnection:
    """The connections of ``LdapConnector`` (which provides the settings)."""

    _conn = None
    _write_conn = None

    uri = property(lambda self: self._text("server_uri"))
    bind_dn = property(lambda self: self._text("bind_dn"))
    write_bind_dn = property(lambda self: self._text("write_bind_dn") or self.bind_dn)

    def _text(self, name) -> str:
        return str(self.config.get(name) or "").strip()

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

    def _connection(self):
        if self._conn is None:
            password = self.secrets.get("bind_password") or ""
            self._conn = self._open(self.bind_dn, password, read_only=True)
        return self._conn

    def _write_connection(self):
        if self._write_conn is not None:
            return self._write_conn
        separate = bool(self._text("write_bind_dn"))
        if not self.write_bind_dn:
            raise MisconfiguredError(
                gettext(
                    "Changing directory accounts needs an account with write "
                    "rights; set the write bind DN and its password."
                )
            )
        secret = "write_bind_password" if separate else "bind_password"
        self._write_conn = self._open(
            self.write_bind_dn,
            self.secrets.get(secret) or "",
            read_only=False,
            refused=gettext("The directory refused the write bind DN or password.")
            if separate
            else None,
        )
        return self._write_conn

    def _open(self, bind_dn, password, *, read_only, refused=None):
        """A bound connection; ``refused`` replaces the wrong-credentials message."""
        self.require_settings()
        host, port, use_ssl = self._endpoint()
        self._resolve(host, port)
        start_tls = bool(self.config.get("start_tls")) and not use_ssl
        ca = self._text("ca_certificate")
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_data=ca or None)
        server = ldap3.Server(
            host,
            port=port,
            use_ssl=use_ssl,
            tls=tls if (use_ssl or start_tls) else None,
            get_info=ldap3.NONE,
            connect_timeout=self.timeout,
        )
        if bind_dn and not password:
            raise MisconfiguredError(NEEDS_PASSWORD % {"dn": bind_dn})
        conn = ldap3.Connection(
            server,
            user=bind_dn or None,
            password=password or None,
            authentication=ldap3.SIMPLE if bind_dn else ldap3.ANONYMOUS,
            auto_bind=ldap3.AUTO_BIND_NONE,
            read_only=read_only,
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
            self._drop(conn)
            if refused and result_of(exc) == codes.RESULT_INVALID_CREDENTIALS:
                raise MisconfiguredError(refused) from exc
            self._raise(exc)
        return conn

    def _resolve(self, host, port):
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

    @staticmethod
    def _drop(conn):
        # Thrown away: a failing unbind changes nothing; ldap3 keeps the socket
        # of a connect that failed.
        with contextlib.suppress(Exception):
            conn.unbind()
        if getattr(conn, "socket", None) is not None:
            with contextlib.suppress(Exception):
                conn.socket.close()

    def close(self) -> None:
        for name in ("_conn", "_write_conn"):
            if (conn := getattr(self, name)) is not None:
                self._drop(conn)
                setattr(self, name, None)

    def _search(
        self,
        base_dn,
        search_filter,
        attributes,
        *,
        scope=ldap3.SUBTREE,
        conn=None,
        missing_ok=False,
    ) -> list[Entry]:
        """Every entry of a paged search. ``missing_ok``: a base DN that does
        not exist gives no entries instead of an error."""
        conn = conn or self._connection()
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
            self._raise(exc, base_dn=base_dn)

    def _modify(self, conn, dn, changes, *, unchanged=()) -> bool:
        """Apply ``changes``; False when a result code in ``unchanged`` says
        they were already in place."""
        try:
            conn.modify(dn, changes)
        except FAILURES as exc:
            if result_of(exc) in unchanged:
                return False
            self._raise_write(exc, dn)
        return True

    def _raise_write(self, exc, dn):
        code, values = result_of(exc), {"dn": dn, "account": self.write_bind_dn}
        if code == codes.RESULT_INSUFFICIENT_ACCESS_RIGHTS:
            message = gettext(
                "%(account)s has no write rights on %(dn)s; give it write "
                "access or set the write bind DN of the connector."
            )
        elif code == codes.RESULT_NO_SUCH_OBJECT:
            message = gettext("The directory has no entry %(dn)s any more.")
        elif code in WRITE_REFUSED:
            message = gettext("The directory refused to change %(dn)s: %(reason)s.")
            values["reason"] = getattr(exc, "description", "") or code
        else:
            self._raise(exc, base_dn=dn)
        raise MisconfiguredError(message % values) from exc

    def _raise(self, exc, *, base_dn: str = ""):
        """Raise what ``exc`` (one of ``FAILURES``) at ``base_dn`` (or while
        binding as the bind DN) means to a person."""
        if isinstance(exc, ConnectorError):
            raise exc
        error = self._failure(exc, base_dn)
        if error.retryable or isinstance(exc, ldap_errors.LDAPCommunicationError):
            self.close()  # A dead connection is not worth reusing.
        raise error from exc

    def _failure(self, exc, base_dn):
        values = {"uri": self.uri, "dn": base_dn or self.bind_dn}
        values["error"] = type(exc).__name__
        code = result_of(exc)
        if code in REFUSALS:
            if not base_dn and code == codes.RESULT_NO_SUCH_OBJECT:
                values["dn"] = exc.dn or ""
            elif not base_dn and code == codes.RESULT_INSUFFICIENT_ACCESS_RIGHTS:
                values["dn"] = self.uri
            return MisconfiguredError(REFUSALS[code] % values)
        if code is not None:
            values["reason"] = exc.description or str(code)
            if code in RETRYABLE_RESULTS:
                return ConnectorError(
                    gettext(
                        "The directory server at %(uri)s could not answer: %(reason)s."
                    )
                    % values
                )
            refused = gettext(
                "The directory server at %(uri)s refused the request: %(reason)s."
            )
            return MisconfiguredError(refused % values)
        for classes, message in ADMIN_MUST_FIX:
            if isinstance(exc, classes):
                return MisconfiguredError(message % values)
        timed_out = isinstance(exc, socket.timeout | TimeoutError)
        if (
            timed_out
            or isinstance(exc, ldap_errors.LDAPResponseTimeoutError)
            or ("timed out" in str(exc).lower())
        ):
            seconds = round(self.timeout, 1)
            values["seconds"] = int(seconds) if seconds.is_integer() else seconds
            return ConnectorError(
                ngettext(
                    "The directory server at %(uri)s did not answer within "
                    "%(seconds)s second.",
                    "The directory server at %(uri)s did not answer within "
                    "%(seconds)s seconds.",
                    1 if values["seconds"] == 1 else 2,
                )
                % values
            )
        text = str(exc).lower()
        if isinstance(exc, ldap_errors.LDAPSocketOpenError) and (
            "certificate" in text or "ssl" in text
        ):
            return MisconfiguredError(TLS_FAILED % values)
        for classes, message in WORTH_RETRYING:
            if isinstance(exc, classes):
                return ConnectorError(message % values)
        return ConnectorError(
            gettext("Talking to the directory server at %(uri)s failed (%(error)s).")
            % values
        )
