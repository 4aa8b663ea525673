"""Reading an uploaded CSV or Excel file, row by row.

Pure: no database. Whatever a person can get wrong with the file raises
``cms.errors.InvalidInput`` with a message that names the problem (a cell, a
row, a column) under ``fields["file"]``. ``open_sheet`` streams the rows (a
50,000-row file is never held whole); ``read_table`` collects them for the
callers that want a small file at once.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

from cms.errors import InvalidInput

__all__ = [
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MAX_UNPACKED_BYTES",
    "MAX_UPLOAD_BYTES",
    "PREVIEW_ROWS",
    "Sheet",
    "Table",
    "column_letter",
    "open_sheet",
    "read_table",
]

# 50,000 client rows with a name, a contact, a phone, an email, an amount and
# a sentence of notes are about 11 MB of UTF-8 CSV (2 MB as .xlsx); 32 MB
# leaves room for about 650 bytes (200 Chinese characters) per row.
MAX_UPLOAD_BYTES = 32 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 200
# A workbook is a zip: refuse one that unpacks to more than this (a "zip bomb").
# The 50,000-row workbook above unpacks to 40 MB.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
PREVIEW_ROWS = 20

CSV_EXTENSIONS = frozenset({".csv", ".tsv", ".txt"})
XLSX_EXTENSIONS = frozenset({".xlsx"})
OLD_EXCEL_EXTENSIONS = frozenset({".xls", ".xlsm", ".xlsb", ".ods", ".numbers", ".et"})
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary Office files (.xls)


# Errors ------------------------------------------------------------------------------


def refuse(message):
    """Stop: the file as a whole cannot be imported."""
    raise InvalidInput(message, fields={"file": [message]})


def column_letter(index: int) -> str:
    """The spreadsheet name of the 1-based column ``index``: 1 → A, 28 → AB."""
    letters = ""
    while index > 0:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


# The table ---------------------------------------------------------------------------


@dataclass
class Table:
    """A sheet's rows as text, keyed by the header row's column names.

    ``row_numbers[i]`` is the row ``rows[i]`` has in the file (the header is
    row 1 when it is the first row), so messages can point people at it.
    """

    columns: list[str]
    rows: list[dict[str, str]]
    row_numbers: list[int]
    sheet_name: str = ""
    sheet_names: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""

    def __len__(self):
        return len(self.rows)

    def preview(self, count=PREVIEW_ROWS):
        """The first rows as ``(row number, [value per column])``."""
        return [
            (number, [row.get(column, "") for column in self.columns])
            for number, row in zip(
                self.row_numbers[:count], self.rows[:count], strict=True
            )
        ]

    def to_dict(self) -> dict:
        """JSON-serialisable."""
        return {
            "columns": self.columns,
            "rows": [
                [row.get(column, "") for column in self.columns] for row in self.rows
            ],
            "row_numbers": self.row_numbers,
            "sheet_name": self.sheet_name,
            "sheet_names": self.sheet_names,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Table:
        columns = list(data["columns"])
        return cls(
            columns=columns,
            rows=[dict(zip(columns, values, strict=True)) for values in data["rows"]],
            row_numbers=list(data["row_numbers"]),
            sheet_name=data.get("sheet_name", ""),
            sheet_names=list(data.get("sheet_names", [])),
            encoding=data.get("encoding", ""),
            delimiter=data.get("delimiter", ""),
        )


@dataclass
class Sheet:
    """An open sheet: its columns, and its rows below the header as an iterator
    of ``(row number, [value per column])``, read as they are asked for."""

    columns: list[str]
    rows: Iterator[tuple[int, list[str]]]
    sheet_name: str = ""
    sheet_names: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""


# Size ---------------------------------------------------------------------------------


def _file_size(uploaded_file) -> int | None:
    size = getattr(uploaded_file, "size", None)
    if size is not None:
        return size
    try:
        position = uploaded_file.tell()
        uploaded_file.seek(0, io.SEEK_END)
        size = uploaded_file.tell()
        uploaded_file.seek(position)
    except (AttributeError, OSError):
        return None
    return size


def _too_large(max_bytes):
    refuse(
        gettext(
            "The file is larger than %(limit)d MB. Remove the columns and rows "
            "that are not needed, or split it into parts and import each with "
            "“Add to the list”."
        )
        % {"limit": max(1, round(max_bytes / (1024 * 1024)))}
    )


def _copy_at_most(uploaded_file, max_bytes: int):
    """A seekable copy of a stream of unknown size, reading no more than
    ``max_bytes`` + 1 bytes of it (kept on disk past a few megabytes)."""
    copy = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # noqa: SIM115
    received = 0
    while received <= max_bytes:
        chunk = uploaded_file.read(min(64 * 1024, max_bytes + 1 - received))
        if not chunk:
            break
        copy.write(chunk)
        received += len(chunk)
    if received > max_bytes:
        copy.close()
        _too_large(max_bytes)
    copy.seek(0)
    return copy, received


# Opening ------------------------------------------------------------------------------


@contextlib.contextmanager
def open_sheet(
    uploaded_file,
    filename: str,
    *,
    sheet: str | None = None,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> Iterator[Sheet]:
    """Open an uploaded ``.csv`` or ``.xlsx`` file (the first visible sheet, or
    ``sheet``): its header is read and checked at once, its rows as they are
    iterated. Raises ``InvalidInput`` for anything unusable, also while the
    rows are read (a formula in row 40,000)."""
    from .csv_files import open_csv
    from .excel_files import open_xlsx

    extension = PurePath(filename or "").suffix.lower()
    if extension in OLD_EXCEL_EXTENSIONS:
        refuse(
            gettext(
                "“%(name)s” is not in a format Baton reads. In Excel or WPS, use "
                "“Save as” and choose Excel workbook (.xlsx) or CSV, then upload "
                "that file."
            )
            % {"name": PurePath(filename).name}
        )
    if extension not in CSV_EXTENSIONS | XLSX_EXTENSIONS:
        refuse(gettext("Upload a CSV file (.csv) or an Excel workbook (.xlsx)."))
    size = _file_size(uploaded_file)
    if size is not None and size > max_bytes:
        _too_large(max_bytes)
    if size == 0:
        refuse(gettext("The file is empty."))
    with contextlib.ExitStack() as stack:
        if size is None:
            copy, size = _copy_at_most(uploaded_file, max_bytes)
            uploaded_file = stack.enter_context(copy)
        else:
            uploaded_file.seek(0)
        if not size:
            refuse(gettext("The file is empty."))
        opener = open_xlsx if extension in XLSX_EXTENSIONS else open_csv
        with opener(uploaded_file, sheet=sheet) as (numbered_rows, details):
            columns = _header_of(numbered_rows)
            yield Sheet(
                columns=columns,
                rows=_body(columns, numbered_rows, max_rows=max_rows),
                **details,
            )


def read_table(
    uploaded_file,
    filename: str,
    *,
    sheet: str | None = None,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> Table:
    """Parse a whole uploaded ``.csv`` or ``.xlsx`` file into a ``Table``.
    Raises ``InvalidInput`` for anything unusable."""
    with open_sheet(
        uploaded_file, filename, sheet=sheet, max_rows=max_rows, max_bytes=max_bytes
    ) as opened:
        rows, row_numbers = [], []
        for number, values in opened.rows:
            rows.append(dict(zip(opened.columns, values, strict=True)))
            row_numbers.append(number)
    if not rows:
        refuse_header_only()
    return Table(
        columns=opened.columns,
        rows=rows,
        row_numbers=row_numbers,
        sheet_name=opened.sheet_name,
        sheet_names=opened.sheet_names,
        encoding=opened.encoding,
        delimiter=opened.delimiter,
    )


def refuse_header_only():
    refuse(
        gettext(
            "The file has a header row but no rows below it. The first row names "
            "the columns; each row after it becomes an item."
        )
    )


# From rows to columns and values -----------------------------------------------------


def _check_width(values: list[str]) -> None:
    if len(values) > MAX_COLUMNS and any(values[MAX_COLUMNS:]):
        refuse(
            gettext("The sheet has more than %(count)d columns.")
            % {"count": MAX_COLUMNS}
        )


def _header_of(numbered_rows) -> list[str]:
    """The first non-empty row's names; ``numbered_rows`` continues after it."""
    for _number, values in numbered_rows:
        _check_width(values)
        if any(values):
            return _header(values)
    refuse(gettext("The file is empty."))


