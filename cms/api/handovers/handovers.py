"""Handovers: list, start, detail, actions, items and audit trail."""

import django_filters
from django.db.models import Prefetch, prefetch_related_objects
from django.db.models.fields.json import KT, KeyTransform
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cms import permissions, selectors, services
from cms.errors import NotFound
from cms.files import private_file_response
from cms.models import (
    AuditEvent,
    Handover,
    Item,
    ParticipantRole,
    Signature,
)
from cms.services.audit import chain_verify

from ..common import IdFilter
from ..pagination import Pagination
from .common import HANDOVER_ID, _documented, _errors, _meta, _parse
from .item_serializers import ItemSerializer
from .serializers import (
    ApprovalSerializer,
    AuditEventSerializer,
    DeclarationSerializer,
    HandoverDetailSerializer,
    HandoverSerializer,
    HandoverStartSerializer,
    ParticipantChangeSerializer,
    ParticipantReplaceSerializer,
    ParticipantSerializer,
    ReasonSerializer,
)

# Handovers -------------------------------------------------------------------------


class HandoverFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=Handover.State.choices)
    role = django_filters.ChoiceFilter(
        choices=ParticipantRole.choices,
        method="filter_role",
        label=_("Handovers where I have this role"),
    )
    employee = IdFilter(field_name="employee_id", label=_("Employee id"))

    class Meta:
        model = Handover
        fields = ["state", "role", "employee"]

    def filter_role(self, queryset, name, value):
        user = self.request.user
        if value == ParticipantRole.HR and permissions.is_hr_admin(user):
            return queryset  # HR admins act as HR on every handover
        return queryset.filter(participants__user=user, participants__role=value)


@extend_schema(tags=["handovers"])
@extend_schema_view(
    list=extend_schema(summary="My handovers"),
    retrieve=_documented(
        "One handover", response=HandoverDetailSerializer, errors=(404,)
    ),
)
class HandoverViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Handovers the requester takes part in (HR admins: all)."""

    serializer_class = HandoverSerializer
    filterset_class = HandoverFilter
    search_fields = ["number", "employee__name", "employee__employee_number"]
    ordering_fields = ["created_at", "last_working_day", "number", "state"]
    ordering = ["-created_at"]
    lookup_value_converter = "id"

    def get_queryset(self):
        return selectors.handovers_for_user(user=self.request.user).prefetch_related(
            "participants"
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["is_hr_admin"] = permissions.is_hr_admin(self.request.user)
        return context

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = self.get_serializer_context()
        # Progress of the whole page in one query, not every item of every row.
        context["progress"] = selectors.handovers_progress(
            handover_ids=[handover.pk for handover in page]
        )
        serializer = self.get_serializer_class()(page, many=True, context=context)
        return self.get_paginated_response(serializer.data)

    def _handover(self) -> Handover:
        return selectors.handover_get(
            user=self.request.user, handover_id=self.kwargs["pk"]
        )

    def _detail(self, handover_id, *, status_code=status.HTTP_200_OK):
        handover = selectors.handover_get(
            user=self.request.user, handover_id=handover_id
        )
        prefetch_related_objects(
            [handover],
            "participants__user",
            "items",
            Prefetch("signatures", Signature.objects.select_related("signer")),
        )
        data = HandoverDetailSerializer(
            handover, context=self.get_serializer_context()
        ).data
        return Response(data, status=status_code)

    def _act(self, serializer_class, service):
        """Run a handover action as the requester; answer with the handover."""
        handover = self._handover()
        data = _parse(serializer_class, self.request)
        service(
            actor=self.request.user,
            handover=handover,
            meta=_meta(self.request),
            **data,
        )
        return self._detail(handover.pk)

    def retrieve(self, request, pk=None):
        return self._detail(pk)

    @_documented(
        "Start a handover (HR)",
        request=HandoverStartSerializer,
        response=HandoverDetailSerializer,
        status_code=201,
        errors=(400, 403, 409),
    )
    def create(self, request):
        data = _parse(HandoverStartSerializer, request)
        handover = services.handover_start(
            actor=request.user, meta=_meta(request), **data
        )
        return self._detail(handover.pk, status_code=status.HTTP_201_CREATED)

    @_documented(
        "Sign the final declaration (departing employee)",
        request=DeclarationSerializer,
        response=HandoverDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def declare(self, request, pk=None):
        return self._act(DeclarationSerializer, services.handover_declare)

    @_documented(
        "Approve a section or the whole handover (manager)",
        request=ApprovalSerializer,
        response=HandoverDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._act(ApprovalSerializer, services.handover_approve)

    @_documented(
        "Send a handover in review back to work (manager)",
        request=ReasonSerializer,
        response=HandoverDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._act(ReasonSerializer, services.handover_reopen)

    @_documented(
        "Cancel a handover (HR)",
        request=ReasonSerializer,
        response=HandoverDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._act(ReasonSerializer, services.handover_cancel)

    @_documented(
        "Add a participant (HR; managers add successors)",
        request=ParticipantChangeSerializer,
        response=ParticipantSerializer,
        status_code=201,
    )
    @action(detail=True, methods=["post"], url_path="participants")
    def participants(self, request, pk=None):
        handover = self._handover()
        data = _parse(ParticipantChangeSerializer, request)
        participant = services.participant_add(
            actor=request.user, handover=handover, meta=_meta(request), **data
        )
        return Response(
            ParticipantSerializer(participant).data, status=status.HTTP_201_CREATED
        )

    @_documented(
        "Remove a participant's role (HR)",
        description="Send `user` and `role` in the body or as query parameters. "
        "A removed successor's open items go to the remaining successor when "
        "exactly one remains, else to nobody (a blocker says so).",
        request=ParticipantChangeSerializer,
        response=None,
        status_code=204,
    )
    @participants.mapping.delete
    def remove_participant(self, request, pk=None):
        handover = self._handover()
        data = _parse(
            ParticipantChangeSerializer,
            request,
            data=request.data or request.query_params,
        )
        services.participant_remove(
            actor=request.user, handover=handover, meta=_meta(request), **data
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @_documented(
        "Swap a participant for someone else (HR)",
        description="One step: the replacement gets the role and, for a "
        "successor, every item of the person replaced that is not accepted yet "
        "(audited, one item version each). Accepted items keep who signed them.",
        request=ParticipantReplaceSerializer,
        response=ParticipantSerializer,
    )
    @action(detail=True, methods=["post"], url_path="participants/replace")
    def replace_participant(self, request, pk=None):
        handover = self._handover()
        data = _parse(ParticipantReplaceSerializer, request)
        participant = services.participant_replace(
            actor=request.user, handover=handover, meta=_meta(request), **data
        )
        return Response(ParticipantSerializer(participant).data)

    @extend_schema(
        summary="The completion certificate (PDF)",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The certificate PDF."
            ),
            **_errors(404),
        },
    )
    @action(detail=True, methods=["get"])
    def certificate(self, request, pk=None):
        handover = self._handover()
        certificate = selectors.certificate_for(handover=handover)
        if certificate is None or not certificate.pdf:
            raise NotFound(
                _(
                    "This handover has no certificate yet: Baton issues it when the "
                    "handover completes."
                )
            )
        return private_file_response(
            certificate.pdf,
            filename=f"{handover.number}-certificate.pdf",
            content_type="application/pdf",
        )


class ItemFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=Item.State.choices)
    kind = django_filters.CharFilter()
    section = django_filters.CharFilter(
        field_name="section_block_id", label=_("Section block id")
    )
    assignee = IdFilter(field_name="assignee_id", label=_("Successor's user id"))

    class Meta:
        model = Item
        fields = ["state", "kind", "section", "assignee"]


class ItemPagination(Pagination):
    """A handover's items fit in one page: templates have up to a few hundred."""

    max_page_size = 500


