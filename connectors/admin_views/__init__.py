"""Connectors in the Wagtail admin: the configs (HR / IT only, secrets
write-only), a "test connection" button, the sync log and the write-backs."""

from .configs import (
    ConnectorCreateView,
    ConnectorEditView,
    ConnectorFormBase,
    ConnectorIndexView,
    ConnectorTestView,
    ConnectorViewSet,
)
from .policies import ConnectorPermissionPolicy, ReadOnlyConnectorPolicy
from .runs import (
    ConnectorWorkGroup,
    SyncRunViewSet,
    TransferRetryView,
    TransferViewSet,
)

__all__ = [
    "ConnectorCreateView",
    "ConnectorEditView",
    "ConnectorFormBase",
    "ConnectorIndexView",
    "ConnectorPermissionPolicy",
    "ConnectorTestView",
    "ConnectorViewSet",
    "ConnectorWorkGroup",
    "ReadOnlyConnectorPolicy",
    "SyncRunViewSet",
    "TransferRetryView",
    "TransferViewSet",
]
