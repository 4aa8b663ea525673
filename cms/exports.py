"""Spreadsheet downloads (CSV and XLSX) for every admin list and report.

One place escapes cells against formula injection (OWASP "CSV injection"):
a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
gets a leading ``'`` so Excel, LibreOffice and Numbers show it as text instead
of running it. Only text is escaped: numbers (negative ones too) stay numbers.
Datetimes are written in the company time zone (``settings.TIME_ZONE``), as
naive local values, because spreadsheets have no notion of a time zone.
"""

import csv
import datetime
import decimal
import io
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from wagtail.admin.views.mixins import SpreadsheetExportMixin, list_to_str
from wagtail.admin.widgets.button import Button
from wagtail.coreutils import multigetattr

__all__ = [
    "CSV_CONTENT_TYPE",
    "FORMATS",
    "FORMULA_PREFIXES",
    "XLSX_CONTENT_TYPE",
    "SafeSpreadsheetExportMixin",
    "SpreadsheetButtonsMixin",
    "export_format",
    "export_urls",
    "safe_cell",
    "spreadsheet_response",
]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("xlsx", "csv")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
XLSX_DATE_FORMAT = "yyyy-mm-dd"
# What openpyxl writes as a typed cell; anything else becomes text.
_XLSX_NATIVE_TYPES = (
    bool,
    int,
    float,
    decimal.Decimal,
    datetime.date,
    datetime.time,
)


def safe_cell(value):
    """A value ready for a spreadsheet cell.

    Text starting with one of ``FORMULA_PREFIXES`` gets a leading ``'``; aware
    datetimes become naive datetimes in the company time zone; lazy translations
    become text; anything else is returned unchanged.
    """
    if isinstance(value, Promise):
        value = force_str(value)
    if isinstance(value, str):
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
        return value
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.make_naive(value, timezone.get_current_timezone())
    return value


def export_format(request) -> str | None:
    """``"xlsx"`` or ``"csv"`` when the request asks for a download, else None."""
    value = request.GET.get("export")
    return value if value in FORMATS else None


def export_urls(request, *, page_param: str = "p") -> dict[str, str]:
    """The "Download XLSX / CSV" links of a list: the request's query (its
    filters and search) without the page number, plus ``export=<format>``."""
    urls = {}
    for fmt in FORMATS:
        query = request.GET.copy()
        query.pop(page_param, None)
        query["export"] = fmt
        urls[fmt] = f"{request.path}?{query.urlencode()}"
    return urls


