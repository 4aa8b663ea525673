"""HTTP plumbing shared by the connector types that speak JSON over HTTP.

Every upstream failure becomes a ``ConnectorError`` (an outage, worth retrying)
or a ``MisconfiguredError`` (something only an admin can fix), with a reason a
person can read and the upstream request id when the system sent one. No
message ever carries a credential: texts quoted from upstream bodies are cut
short and scrubbed of the connector's secrets.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import urlsplit

import requests
from django.utils.translation import gettext_lazy as _

from .base import ConnectorError, MisconfiguredError
from .common import is_on

__all__ = [
    "REQUEST_ID_HEADERS",
    "HttpClient",
    "HttpTypeMixin",
    "OptionsMixin",
    "host_of",
    "raise_for_status",
    "request_error",
    "request_id_of",
]

# Checked in order; header lookups in ``requests`` ignore case, so X-Request-Id
# also covers X-Request-ID and x-request-id.
REQUEST_ID_HEADERS = (
    "X-Request-Id",
    "Request-Id",
    "X-Correlation-Id",
    "X-Okta-Request-Id",
    "X-Amzn-RequestId",
)

_DETAIL_KEYS = ("detail", "error_description", "message", "error", "title")
_DETAIL_LENGTH = 200


def host_of(url: str) -> str:
    """The host (and port when one is given) of ``url``, for messages."""
    try:
        return urlsplit(url).netloc.rpartition("@")[2]
    except ValueError:
        return ""


def request_id_of(response: requests.Response | None) -> str | None:
    if response is None:
        return None
    for header in REQUEST_ID_HEADERS:
        value = (response.headers.get(header) or "").strip()
        if value:
            return value[:200]
    return None


class OptionsMixin:
    """Read a setting, falling back to the default its ``Setting`` declares."""

    def option(self, name):
        value = self.config.get(name)
        if value is None or value == "":
            for spec in self.settings:
                if spec.name == name:
                    return spec.default
        return value


class HttpTypeMixin(OptionsMixin):
    """For types that keep one ``HttpClient`` in ``self.http``: build it from
    the connector's settings, and close it with the connector."""

    def url_option(self, name: str = "base_url") -> str:
        """A URL setting, trimmed and without a trailing slash."""
        return str(self.option(name) or "").strip().rstrip("/")

    def make_http(self, *, headers: dict | None = None, secrets: Iterable = ()):
        """The client, verifying TLS unless the type has a ``verify_tls``
        setting that is turned off."""
        verify = True
        if any(spec.name == "verify_tls" for spec in self.settings):
            verify = is_on(self.option("verify_tls"))
        return HttpClient(
            timeout=self.timeout, verify=verify, headers=headers, secrets=secrets
        )

    def close(self) -> None:
        self.http.close()


class HttpClient:
    """A ``requests`` session that turns failures into connector errors.

    ``system`` names the upstream in messages ("the SCIM server at …");
    ``secrets`` are scrubbed from any upstream text quoted in a message.
    """

    def __init__(
        self,
        *,
        timeout: float,
        verify: bool = True,
        headers: dict | None = None,
        secrets: Iterable[str] = (),
    ):
        self.timeout = timeout
        self.session = requests.Session()
        self.session.verify = verify
        self.session.headers.update(headers or {})
        self._secrets = {str(value) for value in secrets if value}

    def add_secret(self, value) -> None:
        if value:
            self._secrets.add(str(value))

    def close(self) -> None:
        self.session.close()

    # Sending ----------------------------------------------------------------------

    def send(self, method: str, url: str, **kwargs) -> requests.Response:
        """Send one request; network failures raise, any HTTP status returns."""
        try:
            return self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.exceptions.RequestException as error:
            raise request_error(error, url=url, timeout=self.timeout) from None

    # Reading answers --------------------------------------------------------------

    def check(
        self,
        response: requests.Response,
        *,
        refused,
        not_found=None,
    ) -> requests.Response:
        """Raise the right error for a failed status; return the response if fine.

        ``refused`` is the message for 401/403; ``not_found`` the one for 404
        (``None`` treats 404 like any other rejected request).
        """
        if response.status_code < 400:
            return response
        raise_for_status(
            response.status_code,
            host=host_of(response.url),
            request_id=request_id_of(response),
            detail=lambda: self.detail_of(response),
            refused=refused,
            not_found=not_found,
        )

    def json_of(self, response: requests.Response, *, system):
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError):
            raise ConnectorError(
                _("%(system)s answered with something that is not JSON.")
                % {"system": system},
                request_id=request_id_of(response),
            ) from None

    def detail_of(self, response: requests.Response) -> str:
        """A short, secret-free reason quoted from an error body, or ""."""
        try:
            body = response.json()
        except ValueError:
            return ""
        text = ""
        if isinstance(body, dict):
            for key in _DETAIL_KEYS:
                value = body.get(key)
                if isinstance(value, str) and value.strip():
                    text = value.strip()
                    break
                if isinstance(value, dict):
                    nested = value.get("message")
                    if isinstance(nested, str) and nested.strip():
                        text = nested.strip()
                        break
        return self.scrub(text)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "•••")
        text = " ".join(text.split())
        if len(text) > _DETAIL_LENGTH:
            text = text[: _DETAIL_LENGTH - 1] + "…"
        return text


