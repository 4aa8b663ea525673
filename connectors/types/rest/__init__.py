"""Generic REST/JSON: any HTTP API that lists an employee's records as JSON,
configured entirely in settings (request template, auth, pagination, and
JMESPath expressions that pick the records and their fields).

Built on ``HttpConnector``: the admin's choice of authentication and of
pagination becomes this connector's ``auth`` and ``pagination``, the SDK's own
declarations, so what is left here is the request template and the JMESPath
mapping. No vendor client: there is no vendor."""

from __future__ import annotations

import string
from functools import cached_property
from urllib.parse import quote

import jmespath
from django.utils.translation import gettext_lazy as _
from jmespath.exceptions import JMESPathError

from checklist_blocks.blocks.connector import RECORD_KIND_CHOICES, RECORD_KINDS

from ...sdk.auth import Basic, Bearer, Header, TokenExchange
from ...sdk.base import (
    DISCOVER,
    UNKNOWN_RECORD_KIND,
    ConnectorError,
    MisconfiguredError,
    Record,
)
from ...sdk.common import (
    TIMEOUT,
    VERIFY_TLS,
    clean_text,
    flag_setting,
    map_setting,
    optional,
    unreadable,
    url_setting,
)
from ...sdk.http import HttpConnector
from ...sdk.pagination import Cursor, LinkHeader, Offset, PageNumber, Unpaged
from ...sdk.settings import settings_errors

__all__ = ["RestConnector"]

_FAILED = object()

# Employee values a request template may use, as {name}.
VARIABLES = ("email", "employee_number", "directory_id", "username", "name")
# Each authentication, and the settings it needs that are optional otherwise.
AUTHS = {
    "none": (_("None"), ()),
    "bearer": (_("Bearer token"), ("token",)),
    "basic": (_("User name and password"), ("username", "password")),
    "header": (_("API key in a header"), ("auth_header_name", "header_value")),
    "oauth2_client_credentials": (
        _("OAuth 2.0 client credentials"),
        ("token_url", "client_id", "client_secret"),
    ),
}
PAGINATION_CHOICES = (
    ("none", _("None: one request")),
    ("page", _("Page number")),
    ("offset", _("Offset and limit")),
    ("cursor", _("Cursor from the response")),
    ("link", _("Link header (rel=next)")),
)
CLIENT_AUTH_CHOICES = (
    ("basic", _("HTTP Basic (client id and secret)")),
    ("body", _("In the request body")),
)
_OAUTH = _("For OAuth 2.0 client credentials.")
# The least value of each number setting.
MINIMUMS = {"page_size": 1, "max_pages": 1, "page_start": 0, "offset_start": 0}

# What an admin configures: the request, how it signs in, how its lists page,
# and the JMESPath expressions that read the records.
SETTINGS = (
    url_setting(_("Base URL"), _("e.g. https://crm.example.com")),
    optional(
        "path",
        _("Request path"),
        _(
            "Appended to the base URL. May use {email}, {employee_number}, "
            "{directory_id}, {username} and {name}, e.g. /api/users/{email}/clients"
        ),
        default="",
    ),
    optional(
        "method", _("Method"), default="GET", choices=(("GET", "GET"), ("POST", "POST"))
    ),
    map_setting(
        "query",
        _("Query parameters"),
        _("Name → value; values may use the same {variables} as the path."),
    ),
    optional(
        "body",
        _("Request body (POST)"),
        _("JSON sent with POST; strings may use the same {variables} as the path."),
        type="object",
    ),
    # Authentication: which of the settings below are needed depends on it.
    optional(
        "auth",
        _("Authentication"),
        default="none",
        choices=tuple((name, label) for name, (label, _needs) in AUTHS.items()),
    ),
    optional(
        "auth_header_name",
        _("Header name"),
        _("For an API key in a header, e.g. X-API-Key."),
    ),
    optional(
        "username", _("User name"), _("For user name and password authentication.")
    ),
    optional("client_id", _("Client id"), _OAUTH),
    optional("token_url", _("Token URL"), _OAUTH, type="url"),
    optional("scope", _("Scope"), _("For OAuth 2.0 client credentials; optional.")),
    optional(
        "client_auth",
        _("How the client authenticates to the token URL"),
        default="basic",
        choices=CLIENT_AUTH_CHOICES,
    ),
    # Pagination.
    optional("pagination", _("Pagination"), default="none", choices=PAGINATION_CHOICES),
    optional("page_param", _("Page number parameter"), default="page"),
    optional("page_start", _("First page number"), default=1, type="integer"),
    optional(
        "page_size_param",
        _("Page size parameter"),
        _("For page numbers, optional; for offsets, the limit parameter."),
    ),
    optional("page_size", _("Page size"), default=100, type="integer"),
    optional("offset_param", _("Offset parameter"), default="offset"),
    optional("limit_param", _("Limit parameter"), default="limit"),
    optional(
        "offset_start",
        _("First offset"),
        _("0 for most APIs; 1 for SCIM's startIndex."),
        default=0,
        type="integer",
    ),
    optional(
        "cursor_path",
        _("Next cursor (JMESPath)"),
        _("Where the response holds the next cursor, e.g. meta.next_cursor"),
    ),
    optional(
        "cursor_param",
        _("Cursor parameter"),
        _("The query parameter the cursor is sent in."),
        default="cursor",
    ),
    optional("max_pages", _("Most pages to read"), default=100, type="integer"),
    # What the records are.
    optional(
        "records_path",
        _("Records (JMESPath)"),
        _(
            "Where each page holds the list of records, e.g. data.items; "
            "@ for the whole answer."
        ),
        default="@",
    ),
    optional("id_path", _("Record id (JMESPath)"), default="id"),
    optional("title_path", _("Record title (JMESPath)"), default="name"),
    optional(
        "kind",
        _("Record kind"),
        _("What the records are; empty lets the template decide."),
        choices=RECORD_KIND_CHOICES,
    ),
    map_setting(
        "field_paths",
        _("Record fields (JMESPath)"),
        _("Field name → JMESPath per record; empty keeps each record as received."),
    ),
    flag_setting(
        "not_found_is_empty",
        _("Treat “not found” (HTTP 404) as no records"),
        _(
            "For APIs that answer 404 when they do not know the employee. Leave "
            "off to report a 404 as an error (e.g. a wrong path)."
        ),
    ),
    optional(
        "test_path",
        _("Path for the connection test"),
        _("Requested by “Test connection”; the base URL when empty."),
    ),
    TIMEOUT,
    VERIFY_TLS,
    optional("token", _("Bearer token"), secret=True),
    optional("password", _("Password"), secret=True),
    optional("header_value", _("Header value (API key)"), secret=True),
    optional("client_secret", _("Client secret"), secret=True),
)


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


