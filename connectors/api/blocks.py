"""Per handover, for its participants: how each connector block's last sync
went, a re-sync now, and taking or ignoring an upstream change kept beside a
typed value."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cms import selectors
from cms import services as cms_services
from cms.services.signing import RequestMeta

from .. import services
from ..models import BlockSync

__all__ = ["HandoverSyncViewSet", "ItemUpstreamViewSet"]


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
