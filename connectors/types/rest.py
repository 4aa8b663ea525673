"""Generic REST/JSON: any HTTP API that lists an employee's records as JSON,
configured entirely in settings (request template, auth, pagination, and
JMESPath expressions that pick the records and their fields)."""

from __future__ import annotations

import string
import time
from urllib.parse import quote, urljoin

import jmespath
from django.utils.translation import gettext_lazy as _
from jmespath.exceptions import JMESPathError

from checklist_blocks.blocks.connector import RECORD_KIND_CHOICES, RECORD_KINDS

from ..registry import register
from ._common import must_be_object
from ._http import HttpTypeMixin, host_of, request_id_of
from .base import (
    DISCOVER,
    UNKNOWN_RECORD_KIND,
    ConnectorError,
    ConnectorType,
    EmployeeRef,
    MisconfiguredError,
    Record,
    Setting,
)

__all__ = ["VARIABLES", "RestConnector"]

# Employee values a request template may use, as {name}.
VARIABLES = ("email", "employee_number", "directory_id", "username", "name")

AUTH_CHOICES = (
    ("none", _("None")),
    ("bearer", _("Bearer token")),
    ("basic", _("User name and password")),
    ("header", _("API key in a header")),
    ("oauth2_client_credentials", _("OAuth 2.0 client credentials")),
)
PAGINATION_CHOICES = (
    ("none", _("None: one request")),
    ("page", _("Page number")),
    ("offset", _("Offset and limit")),
    ("cursor", _("Cursor from the response")),
    ("link", _("Link header (rel=next)")),
)
METHOD_CHOICES = (("GET", "GET"), ("POST", "POST"))
CLIENT_AUTH_CHOICES = (
    ("basic", _("HTTP Basic (client id and secret)")),
    ("body", _("In the request body")),
)
# Seconds before its announced expiry at which an access token is renewed.
TOKEN_MARGIN = 30


