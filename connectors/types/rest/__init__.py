"""Generic REST/JSON: any HTTP API that lists an employee's records as JSON,
configured entirely in settings (request template, auth, pagination, and
JMESPath expressions that pick the records and their fields).

Built on ``HttpConnector``: the admin's choice of authentication and of
pagination becomes this connector's ``auth`` and ``pagination``, the SDK's own
declarations, so what is left here is the request template and the JMESPath
mapping. No vendor client: there is no vendor."""

from __future__ import annotations

from functools import cached_property

from django.utils.translation import gettext_lazy as _

from checklist_blocks.blocks.connector import RECORD_KINDS

from ...sdk.auth import Basic, Bearer, Header, TokenExchange
from ...sdk.base import (
    DISCOVER,
    UNKNOWN_RECORD_KIND,
    ConnectorError,
    MisconfiguredError,
)
from ...sdk.http import HttpConnector
from ...sdk.pagination import Cursor, LinkHeader, Offset, PageNumber, Unpaged
from ...sdk.settings import settings_errors
from .mapping import _FAILED, Expressions, render, search
from .settings import AUTHS, MINIMUMS, SETTINGS

__all__ = ["RestConnector"]


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

    def test_connection(self) -> str:
        test_path = self.option("test_path") or ""
        response = self.request("GET", test_path, allow=() if test_path else (404, 405))
        values = {"host": self.host, "status": response.status_code}
        if response.status_code in (404, 405):
            reached = _(
                "Reached %(host)s (HTTP %(status)s at the base URL). Set a test path "
                "to check the credentials too."
            )
            return reached % values
        return _("Connected to %(host)s (HTTP %(status)s).") % values

    def list_records(self, *, employee, record_kind: str):
        if self.option("kind") not in (None, record_kind):
            raise MisconfiguredError(UNKNOWN_RECORD_KIND % {"kind": record_kind})
        expressions = self.expressions  # a wrong one is named before any call
        body = render(self.option("body") or {}, employee, "body")
        pages = self.pagination.pages(
            self,
            self.option("method"),
            render(self.option("path"), employee, "path", encode=True),
            render(self.option("query"), employee, "query"),
            body if self.option("method") == "POST" else None,
            missing_ok=self.option("not_found_is_empty") is True,
            budget=iter(range(self.option("max_pages"))),
        )
        return [
            expressions.record(item, record_kind, page=page, position=position)
            for page, entries in enumerate(pages, start=1)
            for position, item in enumerate(entries, start=1)
        ]

    def require_settings(self) -> None:
        """The settings as saving them checks them (types, choices), the
        least numbers, then what the chosen authentication needs."""
        super().require_settings()
        known = {spec.name for spec in self.settings}
        declared = {name: self.config[name] for name in self.config if name in known}
        problems = settings_errors(type(self), declared)
        if problems:
            raise MisconfiguredError(problems[0])
        for name, minimum in MINIMUMS.items():
            if self.option(name) < minimum:
                raise MisconfiguredError(
                    _(
                        "The setting “%(setting)s” must be a whole number of at "
                        "least %(minimum)s."
                    )
                    % {"setting": name, "minimum": minimum}
                )
        for spec in self.settings:
            value = (self.secrets if spec.secret else self.config).get(spec.name)
            if spec.name in AUTHS[self.option("auth")][1] and not value:
                raise MisconfiguredError(
                    _("Enter “%(setting)s”.") % {"setting": spec.label}
                )

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
            margin=30,  # seconds before the announced expiry
            renew_refused=True,
        )

    @cached_property
    def pagination(self):
        style, size = self.option("pagination"), self.option("page_size")
        if style == "page":
            return PageNumber(
                page_param=self.option("page_param"),
                size_param=self.option("page_size_param") or None,
                size=size,
                first=self.option("page_start"),
                until_empty=True,
            )
        if style == "offset":
            return Offset(
                offset_param=self.option("offset_param"),
                size_param=self.option("limit_param"),
                size=size,
                first=self.option("offset_start"),
                until_empty=True,
            )
        if style == "cursor":
            param, path = self.option("cursor_param"), self.option("cursor_path")
            return Cursor(param=param, next=path, items=None, size_param=None)
        return LinkHeader(size_param=None) if style == "link" else Unpaged()

    @cached_property
    def expressions(self) -> Expressions:
        return Expressions(self.option, cursor=self.option("pagination") == "cursor")

    # Requests and answers: the path is the admin's, and JMESPath -------------------

    def request(self, method: str, path: str, *, budget=None, **options):
        """One call; a listing's ``budget`` (an iterator, a step a page) runs
        out past ``max_pages``: an error then, and no call to find out."""
        if budget is not None and next(budget, None) is None:
            raise MisconfiguredError(
                _(
                    "There are more than %(max)s pages of records. Raise the most "
                    "pages to read, or narrow the request."
                )
                % {"max": self.option("max_pages")}
            )
        return super().request(method, path, **options)

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
        found = search(self.expressions.records, data, failed=_FAILED)
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
        """The next cursor, at the ``cursor_path`` expression."""
        if response.status_code == 404:
            return None
        return search(self.expressions.cursor, self.json_of(response))


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


# Request templates ------------------------------------------------------------------


# JMESPath mapping -------------------------------------------------------------------
