"""``POST /api/v1/intake/resignations/``: the HR system says an employee
resigned (event ``employee.resigned``).

Signed like the connectors' webhooks, with ``BATON_INTAKE_WEBHOOK_SECRET``:
header ``X-Baton-Timestamp`` (Unix seconds) and ``X-Baton-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">``. A request without a
valid signature, older than ``BATON_WEBHOOK_TOLERANCE_SECONDS`` or received
before is refused (401) and nothing is recorded. A signed body that is not a
valid event is refused (400) and, when its event id can be read, kept for HR
as a refused event. Otherwise the event goes to ``resignation_receive`` in the
mode ``BATON_INTAKE_WEBHOOK_MODE`` and the answer says what became of it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.errors import BatonError, InvalidInput, PermissionDenied
from cms.models import ResignationEvent
from cms.services.intake import (
    MODES,
    EmployeeLookup,
    ResignationNotice,
    resignation_receive,
    resignation_record_malformed,
)
from cms.services.signing import RequestMeta

__all__ = [
    "MAX_BODY_BYTES",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "ResignationWebhookView",
    "intake_signature",
]

SIGNATURE_HEADER = "X-Baton-Signature"
TIMESTAMP_HEADER = "X-Baton-Timestamp"
# An event is a few hundred bytes; anything much larger is not one.
MAX_BODY_BYTES = 64 * 1024
EVENT = "employee.resigned"


class Unsigned(PermissionDenied):
    status = 401
    code = "not_authenticated"


class TooLarge(BatonError):
    status = 413
    code = "too_large"
    default_message = _("The request body is too large.")


def intake_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, "<timestamp>." + body)."""
    digest = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"sha256={digest}"


# The payload ------------------------------------------------------------------------


class EmployeeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Baton's id."
    )
    number = serializers.CharField(
        required=False, max_length=32, help_text="The employee number."
    )
    email = serializers.EmailField(required=False, max_length=254)
    directory_id = serializers.CharField(
        required=False, max_length=255, help_text="The id in the company directory."
    )

    def validate(self, attrs):
        if not any(attrs.get(key) for key in ("id", "number", "email", "directory_id")):
            raise serializers.ValidationError(
                gettext("Name the employee by id, number, email or directory_id.")
            )
        return attrs


class ResignationWebhookSerializer(serializers.Serializer):
    event = serializers.ChoiceField(choices=[EVENT])
    id = serializers.CharField(
        max_length=255,
        help_text="The event's id in the HR system: the same id again is a "
        "duplicate and changes nothing.",
    )
    employee = EmployeeRefSerializer()
    resignation_date = serializers.DateField(required=False, allow_null=True)
    last_working_day = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default=""
    )


OUTCOMES = ["started", "proposed", "duplicate", "refused"]


# A pattern, not an enum: drf-spectacular names enums by field, and another
# "status" enum (employees') would be renamed by this one.
@extend_schema_field({"type": "string", "pattern": f"^({'|'.join(OUTCOMES)})$"})
class OutcomeField(serializers.CharField):
    pass


class IntakeOutcomeSerializer(serializers.Serializer):
    status = OutcomeField(help_text="What became of the event.")
    event = serializers.IntegerField(help_text="The resignation event's id.")
    handover = serializers.IntegerField(
        allow_null=True, help_text="The handover started, if one was."
    )
    message = serializers.CharField(help_text="What happened, translated.")
    refusal_code = serializers.CharField(
        required=False, help_text="Why the event was refused (refused only)."
    )


def _outcome_body(outcome) -> dict:
    body = {
        "status": outcome.status,
        "event": outcome.event.pk,
        "handover": outcome.handover.pk if outcome.handover else None,
        "message": str(outcome.message),
    }
    if outcome.event.state == ResignationEvent.State.REFUSED:
        body["refusal_code"] = outcome.event.refusal_code
    return body


# The view ---------------------------------------------------------------------------


