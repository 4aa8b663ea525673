"""Access handover in the REST API: per handover the grants and the dry run;
IT's queue of changes with batch actions; restore, delete and residual access."""

import django_filters
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from cms import selectors
from cms.api.common import IdField, IdFilter
from cms.api.errors import ErrorSerializer
from cms.errors import InvalidInput, NotFound
from cms.models import ParticipantRole
from cms.permissions import roles_of

from ..api.common import ManagersOnly, ManagersReadOnlyViewSet
from ..models import ConnectorConfig
from ..permissions import can_manage_connectors
from . import services
from .models import AccessAction, AccessGrant, ResidualAccess

__all__ = [
    "AccessActionViewSet",
    "AccessGrantViewSet",
    "HandoverAccessView",
    "HandoverRevokeNowView",
    "ResidualViewSet",
]


class AccessGrantSerializer(serializers.ModelSerializer):
    connector = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="Null for access recorded by hand in a system without a "
        "connector (see `system`).",
    )

    class Meta:
        model = AccessGrant
        fields = [
            "id",
            "handover",
            "item",
            "connector",
            "system",
            "kind",
            "account_id",
            "account_label",
            "group_id",
            "group_label",
            "sole_owner",
            "decision",
            "keep_reason",
            "keep_until",
            "state",
            "instructions",
            "discovered_at",
            "refreshed_at",
            "suspended_at",
        ]
        read_only_fields = fields


class AccessActionSerializer(serializers.ModelSerializer):
    connector = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = AccessAction
        fields = [
            "id",
            "handover",
            "grant",
            "connector",
            "operation",
            "description",
            "scheduled_for",
            "state",
            "attempts",
            "error",
            "request_id",
            "response",
            "requested_by",
            "done_by",
            "finished_at",
        ]
        read_only_fields = fields


class DryRunRowSerializer(serializers.Serializer):
    system = serializers.CharField()
    change = serializers.CharField()
    at = serializers.DateTimeField()
    state = serializers.CharField()
    confirmed = serializers.BooleanField()


class IdsSerializer(serializers.Serializer):
    ids = serializers.ListField(child=IdField(), allow_empty=False)


class ManualGrantSerializer(serializers.Serializer):
    # Account and group are also their own labels, which hold 255 characters.
    system = serializers.CharField(max_length=255)
    account = serializers.CharField(max_length=255)
    group = serializers.CharField(max_length=255, required=False, allow_blank=True)
    instructions = serializers.CharField()


class DeleteAccountsSerializer(IdsSerializer):
    connector = serializers.CharField(help_text="The system's connector (slug).")


class CompleteSerializer(serializers.Serializer):
    password = serializers.CharField(write_only=True)
    note = serializers.CharField(required=False, allow_blank=True)


ACCESS_ROLES = {ParticipantRole.HR, ParticipantRole.IT, ParticipantRole.MANAGER}


@extend_schema(tags=["access"])
class HandoverAccessView(APIView):
    """The handover's access grants and exactly what will change (dry run).
    HR, IT and the manager of the handover; 404 for anyone else."""

    def _handover(self, request, handover_id):
        handover = selectors.handover_get(user=request.user, handover_id=handover_id)
        if not roles_of(request.user, handover) & ACCESS_ROLES and not (
            can_manage_connectors(request.user)
        ):
            raise NotFound()
        return handover

    @extend_schema(
        responses=inline_serializer(
            "HandoverAccess",
            {
                "grants": AccessGrantSerializer(many=True),
                "dry_run": DryRunRowSerializer(many=True),
            },
        )
    )
    def get(self, request, handover_id):
        handover = self._handover(request, handover_id)
        return Response(
            {
                "grants": AccessGrantSerializer(
                    handover.access_grants.select_related("connector"), many=True
                ).data,
                "dry_run": DryRunRowSerializer(
                    services.access_dry_run(handover), many=True
                ).data,
            }
        )

    @extend_schema(
        request=ManualGrantSerializer,
        responses={
            201: AccessGrantSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description="The handover is closed, or this access is already "
                "recorded on it.",
            ),
        },
        summary="Record access in a system without a connector (HR / IT)",
    )
    def post(self, request, handover_id):
        handover = self._handover(request, handover_id)
        serializer = ManualGrantSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        grant = services.access_grant_add(
            actor=request.user, handover=handover, **serializer.validated_data
        )
        return Response(AccessGrantSerializer(grant).data, status=201)


