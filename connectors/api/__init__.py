"""Connectors in the REST API (/api/v1/): configs (secrets write-only), the sync
log and write-backs, per-block status, upstream changes on items, access, and
inbound webhooks — one module per resource, routed here."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from .blocks import HandoverSyncViewSet, ItemUpstreamViewSet
from .configs import ConnectorViewSet
from .runs import SyncRunViewSet, TransferViewSet
from .webhooks import WebhookView

__all__ = ["urlpatterns"]

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
    from ..access.api import (
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
    from ..intake.urls import urlpatterns as intake_urls

    return intake_urls


urlpatterns = [
    path("hooks/<slug:slug>/", WebhookView.as_view(), name="connector-hook"),
    *_intake_routes(),
    *_access_routes(),
    *router.urls,
]
