"""The generic REST connector's settings: authentication, pagination, the
request and response templates, and the limits."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from checklist_blocks.blocks.connector import RECORD_KIND_CHOICES

from ...sdk.common import (
    TIMEOUT,
    VERIFY_TLS,
    flag_setting,
    map_setting,
    optional,
    url_setting,
)

__all__ = [
    "AUTHS",
    "CLIENT_AUTH_CHOICES",
    "MINIMUMS",
    "PAGINATION_CHOICES",
    "SETTINGS",
    "VARIABLES",
]


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
        "method",
        _("Method"),
        _(
            "GET for most APIs; POST when the API expects its search in the "
            "request body (see Request body)."
        ),
        default="GET",
        choices=(("GET", "GET"), ("POST", "POST")),
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
        _(
            "How Baton signs in to the API. Then fill in the settings that sign-in "
            "needs below: the token, the user name and password, the header, or "
            "the OAuth 2.0 client."
        ),
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
        _(
            "For OAuth 2.0 client credentials: HTTP Basic (an Authorization header, "
            "what most servers expect) or the client id and secret in the form "
            "body. The API's documentation says which."
        ),
        default="basic",
        choices=CLIENT_AUTH_CHOICES,
    ),
    # Pagination.
    optional(
        "pagination",
        _("Pagination"),
        _(
            "How the API splits a long list over several answers, as its "
            "documentation describes. None: the whole list comes in one answer."
        ),
        default="none",
        choices=PAGINATION_CHOICES,
    ),
    optional(
        "page_param",
        _("Page number parameter"),
        _("For page numbers: the query parameter holding the page, e.g. page."),
        default="page",
    ),
    optional(
        "page_start",
        _("First page number"),
        _("For page numbers: the number of the first page; 1 for most APIs."),
        default=1,
        type="integer",
    ),
    optional(
        "page_size_param",
        _("Page size parameter"),
        _("For page numbers, optional; for offsets, the limit parameter."),
    ),
    optional(
        "page_size",
        _("Page size"),
        _(
            "Records asked for in each request, at most what the API allows "
            "(often 100)."
        ),
        default=100,
        type="integer",
    ),
    optional(
        "offset_param",
        _("Offset parameter"),
        _(
            "For offset and limit: the query parameter holding how many records "
            "to skip, e.g. offset or start."
        ),
        default="offset",
    ),
    optional(
        "limit_param",
        _("Limit parameter"),
        _(
            "For offset and limit: the query parameter holding how many records "
            "to return, e.g. limit or count."
        ),
        default="limit",
    ),
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
    optional(
        "max_pages",
        _("Most pages to read"),
        _(
            "Baton stops after this many requests for one employee, so a wrong "
            "pagination setting cannot loop for ever."
        ),
        default=100,
        type="integer",
    ),
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
    optional(
        "id_path",
        _("Record id (JMESPath)"),
        _(
            "Where each record holds its unique id, e.g. id or data.uuid; keeps "
            "an item linked to its record across re-syncs."
        ),
        default="id",
    ),
    optional(
        "title_path",
        _("Record title (JMESPath)"),
        _(
            "Where each record holds the name the item shows, e.g. name or "
            "account.display_name."
        ),
        default="name",
    ),
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
    optional(
        "token",
        _("Bearer token"),
        _(
            "For a bearer token: the API token, sent as “Authorization: Bearer …”. "
            "Stored encrypted; never shown again."
        ),
        secret=True,
    ),
    optional(
        "password",
        _("Password"),
        _(
            "For user name and password authentication. Stored encrypted; never "
            "shown again."
        ),
        secret=True,
    ),
    optional(
        "header_value",
        _("Header value (API key)"),
        _(
            "For an API key in a header: the key, sent in the header named above. "
            "Stored encrypted; never shown again."
        ),
        secret=True,
    ),
    optional(
        "client_secret",
        _("Client secret"),
        _(
            "For OAuth 2.0 client credentials: the secret issued with the client "
            "id. Stored encrypted; never shown again."
        ),
        secret=True,
    ),
)
