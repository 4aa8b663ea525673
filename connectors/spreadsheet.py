"""Reading an uploaded CSV or Excel file into a table, and its rows into records.

Pure: no database. Whatever a person can get wrong with the file raises
``cms.errors.InvalidInput`` with a message that names the problem (a cell, a
row, a column) under ``fields["file"]``, and nothing is imported. A single bad
row does not stop the import: it becomes a ``Record`` with ``error`` set, which
the sync engine skips and reports.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.formats import number_format
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext

from checklist_blocks.blocks.connector import RECORD_KIND_TARGETS
from checklist_blocks.blocks.spec import (
    URL,
    Choice,
    Date,
    Email,
    Group,
    Integer,
    ListOf,
    LongText,
    Text,
)
from checklist_blocks.blocks.spec import Decimal as DecimalSpec
from checklist_blocks.registry import get_kind
from cms.errors import InvalidInput

from .types.base import Record

__all__ = [
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MAX_UPLOAD_BYTES",
    "PREVIEW_ROWS",
    "Property",
    "Table",
    "item_properties",
    "read_table",
    "rows_to_records",
    "suggest_id_column",
    "suggest_mapping",
    "title_properties",
]

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 200
# A workbook is a zip: refuse one that unpacks to more than this (a "zip bomb").
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_EXTERNAL_ID_LENGTH = 200
PREVIEW_ROWS = 20

CSV_EXTENSIONS = frozenset({".csv", ".tsv", ".txt"})
XLSX_EXTENSIONS = frozenset({".xlsx"})
OLD_EXCEL_EXTENSIONS = frozenset({".xls", ".xlsm", ".xlsb", ".ods", ".numbers", ".et"})
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary Office files (.xls)
DELIMITERS = (",", ";", "\t")


# Errors ------------------------------------------------------------------------------


def _refuse(message):
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
        """JSON-serialisable (to keep between the upload and the import)."""
        return {
            "columns": self.columns,
            # Positional rows are about half the size of dicts in a session.
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
    _refuse(
        gettext(
            "The file is larger than %(limit)d MB. Remove what is not needed or "
            "split it into several files."
        )
        % {"limit": max(1, round(max_bytes / (1024 * 1024)))}
    )


def _read_at_most(uploaded_file, max_bytes: int) -> bytes:
    """The file's bytes, reading no more than ``max_bytes`` + 1 of them."""
    # A stream that cannot seek is read from where it is.
    with contextlib.suppress(AttributeError, OSError):
        uploaded_file.seek(0)
    buffer = bytearray()
    while len(buffer) <= max_bytes:
        chunk = uploaded_file.read(min(64 * 1024, max_bytes + 1 - len(buffer)))
        if not chunk:
            break
        buffer += chunk
    if len(buffer) > max_bytes:
        _too_large(max_bytes)
    return bytes(buffer)


