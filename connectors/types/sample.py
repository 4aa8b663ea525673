"""Records kept in the connector's own settings: for demos, trials and systems
that export a fixed list. Settings::

    {"records": {"<employee match value>": {"<record kind>": [
        {"id": "...", "title": "...", "fields": {...}}, ...]}}}
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from checklist_blocks.blocks.connector import RECORD_KINDS

from ..registry import register
from .base import DISCOVER, WEBHOOK, ConnectorType, MisconfiguredError, Record, Setting


@register
class SampleConnector(ConnectorType):
    slug = "sample"
    label = _("Built-in sample records")
    description = _("Records stored in the connector's settings, per employee.")
    capabilities = frozenset({DISCOVER, WEBHOOK})
    default_mappings = {kind: {} for kind in RECORD_KINDS}
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
