from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from cms.hooks import api_v1_urls as hooked_api_v1_urls

from . import common  # noqa: F401  (registers the <id:…> path converter)
from .handovers import (
    AttachmentViewSet,
    CommentViewSet,
    EmployeeViewSet,
    HandoverAuditViewSet,
    HandoverItemViewSet,
    HandoverViewSet,
    ItemAttachmentViewSet,
    ItemCommentViewSet,
    ItemViewSet,
)
from .tokens import urlpatterns as token_urls
from .views import BlockTypeViewSet, TemplateViewSet

# Path converters, not regexes: every id in a path goes through ``<id:…>``
# (cms.api.common), so an id out of range is an unknown URL (404).
router = DefaultRouter(use_regex_path=False)
router.include_root_view = False
# No ``.json`` suffix routes: one URL per resource, as the schema lists them.
router.include_format_suffixes = False
router.register("templates", TemplateViewSet, basename="template")
router.register("block-types", BlockTypeViewSet, basename="block-type")
router.register("handovers", HandoverViewSet, basename="handover")
router.register(
    "handovers/<id:handover_id>/items",
    HandoverItemViewSet,
    basename="handover-item",
)
router.register(
    "handovers/<id:handover_id>/audit", HandoverAuditViewSet, basename="audit"
)
router.register("items", ItemViewSet, basename="item")
router.register(
    "items/<id:item_id>/comments", ItemCommentViewSet, basename="item-comment"
)
router.register(
    "items/<id:item_id>/attachments",
    ItemAttachmentViewSet,
    basename="item-attachment",
)
router.register("comments", CommentViewSet, basename="comment")
router.register("attachments", AttachmentViewSet, basename="attachment")
router.register("employees", EmployeeViewSet, basename="employee")

api_v1_urls = [
    *token_urls,
    path("", include(router.urls)),
    # Other apps' endpoints (e.g. connectors, reports), from their hooks.
    *hooked_api_v1_urls(),
]

# The schema describes the DRF API only (Wagtail's v2 endpoints document
# themselves), under the prefix it is mounted at.
schema_urlpatterns = [path("api/v1/", include((list(api_v1_urls), "api")))]

api_v1_urls += [
    path(
        "schema/",
        SpectacularAPIView.as_view(urlconf=schema_urlpatterns, api_version="v1"),
        name="schema",
    ),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
