"""The approval-form adapter: a type's ``FormField`` subclass maps its widget
types onto the kinds below; amount, date and reason are read here for both."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from pydantic import BeforeValidator, Field

from checklist_blocks.blocks.items import CURRENCY_CHOICES

from ..common import clean_text
from ..payloads import Payload, Text, parse_each

AMOUNT, TABLE, FORMULA = "amount", "table", "formula"
DATE, DATE_RANGE, TEXT = "date", "daterange", "text"
CONTACT, ATTACHMENT = "contact", "attachment"
CURRENCIES = frozenset(code for code, _label in CURRENCY_CHOICES)
# Words in a text field's name that make it the reason.
REASON_WORDS = ("事由", "说明", "用途", "原因", "reason", "description", "purpose")
_CURRENCY_SIGNS = {"¥": "CNY", "￥": "CNY", "元": "CNY", "$": "USD", "€": "EUR"}


# Values ------------------------------------------------------------------------------


def amount_of(value) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace(" ", "")
        for sign in (*_CURRENCY_SIGNS, *CURRENCIES):
            text = text.replace(sign, "")
    else:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0:
        return None
    return format(number.quantize(Decimal("0.01")), "f")


def currency_in(value) -> str:
    if not isinstance(value, str):
        return ""
    text = value.strip()
    if text.upper() in CURRENCIES or (len(text) == 3 and text.isalpha()):
        return text.upper()
    return _CURRENCY_SIGNS.get(text, "")


def moment_of(value) -> datetime.datetime | None:
    text = clean_text(value)
    if text.isdigit():
        try:
            moment = datetime.datetime.fromtimestamp(int(text) / 1000, tz=datetime.UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return moment if int(text) > 0 else None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def local_day(moment: datetime.datetime | None) -> datetime.date | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(django_settings.TIME_ZONE)).date()


def date_of(value) -> str | None:
    text = clean_text(value)
    if text.isdigit():
        day = local_day(moment_of(text))
        return day.isoformat() if day else None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment.date().isoformat()
    except ValueError:
        pass
    try:
        return datetime.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


def json_list(value) -> list:
    if isinstance(value, str) and value.strip():
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return value if isinstance(value, list) else []


# A form (or table) a vendor sends as JSON text: ``Annotated[NestedList[…],
# JsonText]`` decodes it first.
JsonText = BeforeValidator(json_list)


# The form -----------------------------------------------------------------------------


class FormField(Payload):
    """A form's field as a vendor sends it; a type's subclass names its widget
    type (``widget_type``) and maps it onto the kinds above (``KINDS``)."""

    # The vendor's widget type -> AMOUNT, TABLE, FORMULA, DATE, DATE_RANGE…
    KINDS: ClassVar[dict[str, str]] = {}
    # Where a table's row holds its cells, when rows are objects (else lists).
    ROW_CELLS: ClassVar[str] = ""

    id: Text = ""
    name: Text = ""
    label: Text = ""
    value: Any = None
    currency_code: Text = Field("", alias="currency")
    # The widget's extra settings: an object, or JSON text of one.
    ext: Any = None

    @property
    def widget_type(self) -> str:
        return ""

    @property
    def kind(self) -> str:
        return self.KINDS.get(self.widget_type, "")

    @property
    def currency(self) -> str:
        ext = self.ext
        if isinstance(ext, str):
            try:
                ext = json.loads(ext)
            except ValueError:
                ext = None
        named = ext.get("currency") if isinstance(ext, dict) else None
        return currency_in(named) or currency_in(self.currency_code)

    @property
    def start(self):
        """The value, or a date range's first day (its "start", or the first
        of a list)."""
        if isinstance(self.value, dict):
            return self.value.get("start")
        if self.kind == DATE_RANGE:
            return next(iter(json_list(self.value)), None)
        return self.value

    @property
    def rows(self) -> list[list[FormField]]:
        """A table's rows of cells (fields of the same vendor)."""
        if self.kind != TABLE:
            return []
        rows = json_list(self.value)
        if self.ROW_CELLS:
            rows = [row.get(self.ROW_CELLS) for row in rows if isinstance(row, dict)]
        cells = (row for row in rows if isinstance(row, list))
        return [list(parse_each(type(self), row)) for row in cells]

    def text(self) -> str:
        if isinstance(self.value, list):
            return "、".join(filter(None, map(clean_text, self.value)))
        return " ".join(clean_text(self.value).split())

    def day(self) -> datetime.date | None:
        found = date_of(self.start)
        return datetime.date.fromisoformat(found) if found else None


def form_amount(form: list[FormField]) -> tuple[str | None, str]:
    for widget in form:
        amount = amount_of(widget.value) if widget.kind == AMOUNT else None
        if amount is not None:
            return amount, widget.currency
    for table in (widget for widget in form if widget.kind == TABLE):
        total, currency, found = Decimal(0), "", False
        for cell in (cell for row in table.rows for cell in row):
            amount = amount_of(cell.value) if cell.kind == AMOUNT else None
            if amount is not None:
                total, found = total + Decimal(amount), True
                currency = currency or cell.currency
        if found:
            return amount_of(total), currency
    for widget in form:
        amount = amount_of(widget.value) if widget.kind == FORMULA else None
        if amount is not None:
            return amount, ""
    return None, ""


def form_date(form: list[FormField]) -> str | None:
    for widget in form:
        found = None
        if widget.kind in (DATE, DATE_RANGE):
            found = date_of(widget.start)
        elif widget.kind == TABLE:
            found = next(filter(None, map(form_date, widget.rows)), None)
        if found:
            return found
    return None


def form_reason(form: list[FormField]) -> str:
    for widget in form:
        if widget.kind != TEXT or not isinstance(widget.value, str):
            continue
        name = (widget.name or widget.label).casefold()
        if widget.value.strip() and any(word in name for word in REASON_WORDS):
            return " ".join(widget.value.split())[:200]
    return ""
