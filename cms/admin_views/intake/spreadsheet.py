"""Reading a bulk start spreadsheet (XLSX or CSV) into rows for the intake
service. The file is read in memory, during the request, and never stored.

Columns are found by their heading, in English or Chinese, in any order:
employee number or email (one column with either, or one of each), last
working day, resignation date, template (id or slug), successor (username
or email; several separated by commas), manager (username or email) and
reason. What a row names that cannot be found is said on that row.
"""

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from zipfile import BadZipFile

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.models import ChecklistTemplatePage

__all__ = [
    "COLUMNS",
    "MAX_ROWS",
    "ParsedRow",
    "SpreadsheetError",
    "parse_spreadsheet",
    "sample_headings",
]

MAX_ROWS = 500
MAX_SHEET_LINES = 20 * MAX_ROWS
# Column -> the heading the sample spreadsheet uses (translated) and the
# headings people write, compared without case, spaces, "_" or "-".
COLUMNS = {
    "employee": (
        _("Employee number or email"),
        {"employee", "employeenumberoremail", "员工", "工号或邮箱"},
    ),
    "number": (
        _("Employee number"),
        {"employeenumber", "number", "employeeno", "staffnumber", "工号", "员工编号"},
    ),
    "email": (
        _("Email"),
        {"email", "workemail", "employeeemail", "邮箱", "工作邮箱", "电子邮件"},
    ),
    "last_working_day": (
        _("Last working day"),
        {"lastworkingday", "lwd", "lastday", "最后工作日", "最后工作日期"},
    ),
    "resignation_date": (
        _("Resignation date"),
        {"resignationdate", "resigned", "离职日期", "辞职日期", "离职申请日期"},
    ),
    "template": (_("Template"), {"template", "模板", "交接模板"}),
    "successor": (
        _("Successor"),
        {"successor", "successors", "继任者", "接任者", "交接人"},
    ),
    "manager": (_("Manager"), {"manager", "经理", "主管", "直属经理"}),
    "reason": (_("Reason"), {"reason", "原因", "离职原因"}),
}
SAMPLE_COLUMNS = (
    "employee",
    "last_working_day",
    "resignation_date",
    "template",
    "successor",
    "manager",
    "reason",
)
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
# Commas and semicolons, ASCII or full-width as Chinese keyboards type them.
_SEPARATORS = re.compile("[,;\uff0c\uff1b\u3001\\s]+")


class SpreadsheetError(Exception):
    """The file as a whole cannot be read; the message says why."""


@dataclass
class ParsedRow:
    """One line as read: what the service needs, and what was wrong with it."""

    line: int
    number: str = ""
    email: str = ""
    last_working_day: datetime.date | None = None
    resignation_date: datetime.date | None = None
    template_id: int | None = None
    successor_ids: list[int] = field(default_factory=list)
    manager_id: int | None = None
    reason: str = ""
    cells: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "line": self.line,
            "number": self.number,
            "email": self.email,
            "last_working_day": _iso(self.last_working_day),
            "resignation_date": _iso(self.resignation_date),
            "template_id": self.template_id,
            "successor_ids": self.successor_ids,
            "manager_id": self.manager_id,
            "reason": self.reason,
            "cells": self.cells,
            "errors": self.errors,
        }


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def sample_headings() -> list[str]:
    return [str(COLUMNS[key][0]) for key in SAMPLE_COLUMNS]


def _normalise(heading) -> str:
    return re.sub(r"[\s_\-]+", "", str(heading or "")).casefold()


def _column_keys(headings) -> dict[int, str]:
    names = {}
    for key, (label, aliases) in COLUMNS.items():
        for alias in {*aliases, _normalise(label), _normalise(str(label))}:
            names[_normalise(alias)] = key
    found = {}
    for index, heading in enumerate(headings):
        key = names.get(_normalise(heading))
        if key is not None and key not in found.values():
            found[index] = key
    return found


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # Spreadsheets keep employee numbers typed as numbers as floats.
        value = int(value)
    return str(value).strip()


def _date(value, errors, label) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    for date_format in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    errors.append(
        gettext("%(column)s “%(value)s” is not a date (write it as 2026-12-31).")
        % {"column": label, "value": text}
    )
    return None


