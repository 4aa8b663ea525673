"""``HttpConnector``: a connector type for a JSON-over-HTTP system, declared
rather than written.

A type says how it signs in (``auth``), how its lists page (``pagination``),
where its base URL comes from and which messages name a refusal; the class does
the rest once for every system: the session and TLS setting, request ids,
retries of idempotent calls on a gateway's hiccup, turning every failure into a
``ConnectorError`` (worth retrying) or ``MisconfiguredError`` (only an admin can
fix it) with a reason a person can read, secrets scrubbed from quoted text, and
settings checked against their declarations before the first call. A type then
implements only what is its own: finding the person, listing their records,
the transfer and reading it back.

    class Acme(HttpConnector):
        slug = "acme"
        auth = Bearer("token")
        pagination = PageNumber(size_param="per_page", items="results")
        settings = (BASE_URL, Setting("token", _("API token"), secret=True))

        def list_records(self, *, employee, record_kind):
            for entry in self.paginate("/projects", {"owner": employee.email}):
                yield Record(...)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import requests
from django.utils.translation import gettext_lazy as _
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .auth import Basic, Bearer, Header, TokenExchange, TokenRefused
from .base import ConnectorError, ConnectorType, MisconfiguredError, Setting
from .client import HttpClient, HttpTypeMixin, host_of, request_id_of
from .common import too_many_pages
from .pagination import Cursor, LinkHeader, Offset, PageNumber, Unpaged, dig

__all__ = [
    "BASE_URL",
    "Basic",
    "Bearer",
    "Cursor",
    "Header",
    "HttpConnector",
    "LinkHeader",
    "Offset",
    "PageNumber",
    "TokenExchange",
    "TokenRefused",
    "Unpaged",
    "dig",
]

BASE_URL = Setting("base_url", _("Base URL"), _("e.g. https://example.com"), type="url")

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


# The connector ----------------------------------------------------------------------


class HttpConnector(HttpTypeMixin, ConnectorType):
    """A connector type for a JSON-over-HTTP system (see the module docstring)."""

    auth: ClassVar[Any] = None
    pagination: ClassVar[Any] = PageNumber()
    # Where the API lives: a setting (``base_url_setting``), else this.
    base_url_setting: ClassVar[str] = "base_url"
    default_base_url: ClassVar[str] = ""
    default_headers: ClassVar[dict] = {"Accept": "application/json"}
    # Extra headers that carry the upstream request id (checked first).
    request_id_headers: ClassVar[tuple] = ()
    # Retries of idempotent calls when a gateway answers 502/503/504 or the
    # connection drops; the sync engine retries everything else later.
    retries: ClassVar[int] = 2
    max_pages: ClassVar[int] = 100
    # Shown for 401/403 (``%(host)s`` and ``%(status)s`` may be used).
    refused_message: ClassVar[Any] = _(
        "%(host)s refused Baton's credentials (HTTP %(status)s). Check the token."
    )
    not_found_message: ClassVar[Any] = None
    # Shown for 403 instead of ``refused_message`` when given (a token that may
    # not do one thing is not a wrong token); ``%(detail)s`` quotes the reason.
    forbidden_message: ClassVar[Any] = None

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self.base_url = (
            self.url_option(self.base_url_setting) or self.default_base_url
        ).rstrip("/")
        self.host = host_of(self.base_url) or self.base_url
        secret_values = [value for value in self.secrets.values() if value]
        headers = dict(self.default_headers)
        if self.auth is not None:
            headers.update(self.auth.headers(self))
        self.http: HttpClient = self.make_http(headers=headers, secrets=secret_values)
        self._exchanged = None
        self._settings_checked = False
        if self.retries:
            retry = Retry(
                total=self.retries,
                connect=self.retries,
                # Never again after a read timeout (the server may be working on
                # it), and re-raised as it is: ``read=0`` would turn it into
                # "could not connect".
                read=False,
                status=self.retries,
                status_forcelist=(502, 503, 504),
                allowed_methods=_IDEMPOTENT,
                backoff_factor=0.1,
                respect_retry_after_header=False,
                raise_on_status=False,
            )
            adapter = HTTPAdapter(max_retries=retry)
            self.http.session.mount("http://", adapter)
            self.http.session.mount("https://", adapter)

    # Messages --------------------------------------------------------------------

    def message_values(self, response: requests.Response | None = None) -> dict:
        status = response.status_code if response is not None else ""
        return {"host": self.host, "status": status}

    # Requests --------------------------------------------------------------------

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + path

    def request(
        self,
        method: str,
        path: str,
        *,
        params=None,
        json=None,
        not_found=None,
        missing_ok: bool = False,
        allow: tuple = (),
        authenticate: bool = True,
        **kwargs,
    ) -> requests.Response:
        """Send one call and return the response of a successful status.

        ``not_found`` is the message for 404 (else 404 is a rejected request);
        ``missing_ok`` returns a 404 response for the caller to read, ``allow``
        the responses of the statuses it lists (a refusal that needs words of
        its own, e.g. Jira's 400 naming why an issue cannot be assigned).
        """
        if not self._settings_checked:
            self.require_settings()
            self._settings_checked = True
        cached = self._exchanged
        if authenticate and self.auth is not None:
            self.auth.prepare(self)

        def send():
            return self.http.send(
                method, self.url(path), params=params, json=json, **kwargs
            )

        def checked(response):
            if missing_ok and response.status_code == 404:
                return response
            if response.status_code not in allow:
                self.check_response(response, not_found=not_found)
            return response

        response = send()
        if response.status_code == 401 and authenticate and self._renew_token(cached):
            response = send()
        try:
            return checked(response)
        except TokenRefused:
            if not (authenticate and self._renew_token(cached)):
                raise
        return checked(send())

    def _renew_token(self, cached) -> bool:
        """Trade the credentials for a new token once when the server refused
        a cached one (revoked early; not one fetched for this very call) and
        ``auth`` asks for it (``TokenExchange(renew_refused=True)``)."""
        if not getattr(self.auth, "renew_refused", False):
            return False
        if cached is None or cached is not self._exchanged:
            return False
        self._exchanged = None
        self.auth.prepare(self)
        return True

    def check_response(self, response: requests.Response, *, not_found=None) -> None:
        """Raise the right error for a failed status (override to read an API's
        own error envelope, then call this)."""
        forbidden = response.status_code == 403 and not self.rate_limited(response)
        if forbidden and self.forbidden_message is not None:
            detail = self.http.detail_of(response) or "-"
            raise MisconfiguredError(
                self.forbidden_message
                % {**self.message_values(response), "detail": detail},
                request_id=self.request_id(response),
            )
        if response.status_code in (401, 403) and not self.rate_limited(response):
            raise MisconfiguredError(
                self.refused_message % self.message_values(response),
                request_id=self.request_id(response),
            )
        if self.rate_limited(response):
            raise ConnectorError(
                _("%(host)s is limiting how often Baton may call it (HTTP %(status)s).")
                % self.message_values(response),
                request_id=self.request_id(response),
            )
        try:
            self.http.check(response, refused=self.refused_message, not_found=not_found)
        except ConnectorError as error:
            error.request_id = self.request_id(response)
            raise

    def rate_limited(self, response: requests.Response) -> bool:
        return response.status_code == 429

    def request_id(self, response: requests.Response | None) -> str | None:
        if response is None:
            return None
        for header in self.request_id_headers:
            value = (response.headers.get(header) or "").strip()
            if value:
                return value[:200]
        return request_id_of(response)

    def json_of(self, response: requests.Response):
        """The answer's JSON ({} for an empty answer), cached on the response."""
        cached = getattr(response, "_baton_json", None)
        if cached is not None:
            return cached
        if response.status_code == 204 or not response.content:
            answer = {}
        else:
            try:
                answer = self.http.json_of(response, system=self.host)
            except ConnectorError as error:
                error.request_id = self.request_id(response)
                raise
        response._baton_json = answer
        return answer

    def value_at(self, response: requests.Response, path: str):
        """The value at ``path`` (dotted) in the answer, None where the way
        ends; pagination reads cursors and totals with it (override to read
        paths another way, e.g. JMESPath)."""
        return dig(self.json_of(response), path)

    def request_json(self, method: str, path: str, **kwargs):
        return self.json_of(self.request(method, path, **kwargs))

    def get(self, path: str, params=None, **kwargs):
        """GET and return the JSON answer."""
        return self.request_json("GET", path, params=params, **kwargs)

    def post(self, path: str, json=None, **kwargs):
        return self.request_json("POST", path, json=json, **kwargs)

    def put(self, path: str, json=None, **kwargs):
        return self.request_json("PUT", path, json=json, **kwargs)

    def patch(self, path: str, json=None, **kwargs):
        return self.request_json("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.request_json("DELETE", path, **kwargs)

    # Lists -----------------------------------------------------------------------

    def entries_of(self, response: requests.Response, items: str | None) -> list:
        """The list of objects at ``items`` (dotted) in the answer; entries
        that are not objects are left out; a list that is not there (404 of a
        request made with ``missing_ok``) is empty."""
        if response.status_code == 404:
            return []
        entries = dig(self.json_of(response), items)
        if entries is None:
            return []
        if not isinstance(entries, list):
            raise ConnectorError(
                _("%(host)s answered with something that is not a list.")
                % {"host": self.host},
                request_id=self.request_id(response),
            )
        return [entry for entry in entries if isinstance(entry, dict)]

    def paginate(
        self,
        path: str,
        params: dict | None = None,
        *,
        pagination=None,
        method: str = "GET",
        body: dict | None = None,
        **options,
    ) -> Iterator[dict]:
        """Every entry of a list, page after page as it is consumed; an error
        after ``max_pages`` pages (a server that never stops). ``options`` go to
        each ``request`` (``not_found``, ``missing_ok``: a missing list is empty)."""
        pager = pagination or self.pagination
        pages = pager.pages(self, method, path, dict(params or {}), body, **options)
        for count, entries in enumerate(pages, start=1):
            yield from entries
            if count >= self.max_pages:
                if next(pages, None):
                    raise too_many_pages(self.host, self.max_pages)
                return
