"""The ``field`` kind: a custom form field whose answer other items can depend on."""

import json
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import blocks

from . import previews
from .common import ItemBlock, validate_field_key

__all__ = [
    "FIELD_TYPE_CHOICES",
    "SETTING_FIELD_TYPES",
    "FormFieldBlock",
    "answer_value_schema",
]

FIELD_TYPE_CHOICES = (
    ("text", _("Text")),
    ("long_text", _("Long text")),
    ("number", _("Number")),
    ("date", _("Date")),
    ("choice", _("Choice")),
    ("yes_no", _("Yes / no")),
    ("file", _("File")),
)
# Which question kinds each optional setting applies to. The editor hides the
# others (checklist_blocks/static/checklist_blocks/editor.js) and clean() drops
# whatever a hidden input still held, so a yes/no question never keeps choices.
SETTING_FIELD_TYPES = {
    "choices": ("choice",),
    "placeholder": ("text", "long_text", "number", "choice"),
    "min_value": ("number",),
    "max_value": ("number",),
}
TEXT_ANSWER_MAX_LENGTH = 255
# A file answer points at an uploaded Wagtail document.
FILE_ANSWER_SCHEMA = {
    "type": ["object", "null"],
    "properties": {
        "document_id": {"type": "integer", "minimum": 1},
        "filename": {"type": "string"},
    },
    "required": ["document_id"],
    "additionalProperties": False,
}


def _json_number(value):
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def answer_value_schema(field_value):
    """JSON Schema of the answer (``value``) of one ``field`` block.

    Null means "not answered yet"; whether an answer is required is a workflow
    rule, not a shape rule.
    """
    field_type = field_value.get("field_type")
    if field_type == "text":
        return {"type": ["string", "null"], "maxLength": TEXT_ANSWER_MAX_LENGTH}
    if field_type == "long_text":
        return {"type": ["string", "null"]}
    if field_type == "number":
        schema = {"type": ["number", "null"]}
        if field_value.get("min_value") is not None:
            schema["minimum"] = _json_number(field_value["min_value"])
        if field_value.get("max_value") is not None:
            schema["maximum"] = _json_number(field_value["max_value"])
        return schema
    if field_type == "date":
        return {"type": ["string", "null"], "format": "date"}
    if field_type == "choice":
        return {"enum": [*field_value.get("choices", ()), None]}
    if field_type == "yes_no":
        return {"type": ["boolean", "null"]}
    if field_type == "file":
        return dict(FILE_ANSWER_SCHEMA)
    raise ValueError(f"Unknown field type {field_type!r}")


class FormFieldBlock(ItemBlock):
    """A question the participant answers; conditions of other items may refer to it."""

    key = blocks.CharBlock(
        # The key validator states the length limit itself; max_length would
        # add a second message for the same mistake.
        validators=[validate_field_key],
        label=pgettext_lazy("form field machine name", "Key"),
        help_text=_(
            "Machine name used by conditions and reports, e.g. has_laptop. "
            "Unique in the template."
        ),
    )
    field_type = blocks.ChoiceBlock(
        choices=FIELD_TYPE_CHOICES, default="text", label=_("Field type")
    )
    choices = blocks.ListBlock(
        blocks.CharBlock(max_length=100, label=_("Choice")),
        default=[],
        label=_("Choices"),
        help_text=_("Only for choice fields."),
    )
    placeholder = blocks.CharBlock(
        required=False, max_length=255, label=_("Placeholder")
    )
    min_value = blocks.DecimalBlock(
        required=False, label=_("Minimum"), help_text=_("Only for number fields.")
    )
    max_value = blocks.DecimalBlock(
        required=False, label=_("Maximum"), help_text=_("Only for number fields.")
    )

    def clean(self, value):
        value = super().clean(self.without_unused_settings(value))
        field_type = value.get("field_type")
        choices = list(value.get("choices") or ())
        errors = {}

        if field_type == "choice":
            if not choices and not self.is_deferred_validation:
                errors["choices"] = ValidationError(
                    _("A choice field needs at least one choice.")
                )
            duplicates = {}
            seen = set()
            for index, choice in enumerate(choices):
                if choice in seen:
                    duplicates[index] = ValidationError(
                        _('The choice "%(choice)s" appears more than once.'),
                        params={"choice": choice},
                    )
                seen.add(choice)
            if duplicates:
                errors["choices"] = blocks.ListBlockValidationError(
                    block_errors=duplicates
                )

        minimum, maximum = value.get("min_value"), value.get("max_value")
        if minimum is not None and maximum is not None and minimum > maximum:
            errors["max_value"] = ValidationError(
                _(
                    "The maximum (%(maximum)s) must not be less than the minimum "
                    "(%(minimum)s)."
                ),
                params={"minimum": minimum, "maximum": maximum},
            )

        if errors:
            raise blocks.StructBlockValidationError(block_errors=errors)
        return value

    def without_unused_settings(self, value):
        """The value with the settings its field type has no use for emptied.

        Switching a choice question to yes/no leaves the old choices in the
        (hidden) inputs; they mean nothing any more, so they are dropped rather
        than refused.
        """
        field_type = value.get("field_type")
        empty = {
            "choices": self.child_blocks["choices"].normalize([]),
            "placeholder": "",
            "min_value": None,
            "max_value": None,
        }
        unused = {
            name: empty[name]
            for name, field_types in SETTING_FIELD_TYPES.items()
            if field_type not in field_types
        }
        if not unused:
            return value
        return self.meta.value_class(
            self, [(name, unused.get(name, child)) for name, child in value.items()]
        )

    @classmethod
    def data_schema_properties(cls):
        return {
            "value": {
                "title": "Answer",
                "description": "Null until answered; its type follows field_type.",
            }
        }

    @classmethod
    def item_data(cls, value):
        return {"value": None}

    def domain_entries(self, value):
        return [
            {
                "name": "value",
                "label": gettext("Your answer"),
                "widget": "textarea"
                if value.get("field_type") == "long_text"
                else "input",
                "input_type": {
                    "number": "number",
                    "date": "date",
                    "file": "file",
                }.get(value.get("field_type"), "text"),
                "field_type": value.get("field_type"),
                "choices": list(value.get("choices") or ()),
                "placeholder": value.get("placeholder") or "",
                "value": "",
            }
        ]

    class Meta:
        icon = "form"
        label = _("Form field")
        description = _(
            "A question to answer (text, number, date, choice, yes/no, file); "
            "other items can be shown depending on the answer."
        )
        preview_value = staticmethod(previews.field)
        # The editor script shows only the settings that apply to the chosen
        # field type (see SETTING_FIELD_TYPES).
        form_attrs = {
            "data-controller": "baton-question",
            "data-baton-question-applies-value": json.dumps(SETTING_FIELD_TYPES),
        }