def _read_csv(content: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SpreadsheetError(gettext("The CSV file is neither UTF-8 nor GB18030."))
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _read_xlsx(content: bytes) -> list[list]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise SpreadsheetError(
            gettext("The file is not a spreadsheet Baton can read (XLSX).")
        ) from error
    try:
        rows, filled = [], 0
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            rows.append(list(row))
            filled += any(_text(cell) for cell in row)
            # Past the limit (headings and one more row) is enough to say so;
            # a sheet formatted down to its last line is not read to the end.
            if filled > MAX_ROWS + 1 or len(rows) > MAX_SHEET_LINES:
                break
        return rows
    finally:
        workbook.close()


class _People:
    """Usernames, emails, template ids and slugs of the whole file, each
    looked up once."""

    def __init__(self, rows: list[dict]):
        names: set[str] = set()
        for row in rows:
            names.update(_names(row.get("successor")))
            names.update(_names(row.get("manager")))
        lowered = {name.casefold() for name in names}
        users = (
            get_user_model()
            .objects.filter(is_active=True)
            .annotate(username_key=Lower("username"), email_key=Lower("email"))
            .filter(Q(username_key__in=lowered) | Q(email_key__in=lowered))
        )
        self.by_name = {}
        for user in users:
            self.by_name.setdefault(user.username_key, user)
            if user.email_key:
                self.by_name.setdefault(user.email_key, user)
        references = {_text(row.get("template")) for row in rows} - {""}
        ids = [int(ref) for ref in references if ref.isdigit()]
        slugs = [ref.split("@")[0] for ref in references if not ref.isdigit()]
        templates = ChecklistTemplatePage.objects.live().select_related("locale")
        templates = templates.filter(Q(pk__in=ids) | Q(slug__in=slugs))
        self.templates = list(templates)

    def user(self, name):
        return self.by_name.get(name.casefold())

    def template(self, reference: str, errors) -> int | None:
        if reference.isdigit():
            found = [t for t in self.templates if t.pk == int(reference)]
        else:
            slug, _at, language = reference.partition("@")
            found = [
                t
                for t in self.templates
                if t.slug == slug
                and (not language or t.locale.language_code == language.lower())
            ]
        if len(found) == 1:
            return found[0].pk
        if not found:
            errors.append(
                gettext("No published template “%(template)s”.")
                % {"template": reference}
            )
            return None
        options = ", ".join(f"{t.slug}@{t.locale.language_code}" for t in found)
        errors.append(
            gettext(
                "Template “%(template)s” exists in several languages: write one of "
                "%(options)s."
            )
            % {"template": reference, "options": options}
        )
        return None


def _names(value) -> list[str]:
    return [name for name in _SEPARATORS.split(_text(value)) if name]


def _row(line: int, cells: dict, people: _People) -> ParsedRow:
    errors = []
    row = ParsedRow(line=line, cells={k: _text(v) for k, v in cells.items()})
    employee = _text(cells.get("employee"))
    if "@" in employee:
        row.email = employee
    else:
        row.number = employee
    row.number = row.number or _text(cells.get("number"))
    row.email = row.email or _text(cells.get("email"))
    if not (row.number or row.email):
        errors.append(gettext("No employee number or email."))
    row.last_working_day = _date(
        cells.get("last_working_day"), errors, COLUMNS["last_working_day"][0]
    )
    row.resignation_date = _date(
        cells.get("resignation_date"), errors, COLUMNS["resignation_date"][0]
    )
    template = _text(cells.get("template"))
    if template:
        row.template_id = people.template(template, errors)
    for name in _names(cells.get("successor")):
        user = people.user(name)
        if user is None:
            errors.append(
                gettext(
                    "Successor “%(name)s”: no active user has this username or email."
                )
                % {"name": name}
            )
        elif user.pk not in row.successor_ids:
            row.successor_ids.append(user.pk)
    managers = _names(cells.get("manager"))
    if len(managers) > 1:
        errors.append(gettext("Name one manager only."))
    elif managers:
        user = people.user(managers[0])
        if user is None:
            errors.append(
                gettext(
                    "Manager “%(name)s”: no active user has this username or email."
                )
                % {"name": managers[0]}
            )
        else:
            row.manager_id = user.pk
    row.reason = _text(cells.get("reason"))
    row.errors = errors
    return row


def parse_spreadsheet(name: str, content: bytes) -> list[ParsedRow]:
    """The rows of an uploaded XLSX or CSV file (``name`` says which)."""
    csv_file = name.lower().endswith(".csv")
    table = _read_csv(content) if csv_file else _read_xlsx(content)
    # Line numbers as the spreadsheet shows them; blank lines are skipped.
    lines = [
        (line, row)
        for line, row in enumerate(table, start=1)
        if any(_text(cell) for cell in row)
    ]
    if not lines:
        raise SpreadsheetError(gettext("The file is empty."))
    keys = _column_keys(lines[0][1])
    if not ({"employee", "number", "email"} & set(keys.values())):
        raise SpreadsheetError(
            gettext(
                "No column for the employee: the first row must name the columns, "
                "one of them “%(employee)s”."
            )
            % {"employee": COLUMNS["employee"][0]}
        )
    if "last_working_day" not in keys.values():
        raise SpreadsheetError(
            gettext("No “%(column)s” column.")
            % {"column": COLUMNS["last_working_day"][0]}
        )
    body = lines[1:]
    if not body:
        raise SpreadsheetError(gettext("The file has headings but no employees."))
    if len(body) > MAX_ROWS:
        raise SpreadsheetError(
            gettext(
                "%(count)d rows: at most %(max)d at a time. Split the file and "
                "upload each part."
            )
            % {"count": len(body), "max": MAX_ROWS}
        )
    rows = [
        (
            line,
            {
                key: cells[index] if index < len(cells) else None
                for index, key in keys.items()
            },
        )
        for line, cells in body
    ]
    people = _People([cells for _line, cells in rows])
    return [_row(line, cells, people) for line, cells in rows]
