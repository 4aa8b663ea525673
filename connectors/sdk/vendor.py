"""Maintained vendor client libraries (python-gitlab today; lark-oapi,
alibabacloud-dingtalk, ldap3 and proteus have their own translation in their
types) with Baton's error translation: whatever a library raises becomes the
same ``ConnectorError`` / ``MisconfiguredError`` an ``HttpConnector`` would
raise for that answer.

    with upstream_errors(self, refused=_("GitLab refused the token.")):
        project = self.client.projects.get(path)

Where a library was tried and is worse than ``HttpConnector`` (PyGithub,
python-redmine, atlassian-python-api, hubspot-api-client), the type's module
docstring says why.
"""

from __future__ import annotations

import contextlib
import json

import requests

from .base import ConnectorError, MisconfiguredError
from .client import raise_for_status, request_error, request_id_of

__all__ = ["LastResponse", "status_of", "upstream_errors"]

_STATUS_ATTRIBUTES = ("status", "status_code", "response_code", "code")
_DETAIL_KEYS = ("message", "error_message", "detail", "error", "body", "data")


def status_of(error: Exception) -> tuple[int | None, dict, str]:
    """(HTTP status, headers, a short reason) a library's exception carries."""
    response = getattr(error, "response", None)
    if isinstance(response, requests.Response):
        return response.status_code, dict(response.headers), _reason(response.text)
    status = None
    for name in _STATUS_ATTRIBUTES:
        value = getattr(error, name, None)
        if isinstance(value, int) and 100 <= value < 600:
            status = value
            break
    headers = getattr(error, "headers", None) or {}
    reason = ""
    for name in _DETAIL_KEYS:
        value = getattr(error, name, None)
        if value:
            reason = _reason(value)
            break
    return status, dict(headers), reason


def _reason(value) -> str:
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dict):
        for key in ("message", "detail", "error_description", "error", "title"):
            text = value.get(key)
            if isinstance(text, str) and text.strip():
                return text
        errors = value.get("errors")
        if isinstance(errors, list) and errors:
            return str(errors[0])
    if isinstance(value, list) and value:
        return str(value[0])
    return ""


class LastResponse:
    """The last answer a library's ``requests`` session received, for
    libraries whose exceptions and results carry no headers (python-gitlab):
    the request id of a failure, and the status and request id of a write,
    are read from here. ``upstream_errors(responses=…)`` forgets it on entry."""

    def __init__(self, session: requests.Session):
        self.response: requests.Response | None = None
        session.hooks["response"].append(self._keep)

    def _keep(self, response, *args, **kwargs):
        self.response = response

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None

    @property
    def request_id(self) -> str | None:
        return request_id_of(self.response)


@contextlib.contextmanager
def upstream_errors(
    connector,
    *,
    refused,
    not_found=None,
    library_errors=(),
    forbidden=None,
    responses: LastResponse | None = None,
):
    """Translate what a vendor library raises inside the block.

    ``connector`` needs ``host`` and ``timeout``, and ``http`` (an
    ``HttpClient``) to scrub its secrets from quoted text; ``library_errors``
    are the library's base exception classes to translate (``requests``'
    exceptions always are). ``forbidden``, when given, is the message for 403
    rather than ``refused`` (``%(detail)s`` quotes the reason); ``responses``
    gives the request id an exception does not carry.
    """
    options = {"forbidden": forbidden, "responses": responses}
    if responses is not None:
        responses.response = None
    try:
        yield
    except ConnectorError:
        raise
    except requests.exceptions.RequestException as error:
        url = getattr(getattr(error, "request", None), "url", None) or connector.host
        response = getattr(error, "response", None)
        if isinstance(response, requests.Response):
            _raise_status(connector, error, refused, not_found, **options)
        raise request_error(error, url=url, timeout=connector.timeout) from None
    except library_errors as error:
        _raise_status(connector, error, refused, not_found, **options)
        raise ConnectorError(_scrub(connector, str(error))) from None


def _raise_status(connector, error, refused, not_found, forbidden=None, responses=None):
    status, headers, reason = status_of(error)
    if status is None:
        return
    request_id = None
    for header in ("X-Request-Id", "X-GitHub-Request-Id", "X-Hubspot-Correlation-Id"):
        lowered = {key.lower(): value for key, value in headers.items()}
        if lowered.get(header.lower()):
            request_id = str(lowered[header.lower()])[:200]
            break
    if request_id is None and responses is not None and responses.status == status:
        request_id = responses.request_id
    if status == 403 and forbidden is not None:
        detail = _scrub(connector, reason) or "-"
        raise MisconfiguredError(forbidden % {"detail": detail}, request_id=request_id)
    try:
        raise_for_status(
            status,
            host=connector.host,
            request_id=request_id,
            detail=lambda: _scrub(connector, reason),
            refused=refused,
            not_found=not_found,
        )
    except ConnectorError as translated:
        raise translated from None


def _scrub(connector, text: str) -> str:
    http = getattr(connector, "http", None)
    if http is not None and hasattr(http, "scrub"):
        return http.scrub(text)
    return " ".join(str(text).split())[:200]
