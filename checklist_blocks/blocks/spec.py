"""One declaration per domain field, producing both its block and its JSON Schema.

A kind's editor form (Wagtail child blocks), its item data (``to_data``), its
JSON Schema and its read-only participant rendering (``entry``) all come from the
same ``FieldSpec``, so they cannot drift apart.
"""

import datetime
from decimal import Decimal as DecimalNumber

from django.utils.encoding import force_str
from wagtail import blocks

__all__ = [
    "URL",
    "Choice",
    "Date",
    "Decimal",
    "Email",
    "FieldSpec",
    "Group",
    "Integer",
    "ListOf",
    "LongText",
    "Text",
    "choice_label",
]

TEXT_MAX_LENGTH = 255


def choice_label(choices, value):
    """The human label of ``value`` in a ``(value, label)`` choice list."""
    for choice_value, label in choices:
        if choice_value == value:
            return label
    return value


class FieldSpec:
    """A named, labelled domain field. Subclasses say how it is edited and stored.

    ``required`` is only used inside lists (an empty row in a list is noise);
    top-level domain fields are always optional prefilled values.
    """

    input_type = "text"

    def __init__(self, name="", label="", help_text=None, *, required=False):
        self.name = name
        self.label = label
        self.help_text = help_text
        self.required = required

    def block_kwargs(self):
        kwargs = {"required": self.required, "label": self.label}
        if self.help_text:
            kwargs["help_text"] = self.help_text
        return kwargs

    def block(self):
        """A fresh Wagtail block for this field."""
        raise NotImplementedError

    def value_schema(self):
        """The JSON Schema fragment of this field's item data (without the title)."""
        raise NotImplementedError

    def schema(self):
        return {"title": force_str(self.label), **self.value_schema()}

    def to_data(self, value):
        """The JSON-serialisable item data for a block value of this field."""
        return value

    def display(self, value):
        """The text shown in a read-only input for this value."""
        return "" if value in (None, "") else force_str(value)

    def entry(self, value):
        """A plain dict the participant template renders as a read-only input."""
        return {
            "name": self.name,
            "label": self.label,
            "widget": "input",
            "input_type": self.input_type,
            "value": self.display(value),
        }


class Text(FieldSpec):
    def __init__(self, *args, max_length=TEXT_MAX_LENGTH, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_length = max_length

    def block(self):
        return blocks.CharBlock(max_length=self.max_length, **self.block_kwargs())

    def value_schema(self):
        schema = {"type": "string", "maxLength": self.max_length}
        if self.required:
            schema["minLength"] = 1
        return schema

    def to_data(self, value):
        return value or ""


class LongText(FieldSpec):
    def block(self):
        return blocks.TextBlock(rows=4, **self.block_kwargs())

    def value_schema(self):
        return (
            {"type": "string", "minLength": 1} if self.required else {"type": "string"}
        )

    def to_data(self, value):
        return value or ""

    def entry(self, value):
        return {**super().entry(value), "widget": "textarea"}


class _NullableString(FieldSpec):
    """A string with a format; an empty value is stored as null, not as ""."""

    string_format = ""

    def value_schema(self):
        string_type = "string" if self.required else ["string", "null"]
        return {"type": string_type, "format": self.string_format}

    def to_data(self, value):
        return value or None


class URL(_NullableString):
    string_format = "uri"
    input_type = "url"
    # An absolute URL, as Django's URLField stores it; validators do not always
    # check "format", so the pattern is what really holds.
    pattern = r"^[A-Za-z][A-Za-z0-9+.-]*://[^\s]+$"

    def value_schema(self):
        return {**super().value_schema(), "pattern": self.pattern}

    def block(self):
        return blocks.URLBlock(**self.block_kwargs())


class Email(_NullableString):
    string_format = "email"
    input_type = "email"

    def block(self):
        return blocks.EmailBlock(**self.block_kwargs())


class Date(_NullableString):
    string_format = "date"
    input_type = "date"

    def block(self):
        return blocks.DateBlock(**self.block_kwargs())

    def to_data(self, value):
        if isinstance(value, datetime.date):
            return value.isoformat()
        return value or None


class Integer(FieldSpec):
    input_type = "number"

    def __init__(self, *args, min_value=None, max_value=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.min_value = min_value
        self.max_value = max_value

    def block(self):
        return blocks.IntegerBlock(
            min_value=self.min_value, max_value=self.max_value, **self.block_kwargs()
        )

    def value_schema(self):
        schema = {"type": "integer" if self.required else ["integer", "null"]}
        if self.min_value is not None:
            schema["minimum"] = self.min_value
        if self.max_value is not None:
            schema["maximum"] = self.max_value
        return schema


class Decimal(FieldSpec):
    """A non-negative amount of money, stored in item data as a decimal string."""

    input_type = "number"
    max_digits = 14
    decimal_places = 2

    def block(self):
        return blocks.DecimalBlock(
            min_value=DecimalNumber(0),
            max_digits=self.max_digits,
            decimal_places=self.decimal_places,
            **self.block_kwargs(),
        )

    def value_schema(self):
        whole_digits = self.max_digits - self.decimal_places
        pattern = rf"^[0-9]{{1,{whole_digits}}}(\.[0-9]{{1,{self.decimal_places}}})?$"
        string_type = "string" if self.required else ["string", "null"]
        return {"type": string_type, "pattern": pattern}

    def to_data(self, value):
        if value in (None, ""):
            return None
        return format(DecimalNumber(value), "f")


class Choice(FieldSpec):
    input_type = "text"

    def __init__(self, *args, choices=(), default=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.choices = tuple(choices)
        self.default = default

    def block(self):
        return blocks.ChoiceBlock(
            choices=self.choices, default=self.default, **self.block_kwargs()
        )

    def value_schema(self):
        values = [value for value, _label in self.choices]
        if self.required:
            return {"type": "string", "enum": values}
        return {"type": ["string", "null"], "enum": [*values, None]}

    def to_data(self, value):
        return value or None

    def display(self, value):
        return "" if not value else force_str(choice_label(self.choices, value))


class Group(FieldSpec):
    """A small record of fields, e.g. a contact person."""

    def __init__(self, *args, fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = tuple(fields)

    def block(self):
        return blocks.StructBlock(
            [(field.name, field.block()) for field in self.fields],
            label=self.label,
        )

    def value_schema(self):
        schema = {
            "type": "object",
            "properties": {field.name: field.schema() for field in self.fields},
            "additionalProperties": False,
        }
        required = [field.name for field in self.fields if field.required]
        if required:
            schema["required"] = required
        return schema

    def to_data(self, value):
        value = value or {}
        return {
            field.name: field.to_data(value.get(field.name)) for field in self.fields
        }

    def entry(self, value):
        value = value or {}
        return {
            "name": self.name,
            "label": self.label,
            "widget": "group",
            "children": [field.entry(value.get(field.name)) for field in self.fields],
        }


class ListOf(FieldSpec):
    """A list of rows (texts, URLs or groups); an empty list by default."""

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item

    def block(self):
        return blocks.ListBlock(self.item.block(), default=[], label=self.label)

    def value_schema(self):
        return {"type": "array", "items": self.item.value_schema()}

    def to_data(self, value):
        return [self.item.to_data(row) for row in value or ()]

    def entry(self, value):
        return {
            "name": self.name,
            "label": self.label,
            "widget": "list",
            "rows": [self.item.entry(row) for row in value or ()],
        }
