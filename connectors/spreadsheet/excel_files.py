"""Excel workbooks (.xlsx), read as a stream with openpyxl's read-only mode:
values only (a formula refuses the file, naming its cell), the first visible
sheet unless another is named."""

from __future__ import annotations

import contextlib
import datetime
import zipfile

from django.utils.translation import gettext

from cms.errors import InvalidInput

from .files import (
    MAX_COLUMNS,
    MAX_UNPACKED_BYTES,
    OLE_MAGIC,
    ZIP_MAGIC,
    refuse,
)

__all__ = ["open_xlsx"]


def _refuse_not_a_workbook():
    refuse(
        gettext(
            "This file is not an Excel workbook, although its name ends in "
            ".xlsx. Upload the workbook itself, or save the data as CSV."
        )
    )


def _cell_text(value) -> str:
    """How a cell's value reads as text, the way Excel shows it by default."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(
            sep=" ", timespec="seconds" if value.second else "minutes"
        )
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()


def _is_formula(cell) -> bool:
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    value = cell.value
    if isinstance(value, ArrayFormula | DataTableFormula):
        return True
    return getattr(cell, "data_type", None) == "f"


def _formula_text(value) -> str:
    text = getattr(value, "text", value)
    text = str(text or "")
    if not text.startswith("="):
        text = "=" + text
    return text if len(text) <= 40 else text[:39] + "…"


def _check_archive(stream) -> None:
    head = stream.read(8)
    stream.seek(0)
    if not head.startswith(ZIP_MAGIC):
        if head.startswith(OLE_MAGIC):
            refuse(
                gettext(
                    "This file is an old Excel (.xls) workbook renamed to .xlsx. In "
                    "Excel or WPS, use “Save as” and choose Excel workbook (.xlsx) or "
                    "CSV, then upload that file."
                )
            )
        _refuse_not_a_workbook()
    try:
        with zipfile.ZipFile(stream) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            unpacked = sum(entry.file_size for entry in entries)
    except (zipfile.BadZipFile, OSError, ValueError):
        refuse(gettext("The workbook is damaged and cannot be opened."))
    stream.seek(0)
    if "xl/workbook.xml" not in names:
        _refuse_not_a_workbook()
    if unpacked > MAX_UNPACKED_BYTES:
        refuse(
            gettext(
                "The workbook unpacks to more than %(limit)d MB. Remove the sheets and "
                "pictures that are not needed, or save the data as CSV."
            )
            % {"limit": MAX_UNPACKED_BYTES // (1024 * 1024)}
        )


@contextlib.contextmanager
def open_xlsx(stream, *, sheet: str | None = None):
    """``(numbered rows, details)`` of the chosen sheet of a seekable binary
    ``stream`` holding a workbook."""
    import openpyxl

    _check_archive(stream)
    try:
        workbook = openpyxl.load_workbook(
            stream, read_only=True, data_only=False, keep_links=False
        )
    except Exception:  # noqa: BLE001 — openpyxl raises many kinds for a bad file
        refuse(gettext("The workbook is damaged and cannot be opened."))
    try:
        worksheets = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
        sheet_names = [ws.title for ws in worksheets]
        if not worksheets:
            refuse(gettext("The workbook has no visible sheet."))
        if sheet:
            chosen = next((ws for ws in worksheets if ws.title == sheet), None)
            if chosen is None:
                refuse(
                    gettext("The workbook has no sheet named “%(sheet)s”.")
                    % {"sheet": sheet}
                )
        else:
            chosen = worksheets[0]
        chosen.reset_dimensions()
        yield (
            _sheet_rows(chosen),
            {"sheet_name": chosen.title, "sheet_names": sheet_names},
        )
    finally:
        workbook.close()


def _sheet_rows(worksheet):
    try:
        yield from _cells_by_row(worksheet)
    except InvalidInput:
        raise
    except Exception:  # noqa: BLE001 — malformed sheet XML
        refuse(gettext("The workbook is damaged and cannot be opened."))


def _cells_by_row(worksheet):
    for number, cells in enumerate(worksheet.iter_rows(), start=1):
        values = {}
        row_number = number
        for cell in cells:
            column = getattr(cell, "column", None)
            if column is None or cell.value is None:
                continue
            row_number = getattr(cell, "row", None) or row_number
            if _is_formula(cell):
                refuse(
                    gettext(
                        "Cell %(cell)s holds a formula (%(formula)s). Baton imports "
                        "values only: copy the sheet and paste it as values, or save "
                        "it as CSV, then upload again."
                    )
                    % {"cell": cell.coordinate, "formula": _formula_text(cell.value)}
                )
            if column > MAX_COLUMNS:
                refuse(
                    gettext("The sheet has more than %(count)d columns.")
                    % {"count": MAX_COLUMNS}
                )
            values[column] = _cell_text(cell.value)
        width = max(values, default=0)
        yield row_number, [values.get(index, "") for index in range(1, width + 1)]
