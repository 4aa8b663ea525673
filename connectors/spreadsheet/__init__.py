"""Spreadsheet uploads: reading a CSV or Excel file row by row (``files``,
``csv_files``, ``excel_files``), the item properties a column can fill
(``properties``), guessing the columns (``mapping``), cells to item values
(``cells``), rows to records (``records``), and the stored uploads
(``uploads``: arrival, preview, housekeeping) imported in the background
(``importing``): the services the pages and the huey task call."""

from .files import (
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    MAX_UPLOAD_BYTES,
    PREVIEW_ROWS,
    Sheet,
    Table,
    column_letter,
    open_sheet,
    read_table,
)
from .mapping import suggest_id_column, suggest_mapping
from .properties import Property, item_properties, title_properties
from .records import (
    MAX_EXTERNAL_ID_LENGTH,
    records_from_rows,
    rows_to_records,
    validate_mapping,
)

__all__ = [
    "MAX_COLUMNS",
    "MAX_EXTERNAL_ID_LENGTH",
    "MAX_ROWS",
    "MAX_UNPACKED_BYTES",
    "MAX_UPLOAD_BYTES",
    "PREVIEW_ROWS",
    "Property",
    "Sheet",
    "Table",
    "column_letter",
    "item_properties",
    "open_sheet",
    "read_table",
    "records_from_rows",
    "rows_to_records",
    "suggest_id_column",
    "suggest_mapping",
    "title_properties",
    "validate_mapping",
]