def request_error(error, *, url: str, timeout: float) -> ConnectorError:
    """The connector error for a request that got no answer (``requests``'
    exceptions, which most vendor client libraries let through)."""
    host = host_of(url) or url
    if isinstance(error, requests.exceptions.SSLError):
        return MisconfiguredError(
            _(
                "The TLS certificate of %(host)s could not be verified. Fix the "
                "certificate or, for a test system only, turn off TLS verification."
            )
            % {"host": host}
        )
    if isinstance(error, requests.exceptions.Timeout):
        return ConnectorError(
            _("%(host)s did not answer within %(seconds)s seconds.")
            % {"host": host, "seconds": _seconds(timeout)}
        )
    if isinstance(
        error,
        (
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
            requests.exceptions.InvalidURL,
            requests.exceptions.InvalidHeader,
        ),
    ):
        return MisconfiguredError(
            _("“%(url)s” is not a URL Baton can call. Check the base URL and path.")
            % {"url": _without_query(url)}
        )
    if isinstance(error, requests.exceptions.ConnectionError):
        return ConnectorError(
            _("Could not connect to %(host)s. Is it running and reachable?")
            % {"host": host}
        )
    return ConnectorError(_("The request to %(host)s failed.") % {"host": host})


def raise_for_status(
    status: int, *, host: str, request_id=None, detail=None, refused, not_found=None
):
    """Raise the connector error a failed HTTP status means — for responses of
    ``requests`` and for the exceptions of vendor client libraries alike.

    ``refused`` is the message for 401/403; ``not_found`` the one for 404
    (``None`` treats 404 like any other rejected request); ``detail`` a callable
    giving a short, secret-free reason quoted from the body.
    """
    if status in (401, 403):
        # Never quote the body here: some servers echo the credential back.
        raise MisconfiguredError(refused, request_id=request_id)
    if status == 404 and not_found is not None:
        raise MisconfiguredError(not_found, request_id=request_id)
    if status == 429:
        raise ConnectorError(
            _("%(host)s is limiting how often Baton may call it (HTTP 429).")
            % {"host": host},
            request_id=request_id,
        )
    if status >= 500 or status == 408:
        raise ConnectorError(
            _("%(host)s failed to answer (HTTP %(status)s).")
            % {"host": host, "status": status},
            request_id=request_id,
        )
    text = detail() if detail else ""
    if text:
        message = _("%(host)s rejected the request (HTTP %(status)s): %(detail)s")
    else:
        message = _("%(host)s rejected the request (HTTP %(status)s).")
    raise MisconfiguredError(
        message % {"host": host, "status": status, "detail": text},
        request_id=request_id,
    )


def _seconds(value: float) -> str:
    return f"{value:g}"


def _without_query(url: str) -> str:
    return str(url).split("?", 1)[0][:200]
