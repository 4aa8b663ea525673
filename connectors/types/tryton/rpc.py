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
from functools import cached_property
from urllib.parse import quote, urlsplit

from django.utils.translation import gettext_lazy as _
from proteus import Model
from proteus import config as proteus_config

from ...sdk.base import ConnectorError, MisconfiguredError
from ...sdk.client import host_of, raise_for_status
from ...sdk.common import is_on

__all__ = ["TrytonRpc"]

REFUSED = _("Tryton refused the user name or password for database “%(database)s”.")
NO_DATABASE = _("There is no database “%(database)s” on the Tryton server at %(host)s.")
TIMEOUT = _("The Tryton server at %(host)s did not answer within %(seconds)s seconds.")
TLS = _(
    "The TLS certificate of %(host)s could not be verified. Fix the "
    "certificate or, for a test system only, turn off TLS verification."
)
UNREACHABLE = _(
    "Could not connect to the Tryton server at %(host)s. Is it running and reachable?"
)
NOT_TRYTON = _("%(host)s did not answer like a Tryton server. Check the server URL.")
# Tryton's fault codes: 1 UserError, 2 UserWarning, 3 LoginException (below),
# 4 ConcurrencyException.
USER_ERROR = _("Tryton refused: %(detail)s")
FAULTS = {1: USER_ERROR, 2: USER_ERROR}
FAULTS[4] = _("Someone changed the record in Tryton at the same time: %(detail)s")
FAULT = _("The Tryton server at %(host)s failed while answering: %(detail)s")
# What xmlrpc.client, http.client or proteus may raise (the last: choking on
# an answer that is not Tryton's).
FAILURES = (OSError, http.client.HTTPException, xml.parsers.expat.ExpatError)
FAILURES += (xmlrpc.client.Error, ValueError, TypeError, KeyError, IndexError)


class _Transport(xmlrpc.client.SafeTransport):
    """HTTP or HTTPS, each connection bounded by the timeout (xmlrpc.client
    has none of its own)."""

    def __init__(self, connector, headers=()):
        context = ssl.create_default_context()
        if not is_on(connector.option("verify_tls")):
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        super().__init__(use_builtin_types=True, headers=headers, context=context)
        self.https = connector.rpc_url.startswith("https:")
        self.timeout = connector.timeout

    def make_connection(self, host):
        if self.https:
            connection = super().make_connection(host)
        else:
            connection = xmlrpc.client.Transport.make_connection(self, host)
        connection.timeout = self.timeout
        return connection


class TrytonRpc:
    """The session of ``TrytonConnector`` and the calls made through it."""

    @property
    def host(self) -> str:
        return host_of(str(self.option("url")).strip())

    @property
    def database(self) -> str:
        return str(self.option("database")).strip()

    @property
    def username(self) -> str:
        return str(self.option("username")).strip()

    @property
    def rpc_url(self) -> str:
        parts = urlsplit(str(self.option("url")).strip())
        path = f"{parts.path.rstrip('/')}/{quote(self.database, safe='')}/rpc/"
        return f"{parts.scheme}://{self.host}{path}"

    @cached_property
    def proteus(self) -> proteus_config.XmlrpcConfig:
        """The logged-in configuration, once the settings are known to be usable."""
        self.require_settings()
        server = xmlrpc.client.ServerProxy(
            self.rpc_url, transport=_Transport(self), allow_none=True
        )
        with self.errors():
            password = {"password": self.secrets["password"]}
            answer = server.common.db.login(self.username, password, "en")
            user_id, session = int(answer[0]), answer[1]
            token = base64.b64encode(f"{self.username}:{user_id}:{session}".encode())
            header = ("Authorization", f"Session {token.decode()}")
            return proteus_config.XmlrpcConfig(
                self.rpc_url, transport=_Transport(self, [header])
            )

    def call(self, model: str, method: str, *args, context=None):
        """``model.method(*args)`` across every company the login may see."""
        full_context = {
            **self.proteus.context,
            "company_filter": "all",
            **(context or {}),
        }
        with self.errors():
            return getattr(self.proteus.get_proxy(model), method)(*args, full_context)

    def search_read(self, model, domain, fields, *, order=None, context=None):
        return self.call(
            model, "search_read", domain, 0, None, order, fields, context=context
        )

    def point(self, model: str, record_id: int, field: str, target: str, value):
        """Set one record's many-to-one ``field`` to record ``value`` of model
        ``target``, saved through proteus (which runs Tryton's on-changes)."""
        with self.errors():
            record = Model.get(model, config=self.proteus)(record_id)
            setattr(record, field, Model.get(target, config=self.proteus)(value))
            record.save()

    def close(self) -> None:
        config = self.__dict__.pop("proteus", None)
        if config is None:
            return
        # Leaving is best effort: the session expires on the server anyway.
        for leave in (config.server.common.db.logout, config.server("close")):
            with contextlib.suppress(*FAILURES):
                leave()

    @contextlib.contextmanager
    def errors(self):
        try:
            yield
        except ConnectorError:
            raise
        except FAILURES as error:
            raise self._translated(error) from None

    def _translated(self, error) -> ConnectorError:
        values = {"host": self.host, "database": self.database}
        if isinstance(error, xmlrpc.client.ProtocolError):
            raise_for_status(
                error.errcode,
                host=self.host,
                refused=REFUSED % values,
                not_found=NO_DATABASE % values,
            )
        if isinstance(error, xmlrpc.client.Fault):
            if error.faultCode == 3:
                return MisconfiguredError(REFUSED % values)
            detail = str(error.faultString).replace(self.secrets["password"], "•••")
            values["detail"] = " ".join(detail.split())[:200]
            message = FAULTS.get(error.faultCode, FAULT)
            # What the user must change stays wrong however often it is tried.
            return ConnectorError(message % values, retryable=message is not USER_ERROR)
        # TLS failures and timeouts are OSErrors too.
        if isinstance(error, TimeoutError):
            return ConnectorError(TIMEOUT % {**values, "seconds": f"{self.timeout:g}"})
        if isinstance(error, ssl.SSLCertVerificationError):
            return MisconfiguredError(TLS % values)
        if isinstance(error, (OSError, http.client.HTTPException)):
            return ConnectorError(UNREACHABLE % values)
        return MisconfiguredError(NOT_TRYTON % values)