def _body(columns, numbered_rows, *, max_rows: int):
    max_rows = max(1, min(int(max_rows or MAX_ROWS), MAX_ROWS))
    width = len(columns)
    count = 0
    for number, values in numbered_rows:
        _check_width(values)
        if not any(values):
            continue
        if len(values) > width and any(values[width:]):
            extra = next(
                index for index, value in enumerate(values[width:], width + 1) if value
            )
            refuse(
                gettext(
                    "Row %(row)d has a value in column %(column)s, which has no "
                    "header. Give the column a name in the header row, or delete it."
                )
                % {"row": number, "column": column_letter(extra)}
            )
        count += 1
        if count > max_rows:
            refuse(
                ngettext(
                    "The file has more than %(count)s row. Split it into parts and "
                    "import each with “Add to the list”, or remove the rows that "
                    "are not needed.",
                    "The file has more than %(count)s rows. Split it into parts and "
                    "import each with “Add to the list”, or remove the rows that "
                    "are not needed.",
                    max_rows,
                )
                % {"count": number_format(max_rows, force_grouping=True)}
            )
        if len(values) < width:
            values = [*values, *([""] * (width - len(values)))]
        elif len(values) > width:
            values = values[:width]
        yield number, values


def _header(values: list[str]) -> list[str]:
    while values and not values[-1]:
        values = values[:-1]
    seen: dict[str, int] = {}
    for index, name in enumerate(values, start=1):
        if not name:
            refuse(
                gettext(
                    "Column %(column)s has no name in the header row. The first row "
                    "must name every column."
                )
                % {"column": column_letter(index)}
            )
        key = name.casefold()
        if key in seen:
            refuse(
                gettext(
                    "Columns %(first)s and %(second)s are both called “%(name)s”. "
                    "Rename one of them."
                )
                % {
                    "first": column_letter(seen[key]),
                    "second": column_letter(index),
                    "name": name,
                }
            )
        seen[key] = index
    return list(values)
