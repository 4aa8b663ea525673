"""Inbound webhooks: an upstream system says something changed, signed with
the connector's secret; replays and stale requests are refused."""

import hashlib
import hmac
import json
import time

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.errors import InvalidInput, NotFound, PermissionDenied

from .. import services
from ..models import ConnectorConfig
from ..sdk.base import WEBHOOK
from ..webhooks import webhook_delivery_record

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookView",
    "webhook_signature",
]

SIGNATURE_HEADER = "X-Baton-Signature"
TIMESTAMP_HEADER = "X-Baton-Timestamp"


class Unauthenticated(PermissionDenied):
    status = 401
    code = "not_authenticated"


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, "<timestamp>." + body)."""
    digest = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"sha256={digest}"


class WebhookView(APIView):
    """``POST /api/v1/hooks/<slug>/``: an upstream system says something changed.

    Signed with the connector's ``webhook_secret``: header ``X-Baton-Timestamp``
    (Unix seconds) and ``X-Baton-Signature: sha256=<hex HMAC-SHA256 of
    "<timestamp>.<raw body>">``. Older than 5 minutes, replayed, or badly signed:
    401. The body may name employees (``{"employees": [{"email": ...}]}``) to
    re-sync only their handovers."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        tags=["connectors"],
        request=inline_serializer(
            "WebhookEvent",
            {
                "event": serializers.CharField(required=False),
                "employees": serializers.ListField(
                    child=serializers.DictField(), required=False
                ),
            },
        ),
        responses={
            202: inline_serializer(
                "WebhookAccepted", {"queued": serializers.IntegerField()}
            ),
            401: OpenApiResponse(description="Bad or missing signature, or too old."),
            404: OpenApiResponse(description="No connector with this slug."),
        },
        summary="Receive a change notification from a connected system",
    )
    def post(self, request, slug):
        body = request.body
        config = get_object_or_404(ConnectorConfig, slug=slug, enabled=True)
        accepts = config.can(WEBHOOK)
        secret = config.get_secrets().get("webhook_secret") if accepts else None
        if not secret:
            raise NotFound(_("This connector does not accept webhooks."))
        self._verify(request, config, secret, body)
        try:
            payload = json.loads(body or b"{}")
        except ValueError as error:
            raise InvalidInput(_("The body is not valid JSON.")) from error
        if not isinstance(payload, dict):
            raise InvalidInput(_("The body must be a JSON object."))
        queued = services.webhook_queue(config=config, payload=payload)
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)

    def _verify(self, request, config, secret, body):
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not timestamp or not signature:
            raise Unauthenticated(
                gettext("Sign the request: %(headers)s headers are required.")
                % {"headers": f"{TIMESTAMP_HEADER}, {SIGNATURE_HEADER}"}
            )
        try:
            sent_at = int(timestamp)
        except ValueError as error:
            raise Unauthenticated(
                gettext("The timestamp must be Unix seconds.")
            ) from error
        tolerance = settings.BATON_WEBHOOK_TOLERANCE_SECONDS
        if abs(time.time() - sent_at) > tolerance:
            raise Unauthenticated(
                gettext(
                    "The request is older than %(seconds)d seconds (or from the "
                    "future): refused as a possible replay."
                )
                % {"seconds": tolerance}
            )
        expected = webhook_signature(secret, timestamp, body)
        if not hmac.compare_digest(expected, signature):
            raise Unauthenticated(gettext("The signature does not match."))
        # The same signed request twice within the window is a replay, whichever
        # worker received it first and whether or not it restarted since.
        if not webhook_delivery_record(
            connector=config, signature=signature, sent_at=sent_at
        ):
            raise Unauthenticated(gettext("This request was already received."))
