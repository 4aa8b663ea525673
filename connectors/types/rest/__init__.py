"""Generic REST/JSON: any HTTP API that lists an employee's records as JSON,
configured entirely in settings (request template, auth, pagination, and
JMESPath expressions that pick the records and their fields).

Built on ``HttpConnector``: the admin's choice of authentication and of
pagination becomes this connector's ``auth`` and ``pagination``, the SDK's own
declarations, so what is left here is the request template (``templates``) and
the JMESPath mapping (``mapping``). No vendor client: there is no vendor."""

from __future__ import annotations

from functools import cached_property

import jmespath
from django.utils.translation import gettext_lazy as _

from checklist_blocks.blocks.connector import RECORD_KINDS

from ...sdk.auth import Basic, Bearer, Header, TokenExchange
from ...sdk.base import (
    DISCOVER,
    UNKNOWN_RECORD_KIND,
    ConnectorError,
    MisconfiguredError,
)
from ...sdk.common import must_be_object
from ...sdk.http import HttpConnector
from ...sdk.pagination import Cursor, LinkHeader, Offset, PageNumber, Unpaged
from .mapping import Expressions, search
from .settings import METHOD_CHOICES, PAGINATION_CHOICES, SETTINGS
from .templates import VARIABLES, render

__all__ = ["VARIABLES", "RestConnector"]

# What each authentication needs beyond the declared settings.
NEEDS = {
    "none": (),
    "bearer": ("token",),
    "basic": ("username", "password"),
    "header": ("auth_header_name", "header_value"),
    "oauth2_client_credentials": ("token_url", "client_id", "client_secret"),
}
# Seconds before its announced expiry at which an access token is renewed.
TOKEN_MARGIN = 30
_NOT_A_LIST = object()


