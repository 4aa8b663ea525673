from django.urls import path
from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from .admin_views import (
    ConnectorPermissionPolicy,
    ConnectorTestView,
    ConnectorViewSet,
    ConnectorWorkGroup,
    ReadOnlyConnectorPolicy,
    TransferRetryView,
)
from .models import ConnectorConfig, SyncRun, Transfer

# Before the viewset asks for it, or Wagtail falls back to model permissions.
register_permission_policy(ConnectorConfig, ConnectorPermissionPolicy(ConnectorConfig))
register_permission_policy(SyncRun, ReadOnlyConnectorPolicy(SyncRun))
register_permission_policy(Transfer, ReadOnlyConnectorPolicy(Transfer))
register_snippet(ConnectorViewSet)


@hooks.register("register_admin_viewset")
def register_connector_work():
    return ConnectorWorkGroup()


@hooks.register("register_admin_urls")
def connector_admin_urls():
    return [
        path(
            "connectors/<int:pk>/test/",
            ConnectorTestView.as_view(),
            name="connectors_test",
        ),
        path(
            "write-backs/<int:pk>/retry/",
            TransferRetryView.as_view(),
            name="connectors_transfer_retry",
        ),
    ]
