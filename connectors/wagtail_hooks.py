from django.urls import path
from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from .admin_views import (
    ConnectorPermissionPolicy,
    ConnectorTestView,
    ConnectorViewSet,
    ReadOnlyConnectorPolicy,
    SyncRunViewSet,
)
from .models import ConnectorConfig, SyncRun

# Before the viewset asks for it, or Wagtail falls back to model permissions.
register_permission_policy(ConnectorConfig, ConnectorPermissionPolicy(ConnectorConfig))
register_permission_policy(SyncRun, ReadOnlyConnectorPolicy(SyncRun))
register_snippet(ConnectorViewSet)


@hooks.register("register_admin_viewset")
def register_sync_log():
    return SyncRunViewSet()


@hooks.register("register_admin_urls")
def connector_admin_urls():
    return [
        path(
            "connectors/<int:pk>/test/",
            ConnectorTestView.as_view(),
            name="connectors_test",
        )
    ]