def read_table(
    uploaded_file,
    filename: str,
    *,
    sheet: str | None = None,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> Table:
    """Parse an uploaded ``.csv`` or ``.xlsx`` file (the first visible sheet, or
    ``sheet``) into a ``Table``. Raises ``InvalidInput`` for anything unusable."""
    extension = PurePath(filename or "").suffix.lower()
    if extension in OLD_EXCEL_EXTENSIONS:
        _refuse(
            gettext(
                "“%(name)s” is not in a format Baton reads. In Excel or WPS, use "
                "“Save as” and choose Excel workbook (.xlsx) or CSV, then upload "
                "that file."
            )
            % {"name": PurePath(filename).name}
        )
    if extension not in CSV_EXTENSIONS | XLSX_EXTENSIONS:
        _refuse(gettext("Upload a CSV file (.csv) or an Excel workbook (.xlsx)."))
    size = _file_size(uploaded_file)
    if size is not None and size > max_bytes:
        _too_large(max_bytes)
    if size == 0:
        _refuse(gettext("The file is empty."))
    data = _read_at_most(uploaded_file, max_bytes)
    if not data:
        _refuse(gettext("The file is empty."))
    if extension in XLSX_EXTENSIONS:
        return _read_xlsx(data, sheet=sheet, max_rows=max_rows)
    return _read_csv(data, max_rows=max_rows)


# CSV ---------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            return text, "utf-8" if encoding == "utf-8-sig" else encoding
    _refuse(
        gettext(
            "The file's text encoding is not UTF-8 or GBK. In Excel, use “Save as” "
            "and choose “CSV UTF-8”, then upload that file."
        )
    )


def _sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: the one that splits the first lines into the
    same, largest number of columns."""
    sample = text[: 64 * 1024]
    lines = sample.splitlines()[:30]
    if len(lines) > 1 and len(sample) == 64 * 1024:
        lines = lines[:-1]  # the last line may be cut off
    sample = "\n".join(lines)
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = [
                row
                for row in csv.reader(io.StringIO(sample), delimiter=delimiter)
                if row
            ]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        consistent = sum(1 for row in rows if len(row) == width)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(data: bytes, *, max_rows: int) -> Table:
    if data.startswith(ZIP_MAGIC) or data.startswith(OLE_MAGIC):
        _refuse(
            gettext(
                "This file is an Excel workbook, not CSV text. Upload it with its "
                ".xlsx name, or save it as CSV first."
            )
        )
    text, encoding = _decode(data)
    if "\x00" in text:
        _refuse(gettext("This is not a CSV text file."))
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def numbered_rows():
        number = 0
        try:
            for number, values in enumerate(reader, start=1):
                yield number, [value.strip() for value in values]
        except csv.Error as error:
            _refuse(
                gettext("Row %(row)d of the file cannot be read: %(reason)s")
                % {"row": number + 1, "reason": error}
            )

    table = _build_table(numbered_rows(), max_rows=max_rows)
    table.encoding = encoding
    table.delimiter = delimiter
    return table


# Excel -------------------------------------------------------------------------------


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


def _read_xlsx(data: bytes, *, sheet: str | None, max_rows: int) -> Table:
    import openpyxl

    if not data.startswith(ZIP_MAGIC):
        if data.startswith(OLE_MAGIC):
            _refuse(
                gettext(
                    "This file is an old Excel (.xls) workbook renamed to .xlsx. In "
                    "Excel or WPS, use “Save as” and choose Excel workbook (.xlsx) or "
                    "CSV, then upload that file."
                )
            )
        _refuse(
            gettext(
                "This file is not an Excel workbook, although its name ends in "
                ".xlsx. Upload the workbook itself, or save the data as CSV."
            )
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            unpacked = sum(entry.file_size for entry in entries)
    except (zipfile.BadZipFile, OSError, ValueError):
        _refuse(gettext("The workbook is damaged and cannot be opened."))
    if "xl/workbook.xml" not in names:
        _refuse(
            gettext(
                "This file is not an Excel workbook, although its name ends in "
                ".xlsx. Upload the workbook itself, or save the data as CSV."
            )
        )
    if unpacked > MAX_UNPACKED_BYTES:
        _refuse(
            gettext(
                "The workbook unpacks to more than %(limit)d MB. Remove the sheets and "
                "pictures that are not needed, or save the data as CSV."
            )
            % {"limit": MAX_UNPACKED_BYTES // (1024 * 1024)}
        )
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=False, keep_links=False
        )
    except Exception:  # noqa: BLE001 — openpyxl raises many kinds for a bad file
        _refuse(gettext("The workbook is damaged and cannot be opened."))
    try:
        worksheets = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
        sheet_names = [ws.title for ws in worksheets]
        if not worksheets:
            _refuse(gettext("The workbook has no visible sheet."))
        if sheet:
            chosen = next((ws for ws in worksheets if ws.title == sheet), None)
            if chosen is None:
                _refuse(
                    gettext("The workbook has no sheet named “%(sheet)s”.")
                    % {"sheet": sheet}
                )
        else:
            chosen = worksheets[0]
        try:
            chosen.reset_dimensions()
            table = _build_table(_sheet_rows(chosen), max_rows=max_rows)
        except InvalidInput:
            raise
        except Exception:  # noqa: BLE001 — malformed sheet XML
            _refuse(gettext("The workbook is damaged and cannot be opened."))
    finally:
        workbook.close()
    table.sheet_name = chosen.title
    table.sheet_names = sheet_names
    return table


def _sheet_rows(worksheet):
    for number, cells in enumerate(worksheet.iter_rows(), start=1):
        values = {}
        row_number = number
        for cell in cells:
            column = getattr(cell, "column", None)
            if column is None or cell.value is None:
                continue
            row_number = getattr(cell, "row", None) or row_number
            if _is_formula(cell):
                _refuse(
                    gettext(
                        "Cell %(cell)s holds a formula (%(formula)s). Baton imports "
                        "values only: copy the sheet and paste it as values, or save "
                        "it as CSV, then upload again."
                    )
                    % {"cell": cell.coordinate, "formula": _formula_text(cell.value)}
                )
            if column > MAX_COLUMNS:
                _refuse(
                    gettext("The sheet has more than %(count)d columns.")
                    % {"count": MAX_COLUMNS}
                )
            values[column] = _cell_text(cell.value)
        width = max(values, default=0)
        yield row_number, [values.get(index, "") for index in range(1, width + 1)]


# From rows to a table ----------------------------------------------------------------


def _build_table(numbered_rows, *, max_rows: int) -> Table:
    max_rows = max(1, min(int(max_rows or MAX_ROWS), MAX_ROWS))
    header = None
    columns: list[str] = []
    rows: list[dict[str, str]] = []
    row_numbers: list[int] = []
    for number, values in numbered_rows:
        if len(values) > MAX_COLUMNS and any(values[MAX_COLUMNS:]):
            _refuse(
                gettext("The sheet has more than %(count)d columns.")
                % {"count": MAX_COLUMNS}
            )
        if not any(values):
            continue
        if header is None:
            header = number
            columns = _header(values)
            continue
        if len(values) > len(columns) and any(values[len(columns) :]):
            extra = next(
                index
                for index, value in enumerate(values[len(columns) :], len(columns) + 1)
                if value
            )
            _refuse(
                gettext(
                    "Row %(row)d has a value in column %(column)s, which has no "
                    "header. Give the column a name in the header row, or delete it."
                )
                % {"row": number, "column": column_letter(extra)}
            )
        if len(rows) >= max_rows:
            _refuse(
                ngettext(
                    "The file has more than %(count)s row. Split it into smaller "
                    "files.",
                    "The file has more than %(count)s rows. Split it into smaller "
                    "files.",
                    max_rows,
                )
                % {"count": number_format(max_rows, force_grouping=True)}
            )
        rows.append(
            {
                column: values[index] if index < len(values) else ""
                for index, column in enumerate(columns)
            }
        )
        row_numbers.append(number)
    if header is None:
        _refuse(gettext("The file is empty."))
    if not rows:
        _refuse(
            gettext(
                "The file has a header row but no rows below it. The first row names "
                "the columns; each row after it becomes an item."
            )
        )
    return Table(columns=columns, rows=rows, row_numbers=row_numbers)


def _header(values: list[str]) -> list[str]:
    while values and not values[-1]:
        values = values[:-1]
    seen: dict[str, int] = {}
    for index, name in enumerate(values, start=1):
        if not name:
            _refuse(
                gettext(
                    "Column %(column)s has no name in the header row. The first row "
                    "must name every column."
                )
                % {"column": column_letter(index)}
            )
        key = name.casefold()
        if key in seen:
            _refuse(
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


# Item properties ---------------------------------------------------------------------

SCALAR_SPECS = (Text, LongText, Email, URL, Date, Integer, DecimalSpec, Choice)


@dataclass(frozen=True)
class Property:
    """One item property a column can fill.

    ``path`` is dotted (``contact_person.email``). ``list_name`` is set for a
    field of a list of groups (``open_deals.title``): one row fills one entry.
    ``many`` marks a list of plain values (``commitments``): one cell holds
    several, one per line or separated by semicolons.
    """

    path: str
    label: object
    spec: object
    list_name: str = ""
    many: bool = False

    @property
    def name(self):
        return self.path.rpartition(".")[2]


def _joined(*labels):
    return format_lazy("{} \u203a {}", *labels)


def item_properties(target_kind: str) -> list[Property]:
    """The properties of item kind ``target_kind`` that a column can fill."""
    properties = []
    for spec in get_kind(target_kind).block_class.domain_fields:
        if isinstance(spec, SCALAR_SPECS):
            properties.append(Property(spec.name, spec.label, spec))
        elif isinstance(spec, Group):
            properties.extend(
                Property(
                    f"{spec.name}.{child.name}", _joined(spec.label, child.label), child
                )
                for child in spec.fields
                if isinstance(child, SCALAR_SPECS)
            )
        elif isinstance(spec, ListOf):
            item = spec.item
            if isinstance(item, Group):
                properties.extend(
                    Property(
                        f"{spec.name}.{child.name}",
                        _joined(spec.label, child.label),
                        child,
                        list_name=spec.name,
                    )
                    for child in item.fields
                    if isinstance(child, SCALAR_SPECS)
                )
            elif isinstance(item, SCALAR_SPECS):
                properties.append(Property(spec.name, spec.label, item, many=True))
    return properties


# What labels a row's item, by target kind: the first non-empty names it, and a
# row where all of the mapped ones are empty is skipped.
TITLE_PROPERTIES = {
    "client": ("customer",),
    "task": ("description",),
    "project": ("project_name",),
    "account": ("system", "account_id", "role_permission"),
    "approval": ("title", "reference"),
    "expense": ("description", "reference"),
    "asset": ("description", "asset_tag"),
    "document": ("title",),
    "knowledge": ("topic",),
}


def title_properties(target_kind: str) -> tuple[str, ...]:
    return TITLE_PROPERTIES[target_kind]


def _target(record_kind: str) -> str:
    try:
        return RECORD_KIND_TARGETS[record_kind]
    except KeyError:
        raise InvalidInput(
            gettext("Unknown record kind “%(kind)s”.") % {"kind": record_kind}
        ) from None


# Suggested mapping -------------------------------------------------------------------

# Header (normalised: lower case, no spaces or punctuation) -> the properties it
# most likely means, best first; the first one the target kind has wins.
_CONTACT_NAME = ("contact_person.name", "contacts.name")
_CONTACT_TITLE = ("contact_person.title",)
_PHONE = ("contact_person.phone", "contacts.phone")
_EMAIL = ("contact_person.email", "contacts.email")
_NOTES = ("relationship_notes", "notes", "keep_reason", "content")
_AMOUNT = ("amount", "open_deals.amount")
_CURRENCY = ("currency", "open_deals.currency")
_STAGE = ("stage", "open_deals.stage")
_NEXT_STEP = ("next_step", "open_deals.next_step")
_TITLE = ("title", "open_deals.title", "documents.title", "topic", "project_name")
_DESCRIPTION = ("description", "content", "relationship_notes", "notes")
_LOCATION = ("location", "documents.location")
_REFERENCE = ("reference", "asset_tag")

HEADER_ALIASES = {
    # Clients
    "customer": ("customer",),
    "customername": ("customer",),
    "client": ("customer",),
    "clientname": ("customer",),
    "company": ("customer",),
    "companyname": ("customer",),
    "accountname": ("customer",),
    "客户": ("customer",),
    "客户名称": ("customer",),
    "客户名": ("customer",),
    "客户全称": ("customer",),
    "公司": ("customer",),
    "公司名称": ("customer",),
    "单位": ("customer",),
    "单位名称": ("customer",),
    "contact": _CONTACT_NAME,
    "contactname": _CONTACT_NAME,
    "contactperson": _CONTACT_NAME,
    "name": (*_CONTACT_NAME, "title", "topic", "project_name"),
    "联系人": _CONTACT_NAME,
    "联系人姓名": _CONTACT_NAME,
    "姓名": _CONTACT_NAME,
    "jobtitle": _CONTACT_TITLE,
    "position": _CONTACT_TITLE,
    "职位": _CONTACT_TITLE,
    "职务": _CONTACT_TITLE,
    "phone": _PHONE,
    "phonenumber": _PHONE,
    "tel": _PHONE,
    "telephone": _PHONE,
    "mobile": _PHONE,
    "cell": _PHONE,
    "电话": _PHONE,
    "手机": _PHONE,
    "手机号": _PHONE,
    "手机号码": _PHONE,
    "联系电话": _PHONE,
    "电话号码": _PHONE,
    "联系方式": _PHONE,
    "email": _EMAIL,
    "mail": _EMAIL,
    "emailaddress": _EMAIL,
    "邮箱": _EMAIL,
    "电子邮箱": _EMAIL,
    "邮件": _EMAIL,
    "电子邮件": _EMAIL,
    "邮箱地址": _EMAIL,
    "notes": _NOTES,
    "note": _NOTES,
    "remarks": _NOTES,
    "comments": _NOTES,
    "comment": _NOTES,
    "relationshipnotes": ("relationship_notes",),
    "备注": _NOTES,
    "说明": (*_DESCRIPTION, *_NOTES),
    "客户关系": ("relationship_notes",),
    "deal": ("open_deals.title",),
    "dealname": ("open_deals.title",),
    "opportunity": ("open_deals.title",),
    "商机": ("open_deals.title",),
    "商机名称": ("open_deals.title",),
    "amount": _AMOUNT,
    "value": _AMOUNT,
    "total": _AMOUNT,
    "金额": _AMOUNT,
    "总金额": _AMOUNT,
    "合同金额": _AMOUNT,
    "商机金额": ("open_deals.amount", "amount"),
    "报销金额": ("amount",),
    "currency": _CURRENCY,
    "币种": _CURRENCY,
    "货币": _CURRENCY,
    "stage": _STAGE,
    "阶段": _STAGE,
    "商机阶段": ("open_deals.stage", "stage"),
    "项目阶段": ("stage",),
    "nextstep": _NEXT_STEP,
    "下一步": _NEXT_STEP,
    "下一步计划": _NEXT_STEP,
    "commitments": ("commitments",),
    "promises": ("commitments",),
    "承诺": ("commitments",),
    "承诺事项": ("commitments",),
    "lastquote": ("last_quote",),
    "quote": ("last_quote",),
    "报价": ("last_quote",),
    "最近报价": ("last_quote",),
    # Accounts
    "system": ("system",),
    "application": ("system",),
    "app": ("system",),
    "系统": ("system",),
    "系统名称": ("system",),
    "应用": ("system",),
    "平台": ("system",),
    "account": ("account_id", "customer"),
    "accountid": ("account_id",),
    "username": ("account_id",),
    "user": ("account_id",),
    "userid": ("account_id",),
    "login": ("account_id",),
    "账号": ("account_id",),
    "帐号": ("account_id",),
    "账户": ("account_id",),
    "帐户": ("account_id",),
    "用户名": ("account_id",),
    "登录名": ("account_id",),
    "role": ("role_permission", "contacts.role"),
    "permission": ("role_permission",),
    "permissions": ("role_permission",),
    "rolepermission": ("role_permission",),
    "角色": ("role_permission", "contacts.role"),
    "权限": ("role_permission",),
    "角色权限": ("role_permission",),
    "action": ("action",),
    "操作": ("action",),
    "处理方式": ("action",),
    "keepreason": ("keep_reason",),
    "reason": ("keep_reason",),
    "保留原因": ("keep_reason",),
    "原因": ("keep_reason",),
    # Tasks and projects
    "task": ("description",),
    "taskname": ("description",),
    "任务": ("description",),
    "任务名称": ("description",),
    "事项": ("description",),
    "description": _DESCRIPTION,
    "desc": _DESCRIPTION,
    "描述": _DESCRIPTION,
    "内容": ("content", *_DESCRIPTION),
    "status": ("status",),
    "state": ("status",),
    "状态": ("status",),
    "progress": ("progress_percent",),
    "进度": ("progress_percent",),
    "完成度": ("progress_percent",),
    "location": _LOCATION,
    "path": _LOCATION,
    "link": ("location", "documents.location", "links"),
    "url": ("location", "documents.location", "links"),
    "位置": _LOCATION,
    "存放位置": _LOCATION,
    "存放地点": _LOCATION,
    "链接": ("location", "links", "documents.location"),
    "project": ("project_name",),
    "projectname": ("project_name",),
    "项目": ("project_name",),
    "项目名称": ("project_name",),
    # Documents, approvals, expenses, assets, knowledge
    "title": _TITLE,
    "标题": _TITLE,
    "名称": (*_TITLE, "customer"),
    "document": ("title", "documents.title"),
    "文档": ("title", "documents.title"),
    "文件": ("title", "documents.title"),
    "文件名": ("title", "documents.title"),
    "medium": ("medium",),
    "介质": ("medium",),
    "形式": ("medium",),
    "custodian": ("custodian",),
    "keeper": ("custodian",),
    "owner": ("custodian",),
    "保管人": ("custodian",),
    "reference": _REFERENCE,
    "ref": _REFERENCE,
    "number": _REFERENCE,
    "no": _REFERENCE,
    "编号": _REFERENCE,
    "单号": ("reference",),
    "单据号": ("reference",),
    "审批单号": ("reference",),
    "direction": ("direction",),
    "方向": ("direction",),
    "date": ("incurred_on",),
    "incurredon": ("incurred_on",),
    "日期": ("incurred_on",),
    "发生日期": ("incurred_on",),
    "费用日期": ("incurred_on",),
    "type": ("asset_type",),
    "assettype": ("asset_type",),
    "类型": ("asset_type",),
    "资产类型": ("asset_type",),
    "tag": ("asset_tag",),
    "assettag": ("asset_tag",),
    "assetnumber": ("asset_tag",),
    "资产编号": ("asset_tag",),
    "资产标签": ("asset_tag",),
    "returnto": ("return_to_role",),
    "归还给": ("return_to_role",),
    "topic": ("topic",),
    "subject": ("topic",),
    "主题": ("topic",),
    "content": ("content",),
    "links": ("links",),
}

ID_HEADERS = frozenset(
    {
        "id",
        "externalid",
        "recordid",
        "key",
        "客户编号",
        "客户id",
        "记录id",
        "唯一标识",
    }
)


def _normalise(header: str) -> str:
    return re.sub(r"[\s_\-./:\uff1a()\uff08\uff09#*>\u203a]+", "", header.casefold())


def _label_keys(prop: Property) -> set[str]:
    """The property's label in every language, normalised (both the full
    "Contact person > Email" and, for top-level fields, the field's label)."""
    keys = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            keys.add(_normalise(str(prop.label)))
            if "." not in prop.path or prop.many:
                keys.add(_normalise(str(prop.spec.label)))
    keys.add(_normalise(prop.path))
    return keys


def suggest_mapping(columns: list[str], record_kind: str) -> dict[str, str]:
    """{item property -> column} guessed from the header names (English or
    Chinese), each column and property used once."""
    properties = item_properties(_target(record_kind))
    paths = [prop.path for prop in properties]
    by_label = {}
    for prop in properties:
        for key in _label_keys(prop):
            by_label.setdefault(key, prop.path)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    # Exact label matches first, then aliases, so "Email" beats a vaguer alias.
    for column in columns:
        path = by_label.get(_normalise(column))
        if path and path not in mapping:
            mapping[path] = column
            used.add(column)
    for column in columns:
        if column in used:
            continue
        for path in HEADER_ALIASES.get(_normalise(column), ()):
            if path in paths and path not in mapping:
                mapping[path] = column
                used.add(column)
                break
    # A list entry needs its required fields (a deal needs a title): without a
    # column for them, suggesting the others would only make every row fail.
    for prop in properties:
        if prop.list_name and prop.spec.required and prop.path not in mapping:
            for other in properties:
                if other.list_name == prop.list_name:
                    mapping.pop(other.path, None)
    return {path: mapping[path] for path in paths if path in mapping}


def suggest_id_column(columns: list[str]) -> str | None:
    """A column that looks like a stable row id ("ID", "客户编号"), if any."""
    for column in columns:
        if _normalise(column) in ID_HEADERS:
            return column
    return None


# Rows to records ---------------------------------------------------------------------


class _BadValue(Exception):
    pass


def _choice_lookup(spec: Choice) -> dict[str, str]:
    lookup = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for value, label in spec.choices:
                lookup.setdefault(_normalise(str(label)), value)
    for value, _label in spec.choices:
        lookup[_normalise(value)] = value
    return lookup


def _decimal_text(text: str) -> str:
    cleaned = re.sub(r"[\s\u00a0'¥￥$€£元]", "", text)
    cleaned = cleaned.replace("\uff0c", ",")
    if "," in cleaned and "." in cleaned:
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        whole, _sep, fraction = cleaned.rpartition(",")
        if cleaned.count(",") == 1 and 1 <= len(fraction) <= 2:
            cleaned = f"{whole}.{fraction}"
        else:
            cleaned = cleaned.replace(",", "")
    return cleaned


DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
)


