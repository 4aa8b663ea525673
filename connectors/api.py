"""Connectors in the REST API (/api/v1/): configs (secrets write-only), the sync
log, per-block status, upstream changes on items, and inbound webhooks."""

import hashlib
import hmac
import json
import time

import django_filters
from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from cms import selectors
from cms import services as cms_services
from cms.api.common import IdFilter
from cms.api.filters import UtcIsoDateTimeFilter
from cms.errors import InvalidInput, NotFound, PermissionDenied
from cms.services.signing import RequestMeta

from . import services
from .models import BlockSync, ConnectorConfig, MatchBy, SyncRun, Transfer
from .permissions import can_manage_connectors
from .registry import type_choices
from .types.base import WEBHOOK
from .webhooks import webhook_delivery_record

__all__ = ["urlpatterns"]

SIGNATURE_HEADER = "X-Baton-Signature"
TIMESTAMP_HEADER = "X-Baton-Timestamp"


class Unauthenticated(PermissionDenied):
    status = 401
    code = "not_authenticated"


# Serializers ---------------------------------------------------------------------


@extend_schema_field({"type": "object", "additionalProperties": True})
class SettingsField(serializers.JSONField):
    """A connector's settings: a JSON object (in a form, its JSON text)."""

    default_error_messages = {"not_object": _("Send the settings as an object.")}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            self.fail("not_object")
        return value


class ConnectorSerializer(serializers.ModelSerializer):
    type = serializers.ChoiceField(choices=())
    type_label = serializers.SerializerMethodField()
    settings = SettingsField(required=False)
    secrets = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        write_only=True,
        required=False,
        help_text="Write-only. Keys you send replace stored ones; an empty value "
        "deletes one. Never returned.",
    )
    secret_names = serializers.SerializerMethodField()
    capabilities = serializers.SerializerMethodField()
    last_test = serializers.SerializerMethodField()

    class Meta:
        model = ConnectorConfig
        fields = [
            "id",
            "slug",
            "name",
            "type",
            "type_label",
            "enabled",
            "match_by",
            "sync_interval_minutes",
            "settings",
            "secrets",
            "secret_names",
            "capabilities",
            "last_test",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = type_choices()

    def get_type_label(self, config) -> str:
        return str(config.get_type_display())

    def get_secret_names(self, config) -> list[str]:
        return config.secret_names

    def get_capabilities(self, config) -> list[str]:
        try:
            return sorted(config.type_class.capabilities)
        except LookupError:
            return []

    def get_last_test(self, config) -> dict | None:
        if config.last_tested_at is None:
            return None
        return {
            "at": config.last_tested_at,
            "ok": config.last_test_ok,
            "message": config.last_test_message,
        }

    def create(self, validated_data):
        return services.connector_save(
            actor=self.context["request"].user, data=validated_data
        )

    def update(self, instance, validated_data):
        return services.connector_save(
            actor=self.context["request"].user, connector=instance, data=validated_data
        )


class SyncRunSerializer(serializers.ModelSerializer):
    connector = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "connector",
            "handover",
            "block_id",
            "trigger",
            "state",
            "attempt",
            "started_at",
            "finished_at",
            "seen",
            "created",
            "updated",
            "resolved",
            "skipped",
            "conflicts",
            "errors",
            "request_id",
            "worker",
            "heartbeat_at",
            "done",
            "total",
            "resumed_from",
        ]


class BlockSyncSerializer(serializers.ModelSerializer):
    connector = serializers.CharField(source="connector_slug")
    state_label = serializers.CharField(source="get_state_display")

    class Meta:
        model = BlockSync
        fields = [
            "block_id",
            "label",
            "connector",
            "record_kind",
            "state",
            "state_label",
            "error",
            "request_id",
            "attempt",
            "retry_at",
            "queued_at",
            "last_started_at",
            "last_success_at",
            "last_finished_at",
            "progress_done",
            "progress_total",
            "lease_expires_at",
        ]
        extra_kwargs = {
            "progress_done": {
                "help_text": "Records applied so far by the running (or last) run."
            },
            "progress_total": {
                "help_text": "Records that run applies in all (0 while unknown)."
            },
            "lease_expires_at": {
                "help_text": "While syncing: until when the worker's lease lasts. "
                "A run that stops beating is interrupted and retried after it."
            },
        }


class UpstreamActionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    field = serializers.CharField(max_length=100)


# Configs and the sync log (HR / IT) -----------------------------------------------


class ManagersOnly:
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not can_manage_connectors(request.user):
            # Nothing about connectors is shown to anyone else.
            raise NotFound()


class ConnectorFilter(django_filters.FilterSet):
    type = django_filters.CharFilter()
    enabled = django_filters.BooleanFilter()

    class Meta:
        model = ConnectorConfig
        fields = ["type", "enabled"]


@extend_schema(tags=["connectors"])
class ConnectorViewSet(
    ManagersOnly,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Connected systems. HR and IT administrators only; secrets are write-only."""

    serializer_class = ConnectorSerializer
    queryset = ConnectorConfig.objects.all()
    lookup_value_converter = "id"
    filterset_class = ConnectorFilter
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "slug", "type", "updated_at"]

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "ConnectionTest",
            {"ok": serializers.BooleanField(), "message": serializers.CharField()},
        ),
        summary="Test the connection with the stored settings and secrets",
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        ok, message = services.connector_test(
            actor=request.user, connector=self.get_object()
        )
        return Response({"ok": ok, "message": message})


class SyncRunFilter(django_filters.FilterSet):
    connector = django_filters.CharFilter(field_name="connector__slug")
    handover = IdFilter()
    state = django_filters.ChoiceFilter(choices=SyncRun.State.choices)
    trigger = django_filters.ChoiceFilter(choices=SyncRun.Trigger.choices)
    started_after = UtcIsoDateTimeFilter(field_name="started_at", lookup_expr="gte")

    class Meta:
        model = SyncRun
        fields = ["connector", "handover", "state", "trigger"]


@extend_schema(tags=["connectors"])
class SyncRunViewSet(
    ManagersOnly,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The sync log: one row per run, newest first."""

    serializer_class = SyncRunSerializer
    queryset = SyncRun.objects.select_related("connector")
    lookup_value_converter = "id"
    filterset_class = SyncRunFilter
    ordering_fields = ["started_at", "finished_at"]


class TransferSerializer(serializers.ModelSerializer):
    connector = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Transfer
        fields = [
            "id",
            "handover",
            "item",
            "connector",
            "external_id",
            "successor",
            "preview",
            "state",
            "state_label",
            "attempts",
            "retry_at",
            "error",
            "request_id",
            "response",
            "requested_at",
            "finished_at",
        ]
        read_only_fields = fields


class TransferFilter(django_filters.FilterSet):
    connector = django_filters.CharFilter(field_name="connector__slug")
    handover = IdFilter()
    state = django_filters.ChoiceFilter(choices=Transfer.State.choices)

    class Meta:
        model = Transfer
        fields = ["connector", "handover", "state"]


@extend_schema(tags=["connectors"])
class TransferViewSet(
    ManagersOnly,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Write-backs (reassignments upstream after acceptance): IT/HR's queue."""

    serializer_class = TransferSerializer
    queryset = Transfer.objects.select_related("connector")
    lookup_value_converter = "id"
    filterset_class = TransferFilter
    search_fields = ["external_id", "preview", "handover__number"]
    ordering_fields = ["requested_at", "finished_at", "state"]

    @extend_schema(
        request=None,
        responses={202: TransferSerializer},
        summary="Run a failed write-back again",
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        from .writeback import transfer_retry

        transfer = transfer_retry(actor=request.user, transfer=self.get_object())
        return Response(
            TransferSerializer(transfer).data, status=status.HTTP_202_ACCEPTED
        )


# Per handover (participants) ------------------------------------------------------


@extend_schema(tags=["connectors"])
class HandoverSyncViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The connector blocks of a handover and how their last sync went."""

    serializer_class = BlockSyncSerializer
    pagination_class = None
    lookup_field = "block_id"
    lookup_value_converter = "str"

    def _handover(self):
        return selectors.handover_get(
            user=self.request.user, handover_id=self.kwargs["handover_id"]
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return BlockSync.objects.none()
        return BlockSync.objects.filter(handover=self._handover()).order_by("pk")

    @extend_schema(
        request=None,
        responses={202: BlockSyncSerializer},
        summary="Re-sync one connector block now (HR)",
    )
    @action(detail=True, methods=["post"])
    def run(self, request, handover_id=None, block_id=None):
        handover = self._handover()
        block = services.sync_queue(
            actor=request.user, handover=handover, block_id=block_id
        )
        return Response(
            BlockSyncSerializer(block).data, status=status.HTTP_202_ACCEPTED
        )


@extend_schema(tags=["connectors"])
class ItemUpstreamViewSet(viewsets.GenericViewSet):
    """Take or ignore an upstream change kept beside a value a person typed."""

    serializer_class = UpstreamActionSerializer

    def _act(self, service, item_id):
        serializer = UpstreamActionSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        item = selectors.item_get(user=self.request.user, item_id=item_id)
        item = service(
            actor=self.request.user,
            item=item,
            version=serializer.validated_data["version"],
            field=serializer.validated_data["field"],
            meta=RequestMeta.from_request(self.request),
        )
        return Response(
            {
                "id": item.pk,
                "version": item.version,
                "data": item.data,
                "upstream": (item.provenance or {}).get("upstream", {}),
            }
        )

    @extend_schema(summary="Replace the typed value with the upstream one")
    @action(detail=False, methods=["post"])
    def take(self, request, item_id=None):
        return self._act(cms_services.item_take_upstream, item_id)

    @extend_schema(summary="Keep the typed value and dismiss the upstream one")
    @action(detail=False, methods=["post"])
    def ignore(self, request, item_id=None):
        return self._act(cms_services.item_ignore_upstream, item_id)


# Inbound webhooks -------------------------------------------------------------------


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


# Ids in paths go through cms.api.common's ``<id:…>`` converter (1 … 2^63-1).
router = DefaultRouter(use_regex_path=False)
router.include_root_view = False
# No ``.json`` suffix routes: one URL per resource, as the schema lists them.
router.include_format_suffixes = False
router.register("connectors", ConnectorViewSet, basename="connector")
router.register("sync-runs", SyncRunViewSet, basename="sync-run")
router.register("write-backs", TransferViewSet, basename="write-back")
router.register(
    "handovers/<id:handover_id>/syncs",
    HandoverSyncViewSet,
    basename="handover-sync",
)
router.register(
    "items/<id:item_id>/upstream", ItemUpstreamViewSet, basename="item-upstream"
)


def _access_routes():
    from .access_api import (
        AccessActionViewSet,
        AccessGrantViewSet,
        HandoverAccessView,
        HandoverRevokeNowView,
        ResidualViewSet,
    )

    router.register("access-changes", AccessActionViewSet, basename="access-change")
    router.register("access-grants", AccessGrantViewSet, basename="access-grant")
    router.register("residual-access", ResidualViewSet, basename="residual-access")
    return [
        path(
            "handovers/<id:handover_id>/access/",
            HandoverAccessView.as_view(),
            name="handover-access",
        ),
        path(
            "handovers/<id:handover_id>/access/revoke-now/",
            HandoverRevokeNowView.as_view(),
            name="handover-access-revoke-now",
        ),
    ]


def _intake_routes():
    from .intake.urls import urlpatterns as intake_urls

    return intake_urls


urlpatterns = [
    path("hooks/<slug:slug>/", WebhookView.as_view(), name="connector-hook"),
    *_intake_routes(),
    *_access_routes(),
    *router.urls,
]

MATCH_BY_CHOICES = MatchBy.choices
