"""Records kept in the connector's own settings: for demos, trials and systems
that export a fixed list. Settings::

    {"records": {"<employee match value>": {"<record kind>": [
        {"id": "...", "title": "...", "fields": {...}}, ...]}}}

A write-back changes those settings, yet a type never touches the database
(the layer contracts in pyproject.toml): the engine hands the type a
``SettingsStore`` (``connectors.settings_store``) that reads and changes them.
"""

from collections.abc import Callable
from typing import ClassVar, Protocol, TypeVar

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from checklist_blocks.blocks.connector import RECORD_KINDS

from ..sdk.base import (
    DISCOVER,
    TRANSFER,
    WEBHOOK,
    ConnectorType,
    MisconfiguredError,
    Record,
    Setting,
    TransferResult,
)

T = TypeVar("T")


class SettingsStore(Protocol):
    """A connector's own stored settings, kept by the engine for the type."""

    def read(self, connector_id: int) -> dict:
        """The stored settings as they are now."""

    def change(self, connector_id: int, change: Callable[[dict], T]) -> T:
        """Run ``change`` on the stored settings (it edits them in place) with
        the row locked, save them if they changed, and return what it returned;
        an error leaves them as they were."""


class SampleConnector(ConnectorType):
    slug = "sample"
    label = _("Built-in sample records")
    description = _("Records stored in the connector's settings, per employee.")
    capabilities = frozenset({DISCOVER, TRANSFER, WEBHOOK})
    default_mappings = {kind: {} for kind in RECORD_KINDS}
    # Set by connectors.settings_store, imported when the connectors app is ready.
    store: ClassVar[SettingsStore | None] = None
    settings = (
        Setting(
            "records",
            _("Records"),
            help_text=_(
                "Per employee (keyed by the match value), per record kind, a list "
                "of {id, title, fields}."
            ),
            type="object",
            default={},
        ),
        Setting(
            "mappings",
            _("Field mappings"),
            help_text=_("Per record kind, item property → record field."),
            required=False,
            type="object",
            default={},
        ),
        Setting("webhook_secret", _("Webhook secret"), required=False, secret=True),
    )

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        records = self.config.get("records", {})
        if not isinstance(records, dict):
            raise MisconfiguredError(gettext("“records” must be an object."))
        self.records = records
        mappings = self.config.get("mappings") or {}
        if mappings:
            self.default_mappings = {**self.default_mappings, **mappings}

    def test_connection(self):
        count = sum(
            len(rows)
            for kinds in self.records.values()
            if isinstance(kinds, dict)
            for rows in kinds.values()
            if isinstance(rows, list)
        )
        return gettext("%(count)d sample record(s) for %(people)d employee(s).") % {
            "count": count,
            "people": len(self.records),
        }

    def discover(self, *, employee, record_kind):
        match_by = self.config.get("match_by") or "email"
        kinds = self.records.get(employee.value(match_by)) or {}
        found = []
        for row in kinds.get(record_kind) or []:
            if not isinstance(row, dict):
                found.append(
                    Record("", record_kind, "", error=gettext("Not an object."))
                )
                continue
            found.append(
                Record(
                    external_id=str(row.get("id") or ""),
                    kind=record_kind,
                    title=str(row.get("title") or ""),
                    fields=row.get("fields")
                    if isinstance(row.get("fields"), dict)
                    else {},
                    error="" if row.get("id") else gettext("The record has no id."),
                )
            )
        return found

    # Write-backs: the records live in the connector's own settings, so moving
    # one to the successor is an update of those settings.

    def _key(self, person) -> str:
        return person.value(self.config.get("match_by") or "email")

    def describe_transfer(self, *, record, owner, successor):
        return gettext(
            "Move %(kind)s “%(title)s” (%(id)s) from %(owner)s to %(successor)s "
            "in the sample records."
        ) % {
            "kind": record.kind,
            "title": record.title,
            "id": record.external_id,
            "owner": self._key(owner) or owner.name,
            "successor": self._key(successor) or successor.name,
        }

    def _store(self) -> SettingsStore:
        if self.store is None:
            raise RuntimeError("No settings store: import connectors.settings_store.")
        return self.store

    def transfer(self, *, record, owner, successor, note):
        target = self._key(successor)
        if not target:
            raise MisconfiguredError(
                gettext("The successor has no value to match in the sample records.")
            )

        def move(settings: dict) -> dict:
            records = settings.setdefault("records", {})
            source = records.get(self._key(owner), {}).get(record.kind, [])
            moving = [row for row in source if str(row.get("id")) == record.external_id]
            held = records.get(target, {}).get(record.kind, [])
            if any(str(row.get("id")) == record.external_id for row in held):
                # Already moved (a retry after a lost answer): nothing to do.
                return records
            if not moving:
                raise MisconfiguredError(
                    gettext("The record %(id)s is not among %(owner)s's records.")
                    % {"id": record.external_id, "owner": self._key(owner)}
                )
            source.remove(moving[0])
            moving[0].setdefault("notes", []).append(note)
            records.setdefault(target, {}).setdefault(record.kind, []).append(moving[0])
            return records

        self.records = self._store().change(self.config["connector_id"], move)
        return TransferResult(response={"moved": record.external_id, "to": target})

    def verify_transfer(self, *, record, successor):
        records = self._store().read(self.config["connector_id"])["records"]
        rows = records.get(self._key(successor), {}).get(record.kind, [])
        return any(str(row.get("id")) == record.external_id for row in rows)
