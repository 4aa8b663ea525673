"""The sync log and the write-back queue in the API (HR / IT): one row per
run or reassignment, and a retry for failed write-backs."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from cms.api.common import IdFilter
from cms.api.filters import UtcIsoDateTimeFilter

from ..models import SyncRun, Transfer
from .common import ManagersReadOnlyViewSet

__all__ = ["SyncRunViewSet", "TransferViewSet"]


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
class SyncRunViewSet(ManagersReadOnlyViewSet):
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
class TransferViewSet(ManagersReadOnlyViewSet):
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
        from ..writeback import transfer_retry

        transfer = transfer_retry(actor=request.user, transfer=self.get_object())
        return Response(
            TransferSerializer(transfer).data, status=status.HTTP_202_ACCEPTED
        )
