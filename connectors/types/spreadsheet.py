"""Spreadsheet uploads: HR or the departing employee uploads a CSV or Excel file
on the handover, chooses which column fills which item property, and imports.

Nothing is fetched: the engine never polls this type (it has no ``discover``
capability). Parsing and mapping live in ``connectors.spreadsheet``; the rows
reach the engine already mapped onto item properties, so the default mapping
of every record kind copies each property as it is.
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from checklist_blocks.blocks.connector import RECORD_KIND_TARGETS, RECORD_KINDS
from checklist_blocks.blocks.items import DOMAIN_BLOCK_CLASSES

from .. import spreadsheet
from ..sdk.base import ConnectorError, ConnectorType, MisconfiguredError, Setting

__all__ = ["UPLOAD", "SpreadsheetConnector"]

UPLOAD = "upload"


def _identity_mapping(record_kind: str) -> dict[str, str]:
    """{item property -> record field}: a record's fields already are item data."""
    target = DOMAIN_BLOCK_CLASSES[RECORD_KIND_TARGETS[record_kind]]
    return {spec.name: spec.name for spec in target.domain_fields}


class SpreadsheetConnector(ConnectorType):
    slug = "spreadsheet"
    label = _("Spreadsheet (CSV / Excel)")
    description = _(
        "HR or the departing employee uploads a CSV or Excel file on the handover, "
        "chooses the columns, checks a preview and imports the rows as items."
    )
    capabilities = frozenset({UPLOAD})
    default_mappings = {kind: _identity_mapping(kind) for kind in RECORD_KINDS}
    settings = (
        Setting(
            "max_rows",
            _("Maximum rows"),
            help_text=_("Refuse files with more rows than this (at most 50,000)."),
            required=False,
            type="integer",
            default=spreadsheet.MAX_ROWS,
        ),
    )

    def __init__(self, *, settings, secrets, timeout=None):
        super().__init__(settings=settings, secrets=secrets, timeout=timeout)
        self.max_rows = self.max_rows_of(self.config)

    @staticmethod
    def max_rows_of(config) -> int:
        """The connector's row limit: its ``max_rows`` setting, at most 50,000."""
        value = (config or {}).get("max_rows")
        if value in (None, ""):
            return spreadsheet.MAX_ROWS
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise MisconfiguredError(
                gettext("“Maximum rows” must be a whole number.")
            ) from None
        if not 1 <= value <= spreadsheet.MAX_ROWS:
            raise MisconfiguredError(
                gettext("“Maximum rows” must be between 1 and %(limit)d.")
                % {"limit": spreadsheet.MAX_ROWS}
            )
        return value

    def test_connection(self):
        return gettext("Ready: upload a CSV or Excel file on the handover")

    def discover(self, *, employee, record_kind):
        # Never called (no "discover" capability). Returning nothing would make
        # the engine resolve every imported row, so refuse instead.
        raise ConnectorError(
            gettext("Spreadsheet connectors only import uploaded files."),
            retryable=False,
        )
