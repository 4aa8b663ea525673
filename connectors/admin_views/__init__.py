"""Connectors in the Wagtail admin: the configs (HR / IT only, secrets
write-only), a "test connection" page, the sync log and the write-backs."""

from .configs import (
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
