"""Thin API views: parse input, call a selector or service, serialise output."""

from django.middleware.http import ConditionalGetMiddleware
from django.utils.decorators import decorator_from_middleware, method_decorator
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from checklist_blocks.registry import all_kinds, get_kind
from cms import selectors
from cms.errors import NotFound

from .filters import TemplateFilter
from .serializers import BlockTypeSerializer, TemplateSerializer

# ETag from the response's content, and 304 when If-None-Match matches it.
conditional_get = decorator_from_middleware(ConditionalGetMiddleware)


@extend_schema_view(
    list=extend_schema(summary="Published templates", tags=["templates"]),
    retrieve=extend_schema(summary="One published template", tags=["templates"]),
)
@method_decorator(conditional_get, name="list")
@method_decorator(conditional_get, name="retrieve")
class TemplateViewSet(viewsets.ReadOnlyModelViewSet):
    """Published checklist templates with the block tree of their live revision.
    Responses carry an ETag; a client that sends it back in If-None-Match gets
    304 Not Modified while nothing changed."""

    serializer_class = TemplateSerializer
    filterset_class = TemplateFilter
    lookup_value_converter = "id"
    search_fields = ["title", "description"]
    ordering_fields = ["id", "title", "last_published_at"]
    ordering = ["id"]

    def get_queryset(self):
        return selectors.published_templates(user=self.request.user)

    def get_object(self):
        try:
            template_id = int(self.kwargs["pk"])
        except ValueError as error:
            raise NotFound() from error
        return selectors.published_template_get(
            user=self.request.user, template_id=template_id
        )


def _block_type_payload(spec):
    return {
        "kind": spec.kind,
        "label": str(spec.label),
        "description": str(spec.description),
        "icon": spec.icon,
        "is_item": spec.kind != "section",
        "item_schema": spec.json_schema,
    }


@extend_schema_view(
    list=extend_schema(summary="Every block kind", tags=["block types"]),
    retrieve=extend_schema(summary="One block kind", tags=["block types"]),
)
class BlockTypeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The block kinds templates are built from, each with the JSON Schema of the
    item data it produces. Labels follow the request's language."""

    serializer_class = BlockTypeSerializer
    lookup_field = "kind"
    lookup_value_converter = "slug"
    filter_backends = []

    def get_queryset(self):
        return [_block_type_payload(spec) for spec in all_kinds()]

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, kind=None):
        try:
            spec = get_kind(kind)
        except KeyError as error:
            raise NotFound(_("There is no block kind called “%s”.") % kind) from error
        return Response(self.get_serializer(_block_type_payload(spec)).data)
