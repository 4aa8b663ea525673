"""How an ``HttpConnector`` signs in, declared as its ``auth``: a bearer
token, a key in a header of its own, HTTP basic, or app credentials traded for
a short-lived token. ``headers(connector)`` gives the fixed headers;
``prepare(connector)`` runs before every request."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .base import ConnectorError, MisconfiguredError
from .client import host_of
from .pagination import dig

__all__ = ["Basic", "Bearer", "Header", "TokenExchange", "TokenRefused"]


@dataclass(frozen=True)
class Bearer:
    """``Authorization: <scheme> <secret>``."""

    secret: str = "token"  # noqa: S105 - the name of the secret, not its value
    scheme: str = "Bearer"
    header: str = "Authorization"

    def headers(self, connector) -> dict:
        token = connector.secrets.get(self.secret)
        if not token:
            return {}
        value = f"{self.scheme} {token}" if self.scheme else str(token)
        return {self.header: value}

    def prepare(self, connector) -> None:
        """Called before every request (token exchanges fetch here)."""


@dataclass(frozen=True)
class Header(Bearer):
    """The secret as the value of a header of its own, e.g. ``X-Api-Key``."""

    header: str = "X-Api-Key"
    scheme: str = ""


@dataclass(frozen=True)
class Basic:
    """HTTP basic authentication: a user name setting and a secret."""

    username: str = "username"
    secret: str = "password"  # noqa: S105 - the name of the secret

    def headers(self, connector) -> dict:
        return {}

    def prepare(self, connector) -> None:
        user = str(connector.option(self.username) or "").strip()
        connector.http.session.auth = (user, connector.secrets.get(self.secret) or "")


class TokenRefused(MisconfiguredError):
    """An API said in its answer's body, not by HTTP 401, that it no longer
    takes the token (WeCom's errcode 42001, say): a type's ``check_response``
    raises it, and the request trades the credentials again once, as after a
    401, when ``TokenExchange(renew_refused=True)``."""


@dataclass(frozen=True)
class TokenExchange:
    """App credentials traded for a short-lived access token (OAuth client
    credentials, Feishu's tenant token, DingTalk's access token).

    ``body(connector)`` builds the exchange request's JSON; ``token`` and
    ``expires`` are dotted paths in the answer (``expires`` in seconds).
    OAuth 2.0 token endpoints (RFC 6749 §4.4) take a ``form`` instead, and may
    want the client's id and secret as HTTP basic: ``credentials(connector)``
    gives that pair. ``refused`` is said when the exchange answers 400/401/403
    (``%(host)s`` the host asked, ``%(detail)s`` " (reason)" or ""), ``no_token``
    when the answer holds none (``%(host)s``); ``refused_message`` otherwise.
    ``renew_refused`` trades again, once, when a server refuses a cached token.
    Some platforms trade with a GET (``method``) whose ``query(connector)``
    holds the credentials, and want the token as a query parameter (``param``)
    rather than a header (WeCom's ``access_token``).
    """

    path: str
    body: Any = None
    token: str = "access_token"  # noqa: S105 - where the answer holds it
    expires: str = "expires_in"
    scheme: str = "Bearer"
    header: str = "Authorization"
    secrets: tuple = ()
    form: bool = False
    credentials: Any = None
    refused: Any = None
    no_token: Any = None
    # Seconds before the announced expiry at which a token is renewed.
    margin: float = 60
    renew_refused: bool = False
    method: str = "POST"
    query: Any = None
    param: str | None = None

    def headers(self, connector) -> dict:
        return {}

    def prepare(self, connector) -> None:
        cached = connector._exchanged
        if cached and cached[1] > time.monotonic() + self.margin:
            return
        answer = connector.json_of(self._exchange(connector))
        token = dig(answer, self.token)
        if not token and self.no_token:
            raise ConnectorError(
                self.no_token % {"host": host_of(connector.url(self.path))},
                retryable=False,
            )
        if not token:
            raise MisconfiguredError(
                connector.refused_message % connector.message_values()
            )
        lifetime = dig(answer, self.expires) or 3600
        try:
            lifetime = float(lifetime)
        except (TypeError, ValueError):
            lifetime = 3600.0
        connector._exchanged = (str(token), time.monotonic() + lifetime)
        connector.http.add_secret(token)
        session = connector.http.session
        if self.param:
            session.params = {**(session.params or {}), self.param: str(token)}
            return
        value = f"{self.scheme} {token}" if self.scheme else str(token)
        session.headers[self.header] = value

    def _exchange(self, connector):
        # Never the token being replaced: requests drops a header or a query
        # parameter set to None.
        options = {"headers": {self.header: None}}
        if self.param or self.query is not None:
            query = self.query(connector) if self.query is not None else {}
            options["params"] = {**({self.param: None} if self.param else {}), **query}
        if self.body is not None:
            options["data" if self.form else "json"] = self.body(connector)
        if self.credentials is not None:
            options["auth"] = self.credentials(connector)
        refusals = (400, 401, 403) if self.refused else ()
        response = connector.request(
            self.method, self.path, authenticate=False, allow=refusals, **options
        )
        if response.status_code in refusals:
            detail = connector.http.detail_of(response)
            raise MisconfiguredError(
                self.refused
                % {
                    "host": host_of(response.url),
                    "detail": f" ({detail})" if detail else "",
                },
                request_id=connector.request_id(response),
            )
        return response