def _convert(prop: Property, text: str, lookups: dict):
    """The item data value for cell ``text``; raises _BadValue with a reason."""
    spec = prop.spec
    if isinstance(spec, Choice):
        value = lookups[prop.path].get(_normalise(text))
        if value is None:
            raise _BadValue(
                gettext("%(property)s “%(value)s” is not one of: %(choices)s")
                % {
                    "property": prop.label,
                    "value": text,
                    "choices": ", ".join(str(label) for _value, label in spec.choices),
                }
            )
        return value
    if isinstance(spec, DecimalSpec):
        try:
            number = Decimal(_decimal_text(text))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise _BadValue(
                gettext("%(property)s “%(value)s” is not a number")
                % {"property": prop.label, "value": text}
            )
        if number < 0:
            raise _BadValue(
                gettext("%(property)s “%(value)s” is negative")
                % {"property": prop.label, "value": text}
            )
        number = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if number >= Decimal(10) ** (spec.max_digits - spec.decimal_places):
            raise _BadValue(
                gettext("%(property)s “%(value)s” is too large")
                % {"property": prop.label, "value": text}
            )
        return format(number, "f")
    if isinstance(spec, Integer):
        try:
            number = Decimal(_decimal_text(text.rstrip("%\uff05")))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise _BadValue(
                gettext("%(property)s “%(value)s” is not a number")
                % {"property": prop.label, "value": text}
            )
        number = int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if (spec.min_value is not None and number < spec.min_value) or (
            spec.max_value is not None and number > spec.max_value
        ):
            raise _BadValue(
                gettext(
                    "%(property)s “%(value)s” is not between %(minimum)s and "
                    "%(maximum)s"
                )
                % {
                    "property": prop.label,
                    "value": text,
                    "minimum": spec.min_value,
                    "maximum": spec.max_value,
                }
            )
        return number
    if isinstance(spec, Date):
        for date_format in DATE_FORMATS:
            try:
                return datetime.datetime.strptime(text, date_format).date().isoformat()
            except ValueError:
                continue
        raise _BadValue(
            gettext("%(property)s “%(value)s” is not a date (write it as 2025-03-31)")
            % {"property": prop.label, "value": text}
        )
    if isinstance(spec, Email):
        try:
            validate_email(text)
        except ValidationError:
            raise _BadValue(
                gettext("%(property)s “%(value)s” is not an email address")
                % {"property": prop.label, "value": text}
            ) from None
        return text
    if isinstance(spec, URL):
        if not re.match(URL.pattern, text):
            raise _BadValue(
                gettext("%(property)s “%(value)s” is not a web address (https://…)")
                % {"property": prop.label, "value": text}
            )
        return text
    max_length = getattr(spec, "max_length", None)
    if max_length and len(text) > max_length:
        raise _BadValue(
            gettext("%(property)s is longer than %(count)d characters")
            % {"property": prop.label, "count": max_length}
        )
    return text


