"""Wagtail's headless read API (v2): published pages, templates included.

Like the rest of the API it needs a signed-in user or a token."""

from rest_framework.permissions import IsAuthenticated
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet


class AuthenticatedPagesAPIViewSet(PagesAPIViewSet):
    permission_classes = [IsAuthenticated]


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", AuthenticatedPagesAPIViewSet)
