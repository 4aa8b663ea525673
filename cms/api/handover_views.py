"""Thin API views for handovers, items, questions, attachments and employees:
check the object is visible, parse input, call a service, serialise the result.

Someone else's handover, item, comment or attachment is a 404 with the same body
as a missing id (selectors and services raise ``NotFound``); a participant
lacking the role gets the service's 403 with its message."""

from contextlib import contextmanager

import django_filters
from django.db.models import Prefetch, prefetch_related_objects
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from cms import permissions, selectors, services
from cms.errors import Conflict, NotFound
from cms.models import (
    Attachment,
    AuditEvent,
    Comment,
    Employee,
    Handover,
    Item,
    ParticipantRole,
    Signature,
)
from cms.services.audit import chain_verify

from .handover_serializers import (
    ApprovalSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    AuditEventSerializer,
    BatchAcceptResultSerializer,
    BatchAcceptSerializer,
    BatchConflictSerializer,
    CommentCreateSerializer,
    CommentSerializer,
    ConflictSerializer,
    DeclarationSerializer,
    EmployeeDetailSerializer,
    EmployeeSerializer,
    ErrorSerializer,
    HandoverDetailSerializer,
    HandoverSerializer,
    HandoverStartSerializer,
    ItemAcceptSerializer,
    ItemAssignSerializer,
    ItemNotApplicableSerializer,
    ItemReturnSerializer,
    ItemSerializer,
    ItemUpdateSerializer,
    ItemVersionSerializer,
    ParticipantChangeSerializer,
    ParticipantSerializer,
    ReasonSerializer,
)
from .pagination import Pagination

__all__ = [
    "AttachmentViewSet",
    "CommentViewSet",
    "EmployeeViewSet",
    "HandoverAuditViewSet",
    "HandoverItemViewSet",
    "HandoverViewSet",
    "ItemAttachmentViewSet",
    "ItemCommentViewSet",
    "ItemViewSet",
]

_ERROR_DESCRIPTIONS = {
    400: "Invalid input (or a wrong password when signing); nothing changed.",
    403: "You take part in this handover but your role may not do this.",
    404: "No such object, or one you may not see.",
    409: "Not possible in the current state, or based on a stale version; "
    "nothing changed.",
}
HANDOVER_ID = OpenApiParameter("handover_id", int, OpenApiParameter.PATH)
ITEM_ID = OpenApiParameter("item_id", int, OpenApiParameter.PATH)
FILE_RESPONSE = {
    (200, "application/octet-stream"): OpenApiResponse(
        OpenApiTypes.BINARY, description="The file, as an attachment."
    )
}


def _errors(*statuses, conflict=ErrorSerializer):
    return {
        code: OpenApiResponse(
            conflict if code == 409 else ErrorSerializer,
            description=_ERROR_DESCRIPTIONS[code],
        )
        for code in statuses
    }


def _documented(
    summary,
    *,
    request=None,
    response=ItemSerializer,
    status_code=200,
    errors=(400, 403, 404, 409),
    conflict=ErrorSerializer,
    **extra,
):
    """``extend_schema`` with the error bodies an action can answer with."""
    responses = {status_code: response, **_errors(*errors, conflict=conflict)}
    return extend_schema(summary=summary, request=request, responses=responses, **extra)


def _meta(request):
    return services.RequestMeta.from_request(request)