def _split_many(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\n;\uff1b]+", text) if part.strip()]


def _set_path(data: dict, path: str, value) -> None:
    head, _dot, rest = path.partition(".")
    if rest:
        _set_path(data.setdefault(head, {}), rest, value)
    else:
        data[head] = value


def _validate_mapping(table: Table, mapping, properties, target, id_column):
    by_path = {prop.path: prop for prop in properties}
    errors = []
    cleaned = {}
    for path, column in (mapping or {}).items():
        if not column:
            continue
        if path not in by_path:
            errors.append(
                gettext("“%(property)s” is not a property of this kind of item.")
                % {"property": path}
            )
        elif column not in table.columns:
            errors.append(
                gettext("The file has no column “%(column)s”.") % {"column": column}
            )
        else:
            cleaned[path] = column
    if id_column and id_column not in table.columns:
        errors.append(
            gettext("The file has no column “%(column)s”.") % {"column": id_column}
        )
    if not errors and not cleaned:
        errors.append(gettext("Choose at least one column to import."))
    titles = [path for path in TITLE_PROPERTIES[target] if path in by_path]
    if not errors and not any(path in cleaned for path in titles):
        errors.append(
            gettext("Choose the column for %(properties)s: it names each item.")
            % {"properties": _or_list([by_path[path].label for path in titles])}
        )
    if errors:
        raise InvalidInput(errors[0], fields={"mapping": errors})
    return cleaned


