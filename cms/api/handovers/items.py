"""Items, their questions and attachments."""

from contextlib import contextmanager

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from cms import selectors, services
from cms.errors import Conflict
from cms.files import private_file_response
from cms.models import (
    Attachment,
    Comment,
    Item,
)

from .common import (
    FILE_RESPONSE,
    ITEM_ID,
    _documented,
    _errors,
    _items_for_output,
    _meta,
    _parse,
)
from .item_inputs import (
    AttachmentUploadSerializer,
    BatchAcceptSerializer,
    CommentCreateSerializer,
    ItemAcceptSerializer,
    ItemAssignSerializer,
    ItemNotApplicableSerializer,
    ItemReturnSerializer,
    ItemUpdateSerializer,
    ItemVersionSerializer,
)
from .item_serializers import (
    AttachmentSerializer,
    BatchAcceptResultSerializer,
    BatchConflictSerializer,
    CommentSerializer,
    ConflictSerializer,
    ItemSerializer,
)

# Items -----------------------------------------------------------------------------


class MergePatchParser(JSONParser):
    """``application/merge-patch+json`` (RFC 7396) bodies: JSON like any other;
    the service merges the ``data`` member into the item's data."""

    media_type = "application/merge-patch+json"


MERGE_PATCH_DESCRIPTION = """\
`data` is a **JSON Merge Patch** (RFC 7396) of the item's data, sent as
`application/merge-patch+json` or `application/json`:

- objects merge member by member, at any depth;
- `null` removes a member (a member the kind requires, like a form field's
  `value`, becomes null instead: not answered);
- anything else (text, numbers, arrays) replaces the value;
- members the patch leaves out keep their value **and their provenance**: only
  the members that actually change are recorded as typed by you, so a sync
  keeps updating the others.

Connector records keep their fields under `data`:
`{"version": 3, "data": {"data": {"notes": "Call on Monday"}}}` changes `notes`
and nothing else. The merged result is validated against the kind's JSON Schema;
a bad body (not an object, a wrong type, an unknown field) is refused with 400
naming each field, and nothing changes. An item hidden by its condition is
refused with 409."""


@extend_schema(tags=["items"])
class ItemViewSet(viewsets.GenericViewSet):
    """One item: read, fill, submit, and the successor's signatures."""

    serializer_class = ItemSerializer
    queryset = Item.objects.none()  # for the schema; reads go through selectors
    lookup_value_converter = "id"
    filter_backends = []
    pagination_class = None

    def get_parsers(self):
        parsers = super().get_parsers()
        request = getattr(self, "request", None)
        if getattr(request, "method", "") == "PATCH":
            parsers.append(MergePatchParser())
        return parsers

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
        "Change an item's answers (JSON Merge Patch)",
        description=MERGE_PATCH_DESCRIPTION,
        request={
            "application/json": ItemUpdateSerializer,
            "application/merge-patch+json": ItemUpdateSerializer,
        },
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
        description="With `remarks` it is accepted with remarks. An item the "
        "connector resolved upstream (`resolved_upstream`) is accepted the same "
        "way: the signature confirms the resolution.",
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
                credentials=data["credentials"],
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
    lookup_value_converter = "id"
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
    lookup_value_converter = "id"
    filter_backends = []

    @extend_schema(
        summary="Download an attachment",
        responses={**FILE_RESPONSE, **_errors(404)},
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        attachment = selectors.attachment_get(user=request.user, attachment_id=pk)
        return private_file_response(
            attachment.file,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )
