"""One exception handler for the whole API: every error body has the same shape.

``{"code": "<machine code>", "detail": "<translated message>", "errors": {...}}``
where ``errors`` maps field names to lists of messages for invalid input.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cms.errors import BatonError


def _flatten(detail):
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(value) for value in detail]
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, BatonError):
        body = {"code": exc.code, "detail": str(exc.message)}
        if exc.fields:
            body["errors"] = _flatten(exc.fields)
        body.update(exc.extra)
        return Response(body, status=exc.status)

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