def render(template, employee, setting: str, *, encode=False):
    """``template`` with every string's ``{variables}`` filled in from the
    employee; ``encode`` quotes the values for a path (a slash in a value
    cannot change the path)."""
    if isinstance(template, list):
        return [render(item, employee, setting) for item in template]
    if isinstance(template, dict):
        return {key: render(item, employee, setting) for key, item in template.items()}
    if not isinstance(template, str):
        return template
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        raise MisconfiguredError(
            _(
                "The setting “%(setting)s” has an unmatched { or }: "
                "use {{ and }} for braces."
            )
            % {"setting": setting}
        ) from None
    unknown = sorted(
        {
            "{" + name + "}"
            for _text, name, spec, conversion in parts
            if name is not None and (name not in VARIABLES or spec or conversion)
        }
    )
    if unknown:
        raise MisconfiguredError(
            _(
                "The setting “%(setting)s” uses unknown variables %(unknown)s. "
                "Allowed: %(allowed)s."
            )
            % {
                "setting": setting,
                "unknown": ", ".join(unknown),
                "allowed": ", ".join("{" + name + "}" for name in VARIABLES),
            }
        )
    rendered = []
    for literal, name, _spec, _conversion in parts:
        value = employee.value(name) if name is not None else ""
        if name is not None and not value:
            raise ConnectorError(
                _("The employee has no %(variable)s, which the request needs.")
                % {"variable": name.replace("_", " ")},
                retryable=False,
            )
        rendered.append(literal + (quote(value, safe="") if encode else value))
    return "".join(rendered)


# JMESPath mapping -------------------------------------------------------------------


def search(expression, data, failed=None):
    """What ``expression`` finds in ``data``; ``failed`` where it cannot apply."""
    try:
        return expression.search(data)
    except JMESPathError:
        return failed


def _compile(expression, setting):
    if not isinstance(expression, str) or not expression.strip():
        raise MisconfiguredError(
            _("The setting “%(setting)s” needs a JMESPath expression.")
            % {"setting": setting}
        )
    try:
        return jmespath.compile(expression)
    except JMESPathError:
        raise MisconfiguredError(
            _(
                "The setting “%(setting)s” is not a valid JMESPath expression: "
                "%(expression)s"
            )
            % {"setting": setting, "expression": expression[:200]}
        ) from None


class Expressions:
    """The records, their ids, titles and fields (and the next cursor when
    paging by cursor) as the connector's settings say; a wrong one is named."""

    def __init__(self, option, *, cursor: bool):
        self.id_path = option("id_path")
        self.records = _compile(option("records_path"), "records_path")
        self.id = _compile(self.id_path, "id_path")
        self.title = _compile(option("title_path"), "title_path")
        self.fields = {
            str(name): _compile(path, f"field_paths.{name}")
            for name, path in option("field_paths").items()
        }
        if cursor:
            self.cursor = _compile(option("cursor_path"), "cursor_path")

    def record(self, item, kind: str, *, page: int, position: int) -> Record:
        """One record; an entry without an id or with a field that cannot be
        read is a record with an error (the engine reports it and goes on)."""
        external_id = clean_text(search(self.id, item))
        if not external_id:
            message = _("Record %(position)s on page %(page)s has no id at “%(path)s”.")
            where = {"position": position, "page": page, "path": self.id_path}
            return unreadable(kind, "", message % where)
        fields = dict(item) if isinstance(item, dict) else {"value": item}
        if self.fields:
            fields = {
                name: search(expression, item, failed=_FAILED)
                for name, expression in self.fields.items()
            }
        for name, value in fields.items():
            if value is _FAILED:
                message = _("Record %(id)s: the field “%(field)s” could not be read.")
                where = {"id": external_id, "field": name}
                return unreadable(kind, external_id, message % where)
        title = clean_text(search(self.title, item)) or external_id
        return Record(external_id, kind, title, fields)