@register
class RestConnector(HttpTypeMixin, ConnectorType):
    slug = "rest"
    label = _("Generic REST/JSON")
    description = _(
        "Reads records from any HTTP API that answers JSON, configured without code: "
        "a request template, authentication, pagination and JMESPath expressions."
    )
    capabilities = frozenset({DISCOVER})
    # Any record kind: the template's field mapping says what goes where.
    default_mappings = {kind: {} for kind in RECORD_KINDS}
    settings = (
        Setting("base_url", _("Base URL"), _("e.g. https://crm.example.com")),
        Setting(
            "path",
            _("Request path"),
            _(
                "Appended to the base URL. May use {email}, {employee_number}, "
                "{directory_id}, {username} and {name}, e.g. /api/users/{email}/clients"
            ),
            required=False,
            default="",
        ),
        Setting(
            "method",
            _("Method"),
            required=False,
            default="GET",
            choices=METHOD_CHOICES,
        ),
        Setting(
            "query",
            _("Query parameters"),
            _("Name → value; values may use the same {variables} as the path."),
            required=False,
            default={},
            type="object",
        ),
        Setting(
            "body",
            _("Request body (POST)"),
            _("JSON sent with POST; strings may use the same {variables} as the path."),
            required=False,
            default=None,
            type="object",
        ),
        Setting(
            "auth",
            _("Authentication"),
            required=False,
            default="none",
            choices=AUTH_CHOICES,
        ),
        Setting(
            "auth_header_name",
            _("Header name"),
            _("For an API key in a header, e.g. X-API-Key."),
            required=False,
        ),
        Setting(
            "username",
            _("User name"),
            _("For user name and password authentication."),
            required=False,
        ),
        Setting(
            "client_id",
            _("Client id"),
            _("For OAuth 2.0 client credentials."),
            required=False,
        ),
        Setting(
            "token_url",
            _("Token URL"),
            _("For OAuth 2.0 client credentials."),
            required=False,
        ),
        Setting(
            "scope",
            _("Scope"),
            _("For OAuth 2.0 client credentials; optional."),
            required=False,
        ),
        Setting(
            "client_auth",
            _("How the client authenticates to the token URL"),
            required=False,
            default="basic",
            choices=CLIENT_AUTH_CHOICES,
        ),
        Setting(
            "pagination",
            _("Pagination"),
            required=False,
            default="none",
            choices=PAGINATION_CHOICES,
        ),
        Setting(
            "page_param",
            _("Page number parameter"),
            required=False,
            default="page",
        ),
        Setting(
            "page_start",
            _("First page number"),
            required=False,
            default=1,
            type="integer",
        ),
        Setting(
            "page_size_param",
            _("Page size parameter"),
            _("For page numbers, optional; for offsets, the limit parameter."),
            required=False,
        ),
        Setting(
            "page_size",
            _("Page size"),
            required=False,
            default=100,
            type="integer",
        ),
        Setting(
            "offset_param",
            _("Offset parameter"),
            required=False,
            default="offset",
        ),
        Setting(
            "limit_param",
            _("Limit parameter"),
            required=False,
            default="limit",
        ),
        Setting(
            "offset_start",
            _("First offset"),
            _("0 for most APIs; 1 for SCIM's startIndex."),
            required=False,
            default=0,
            type="integer",
        ),
        Setting(
            "cursor_path",
            _("Next cursor (JMESPath)"),
            _("Where the response holds the next cursor, e.g. meta.next_cursor"),
            required=False,
        ),
        Setting(
            "cursor_param",
            _("Cursor parameter"),
            _("The query parameter the cursor is sent in."),
            required=False,
            default="cursor",
        ),
        Setting(
            "max_pages",
            _("Most pages to read"),
            required=False,
            default=100,
            type="integer",
        ),
        Setting(
            "records_path",
            _("Records (JMESPath)"),
            _(
                "Where each page holds the list of records, e.g. data.items; "
                "@ for the whole answer."
            ),
            required=False,
            default="@",
        ),
        Setting(
            "id_path",
            _("Record id (JMESPath)"),
            required=False,
            default="id",
        ),
        Setting(
            "title_path",
            _("Record title (JMESPath)"),
            required=False,
            default="name",
        ),
        Setting(
            "kind",
            _("Record kind"),
            _("What the records are; empty lets the template decide."),
            required=False,
            choices=RECORD_KIND_CHOICES,
        ),
        Setting(
            "field_paths",
            _("Record fields (JMESPath)"),
            _("Field name → JMESPath per record; empty keeps each record as received."),
            required=False,
            default={},
            type="object",
        ),
        Setting(
            "not_found_is_empty",
            _("Treat “not found” (HTTP 404) as no records"),
            _(
                "For APIs that answer 404 when they do not know the employee. Leave "
                "off to report a 404 as an error (e.g. a wrong path)."
            ),
            required=False,
            default=False,
            type="boolean",
        ),
        Setting(
            "test_path",
            _("Path for the connection test"),
            _("Requested by “Test connection”; the base URL when empty."),
            required=False,
        ),
        Setting(
            "timeout",
            _("Timeout (seconds)"),
            required=False,
            default=10,
            type="number",
        ),
        Setting(
            "verify_tls",
            _("Verify the TLS certificate"),
            required=False,
            default=True,
            type="boolean",
        ),
        Setting("token", _("Bearer token"), required=False, secret=True),
        Setting("password", _("Password"), required=False, secret=True),
        Setting(
            "header_value", _("Header value (API key)"), required=False, secret=True
        ),
        Setting("client_secret", _("Client secret"), required=False, secret=True),
    )

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self.base_url = str(self.option("base_url") or "").strip()
        self.host = host_of(self.base_url) or self.base_url
        self.http = self.make_http(
            headers={"Accept": "application/json"}, secrets=self.secrets.values()
        )
        self._access_token = None
        self._token_expires = 0.0
        self._expressions = None

    # The contract -----------------------------------------------------------------

    def test_connection(self) -> str:
        self._check_auth_settings()
        test_path = str(self.option("test_path") or "")
        url = self._url(test_path) if test_path else self.base_url
        self._check_url(url)
        response = self._request("GET", url)
        if response.status_code in (404, 405) and not test_path:
            return _(
                "Reached %(host)s (HTTP %(status)s at the base URL). Set a test path "
                "to check the credentials too."
            ) % {"host": self.host, "status": response.status_code}
        self._check(response)
        return _("Connected to %(host)s (HTTP %(status)s).") % {
            "host": self.host,
            "status": response.status_code,
        }

    def discover(self, *, employee: EmployeeRef, record_kind: str):
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
        expressions = self._compiled()
        self._check_auth_settings()
        method = str(self.option("method") or "GET").upper()
        if method not in dict(METHOD_CHOICES):
            raise MisconfiguredError(
                _("Unknown method “%(method)s”: use GET or POST.") % {"method": method}
            )
        values = self._employee_values(employee)
        url = self._url(self._render_path(values))
        self._check_url(url)
        query = self._render(self.option("query") or {}, values, "query")
        if not isinstance(query, dict):
            raise MisconfiguredError(
                _("The setting “%(setting)s” must be an object.") % {"setting": "query"}
            )
        body = self.option("body")
        if body is not None:
            body = self._render(body, values, "body")

        records = []
        for page_number, data in enumerate(
            self._pages(method, url, query, body), start=1
        ):
            for position, item in enumerate(
                self._records_of(data, expressions), start=1
            ):
                records.append(
                    self._record(item, record_kind, expressions, page_number, position)
                )
        return records

    # Templates --------------------------------------------------------------------

    def _employee_values(self, employee: EmployeeRef) -> dict:
        return {name: getattr(employee, name, "") or "" for name in VARIABLES}

    def _render_path(self, values) -> str:
        return self._substitute(
            str(self.option("path") or ""), values, "path", encode=True
        )

    def _render(self, template, values, setting):
        """Substitute variables in every string of a JSON-like template."""
        if isinstance(template, str):
            return self._substitute(template, values, setting, encode=False)
        if isinstance(template, list):
            return [self._render(item, values, setting) for item in template]
        if isinstance(template, dict):
            return {
                str(key): self._render(value, values, setting)
                for key, value in template.items()
            }
        return template

    def _substitute(self, template: str, values: dict, setting: str, *, encode: bool):
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
            rendered.append(literal)
            if name is None:
                continue
            value = values.get(name, "")
            if not value:
                raise ConnectorError(
                    _("The employee has no %(variable)s, which the request needs.")
                    % {"variable": name.replace("_", " ")},
                    retryable=False,
                )
            rendered.append(quote(value, safe="") if encode else value)
        return "".join(rendered)

    def _url(self, path: str) -> str:
        if not path:
            return self.base_url
        if path.lower().startswith(("http://", "https://")):
            return path
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def _check_url(self, url: str) -> None:
        if not url.lower().startswith(("http://", "https://")):
            raise MisconfiguredError(
                _("The base URL must start with https:// (or http://).")
            )

    # JMESPath ---------------------------------------------------------------------

    def _compiled(self) -> dict:
        if self._expressions is not None:
            return self._expressions
        expressions = {}
        for setting in ("records_path", "id_path", "title_path"):
            expressions[setting] = self._compile(self.option(setting), setting)
        field_paths = self.option("field_paths") or {}
        if not isinstance(field_paths, dict):
            raise must_be_object("field_paths")
        expressions["fields"] = {
            str(name): self._compile(path, f"field_paths.{name}")
            for name, path in field_paths.items()
        }
        if self.option("pagination") == "cursor":
            expressions["cursor_path"] = self._compile(
                self.option("cursor_path"), "cursor_path"
            )
        self._expressions = expressions
        return expressions

    def _compile(self, expression, setting):
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

    def _records_of(self, data, expressions) -> list:
        try:
            found = expressions["records_path"].search(data)
        except JMESPathError:
            found = object()
        if found is None:
            return []
        if not isinstance(found, list):
            raise ConnectorError(
                _("The answer of %(host)s holds no list of records at “%(path)s”.")
                % {"host": self.host, "path": self.option("records_path")},
                retryable=False,
            )
        return found

    def _record(self, item, kind, expressions, page, position) -> Record:
        where = {"page": page, "position": position}
        try:
            raw_id = expressions["id_path"].search(item)
            raw_title = expressions["title_path"].search(item)
        except JMESPathError:
            raw_id = raw_title = None
        if (
            isinstance(raw_id, bool)
            or not isinstance(raw_id, (str, int, float))
            or raw_id == ""
        ):
            return Record(
                external_id="",
                kind=kind,
                title="",
                error=str(
                    _("Record %(position)s on page %(page)s has no id at “%(path)s”.")
                    % {**where, "path": self.option("id_path")}
                ),
            )
        external_id = str(raw_id)
        field_expressions = expressions["fields"]
        if field_expressions:
            fields = {}
            for name, expression in field_expressions.items():
                try:
                    fields[name] = expression.search(item)
                except JMESPathError:
                    return Record(
                        external_id=external_id,
                        kind=kind,
                        title="",
                        error=str(
                            _("Record %(id)s: the field “%(field)s” could not be read.")
                            % {"id": external_id, "field": name}
                        ),
                    )
        else:
            fields = dict(item) if isinstance(item, dict) else {"value": item}
        if isinstance(raw_title, str) and raw_title.strip():
            title = raw_title.strip()
        elif isinstance(raw_title, (int, float)) and not isinstance(raw_title, bool):
            title = str(raw_title)
        else:
            title = external_id
        return Record(external_id=external_id, kind=kind, title=title, fields=fields)

    # Pagination -------------------------------------------------------------------

    def _pages(self, method, url, query, body):
        """Yield the decoded JSON of each page, up to ``max_pages``."""
        style = self.option("pagination") or "none"
        if style not in dict(PAGINATION_CHOICES):
            raise MisconfiguredError(
                _("Unknown pagination “%(pagination)s”.") % {"pagination": style}
            )
        max_pages = self._integer("max_pages", minimum=1)
        page_size = self._integer("page_size", minimum=1)
        if style == "none":
            yield self._fetch(method, url, query, body)[0]
            return

        page_number = self._integer("page_start", minimum=0)
        offset = self._integer("offset_start", minimum=0)
        cursor = None
        next_url = url
        for count in range(1, max_pages + 2):
            if count > max_pages:
                raise MisconfiguredError(
                    _(
                        "There are more than %(max)s pages of records. Raise the most "
                        "pages to read, or narrow the request."
                    )
                    % {"max": max_pages}
                )
            params = dict(query)
            request_url = url
            if style == "page":
                params[str(self.option("page_param"))] = page_number
                if self.option("page_size_param"):
                    params[str(self.option("page_size_param"))] = page_size
            elif style == "offset":
                params[str(self.option("offset_param"))] = offset
                params[str(self.option("limit_param"))] = page_size
            elif style == "cursor" and cursor is not None:
                params[str(self.option("cursor_param"))] = cursor
            elif style == "link" and count > 1:
                # The next link carries its own query string.
                request_url, params = next_url, None
            data, response = self._fetch(method, request_url, params, body)
            yield data
            if style in ("page", "offset"):
                if not self._records_of(data, self._compiled()):
                    return
                page_number += 1
                offset += page_size
            elif style == "cursor":
                try:
                    found = self._compiled()["cursor_path"].search(data)
                except JMESPathError:
                    found = None
                if found is None or found == "" or found is False:
                    return
                cursor = found if isinstance(found, (str, int)) else str(found)
            elif style == "link":
                link = response.links.get("next", {}).get("url")
                if not link:
                    return
                next_url = urljoin(response.url, link)

    def _integer(self, setting, *, minimum):
        value = self.option(setting)
        try:
            number = int(value)
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

    # HTTP -------------------------------------------------------------------------

    def _fetch(self, method, url, params, body):
        response = self._request(method, url, params=params, body=body)
        if response.status_code == 404 and self.option("not_found_is_empty") is True:
            return None, response
        self._check(response)
        return self.http.json_of(response, system=self.host), response

    def _request(self, method, url, *, params=None, body=None):
        kwargs = {"params": params}
        if method == "POST":
            kwargs["json"] = body if body is not None else {}
        cached = self._access_token is not None
        response = self.http.send(method, url, **self._auth(), **kwargs)
        if (
            response.status_code == 401
            and cached
            and self.option("auth") == "oauth2_client_credentials"
        ):
            # The cached token may have been revoked early: fetch a new one, once.
            self._access_token = None
            response = self.http.send(method, url, **self._auth(), **kwargs)
        return response

    def _check(self, response):
        return self.http.check(
            response,
            refused=_("%(host)s refused the credentials (HTTP %(status)s).")
            % {"host": self.host, "status": response.status_code},
        )

    def _check_auth_settings(self) -> None:
        auth = self.option("auth") or "none"
        needs = {
            "none": (),
            "bearer": (("token", True),),
            "basic": (("username", False), ("password", True)),
            "header": (("auth_header_name", False), ("header_value", True)),
            "oauth2_client_credentials": (
                ("token_url", False),
                ("client_id", False),
                ("client_secret", True),
            ),
        }
        if auth not in needs:
            raise MisconfiguredError(
                _("Unknown authentication “%(auth)s”.") % {"auth": auth}
            )
        labels = {spec.name: spec.label for spec in self.settings}
        for name, secret in needs[auth]:
            value = self.secrets.get(name) if secret else self.option(name)
            if not value:
                raise MisconfiguredError(
                    _("Enter the “%(setting)s” for this authentication.")
                    % {"setting": labels[name]}
                )

    def _auth(self) -> dict:
        """Extra ``requests`` arguments that authenticate one call."""
        auth = self.option("auth") or "none"
        if auth == "bearer":
            return {"headers": {"Authorization": f"Bearer {self.secrets['token']}"}}
        if auth == "basic":
            return {
                "auth": (str(self.option("username")), str(self.secrets["password"]))
            }
        if auth == "header":
            name = str(self.option("auth_header_name")).strip()
            return {"headers": {name: str(self.secrets["header_value"])}}
        if auth == "oauth2_client_credentials":
            return {"headers": {"Authorization": f"Bearer {self._token()}"}}
        return {}

    def _token(self) -> str:
        """An OAuth 2.0 access token, fetched with the client credentials grant
        and kept until shortly before it expires."""
        if self._access_token and time.monotonic() < self._token_expires:
            return self._access_token
        token_url = str(self.option("token_url")).strip()
        self._check_url(token_url)
        client_id = str(self.option("client_id"))
        client_secret = str(self.secrets["client_secret"])
        data = {"grant_type": "client_credentials"}
        if self.option("scope"):
            data["scope"] = str(self.option("scope"))
        kwargs = {"data": data}
        if self.option("client_auth") == "body":
            data.update(client_id=client_id, client_secret=client_secret)
        else:
            kwargs["auth"] = (client_id, client_secret)
        response = self.http.send("POST", token_url, **kwargs)
        token_host = host_of(token_url)
        if response.status_code in (400, 401, 403):
            error = self.http.detail_of(response)
            raise MisconfiguredError(
                _("The token URL %(host)s refused the client credentials%(detail)s.")
                % {"host": token_host, "detail": f" ({error})" if error else ""},
                request_id=request_id_of(response),
            )
        self.http.check(
            response,
            refused=_("The token URL %(host)s refused the client credentials.")
            % {"host": token_host},
        )
        answer = self.http.json_of(response, system=token_host)
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise ConnectorError(
                _("The token URL %(host)s answered without an access token.")
                % {"host": token_host},
                retryable=False,
            )
        try:
            lifetime = float(answer.get("expires_in") or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        self.http.add_secret(token)
        self._access_token = token
        self._token_expires = time.monotonic() + max(lifetime - TOKEN_MARGIN, 0)
        return token