@extend_schema(tags=["access"])
class HandoverRevokeNowView(APIView):
    @extend_schema(
        request=None,
        responses={
            202: inline_serializer("RevokeNow", {"changes": serializers.IntegerField()})
        },
        summary="Run the handover's planned access changes now (IT)",
    )
    def post(self, request, handover_id):
        handover = selectors.handover_get(user=request.user, handover_id=handover_id)
        count = services.access_revoke_now(actor=request.user, handover=handover)
        return Response({"changes": count}, status=status.HTTP_202_ACCEPTED)


class AccessActionFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=AccessAction.State.choices)
    operation = django_filters.ChoiceFilter(choices=AccessAction.Operation.choices)
    connector = django_filters.CharFilter(field_name="connector__slug")
    handover = IdFilter()

    class Meta:
        model = AccessAction
        fields = ["state", "operation", "connector", "handover"]


@extend_schema(tags=["access"])
class AccessActionViewSet(ManagersReadOnlyViewSet):
    """IT's queue: every access change across handovers."""

    serializer_class = AccessActionSerializer
    queryset = AccessAction.objects.select_related("connector")
    filterset_class = AccessActionFilter
    lookup_value_converter = "id"
    search_fields = ["description", "handover__number"]
    ordering_fields = ["scheduled_for", "state"]

    @extend_schema(
        request=IdsSerializer,
        responses={
            202: inline_serializer("BatchResult", {"count": serializers.IntegerField()})
        },
        summary="Run planned or failed changes now (batch)",
    )
    @action(detail=False, methods=["post"], url_path="run-now")
    def run_now(self, request):
        ids = _ids(request)
        count = services.access_actions_run_now(actor=request.user, action_ids=ids)
        return Response({"count": count}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=IdsSerializer,
        responses=inline_serializer(
            "BatchCancelResult", {"count": serializers.IntegerField()}
        ),
        summary="Cancel planned or failed changes (batch)",
    )
    @action(detail=False, methods=["post"])
    def cancel(self, request):
        count = services.access_actions_cancel(
            actor=request.user, action_ids=_ids(request)
        )
        return Response({"count": count})

    @extend_schema(
        request=CompleteSerializer,
        responses=AccessActionSerializer,
        summary="Close a by-hand change, signed with your password",
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        serializer = CompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        done = services.access_action_complete(
            actor=request.user, action=self.get_object(), **serializer.validated_data
        )
        return Response(AccessActionSerializer(done).data)


def _ids(request):
    serializer = IdsSerializer(data=request.data)
    if not serializer.is_valid():
        raise InvalidInput(fields=serializer.errors)
    return serializer.validated_data["ids"]


class AccessGrantFilter(django_filters.FilterSet):
    handover = IdFilter()

    class Meta:
        model = AccessGrant
        fields = ["state", "kind", "handover"]


@extend_schema(tags=["access"])
class AccessGrantViewSet(ManagersReadOnlyViewSet):
    serializer_class = AccessGrantSerializer
    queryset = AccessGrant.objects.select_related("connector")
    filterset_class = AccessGrantFilter
    lookup_value_converter = "id"
    search_fields = ["system", "account_label", "group_label"]

    @extend_schema(request=None, responses={202: AccessActionSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        done = services.access_restore(actor=request.user, grant=self.get_object())
        return Response(AccessActionSerializer(done).data, status=202)

    @extend_schema(
        request=DeleteAccountsSerializer,
        responses={202: AccessActionSerializer(many=True)},
        summary="Delete suspended accounts of one system for good (threshold)",
    )
    # Not named ``delete``: a viewset method of that name would answer the HTTP
    # DELETE of every grant's URL.
    @action(detail=False, methods=["post"], url_path="delete")
    def delete_accounts(self, request):
        serializer = DeleteAccountsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        connector = ConnectorConfig.objects.filter(slug=data["connector"]).first()
        if connector is None:
            raise InvalidInput(
                fields={"connector": [gettext("There is no connector with this slug.")]}
            )
        actions = services.access_delete(
            actor=request.user, connector=connector, grant_ids=data["ids"]
        )
        return Response(AccessActionSerializer(actions, many=True).data, status=202)


class ResidualSerializer(serializers.ModelSerializer):
    grant = AccessGrantSerializer(read_only=True)

    class Meta:
        model = ResidualAccess
        fields = ["id", "grant", "checked_at", "days_after", "active", "groups"]


@extend_schema(tags=["access"])
class ResidualViewSet(ManagersOnly, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Former employees' accounts found still active after departure."""

    serializer_class = ResidualSerializer
    queryset = ResidualAccess.objects.select_related("grant__connector")
    filterset_fields = ["active", "days_after"]