class ResignationWebhookView(APIView):
    """The HR system's resignation events (see the module's docstring)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        tags=["intake"],
        operation_id="intake_resignation_receive",
        summary="Receive a resignation from the HR system (signed webhook)",
        description=(
            "Sign the raw body with the shared secret: `X-Baton-Timestamp` is "
            "the Unix time in seconds, `X-Baton-Signature` is `sha256=` and the "
            "hex HMAC-SHA256 of `<timestamp>.<raw body>`. Requests older than "
            "the tolerance (5 minutes by default), replayed or badly signed are "
            "refused with 401 and not recorded. The event `id` is the "
            "idempotency key: the same id again answers `duplicate`. Whether "
            "the handover starts at once or is proposed to HR is Baton's "
            "setting. An event that cannot start (unknown employee, dates "
            "missing or reversed, an open handover already, …) answers "
            "`refused` with the reason, and is kept for HR."
        ),
        request=ResignationWebhookSerializer,
        parameters=[
            OpenApiParameter(
                TIMESTAMP_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="Unix time in seconds when the request was signed.",
            ),
            OpenApiParameter(
                SIGNATURE_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description='"sha256=" and the hex HMAC-SHA256 of '
                '"<timestamp>.<raw body>".',
            ),
        ],
        responses={
            202: IntakeOutcomeSerializer,
            400: OpenApiResponse(
                description="Not a valid event: `errors` names each field. Kept "
                "for HR as a refused event when its `id` could be read."
            ),
            401: OpenApiResponse(
                description="Unsigned, badly signed, too old or replayed: "
                "nothing was recorded."
            ),
            413: OpenApiResponse(description="The body is larger than 64 KiB."),
        },
        examples=[
            OpenApiExample(
                "employee.resigned",
                request_only=True,
                value={
                    "event": EVENT,
                    "id": "hr-2026-00042",
                    "employee": {"number": "E0005"},
                    "resignation_date": "2026-12-01",
                    "last_working_day": "2026-12-31",
                    "reason": "Moving abroad",
                },
            )
        ],
    )
    def post(self, request):
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            raise TooLarge()
        body = request.body
        if len(body) > MAX_BODY_BYTES:
            raise TooLarge()
        signature, timestamp = self._verify(request, body)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise InvalidInput(_("The body is not valid JSON.")) from error
        if not isinstance(payload, dict):
            raise InvalidInput(_("The body must be a JSON object."))
        delivery = {
            "timestamp": timestamp,
            "signature_sha256": hashlib.sha256(signature.encode()).hexdigest(),
        }
        event_id = payload.get("id")
        event_id = event_id.strip() if isinstance(event_id, str) else ""
        if event_id and self._replayed(event_id, delivery):
            raise Unsigned(gettext("This request was already received."))
        serializer = ResignationWebhookSerializer(data=payload)
        if not serializer.is_valid():
            self._keep_malformed(payload, event_id, delivery, serializer.errors)
            raise InvalidInput(fields=serializer.errors)
        data = serializer.validated_data
        employee = data["employee"]
        outcome = resignation_receive(
            notice=ResignationNotice(
                source=ResignationEvent.Source.WEBHOOK,
                external_id=data["id"],
                employee=EmployeeLookup(
                    id=employee.get("id"),
                    number=employee.get("number", ""),
                    email=employee.get("email", ""),
                    directory_id=employee.get("directory_id", ""),
                ),
                resignation_date=data.get("resignation_date"),
                last_working_day=data.get("last_working_day"),
                reason=data.get("reason", ""),
                payload={"event": payload, "delivery": delivery},
            ),
            mode=_mode(),
            meta=RequestMeta.from_request(request),
        )
        return Response(_outcome_body(outcome), status=status.HTTP_202_ACCEPTED)

    def _verify(self, request, body: bytes) -> tuple[str, str]:
        secret = settings.BATON_INTAKE_WEBHOOK_SECRET
        if not secret:
            raise Unsigned(
                gettext(
                    "The HR webhook is not set up: Baton has no secret to verify "
                    "requests with."
                )
            )
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not timestamp or not signature:
            raise Unsigned(
                gettext("Sign the request: %(headers)s headers are required.")
                % {"headers": f"{TIMESTAMP_HEADER}, {SIGNATURE_HEADER}"}
            )
        if not timestamp.isdigit() or len(timestamp) > 12:
            raise Unsigned(gettext("The timestamp must be Unix seconds."))
        tolerance = settings.BATON_WEBHOOK_TOLERANCE_SECONDS
        if abs(time.time() - int(timestamp)) > tolerance:
            raise Unsigned(
                gettext(
                    "The request is older than %(seconds)d seconds (or from the "
                    "future): refused as a possible replay."
                )
                % {"seconds": tolerance}
            )
        expected = intake_signature(secret, timestamp, body)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise Unsigned(gettext("The signature does not match."))
        return signature, timestamp

    def _replayed(self, event_id: str, delivery: dict) -> bool:
        """The same signed request again: every accepted request is kept with
        its event (received, refused or counted as a duplicate of it), so the
        event's first delivery is the one a replay would repeat. A resend by
        the HR system is signed anew and is a duplicate instead."""
        return ResignationEvent.objects.filter(
            source=ResignationEvent.Source.WEBHOOK,
            connector_slug="",
            external_id=event_id[:255],
            payload__delivery__signature_sha256=delivery["signature_sha256"],
        ).exists()

    def _keep_malformed(self, payload, event_id, delivery, errors) -> None:
        if not event_id or len(event_id) > 255:
            return  # nothing to file it under
        resignation_record_malformed(
            source=ResignationEvent.Source.WEBHOOK,
            external_id=event_id,
            payload={"event": payload, "delivery": delivery, "errors": errors},
            problem=gettext("The event is not valid: %(errors)s")
            % {"errors": _flatten(errors)},
        )


def _mode() -> str:
    mode = settings.BATON_INTAKE_WEBHOOK_MODE
    return mode if mode in MODES else "propose"


def _flatten(errors, prefix="") -> str:
    parts = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            parts.append(_flatten(value, f"{prefix}{key}."))
    elif isinstance(errors, list):
        parts.extend(_flatten(value, prefix) for value in errors)
    else:
        parts.append(f"{prefix.rstrip('.')}: {errors}" if prefix else str(errors))
    return "; ".join(part for part in parts if part)
