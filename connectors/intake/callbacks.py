"""The vendors' event callbacks: Feishu event subscriptions and DingTalk HTTP
event subscriptions push approval status changes here, signed (and encrypted)
as each vendor does (``connectors.intake.crypto``). An approved instance of
the connector's resignation approval queues ``intake_approval_task``, which
reads the instance from the vendor's API with the connector's credentials:
what an event says is only a hint, so a replayed or forged event can make
Baton read an approval again, never make one up. Everything else is answered
as the vendor expects and ignored.

- ``POST /api/v1/intake/feishu/<slug>/`` (Request URL of the Feishu app):
  the URL verification challenge, v1 ``approval_instance`` events
  (https://open.feishu.cn/document/server-docs/approval-v4/event/common-event/approval-instance-event)
  and v2 ``approval.instance.status_changed_v4`` events;
- ``POST /api/v1/intake/dingtalk/<slug>/`` (the HTTP push URL of the
  DingTalk app): ``check_url`` and ``bpms_instance_change``
  (https://open.dingtalk.com/document/orgapp/approval-events).
"""

from __future__ import annotations

import json
import secrets
import time

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.errors import InvalidInput, NotFound

from ..models import ConnectorConfig
from ..sdk.common import clean_text, object_dict
from .crypto import (
    CallbackCryptoError,
    dingtalk_decrypt,
    dingtalk_signature,
    dingtalk_success,
    feishu_decrypt,
    feishu_signature,
    signatures_match,
)
from .webhook import MAX_BODY_BYTES, TooLarge, Unsigned

__all__ = ["DingTalkCallbackView", "FeishuEventView"]

FEISHU_APPROVAL_EVENTS = frozenset(
    {"approval_instance", "approval.instance.status_changed_v4"}
)
FEISHU_APPROVED = "APPROVED"
DINGTALK_APPROVAL_EVENT = "bpms_instance_change"


def _body(request) -> bytes:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        raise TooLarge()
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        raise TooLarge()
    return body


def _json_object(raw: bytes) -> dict:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput(_("The body is not valid JSON.")) from error
    if not isinstance(value, dict):
        raise InvalidInput(_("The body must be a JSON object."))
    return value


def _connector(slug: str, type_slug: str) -> ConnectorConfig:
    return get_object_or_404(ConnectorConfig, slug=slug, type=type_slug, enabled=True)


def _queue(connector: ConnectorConfig, instance_code: str) -> None:
    from .tasks import intake_approval_task

    connector_id = connector.pk
    transaction.on_commit(lambda: intake_approval_task(connector_id, instance_code))


def _approval_code(connector: ConnectorConfig) -> str:
    return clean_text((connector.settings or {}).get("resignation_approval_code"))


_ANY_JSON = inline_serializer(
    "VendorEvent", {"encrypt": serializers.CharField(required=False)}
)
_ERRORS = {
    400: OpenApiResponse(description="The (decrypted) body is not a JSON object."),
    401: OpenApiResponse(
        description="Not signed, or not encrypted, with this connector's keys."
    ),
    404: OpenApiResponse(
        description="No enabled connector of this type with this slug, or it "
        "has no event keys."
    ),
    413: OpenApiResponse(description="The body is larger than 64 KiB."),
}


# Feishu -----------------------------------------------------------------------------