def _parse(serializer_class, request, data=None) -> dict:
    serializer = serializer_class(data=request.data if data is None else data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _file_response(field_file, *, filename: str, content_type: str):
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as error:
        raise NotFound(_("The file is missing from storage.")) from error
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _items_for_output(*, user, item_ids) -> list[Item]:
    """The items (in the order of ``item_ids``) with what ``ItemSerializer``
    reads prefetched; ids the user may not see are left out."""
    item_ids = [int(item_id) for item_id in item_ids]
    handover_ids = Item.objects.filter(pk__in=item_ids).values("handover_id")
    found = {}
    for handover in selectors.handovers_for_user(user=user).filter(pk__in=handover_ids):
        for item in selectors.handover_items(handover=handover).filter(pk__in=item_ids):
            # One shared handover instance: its role cache serves every item.
            item.handover = handover
            found[item.pk] = item
    return [found[item_id] for item_id in item_ids if item_id in found]


# Handovers -------------------------------------------------------------------------


class HandoverFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=Handover.State.choices)
    role = django_filters.ChoiceFilter(
        choices=ParticipantRole.choices,
        method="filter_role",
        label=_("Handovers where I have this role"),
    )
    employee = django_filters.NumberFilter(
        field_name="employee_id", label=_("Employee id")
    )

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
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.handovers_for_user(user=self.request.user).prefetch_related(
            "participants", "items"
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["is_hr_admin"] = permissions.is_hr_admin(self.request.user)
        return context

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
        description="Send `user` and `role` in the body or as query parameters.",
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
        return _file_response(
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
    assignee = django_filters.NumberFilter(
        field_name="assignee_id", label=_("Successor's user id")
    )

    class Meta:
        model = Item
        fields = ["state", "kind", "section", "assignee"]


@extend_schema(parameters=[HANDOVER_ID], tags=["items"])
@extend_schema_view(
    list=extend_schema(
        summary="The items of a handover",
        description="Served in a constant number of queries whatever the count.",
    )
)
class HandoverItemViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ItemSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ItemFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Item.objects.none()
        self.handover = selectors.handover_get(
            user=self.request.user, handover_id=self.kwargs["handover_id"]
        )
        return selectors.handover_items(handover=self.handover)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
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


# Items -----------------------------------------------------------------------------


@extend_schema(tags=["items"])
class ItemViewSet(viewsets.GenericViewSet):
    """One item: read, fill, submit, and the successor's signatures."""

    serializer_class = ItemSerializer
    queryset = Item.objects.none()  # for the schema; reads go through selectors
    lookup_value_regex = r"\d+"
    filter_backends = []
    pagination_class = None

    def _visible(self, item_id) -> Item:
        return selectors.item_get(user=self.request.user, item_id=item_id)

    def _payload(self, item_ids):
        items = _items_for_output(user=self.request.user, item_ids=item_ids)
        return ItemSerializer(items, many=True, context=self.get_serializer_context())

    def _item_response(self, item_id):
        return Response(self._payload([item_id]).data[0])

    @contextmanager
    def _current_on_conflict(self, item_ids, *, many=False):
        """A refused stale or illegal write answers with the items as they are
        now, so the client can show what changed."""
        try:
            yield
        except Conflict as error:
            current = self._payload(item_ids).data
            if not many:
                current = current[0] if current else None
            raise Conflict(
                error.message,
                fields=error.fields,
                extra={**error.extra, "current": current},
            ) from error

    def _write(self, serializer_class, service):
        """Run an item action as the requester; answer with the item."""
        item = self._visible(self.kwargs["pk"])
        data = _parse(serializer_class, self.request)
        with self._current_on_conflict([item.pk]):
            service(
                actor=self.request.user, item=item, meta=_meta(self.request), **data
            )
        return self._item_response(item.pk)

    @_documented("One item", errors=(404,))
    def retrieve(self, request, pk=None):
        self._visible(pk)
        return self._item_response(pk)

    @_documented(
        "Change an item's answers",
        request=ItemUpdateSerializer,
        conflict=ConflictSerializer,
    )
    def partial_update(self, request, pk=None):
        return self._write(ItemUpdateSerializer, services.item_update)

    @_documented(
        "Submit an item for confirmation",
        request=ItemVersionSerializer,
        conflict=ConflictSerializer,
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._write(ItemVersionSerializer, services.item_submit)

    @_documented(
        "Accept an item (a signature)",
        description="With `remarks` it is accepted with remarks.",
        request=ItemAcceptSerializer,
        conflict=ConflictSerializer,
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._write(ItemAcceptSerializer, services.item_accept)

    @_documented(
        "Return an item with a question (a signature)",
        request=ItemReturnSerializer,
        conflict=ConflictSerializer,
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_item(self, request, pk=None):
        return self._write(ItemReturnSerializer, services.item_return)

    @_documented(
        "Say an item does not apply",
        request=ItemNotApplicableSerializer,
        conflict=ConflictSerializer,
    )
    @action(detail=True, methods=["post"], url_path="not-applicable")
    def not_applicable(self, request, pk=None):
        return self._write(
            ItemNotApplicableSerializer, services.item_mark_not_applicable
        )

    @_documented(
        "Give an item to a successor (HR or manager)",
        request=ItemAssignSerializer,
        conflict=ConflictSerializer,
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        return self._write(ItemAssignSerializer, services.item_assign)

    @_documented(
        "Accept several items with one signature step",
        description="All or nothing: one refused item refuses the batch.",
        operation_id="items_accept_batch",
        request=BatchAcceptSerializer,
        response=BatchAcceptResultSerializer,
        conflict=BatchConflictSerializer,
    )
    @action(detail=False, methods=["post"], url_path="accept")
    def accept_many(self, request):
        data = _parse(BatchAcceptSerializer, request)
        pairs = [(entry["id"], entry["version"]) for entry in data["items"]]
        item_ids = [item_id for item_id, _version in pairs]
        with self._current_on_conflict(item_ids, many=True):
            services.items_accept(
                actor=request.user,
                items=pairs,
                password=data["password"],
                remarks=data["remarks"],
                meta=_meta(request),
            )
        return Response({"items": self._payload(item_ids).data})


class _ItemChildren(viewsets.GenericViewSet):
    """Lists and creates things hanging off one visible item."""

    filter_backends = []

    def _item(self) -> Item:
        return selectors.item_get(
            user=self.request.user, item_id=self.kwargs["item_id"]
        )


@extend_schema(parameters=[ITEM_ID], tags=["questions"])
@extend_schema_view(list=extend_schema(summary="Questions and comments on an item"))
class ItemCommentViewSet(mixins.ListModelMixin, _ItemChildren):
    serializer_class = CommentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Comment.objects.none()
        return self._item().comments.select_related("author", "resolved_by")

    @_documented(
        "Ask, answer or comment",
        description="Send `question` to answer that question; `is_question` asks.",
        request=CommentCreateSerializer,
        response=CommentSerializer,
        status_code=201,
        errors=(400, 404, 409),
    )
    def create(self, request, item_id=None):
        item = self._item()
        data = _parse(CommentCreateSerializer, request)
        comment = services.comment_add(
            actor=request.user, item=item, meta=_meta(request), **data
        )
        return Response(
            CommentSerializer(comment, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(parameters=[ITEM_ID], tags=["attachments"])
@extend_schema_view(list=extend_schema(summary="Attachments of an item"))
class ItemAttachmentViewSet(mixins.ListModelMixin, _ItemChildren):
    serializer_class = AttachmentSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Attachment.objects.none()
        return self._item().attachments.all()

    @_documented(
        "Attach a file (multipart field `file`)",
        request={"multipart/form-data": AttachmentUploadSerializer},
        response=AttachmentSerializer,
        status_code=201,
    )
    def create(self, request, item_id=None):
        item = self._item()
        data = _parse(AttachmentUploadSerializer, request)
        attachment = services.attachment_add(
            actor=request.user,
            item=item,
            uploaded_file=data["file"],
            meta=_meta(request),
        )
        return Response(
            AttachmentSerializer(
                attachment, context=self.get_serializer_context()
            ).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["questions"])
class CommentViewSet(viewsets.GenericViewSet):
    serializer_class = CommentSerializer
    queryset = Comment.objects.none()  # for the schema; reads go through services
    lookup_value_regex = r"\d+"
    filter_backends = []

    @_documented(
        "Mark a question resolved",
        response=CommentSerializer,
        errors=(400, 403, 404),
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        comment = services.comment_resolve(
            actor=request.user, comment=pk, meta=_meta(request)
        )
        return Response(
            CommentSerializer(comment, context=self.get_serializer_context()).data
        )


@extend_schema(tags=["attachments"])
class AttachmentViewSet(viewsets.GenericViewSet):
    serializer_class = AttachmentSerializer
    queryset = Attachment.objects.none()  # for the schema; reads go via selectors
    lookup_value_regex = r"\d+"
    filter_backends = []

    @extend_schema(
        summary="Download an attachment",
        responses={**FILE_RESPONSE, **_errors(404)},
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        attachment = selectors.attachment_get(user=request.user, attachment_id=pk)
        return _file_response(
            attachment.file,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )


# Employees -------------------------------------------------------------------------


class EmployeeFilter(django_filters.FilterSet):
    department = django_filters.CharFilter(
        field_name="department__code", label=_("Department code")
    )
    status = django_filters.ChoiceFilter(choices=Employee.Status.choices)

    class Meta:
        model = Employee
        fields = ["department", "status"]


@extend_schema(tags=["employees"])
@extend_schema_view(
    list=extend_schema(summary="Employees I may see"),
    retrieve=_documented(
        "One employee", response=EmployeeDetailSerializer, errors=(404,)
    ),
)
class EmployeeViewSet(viewsets.ReadOnlyModelViewSet):
    """The employee archive: HR admins see all; others see themselves and the
    employees whose handovers they take part in."""

    filterset_class = EmployeeFilter
    search_fields = ["name", "employee_number", "position"]
    ordering_fields = ["name", "employee_number", "hire_date"]
    ordering = ["name"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Employee.objects.none()
        return selectors.employees_for_user(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return EmployeeDetailSerializer
        return EmployeeSerializer