@extend_schema(parameters=[HANDOVER_ID], tags=["items"])
@extend_schema_view(
    list=extend_schema(
        summary="The items of a handover",
        description="Served in a constant number of queries whatever the count; "
        "`page_size` up to 500.",
    )
)
class HandoverItemViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ItemSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ItemFilter
    pagination_class = ItemPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Item.objects.none()
        self.handover = selectors.handover_get(
            user=self.request.user, handover_id=self.kwargs["handover_id"]
        )
        # Of an item's definition (the block snapshot, its largest column) the
        # list shows only the help text: the rest is not read or decoded.
        return (
            selectors.handover_items(handover=self.handover)
            .defer("definition")
            .annotate(
                definition_help_text=KT("definition__help_text"),
                definition_condition=KeyTransform("condition", "definition"),
            )
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        page = selectors.mark_visibility(page, handover_id=self.handover.pk)
        for item in page:
            item.handover = self.handover
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AuditPagination(Pagination):
    page_size = 100

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["required"] = [*paginated.get("required", []), "chain_valid"]
        paginated["properties"]["chain_valid"] = {
            "type": "boolean",
            "description": "Every event's hash and link to the previous one match.",
        }
        paginated["properties"]["first_broken_sequence"] = {
            "type": "integer",
            "nullable": True,
            "description": "The first event that does not match, if any.",
        }
        return paginated


@extend_schema(parameters=[HANDOVER_ID], tags=["handovers"])
@extend_schema_view(list=extend_schema(summary="The audit trail of a handover"))
class HandoverAuditViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The hash-chained audit events in sequence, and whether the chain holds."""

    serializer_class = AuditEventSerializer
    pagination_class = AuditPagination
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditEvent.objects.none()
        self.handover = selectors.handover_get(
            user=self.request.user, handover_id=self.kwargs["handover_id"]
        )
        return AuditEvent.objects.filter(handover=self.handover).order_by("sequence")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        context = self.get_serializer_context()
        context["show_ip_addresses"] = ParticipantRole.HR in permissions.roles_of(
            request.user, self.handover
        )
        response = self.get_paginated_response(
            AuditEventSerializer(page, many=True, context=context).data
        )
        broken = chain_verify(self.handover.pk)
        response.data["chain_valid"] = broken is None
        response.data["first_broken_sequence"] = (
            broken.sequence if broken is not None else None
        )
        return response
