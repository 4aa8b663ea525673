"""One cell to one item value: the text a person typed in a spreadsheet,
converted to what the item property its column fills holds — choices by code
or label in any language, numbers written the local way, dates in the common
formats — or a reason it cannot be."""

from __future__ import annotations

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.translation import gettext

from checklist_blocks.blocks.spec import URL, Choice, Date, Email, Integer
from checklist_blocks.blocks.spec import Decimal as DecimalSpec

from .mapping import normalise
from .properties import Property

__all__ = ["DATE_FORMATS", "BadValue", "choice_lookup", "convert_cell"]


class BadValue(Exception):
    """A cell its column's property cannot hold; the message says why."""


def choice_lookup(spec: Choice) -> dict[str, str]:
    """A choice's value by its code or its label in any language, as people
    type them (case and spacing aside)."""
    lookup = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for value, label in spec.choices:
                lookup.setdefault(normalise(str(label)), value)
    for value, _label in spec.choices:
        lookup[normalise(value)] = value
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


def convert_cell(prop: Property, text: str, lookups: dict):
    """The item data value for cell ``text``; raises BadValue with a reason."""
    spec = prop.spec
    if isinstance(spec, Choice):
        value = lookups[prop.path].get(normalise(text))
        if value is None:
            raise BadValue(
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
            raise BadValue(
                gettext("%(property)s “%(value)s” is not a number")
                % {"property": prop.label, "value": text}
            )
        if number < 0:
            raise BadValue(
                gettext("%(property)s “%(value)s” is negative")
                % {"property": prop.label, "value": text}
            )
        number = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if number >= Decimal(10) ** (spec.max_digits - spec.decimal_places):
            raise BadValue(
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
            raise BadValue(
                gettext("%(property)s “%(value)s” is not a number")
                % {"property": prop.label, "value": text}
            )
        number = int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if (spec.min_value is not None and number < spec.min_value) or (
            spec.max_value is not None and number > spec.max_value
        ):
            raise BadValue(
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
        raise BadValue(
            gettext("%(property)s “%(value)s” is not a date (write it as 2025-03-31)")
            % {"property": prop.label, "value": text}
        )
    if isinstance(spec, Email):
        try:
            validate_email(text)
        except ValidationError:
            raise BadValue(
                gettext("%(property)s “%(value)s” is not an email address")
                % {"property": prop.label, "value": text}
            ) from None
        return text
    if isinstance(spec, URL):
        if not re.match(URL.pattern, text):
            raise BadValue(
                gettext("%(property)s “%(value)s” is not a web address (https://…)")
                % {"property": prop.label, "value": text}
            )
        return text
    max_length = getattr(spec, "max_length", None)
    if max_length and len(text) > max_length:
        raise BadValue(
            gettext("%(property)s is longer than %(count)d characters")
            % {"property": prop.label, "count": max_length}
        )
    return text
