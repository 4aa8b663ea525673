"""Talking to the directory with ldap3 (the maintained client).

One read-only connection per connector, opened on first use and bound with
the configured DN (or anonymously); a second one bound with the write DN for
access changes. Searches are paged; every failure is raised as what it means
to a person (``errors``), and a dead connection is dropped so that the next
call reconnects.
"""

from __future__ import annotations

import contextlib
import math
import socket
import ssl
from urllib.parse import urlsplit

import ldap3
from django.utils.translation import gettext
from ldap3.core import exceptions as ldap_errors
from ldap3.core import results as codes

from ...sdk.base import ConnectorError, MisconfiguredError
from .entries import Entry
from .errors import FAILURES, NEEDS_PASSWORD, failure, result_of, write_refusal

__all__ = ["LdapConnection"]

PAGE_SIZE = 500
# The LDAP paged results control (RFC 2696).
PAGED_RESULTS_OID = "1.2.840.113556.1.4.319"


class LdapConnection:
    """The connections of ``LdapConnector`` (which provides the settings)."""

    _conn = None
    _write_conn = None

    @property
    def uri(self) -> str:
        return str(self.config.get("server_uri") or "").strip()

    @property
    def bind_dn(self) -> str:
        return str(self.config.get("bind_dn") or "").strip()

    @property
    def write_bind_dn(self) -> str:
        return str(self.config.get("write_bind_dn") or "").strip() or self.bind_dn

    def _endpoint(self):
        """(host, port, use_ssl) from the server address, or MisconfiguredError."""
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
        use_ssl = scheme == "ldaps"
        return host, port or (636 if use_ssl else 389), use_ssl

    def _connection(self):
        """The read-only connection discover and access_state search with."""
        if self._conn is None:
            password = self.secrets.get("bind_password") or ""
            self._conn = self._open(self.bind_dn, password, read_only=True)
        return self._conn

    def _write_connection(self):
        if self._write_conn is not None:
            return self._write_conn
        separate = bool(str(self.config.get("write_bind_dn") or "").strip())
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
        """A bound connection. ``refused``: the message for wrong credentials
        when it is not the usual one."""
        self.require_settings()
        host, port, use_ssl = self._endpoint()
        self._resolve(host, port)
        start_tls = bool(self.config.get("start_tls")) and not use_ssl
        ca = str(self.config.get("ca_certificate") or "").strip()
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
        # The connection is being thrown away: a failing unbind changes nothing.
        with contextlib.suppress(Exception):
            conn.unbind()
        # ldap3 keeps the socket of a connect that failed.
        if getattr(conn, "socket", None) is not None:
            with contextlib.suppress(Exception):
                conn.socket.close()

    def close(self) -> None:
        for name in ("_conn", "_write_conn"):
            conn = getattr(self, name)
            if conn is not None:
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
        """Every entry of a paged search, on ``conn`` or the read-only
        connection. ``missing_ok``: a base DN that does not exist gives no
        entries instead of an error."""
        conn = conn or self._connection()
        entries = []
        cookie = None
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
                paged = controls.get(PAGED_RESULTS_OID, {}).get("value", {})
                cookie = paged.get("cookie")
                if not cookie:
                    return entries
        except FAILURES as exc:
            if missing_ok and result_of(exc) == codes.RESULT_NO_SUCH_OBJECT:
                return []
            self._raise(exc, base_dn=base_dn)

    def _modify(self, conn, dn, changes, *, unchanged=()) -> bool:
        """Apply ``changes`` to ``dn``; False when the server says they were
        already in place (a result code in ``unchanged``)."""
        try:
            conn.modify(dn, changes)
        except FAILURES as exc:
            if result_of(exc) in unchanged:
                return False
            self._raise_write(exc, dn)
        return True

    def _raise_write(self, exc, dn):
        refused = write_refusal(exc, dn=dn, account=self.write_bind_dn)
        if refused is not None:
            raise refused from exc
        self._raise(exc, base_dn=dn)

    def _raise(self, exc, *, base_dn: str = ""):
        """Raise what ``exc`` (one of ``FAILURES``) means to a person."""
        error = failure(
            exc,
            uri=self.uri,
            base_dn=base_dn,
            bind_dn=self.bind_dn,
            timeout=self.timeout,
        )
        if error is exc:
            raise exc
        if error.retryable or isinstance(exc, ldap_errors.LDAPCommunicationError):
            # A dead connection is not worth reusing: the next call reconnects.
            self.close()
        raise error from exc