class FeishuEventView(APIView):
    """Feishu's event subscription (see the module's docstring)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        tags=["intake"],
        operation_id="intake_feishu_event",
        summary="Receive a Feishu event (resignation approvals)",
        description=(
            "The Request URL of the Feishu app's event subscription. Verified "
            "with the connector's verification token and, when an encrypt key "
            "is set, its `X-Lark-Signature` (and decrypted with it)."
        ),
        request=_ANY_JSON,
        parameters=[
            OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.HEADER)
            for name in (
                "X-Lark-Request-Timestamp",
                "X-Lark-Request-Nonce",
                "X-Lark-Signature",
            )
        ],
        responses={
            200: inline_serializer(
                "FeishuEventAnswer",
                {
                    "challenge": serializers.CharField(required=False),
                    "msg": serializers.CharField(required=False),
                },
            ),
            **_ERRORS,
        },
    )
    def post(self, request, slug):
        connector = _connector(slug, "feishu")
        keys = connector.get_secrets()
        token = keys.get("event_verification_token") or ""
        encrypt_key = keys.get("event_encrypt_key") or ""
        if not token:
            raise NotFound(_("This connector does not accept Feishu events."))
        body = _body(request)
        payload = _json_object(body)
        if "encrypt" in payload:
            if not encrypt_key or not isinstance(payload["encrypt"], str):
                raise Unsigned(gettext("The event is not encrypted with this key."))
            try:
                payload = _json_object(feishu_decrypt(encrypt_key, payload["encrypt"]))
            except CallbackCryptoError as error:
                raise Unsigned(
                    gettext("The event is not encrypted with this key.")
                ) from error
        elif encrypt_key:
            raise Unsigned(gettext("The event must be encrypted."))
        header = object_dict(payload.get("header"))
        received_token = payload.get("token") or header.get("token")
        if not isinstance(received_token, str) or not signatures_match(
            token, received_token
        ):
            raise Unsigned(gettext("The verification token does not match."))
        if payload.get("type") == "url_verification":
            return Response({"challenge": clean_text(payload.get("challenge"))})
        if encrypt_key:
            self._verify_signature(request, encrypt_key, body)
        event = object_dict(payload.get("event"))
        event_type = clean_text(header.get("event_type")) or clean_text(
            event.get("type")
        )
        code = clean_text(event.get("instance_code"))
        if (
            event_type in FEISHU_APPROVAL_EVENTS
            and clean_text(event.get("status")).upper() == FEISHU_APPROVED
            and code
            and clean_text(event.get("approval_code")) == _approval_code(connector)
        ):
            _queue(connector, code)
        return Response({"msg": "success"})

    def _verify_signature(self, request, encrypt_key: str, body: bytes) -> None:
        timestamp = request.headers.get("X-Lark-Request-Timestamp", "")
        nonce = request.headers.get("X-Lark-Request-Nonce", "")
        signature = request.headers.get("X-Lark-Signature", "")
        if not (timestamp and nonce and signature) or not signatures_match(
            feishu_signature(timestamp, nonce, encrypt_key, body), signature
        ):
            raise Unsigned(gettext("The signature does not match."))


# DingTalk ---------------------------------------------------------------------------


class DingTalkCallbackView(APIView):
    """DingTalk's HTTP event subscription (see the module's docstring)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        tags=["intake"],
        operation_id="intake_dingtalk_event",
        summary="Receive a DingTalk event (resignation approvals)",
        description=(
            "The HTTP push URL of the DingTalk app's event subscription. Signed "
            "(`msg_signature`) with the connector's token and encrypted with "
            "its aes_key; answered with the encrypted `success` DingTalk expects."
        ),
        request=_ANY_JSON,
        parameters=[
            OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.QUERY)
            for name in ("msg_signature", "timestamp", "nonce")
        ],
        responses={
            200: inline_serializer(
                "DingTalkEventAnswer",
                {
                    "msg_signature": serializers.CharField(),
                    "timeStamp": serializers.CharField(),
                    "nonce": serializers.CharField(),
                    "encrypt": serializers.CharField(),
                },
            ),
            **_ERRORS,
        },
    )
    def post(self, request, slug):
        connector = _connector(slug, "dingtalk")
        keys = connector.get_secrets()
        token = keys.get("callback_token") or ""
        aes_key = keys.get("callback_aes_key") or ""
        if not token or not aes_key:
            raise NotFound(_("This connector does not accept DingTalk events."))
        owner_key = clean_text(
            (connector.settings or {}).get("callback_owner_key")
        ) or clean_text((connector.settings or {}).get("app_key"))
        payload = _json_object(_body(request))
        encrypt = payload.get("encrypt")
        params = request.query_params
        signature = params.get("msg_signature") or params.get("signature") or ""
        timestamp = params.get("timestamp") or params.get("timeStamp") or ""
        nonce = params.get("nonce") or ""
        if not (isinstance(encrypt, str) and signature and timestamp and nonce):
            raise Unsigned(gettext("The event is not signed."))
        if not signatures_match(
            dingtalk_signature(token, timestamp, nonce, encrypt), signature
        ):
            raise Unsigned(gettext("The signature does not match."))
        try:
            event = _json_object(dingtalk_decrypt(aes_key, owner_key, encrypt))
        except CallbackCryptoError as error:
            raise Unsigned(
                gettext("The event is not encrypted for this connector.")
            ) from error
        code = clean_text(event.get("processInstanceId"))
        if (
            event.get("EventType") == DINGTALK_APPROVAL_EVENT
            and clean_text(event.get("type")) == "finish"
            and clean_text(event.get("result")) == "agree"
            and code
            and clean_text(event.get("processCode")) == _approval_code(connector)
        ):
            _queue(connector, code)
        return Response(
            dingtalk_success(
                token=token,
                aes_key=aes_key,
                owner_key=owner_key,
                timestamp=str(int(time.time() * 1000)),
                nonce=secrets.token_hex(4),
            )
        )