class RestConnector(HttpConnector):
    slug = "rest"
    label = _("Generic REST/JSON")
    description = _(
        "Reads records from any HTTP API that answers JSON, configured without code: "
        "a request template, authentication, pagination and JMESPath expressions."
    )
    capabilities = frozenset({DISCOVER})
    # Any record kind: the template's field mapping says what goes where.
    default_mappings = {kind: {} for kind in RECORD_KINDS}
    settings = SETTINGS
    refused_message = _("%(host)s refused the credentials (HTTP %(status)s).")

    # The contract -----------------------------------------------------------------

    def test_connection(self) -> str:
        test_path = str(self.option("test_path") or "")
        response = self.request("GET", test_path, allow=() if test_path else (404, 405))
        values = {"host": self.host, "status": response.status_code}
        if response.status_code in (404, 405):
            reached = _(
                "Reached %(host)s (HTTP %(status)s at the base URL). Set a test path "
                "to check the credentials too."
            )
            return reached % values
        return _("Connected to %(host)s (HTTP %(status)s).") % values

    def discover(self, *, employee, record_kind: str):
        configured = self.option("kind")
        if configured and configured != record_kind:
            raise MisconfiguredError(
                _(
                    "This connector is set up to list “%(configured)s” records, "
                    "not “%(kind)s”."
                )
                % {"configured": configured, "kind": record_kind}
            )
        if record_kind not in RECORD_KINDS:
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        expressions = self.expressions
        method = str(self.option("method") or "GET").upper()
        if method not in dict(METHOD_CHOICES):
            raise MisconfiguredError(
                _("Unknown method “%(method)s”: use GET or POST.") % {"method": method}
            )
        path = render(str(self.option("path") or ""), employee, "path", encode=True)
        query = render(self.option("query") or {}, employee, "query")
        if not isinstance(query, dict):
            raise must_be_object("query")
        body = render(self.option("body"), employee, "body")
        body = ({} if body is None else body) if method == "POST" else None
        pages = self.pagination.pages(
            _PageBudget(self, self._whole("max_pages", minimum=1)),
            method,
            path,
            query,
            body,
            missing_ok=self.option("not_found_is_empty") is True,
        )
        return [
            expressions.record(item, record_kind, page=page, position=position)
            for page, entries in enumerate(pages, start=1)
            for position, item in enumerate(entries, start=1)
        ]

    # Declarations chosen from the settings -------------------------------------------

    @cached_property
    def auth(self):
        style = self.option("auth")
        if style == "bearer":
            return Bearer("token")
        if style == "basic":
            return Basic("username", "password")
        if style == "header":
            name = str(self.option("auth_header_name") or "").strip()
            return Header("header_value", header=name)
        if style != "oauth2_client_credentials":
            return None
        in_body = self.option("client_auth") == "body"
        return TokenExchange(
            path=str(self.option("token_url") or "").strip(),
            body=_client_credentials,
            form=True,
            credentials=None if in_body else _client_pair,
            refused=_(
                "The token URL %(host)s refused the client credentials%(detail)s."
            ),
            no_token=_("The token URL %(host)s answered without an access token."),
            margin=TOKEN_MARGIN,
            renew_refused=True,
        )

    @cached_property
    def pagination(self):
        style = self.option("pagination") or "none"
        if style not in dict(PAGINATION_CHOICES):
            raise MisconfiguredError(
                _("Unknown pagination “%(pagination)s”.") % {"pagination": style}
            )
        size = self._whole("page_size", minimum=1)
        if style == "page":
            return PageNumber(
                page_param=str(self.option("page_param")),
                size_param=str(self.option("page_size_param") or "") or None,
                size=size,
                first=self._whole("page_start", minimum=0),
                until_empty=True,
            )
        if style == "offset":
            return Offset(
                offset_param=str(self.option("offset_param")),
                size_param=str(self.option("limit_param")),
                size=size,
                first=self._whole("offset_start", minimum=0),
                until_empty=True,
            )
        if style == "cursor":
            return Cursor(
                param=str(self.option("cursor_param")),
                next=str(self.option("cursor_path")),
                items=None,
                size_param=None,
            )
        return LinkHeader(size_param=None) if style == "link" else Unpaged()

    @cached_property
    def expressions(self) -> Expressions:
        return Expressions(self.option, cursor=self.option("pagination") == "cursor")

    def require_settings(self) -> None:
        """The declared settings, then what the chosen authentication needs."""
        super().require_settings()
        style = self.option("auth") or "none"
        if style not in NEEDS:
            raise MisconfiguredError(
                _("Unknown authentication “%(auth)s”.") % {"auth": style}
            )
        for spec in self.settings:
            if spec.name not in NEEDS[style]:
                continue
            value = (
                self.secrets.get(spec.name) if spec.secret else self.option(spec.name)
            )
            if not value:
                raise MisconfiguredError(
                    _("Enter the “%(setting)s” for this authentication.")
                    % {"setting": spec.label}
                )

    def _whole(self, setting: str, *, minimum: int) -> int:
        try:
            number = int(self.option(setting))
        except (TypeError, ValueError):
            number = None
        if number is None or number < minimum:
            raise MisconfiguredError(
                _(
                    "The setting “%(setting)s” must be a whole number of at least "
                    "%(minimum)s."
                )
                % {"setting": setting, "minimum": minimum}
            )
        return number

    # Reading answers: the path is the admin's, and JMESPath -------------------------

    def url(self, path: str) -> str:
        if not path or path.lower().startswith(("http://", "https://")):
            return path or self.base_url
        return f"{self.base_url}/{path.lstrip('/')}"

    def entries_of(self, response, items) -> list:
        """The records of one page, at the ``records_path`` expression (a 404
        the settings call "no records" has none)."""
        if response.status_code == 404:
            return []
        data = self.json_of(response)
        found = search(self.expressions.records, data, failed=_NOT_A_LIST)
        if found is None:
            return []
        if not isinstance(found, list):
            raise ConnectorError(
                _("The answer of %(host)s holds no list of records at “%(path)s”.")
                % {"host": self.host, "path": self.option("records_path")},
                retryable=False,
            )
        return found

    def value_at(self, response, path):
        if response.status_code == 404:
            return None
        return search(jmespath.compile(path), self.json_of(response))


class _PageBudget:
    """The connector as its pager sees it: a clear error instead of a request
    past ``max_pages``, so finding out costs no extra call."""

    def __init__(self, connector: RestConnector, pages: int):
        self._connector, self._left, self._pages = connector, pages, pages

    def __getattr__(self, name):
        return getattr(self._connector, name)

    def request(self, *args, **kwargs):
        if self._left == 0:
            raise MisconfiguredError(
                _(
                    "There are more than %(max)s pages of records. Raise the most "
                    "pages to read, or narrow the request."
                )
                % {"max": self._pages}
            )
        self._left -= 1
        return self._connector.request(*args, **kwargs)


def _client_credentials(connector: RestConnector) -> dict:
    """The OAuth 2.0 client credentials grant (RFC 6749 §4.4), as a form."""
    form = {"grant_type": "client_credentials"}
    if connector.option("scope"):
        form["scope"] = str(connector.option("scope"))
    if connector.option("client_auth") == "body":
        form["client_id"], form["client_secret"] = _client_pair(connector)
    return form


def _client_pair(connector: RestConnector) -> tuple[str, str]:
    return str(connector.option("client_id")), str(connector.secrets["client_secret"])
