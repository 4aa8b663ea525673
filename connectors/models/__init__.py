"""Configured connectors, what they brought into handovers, and their runs."""

from .access import (
    AccessAction,
    AccessGrant,
    ResidualAccess,
    Transfer,
    UpstreamChange,
)
from .configs import ConnectorConfig, MatchBy
from .sync import (
    BlockSync,
    SyncedRecord,
    SyncRun,
    UploadImport,
    WebhookDelivery,
    _private_storage,
    _upload_path,
)

__all__ = [
    "AccessAction",
    "AccessGrant",
    "BlockSync",
    "ConnectorConfig",
    "MatchBy",
    "ResidualAccess",
    "SyncRun",
    "SyncedRecord",
    "Transfer",
    "UploadImport",
    "UpstreamChange",
    "WebhookDelivery",
    # Named by migration 0004 (the upload file's storage and path).
    "_private_storage",
    "_upload_path",
]
