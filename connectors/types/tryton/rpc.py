"""XML-RPC to ``<url>/<database>/rpc/`` through proteus (the maintained client):
one session per connector run (one password check, not one per call), each call
bounded by the connector's timeout, every failure translated here into a
``ConnectorError`` (an outage: worth retrying) or a ``MisconfiguredError`` (an
admin must act). Messages never carry the password."""

from __future__ import annotations

import base64
import contextlib
import http.client
import ssl
import xml.parsers.expat
import xmlrpc.client
from urllib.parse import quote, urlsplit

from django.utils.translation import gettext_lazy as _
from proteus import Model
from proteus import config as proteus_config

from ...sdk.base import ConnectorError, MisconfiguredError

__all__ = ["TrytonSession"]

DETAIL_LIMIT = 200
NOT_TRYTON = _("%(host)s did not answer like a Tryton server. Check the server URL.")
# What each failure is said to be.
MESSAGES = {
    "refused": _(
        "Tryton refused the user name or password for database “%(database)s”."
    ),
    "user": _("Tryton refused: %(detail)s"),
    "concurrency": _(
        "Someone changed the record in Tryton at the same time: %(detail)s"
    ),
    "fault": _("The Tryton server at %(host)s failed while answering: %(detail)s"),
    404: _("There is no database “%(database)s” on the Tryton server at %(host)s."),
    429: _(
        "The Tryton server at %(host)s is refusing logins for a while after too "
        "many failed attempts (HTTP 429)."
    ),
    "failed": _("The Tryton server at %(host)s failed to answer (HTTP %(status)s)."),
    "rejected": _(
        "%(host)s rejected the call (HTTP %(status)s). Is %(url)s the address of "
        "a Tryton server?"
    ),
    "timeout": _(
        "The Tryton server at %(host)s did not answer within %(seconds)s seconds."
    ),
    "tls": _(
        "The TLS certificate of %(host)s could not be verified. Fix the "
        "certificate or, for a test system only, turn off TLS verification."
    ),
    "unreachable": _(
        "Could not connect to the Tryton server at %(host)s. Is it running and "
        "reachable?"
    ),
    "not_tryton": NOT_TRYTON,
    # proteus or xmlrpc.client choking on an unexpected answer.
    "unreadable": NOT_TRYTON,
}
ADMIN_MUST_ACT = {"refused", 404, "rejected", "tls", "not_tryton"}
NOT_RETRYABLE = {"user", "unreadable"}
# Tryton's fault codes: UserError, UserWarning, LoginException, ConcurrencyException.
FAULTS = {1: "user", 2: "user", 3: "refused", 4: "concurrency"}
# Checked in order (TLS failures and timeouts are OSErrors too).
EXCEPTIONS = (
    ((TimeoutError,), "timeout"),
    ((ssl.SSLCertVerificationError,), "tls"),
    ((OSError, http.client.HTTPException), "unreachable"),
    ((xml.parsers.expat.ExpatError, xmlrpc.client.Error), "not_tryton"),
    ((ValueError, TypeError, KeyError, IndexError), "unreadable"),
)
_FAILURES = tuple(error for errors, _kind in EXCEPTIONS for error in errors)


class _Transport(xmlrpc.client.SafeTransport):
    """HTTP or HTTPS, each connection bounded by the timeout (xmlrpc.client
    has none of its own)."""

    def __init__(self, session: TrytonSession, headers=()):
        context = ssl.create_default_context()
        if not session.verify_tls:
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        super().__init__(use_builtin_types=True, headers=headers, context=context)
        self.https, self.timeout = session.https, session.timeout

    def make_connection(self, host):
        if self.https:
            connection = super().make_connection(host)
        else:
            connection = xmlrpc.client.Transport.make_connection(self, host)
        connection.timeout = self.timeout
        return connection


class TrytonSession:
    """A logged-in proteus configuration and the calls made through it."""

    def __init__(self, *, url, database, username, password, timeout, verify_tls):
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.netloc.rpartition("@")[2]
        self.public_url = f"{parts.scheme}://{self.host}{parts.path}"[:200]
        path = f"{parts.path.rstrip('/')}/{quote(database, safe='')}/rpc/"
        self.rpc_url = f"{parts.scheme}://{self.host}{path}"
        self.database, self.username, self.password = database, username, password
        self.timeout, self.verify_tls = timeout, verify_tls
        self._config = None

    def config(self):
        if self._config is None:
            server = xmlrpc.client.ServerProxy(
                self.rpc_url, transport=_Transport(self), allow_none=True
            )
            with self.errors():
                answer = server.common.db.login(
                    self.username, {"password": self.password}, "en"
                )
                try:
                    user_id, session = int(answer[0]), str(answer[1])
                except (TypeError, ValueError, IndexError):
                    raise xmlrpc.client.ResponseError() from None
                token = f"{self.username}:{user_id}:{session}".encode()
                header = f"Session {base64.b64encode(token).decode()}"
                self._config = proteus_config.XmlrpcConfig(
                    self.rpc_url,
                    transport=_Transport(self, [("Authorization", header)]),
                )
        return self._config

    def call(self, model: str, method: str, *args, context=None):
        """``model.method(*args)`` across every company the login may see."""
        config = self.config()
        full_context = {**config.context, "company_filter": "all", **(context or {})}
        with self.errors():
            return getattr(config.get_proxy(model), method)(*args, full_context)

    def point(self, model: str, record_id: int, field: str, target: str, value):
        """Set one record's many-to-one ``field`` to record ``value`` of model
        ``target``, saved through proteus (which runs Tryton's on-changes)."""
        config = self.config()
        with self.errors():
            record = Model.get(model, config=config)(record_id)
            setattr(record, field, Model.get(target, config=config)(value))
            record.save()

    def close(self) -> None:
        config, self._config = self._config, None
        if config is None:
            return
        # Leaving is best effort: the session expires on the server anyway.
        with contextlib.suppress(ConnectorError, *_FAILURES):
            config.server.common.db.logout()
        with contextlib.suppress(ConnectorError, *_FAILURES):
            config.server("close")()

    @contextlib.contextmanager
    def errors(self):
        try:
            yield
        except ConnectorError:
            raise
        except _FAILURES as error:
            raise self._translated(error) from None

    def _translated(self, error) -> ConnectorError:
        status = getattr(error, "errcode", None)
        if isinstance(error, xmlrpc.client.Fault):
            kind = FAULTS.get(error.faultCode, "fault")
        elif status in (401, 403):
            kind = "refused"
        elif status in (404, 429):
            kind = status
        elif status is not None:
            kind = "failed" if status >= 500 or status == 408 else "rejected"
        else:
            kind = next(kind for types, kind in EXCEPTIONS if isinstance(error, types))
        message = MESSAGES[kind] % {
            "host": self.host,
            "database": self.database,
            "seconds": f"{self.timeout:g}",
            "url": self.public_url,
            "status": status,
            "detail": self._scrub(getattr(error, "faultString", "")),
        }
        if kind in ADMIN_MUST_ACT:
            return MisconfiguredError(message)
        return ConnectorError(message, retryable=kind not in NOT_RETRYABLE)

    def _scrub(self, text) -> str:
        text = str(text or "")
        if self.password:
            text = text.replace(self.password, "•••")
        text = " ".join(text.split()).rstrip(" -")
        if len(text) > DETAIL_LIMIT:
            text = text[: DETAIL_LIMIT - 1] + "…"
        return text
