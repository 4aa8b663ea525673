"""The stored settings of a connector, read and changed for its type.

A type never touches the database (the layer contracts in pyproject.toml), yet
the built-in sample type keeps its records in its own settings, so moving one to
the successor is a change of those settings. The engine side does that change
here, under a row lock, and the type sees only the ``SettingsStore`` protocol.
Importing this module connects the store (``ConnectorsConfig.ready``).
"""

import copy
from collections.abc import Callable
from typing import TypeVar

from django.db import transaction

from .models import ConnectorConfig
from .types.sample import SampleConnector

__all__ = ["ConfigSettingsStore"]

T = TypeVar("T")


class ConfigSettingsStore:
    """``ConnectorConfig.settings`` as a ``connectors.types.sample.SettingsStore``."""

    def read(self, connector_id: int) -> dict:
        return ConnectorConfig.objects.get(pk=connector_id).settings

    def change(self, connector_id: int, change: Callable[[dict], T]) -> T:
        with transaction.atomic():
            stored = ConnectorConfig.objects.select_for_update().get(pk=connector_id)
            before = copy.deepcopy(stored.settings)
            result = change(stored.settings)
            # A change that finds nothing to do (a retried transfer already
            # done) writes nothing, not even the modification time.
            if stored.settings != before:
                stored.save(update_fields=["settings", "updated_at"])
        return result


SampleConnector.store = ConfigSettingsStore()