def spreadsheet_response(
    *,
    filename: str,
    headings: list[str],
    rows: Iterable[Sequence],
    fmt: str,
) -> HttpResponse:
    """A download of ``rows`` under ``headings``, every cell through ``safe_cell``.

    ``fmt`` is ``"csv"`` (UTF-8 with a byte order mark, so Excel reads Chinese
    right) or ``"xlsx"``. The file is named ``<filename>-<local date>.<fmt>``.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown spreadsheet format: {fmt!r}")
    headings = [safe_cell(force_str(heading)) for heading in headings]
    if fmt == "csv":
        content, content_type = _csv_bytes(headings, rows), CSV_CONTENT_TYPE
    else:
        content, content_type = _xlsx_bytes(headings, rows), XLSX_CONTENT_TYPE
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True,
        filename=f"{filename}-{timezone.localdate().isoformat()}.{fmt}",
    )
    return response


def _csv_text(value) -> str:
    value = safe_cell(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (bool, int, float, decimal.Decimal)):
        # A negative number is a number to a spreadsheet, not a formula.
        return str(value)
    if isinstance(value, (list, tuple)):
        return safe_cell(list_to_str(force_str(item) for item in value))
    return safe_cell(force_str(value))


def _csv_bytes(headings, rows) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(headings)
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def _xlsx_value(value):
    value = safe_cell(value)
    if isinstance(value, datetime.datetime):
        # To the second, as the CSV has it: a spreadsheet shows no more.
        return value.replace(microsecond=0)
    if value is None or isinstance(value, (str, *_XLSX_NATIVE_TYPES)):
        return value
    if isinstance(value, (list, tuple)):
        return safe_cell(list_to_str(force_str(item) for item in value))
    return safe_cell(force_str(value))


def _xlsx_cell(worksheet, value):
    from openpyxl.cell import WriteOnlyCell

    value = _xlsx_value(value)
    cell = WriteOnlyCell(worksheet, value)
    if cell.data_type == "f":
        # Escaped text never starts with "=", but keep openpyxl from ever
        # writing a formula whatever it guesses.
        cell.data_type = "s"
    if isinstance(value, datetime.datetime):
        cell.number_format = XLSX_DATETIME_FORMAT
    elif isinstance(value, datetime.date):
        cell.number_format = XLSX_DATE_FORMAT
    return cell


def _xlsx_bytes(headings, rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title="Sheet1")
    worksheet.append([_xlsx_cell(worksheet, heading) for heading in headings])
    for row in rows:
        worksheet.append([_xlsx_cell(worksheet, value) for value in row])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _yes_no(value) -> str:
    return gettext("Yes") if value else gettext("No")


def _export_value(item, accessor: str):
    """``multigetattr`` that stops at an empty relation and prefers a field's
    choice label to its stored value."""
    *path, last = accessor.split(".")
    current = item
    for bit in path:
        current = multigetattr(current, bit)
        if current is None:
            return None
    display = getattr(current, f"get_{last}_display", None)
    if callable(display):
        return display()
    return multigetattr(current, last)


class SafeSpreadsheetExportMixin(SpreadsheetExportMixin):
    """Wagtail's list export, made safe: mix it into an ``IndexView`` before its
    base (``class MyIndexView(SafeSpreadsheetExportMixin, IndexView)``).

    Wagtail's own export leaves CSV cells unescaped, only stops XLSX formulas
    (a ``-2`` text still becomes a number-looking cell), and writes datetimes in
    UTC. Here every cell goes through ``safe_cell`` and the file is written by
    ``spreadsheet_response``: same escaping, time zone, byte order mark and
    file name as every other Baton download. Fields with choices export their
    label (``get_<field>_display``), yes/no fields "Yes" / "No", and a dotted
    path through an empty relation an empty cell.
    """

    custom_value_preprocess = {
        # Left to ``safe_cell``: the company time zone, not UTC.
        (datetime.datetime, datetime.date, datetime.time): {
            SpreadsheetExportMixin.FORMAT_XLSX: None,
            SpreadsheetExportMixin.FORMAT_CSV: None,
        },
        bool: {
            SpreadsheetExportMixin.FORMAT_XLSX: _yes_no,
            SpreadsheetExportMixin.FORMAT_CSV: _yes_no,
        },
        (int, float, decimal.Decimal): {
            SpreadsheetExportMixin.FORMAT_XLSX: None,
            SpreadsheetExportMixin.FORMAT_CSV: None,
        },
        list: {
            SpreadsheetExportMixin.FORMAT_CSV: list_to_str,
            SpreadsheetExportMixin.FORMAT_XLSX: list_to_str,
        },
    }

    def to_row_dict(self, item):
        return OrderedDict(
            (field, _export_value(item, field)) for field in self.list_export
        )

    def preprocess_field_value(self, field, value, export_format):
        return safe_cell(super().preprocess_field_value(field, value, export_format))

    def export_rows(self, queryset, export_format):
        """One list of cell values per object, in ``list_export`` order."""
        for item in queryset:
            row = self.to_row_dict(item)
            yield [
                self.preprocess_field_value(field, value, export_format)
                for field, value in row.items()
            ]

    def export_queryset(self, queryset):
        """The objects to export; override to attach what the rows need (in a
        constant number of queries)."""
        return queryset

    def as_spreadsheet(self, queryset, spreadsheet_format):
        headings = [self.get_heading(queryset, field) for field in self.list_export]
        return spreadsheet_response(
            filename=self.get_filename(),
            headings=headings,
            rows=self.export_rows(self.export_queryset(queryset), spreadsheet_format),
            fmt=spreadsheet_format,
        )


class SpreadsheetButtonsMixin:
    """ "Download XLSX" and "Download CSV" in the header of a custom admin view
    (``WagtailAdminTemplateMixin``), where Wagtail's lists have them too. The
    view answers ``?export=xlsx|csv`` itself, with ``spreadsheet_response``."""

    def get_header_more_buttons(self):
        urls = export_urls(self.request)
        return [
            *super().get_header_more_buttons(),
            Button(
                gettext("Download XLSX"),
                url=urls["xlsx"],
                icon_name="download",
                priority=90,
            ),
            Button(
                gettext("Download CSV"),
                url=urls["csv"],
                icon_name="download",
                priority=100,
            ),
        ]
