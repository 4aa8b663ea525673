"""What an admin configures for the generic REST type: the request, how it signs
in, how its lists page, and the JMESPath expressions that read the records."""

from __future__ import annotations

from dataclasses import replace

from django.utils.translation import gettext_lazy as _

from checklist_blocks.blocks.connector import RECORD_KIND_CHOICES

from ...sdk.base import Setting
from ...sdk.common import TIMEOUT, VERIFY_TLS
from ...sdk.http import BASE_URL

__all__ = ["AUTH_CHOICES", "METHOD_CHOICES", "PAGINATION_CHOICES", "SETTINGS"]

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
_OAUTH = _("For OAuth 2.0 client credentials.")


def _optional(name, label, help_text="", **declaration) -> Setting:
    return Setting(name, label, help_text, required=False, **declaration)


SETTINGS = (
    replace(
        BASE_URL,
        help_text=_("e.g. https://crm.example.com"),
        invalid=_("The base URL must start with https:// (or http://)."),
    ),
    _optional(
        "path",
        _("Request path"),
        _(
            "Appended to the base URL. May use {email}, {employee_number}, "
            "{directory_id}, {username} and {name}, e.g. /api/users/{email}/clients"
        ),
        default="",
    ),
    _optional("method", _("Method"), default="GET", choices=METHOD_CHOICES),
    _optional(
        "query",
        _("Query parameters"),
        _("Name → value; values may use the same {variables} as the path."),
        default={},
        type="object",
    ),
    _optional(
        "body",
        _("Request body (POST)"),
        _("JSON sent with POST; strings may use the same {variables} as the path."),
        type="object",
    ),
    # Authentication: which of the settings below are needed depends on it.
    _optional("auth", _("Authentication"), default="none", choices=AUTH_CHOICES),
    _optional(
        "auth_header_name",
        _("Header name"),
        _("For an API key in a header, e.g. X-API-Key."),
    ),
    _optional(
        "username", _("User name"), _("For user name and password authentication.")
    ),
    _optional("client_id", _("Client id"), _OAUTH),
    _optional("token_url", _("Token URL"), _OAUTH, type="url"),
    _optional("scope", _("Scope"), _("For OAuth 2.0 client credentials; optional.")),
    _optional(
        "client_auth",
        _("How the client authenticates to the token URL"),
        default="basic",
        choices=CLIENT_AUTH_CHOICES,
    ),
    # Pagination.
    _optional(
        "pagination", _("Pagination"), default="none", choices=PAGINATION_CHOICES
    ),
    _optional("page_param", _("Page number parameter"), default="page"),
    _optional("page_start", _("First page number"), default=1, type="integer"),
    _optional(
        "page_size_param",
        _("Page size parameter"),
        _("For page numbers, optional; for offsets, the limit parameter."),
    ),
    _optional("page_size", _("Page size"), default=100, type="integer"),
    _optional("offset_param", _("Offset parameter"), default="offset"),
    _optional("limit_param", _("Limit parameter"), default="limit"),
    _optional(
        "offset_start",
        _("First offset"),
        _("0 for most APIs; 1 for SCIM's startIndex."),
        default=0,
        type="integer",
    ),
    _optional(
        "cursor_path",
        _("Next cursor (JMESPath)"),
        _("Where the response holds the next cursor, e.g. meta.next_cursor"),
    ),
    _optional(
        "cursor_param",
        _("Cursor parameter"),
        _("The query parameter the cursor is sent in."),
        default="cursor",
    ),
    _optional("max_pages", _("Most pages to read"), default=100, type="integer"),
    # What the records are.
    _optional(
        "records_path",
        _("Records (JMESPath)"),
        _(
            "Where each page holds the list of records, e.g. data.items; "
            "@ for the whole answer."
        ),
        default="@",
    ),
    _optional("id_path", _("Record id (JMESPath)"), default="id"),
    _optional("title_path", _("Record title (JMESPath)"), default="name"),
    _optional(
        "kind",
        _("Record kind"),
        _("What the records are; empty lets the template decide."),
        choices=RECORD_KIND_CHOICES,
    ),
    _optional(
        "field_paths",
        _("Record fields (JMESPath)"),
        _("Field name → JMESPath per record; empty keeps each record as received."),
        default={},
        type="object",
    ),
    _optional(
        "not_found_is_empty",
        _("Treat “not found” (HTTP 404) as no records"),
        _(
            "For APIs that answer 404 when they do not know the employee. Leave "
            "off to report a 404 as an error (e.g. a wrong path)."
        ),
        default=False,
        type="boolean",
    ),
    _optional(
        "test_path",
        _("Path for the connection test"),
        _("Requested by “Test connection”; the base URL when empty."),
    ),
    TIMEOUT,
    VERIFY_TLS,
    _optional("token", _("Bearer token"), secret=True),
    _optional("password", _("Password"), secret=True),
    _optional("header_value", _("Header value (API key)"), secret=True),
    _optional("client_secret", _("Client secret"), secret=True),
)
