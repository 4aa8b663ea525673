"""Ids in the API: one rule for every id in a path, a query or a body.

An id is written with digits only and lies in 1 … 2^63-1 (a PostgreSQL
``bigint``). A path id that breaks the rule names nothing: the URL does not
match and the answer is 404. A body or query id that breaks it is invalid
input: 400 naming the field. Nothing out of range ever reaches the database
(SQLite raises OverflowError on such a number).
"""

import django_filters
from django import forms
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

__all__ = [
    "ID_MAX",
    "ID_SCHEMA",
    "IdConverter",
    "IdField",
    "IdFilter",
    "IdRelatedField",
    "parse_id",
]

ID_MAX = 2**63 - 1
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
INVALID_ID = _("A valid id is a whole number from 1 to 9223372036854775807.")


def parse_id(value) -> int | None:
    """The id ``value`` stands for, or None when it breaks the rule. Accepts
    an int (not a bool) or a string of ASCII digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            return None
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= ID_MAX:
        return None
    return value


class IdConverter:
    """Path converter ``<id:name>``: a value out of range does not match, so
    the request gets the 404 of an unknown URL."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        parsed = parse_id(value)
        if parsed is None:
            raise ValueError(value)
        return parsed

    def to_url(self, value) -> str:
        return str(value)


register_converter(IdConverter, "id")


class IdField(serializers.IntegerField):
    """An id in a request body: 400 naming the field unless it keeps the rule."""

    default_error_messages = {"invalid": INVALID_ID}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        parsed = parse_id(data)
        if parsed is None:
            self.fail("invalid")
        return parsed


@extend_schema_field(ID_SCHEMA)
class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """``PrimaryKeyRelatedField`` whose ids keep the rule before any query."""

    default_error_messages = {"invalid_id": INVALID_ID}

    def to_internal_value(self, data):
        parsed = parse_id(data)
        if parsed is None:
            self.fail("invalid_id")
        return super().to_internal_value(parsed)


class IdFormField(forms.Field):
    default_error_messages = {"invalid": INVALID_ID}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        parsed = parse_id(value.strip() if isinstance(value, str) else value)
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


@extend_schema_field(ID_SCHEMA)
class IdFilter(django_filters.Filter):
    """An id in a query string (``?handover=12``): 400 naming the parameter
    unless it keeps the rule."""

    field_class = IdFormField
