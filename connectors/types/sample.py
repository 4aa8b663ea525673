"""Records kept in the connector's own settings: for demos, trials and systems
that export a fixed list. Settings::

    {"records": {"<employee match value>": {"<record kind>": [
        {"id": "...", "title": "...", "fields": {...}}, ...]}}}

A write-back changes those settings through the ``SettingsStore`` the engine
hands the type (``connectors.settings_store``): a type never touches the database.
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
    TransferResult,
)
from ..sdk.common import map_setting, must_be_object, unreadable, webhook_secret_setting

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
        map_setting(
            "records",
            _("Records"),
            _(
                "Per employee (keyed by the match value), per record kind, a list "
                "of {id, title, fields}."
            ),
        ),
        map_setting(
            "mappings",
            _("Field mappings"),
            _("Per record kind, item property → record field."),
        ),
        webhook_secret_setting(
            _(
                "A long random string shared with the system that posts to this "
                "connector's webhook: it signs each request with it "
                "(X-Baton-Signature). Stored encrypted; never shown again."
            )
        ),
    )

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self.records = self.config.get("records", {})
        if not isinstance(self.records, dict):
            raise must_be_object("records")
        if mappings := self.config.get("mappings"):
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

    def list_records(self, *, employee, record_kind):
        rows = _rows(self.records, self._key(employee), record_kind)
        return [_record(row, record_kind) for row in rows]

    def _key(self, person) -> str:
        return person.value(self.config.get("match_by") or "email")

    # Write-backs: moving a record to the successor updates the settings.

    def describe_transfer(self, *, record, owner, successor):
        values = {"kind": record.kind, "title": record.title, "id": record.external_id}
        values["owner"] = self._key(owner) or owner.name
        values["successor"] = self._key(successor) or successor.name
        message = gettext(
            "Move %(kind)s “%(title)s” (%(id)s) from %(owner)s to %(successor)s "
            "in the sample records."
        )
        return message % values

    def transfer(self, *, record, owner, successor, note):
        target = self._key(successor)
        if not target:
            raise MisconfiguredError(
                gettext("The successor has no value to match in the sample records.")
            )

        def move(settings: dict) -> dict:
            records = settings.setdefault("records", {})
            if _held(records, target, record):
                return records  # already moved (a retry after a lost answer)
            source = _rows(records, self._key(owner), record.kind)
            moving = [row for row in source if str(row.get("id")) == record.external_id]
            if not moving:
                raise MisconfiguredError(
                    gettext("The record %(id)s is not among %(owner)s's records.")
                    % {"id": record.external_id, "owner": self._key(owner)}
                )
            source.remove(moving[0])
            moving[0].setdefault("notes", []).append(note)
            records.setdefault(target, {}).setdefault(record.kind, []).append(moving[0])
            return records

        self.records = self.store.change(self.config["connector_id"], move)
        return TransferResult(response={"moved": record.external_id, "to": target})

    def verify_transfer(self, *, record, successor):
        records = self.store.read(self.config["connector_id"])["records"]
        return _held(records, self._key(successor), record)


def _record(row, kind: str) -> Record:
    if not isinstance(row, dict):
        return unreadable(kind, "", gettext("Not an object."))
    fields = row.get("fields")
    return Record(
        external_id=str(row.get("id") or ""),
        kind=kind,
        title=str(row.get("title") or ""),
        fields=fields if isinstance(fields, dict) else {},
        error="" if row.get("id") else gettext("The record has no id."),
    )


def _rows(records: dict, key: str, kind: str) -> list:
    return (records.get(key) or {}).get(kind) or []


def _held(records: dict, key: str, record) -> bool:
    return any(
        str(row.get("id")) == record.external_id
        for row in _rows(records, key, record.kind)
    )
