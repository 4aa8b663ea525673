"""Configured connectors, what they brought into handovers, and their runs.

Access handover keeps its models in its own package (``connectors.access.models``);
they are imported here so they stay models of this app, as before."""

from ..access.models import AccessAction, AccessGrant, ResidualAccess
from .configs import ConnectorConfig, MatchBy
from .messaging import MessagingAddress
from .sync import (
    BlockSync,
    SyncedRecord,
    SyncRun,
    UploadImport,
    WebhookDelivery,
    _private_storage,
    _upload_path,
)
from .writeback import Transfer, UpstreamChange

__all__ = [
    "AccessAction",
    "AccessGrant",
    "BlockSync",
    "ConnectorConfig",
    "MatchBy",
    "MessagingAddress",
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
