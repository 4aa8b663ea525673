"""Every error the API answers has one shape, and the schema lists it.

``{"code": "<machine code>", "detail": "<translated message>", "errors": {...}}``
where ``errors`` (invalid input only) maps each field to its messages: a list
of texts, or for a nested object the same structure again, and for a list
the errors of each bad element keyed by its position
(``{"items": {"0": {"id": ["…"]}}}``).

Three doors lead here: the DRF exception handler (errors raised in API views),
``handler400``/``handler404`` (what Django answers itself under ``/api/``: an
unknown URL, an unreadable or oversized body) and ``JsonApiErrorsMiddleware``
(the same with ``DEBUG`` on, where Django answers with its technical pages).
The postprocessing hook ``document_error_responses`` adds the errors each
operation can answer with to the OpenAPI schema.
"""

import json

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cms.errors import BatonError

__all__ = [
    "ERRORS_SCHEMA",
    "ErrorSerializer",
    "JsonApiErrorsMiddleware",
    "bad_request",
    "document_error_responses",
    "exception_handler",
    "page_not_found",
]

API_PREFIX = "/api/"

# What each error status means, for answers Django or DRF give without a more
# specific message; and the schema's description of it.
_STATUS = {
    400: ("invalid", gettext_lazy("The request is not valid.")),
    401: ("not_authenticated", gettext_lazy("Sign in or send an API token.")),
    403: ("permission_denied", gettext_lazy("You do not have permission to do this.")),
    404: ("not_found", gettext_lazy("Not found.")),
    405: ("method_not_allowed", gettext_lazy("This method is not allowed here.")),
    406: ("not_acceptable", gettext_lazy("This response format is not offered.")),
    409: ("conflict", gettext_lazy("This conflicts with the current state.")),
    413: ("too_large", gettext_lazy("The request body is too large.")),
    415: (
        "unsupported_media_type",
        gettext_lazy("This content type is not accepted here."),
    ),
    429: ("throttled", gettext_lazy("Too many requests. Try again later.")),
    500: ("server_error", gettext_lazy("Something went wrong on our side.")),
}

_DESCRIPTIONS = {
    400: "Invalid input: `errors` names each field; nothing changed.",
    401: "No valid credentials: send `Authorization: Token <token>`.",
    403: "You may see this but not do it (or the CSRF check failed).",
    404: "No such object, or one you may not see.",
    409: "Not possible in the current state; nothing changed.",
    413: "The request body is larger than the server accepts.",
    415: "The request body's content type is not accepted.",
    429: "Too many requests (or failed attempts): wait, then try again.",
}

# One field's errors: messages, or the same structure for a nested object
# (a dict) or a list of objects (one entry per element, empty when it is fine).
ERRORS_SCHEMA = {
    "type": "object",
    "additionalProperties": {
        "anyOf": [
            {
                "type": "array",
                "items": {"anyOf": [{"type": "string"}, {"type": "object"}]},
            },
            {"type": "object"},
        ]
    },
    "description": "Field name → its messages (invalid input only). A nested "
    "object or list has the same structure inside: "
    '`{"items": {"0": {"id": ["…"]}}}`.',
}


@extend_schema_field(ERRORS_SCHEMA)
class FieldErrorsField(serializers.JSONField):
    """``errors`` in an error body, typed as what it holds."""


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. `not_found`.")
    detail = serializers.CharField(help_text="A message to show, translated.")
    errors = FieldErrorsField(required=False)


def _flatten(detail):
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(value) for value in detail]
    return str(detail)


def _body(status: int, detail=None) -> dict:
    code, message = _STATUS.get(status, ("error", _STATUS[400][1]))
    return {"code": code, "detail": str(detail or message)}


def exception_handler(exc, context):
    if isinstance(exc, BatonError):
        body = {"code": exc.code, "detail": str(exc.message)}
        if exc.fields:
            body["errors"] = _flatten(exc.fields)
        body.update(exc.extra)
        return Response(body, status=exc.status)

    # Django's own refusals of a request body, met while DRF parses it.
    if isinstance(exc, RequestDataTooBig):
        return Response(_body(413), status=413)
    if isinstance(exc, TooManyFieldsSent | SuspiciousOperation):
        return Response(_body(400), status=400)

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail
        if isinstance(errors, list):
            errors = {"non_field_errors": errors}
        response.data = {
            "code": "invalid",
            "detail": _("Some of the input is not valid."),
            "errors": _flatten(errors),
        }
    else:
        detail = getattr(exc, "detail", "")
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
        response.data = {
            "code": codes if isinstance(codes, str) else "error",
            "detail": str(detail),
        }
    return response


# What Django answers itself ------------------------------------------------------


def _is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def page_not_found(request, exception=None):
    """``handler404``: JSON under ``/api/`` (a URL that matches no route, an id
    out of range), Django's page elsewhere."""
    if _is_api(request):
        return JsonResponse(_body(404), status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception=None):
    """``handler400``: JSON under ``/api/`` (413 for an oversized body)."""
    if _is_api(request):
        status = 413 if isinstance(exception, RequestDataTooBig) else 400
        return JsonResponse(_body(status), status=status)
    return defaults.bad_request(request, exception)


class JsonApiErrorsMiddleware:
    """Any error answer under ``/api/`` that is not JSON yet (Django's pages,
    its technical pages with ``DEBUG`` on) becomes the API's error body, with
    the status and headers it had. A 500 under ``DEBUG`` keeps its traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not _is_api(request)
            or response.streaming
            or response.get("Content-Type", "").startswith("application/json")
            or (response.status_code >= 500 and settings.DEBUG)
        ):
            return response
        response.content = json.dumps(_body(response.status_code)).encode()
        response["Content-Type"] = "application/json"
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response


# The schema ----------------------------------------------------------------------

_UNSAFE = {"post", "put", "patch", "delete"}


def _error_response(status: int) -> dict:
    return {
        "description": _DESCRIPTIONS[status],
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        },
    }


def _statuses(method: str, operation: dict) -> set[int]:
    """The errors an operation can answer with, whatever the view."""
    authenticated = {} not in operation.get("security", [{}])
    parameters = operation.get("parameters", [])
    has_query = any(parameter.get("in") == "query" for parameter in parameters)
    has_path = any(parameter.get("in") == "path" for parameter in parameters)
    statuses = {429}  # throttles and lockouts can apply to any request
    if authenticated:
        statuses |= {401, 403, 404}
    if has_path:
        statuses.add(404)
    if has_query or method in _UNSAFE:
        statuses.add(400)
    if method in _UNSAFE:
        statuses |= {413, 415}
        if authenticated:
            statuses.add(409)
    return statuses


def document_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation lists the error
    answers it can give (a view's own description of one is kept), each with
    the ``Error`` body; an error documented without a body gets it."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Error",
        {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "detail": {"type": "string"},
                "errors": ERRORS_SCHEMA,
            },
            "required": ["code", "detail"],
        },
    )
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status in sorted(_statuses(method, operation)):
                responses.setdefault(str(status), _error_response(status))
            for status, response in responses.items():
                if status.startswith("4") and "content" not in response:
                    response["content"] = _error_response(int(status))["content"]
    return result
