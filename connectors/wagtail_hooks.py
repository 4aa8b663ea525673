from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

# First: the built-in types join the catalogue (the ``baton_connector_types``
# hook) that the connector admin builds each type's form from.
from . import extensions  # noqa: F401
from .access.admin_add import AccessAddView
from .access.admin_views import (
    AccessQueueView,
    ResidualAccessView,
    SuspendedAccountsView,
)
from .admin_views import (
    ConnectorPermissionPolicy,
    ConnectorTestView,
    ConnectorViewSet,
    ConnectorWorkGroup,
    ReadOnlyConnectorPolicy,
    TransferRetryView,
)
from .models import ConnectorConfig, SyncRun, Transfer
from .permissions import can_manage_connectors

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
        path("access/", AccessQueueView.as_view(), name="connectors_access_queue"),
        path("access/add/", AccessAddView.as_view(), name="connectors_access_add"),
        path(
            "access/suspended/",
            SuspendedAccountsView.as_view(),
            name="connectors_access_suspended",
        ),
        path(
            "access/residual/",
            ResidualAccessView.as_view(),
            name="connectors_access_residual",
        ),
    ]


class ITMenuItem(MenuItem):
    def is_shown(self, request):
        return can_manage_connectors(request.user)


@hooks.register("register_admin_menu_item")
def access_queue_menu_item():
    return ITMenuItem(
        _("IT queue"),
        reverse("connectors_access_queue"),
        icon_name="key",
        order=160,
    )