def _or_list(labels) -> str:
    labels = [str(label) for label in labels]
    if len(labels) == 1:
        return labels[0]
    return gettext("%(some)s or %(last)s") % {
        "some": ", ".join(labels[:-1]),
        "last": labels[-1],
    }


def _and_list(labels) -> str:
    labels = [str(label) for label in labels]
    if len(labels) == 1:
        return labels[0]
    return gettext("%(some)s and %(last)s") % {
        "some": ", ".join(labels[:-1]),
        "last": labels[-1],
    }


def _row_error(number: int, reason: str) -> str:
    return gettext("Row %(row)d: %(reason)s") % {"row": number, "reason": reason}


def rows_to_records(
    table: Table,
    mapping: dict[str, str],
    *,
    record_kind: str,
    id_column: str | None = None,
    namespace: str = "",
) -> list[Record]:
    """One ``Record`` per row. ``mapping`` is {item property -> column}.

    The record's ``fields`` hold the item data the row fills (nested by the
    dotted property paths); ``title`` names the item. ``external_id`` is the id
    column's value when one is chosen, otherwise a hash of the mapped values, so
    uploading the same file again changes nothing. ``namespace`` (e.g. the block
    id) keeps ids of different lists apart. A row with a missing title or a
    value that does not fit is returned with ``error`` set ("Row 12: …").
    """
    target = _target(record_kind)
    properties = item_properties(target)
    by_path = {prop.path: prop for prop in properties}
    mapping = _validate_mapping(table, mapping, properties, target, id_column)
    lookups = {
        prop.path: _choice_lookup(prop.spec)
        for prop in properties
        if prop.path in mapping and isinstance(prop.spec, Choice)
    }
    titles = [path for path in TITLE_PROPERTIES[target] if path in mapping]
    ordered = [prop for prop in properties if prop.path in mapping]
    prefix = f"{namespace}:" if namespace else ""
    records = []
    first_row_of: dict[str, int] = {}
    for number, row in zip(table.row_numbers, table.rows, strict=True):
        problems = []
        data: dict = {}
        lists: dict[str, dict] = {}
        texts = {
            path: (row.get(column) or "").strip() for path, column in mapping.items()
        }
        for prop in ordered:
            text = texts[prop.path]
            if not text:
                continue
            try:
                if prop.many:
                    value = [
                        _convert(prop, part, lookups) for part in _split_many(text)
                    ]
                else:
                    value = _convert(prop, text, lookups)
            except _BadValue as bad:
                problems.append(str(bad))
                continue
            if prop.list_name:
                lists.setdefault(prop.list_name, {})[prop.name] = value
            else:
                _set_path(data, prop.path, value)
        for list_name, entry in lists.items():
            missing = [
                by_path[f"{list_name}.{child.name}"].label
                for child in _list_group(target, list_name).fields
                if child.required and not entry.get(child.name)
            ]
            if missing:
                problems.append(
                    ngettext(
                        "%(properties)s is empty",
                        "%(properties)s are empty",
                        len(missing),
                    )
                    % {"properties": _and_list(missing)}
                )
            else:
                data[list_name] = [entry]
        title_values = [texts[path] for path in titles if texts[path]]
        if not title_values:
            problems.insert(
                0,
                ngettext(
                    "%(properties)s is empty",
                    "%(properties)s are empty",
                    len(titles),
                )
                % {"properties": _and_list([by_path[path].label for path in titles])},
            )
        external_id = ""
        if id_column:
            raw_id = (row.get(id_column) or "").strip()
            if not raw_id:
                problems.append(
                    gettext("the id column “%(column)s” is empty")
                    % {"column": id_column}
                )
            elif len(raw_id) > MAX_EXTERNAL_ID_LENGTH:
                problems.append(
                    gettext(
                        "the id in “%(column)s” is longer than %(count)d characters"
                    )
                    % {"column": id_column, "count": MAX_EXTERNAL_ID_LENGTH}
                )
            else:
                external_id = prefix + raw_id
        elif not problems:
            digest = hashlib.sha256(
                json.dumps(
                    {"kind": record_kind, "data": data},
                    sort_keys=True,
                    ensure_ascii=False,
                ).encode()
            ).hexdigest()
            external_id = f"{prefix}row-{digest[:32]}"
        earlier = first_row_of.get(external_id) if external_id else None
        if earlier is not None:
            if id_column:
                problems.append(
                    gettext("the id “%(id)s” is already used in row %(row)d")
                    % {"id": raw_id, "row": earlier}
                )
            else:
                problems.append(gettext("the same as row %(row)d") % {"row": earlier})
            # Never report a repeat under the id of the row it repeats.
            external_id = ""
        elif external_id and not problems:
            first_row_of[external_id] = number
        if problems:
            records.append(
                Record(
                    external_id=external_id or f"{prefix}row:{number}",
                    kind=record_kind,
                    title="",
                    fields={},
                    error=_row_error(number, "; ".join(problems)),
                )
            )
            continue
        title = " · ".join(title_values)
        if len(title) > 255:
            title = title[:254] + "…"
        records.append(
            Record(external_id=external_id, kind=record_kind, title=title, fields=data)
        )
    return records


def _list_group(target: str, list_name: str) -> Group:
    for spec in get_kind(target).block_class.domain_fields:
        if spec.name == list_name:
            return spec.item
    raise KeyError(list_name)
