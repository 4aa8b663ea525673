"""The ``field`` kind: a custom form field whose answer other items can depend on."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import blocks

from . import previews
from .common import ItemBlock, validate_field_key

__all__ = [
    "FIELD_TYPE_CHOICES",
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
        value = super().clean(value)
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
        elif choices:
            errors["choices"] = ValidationError(
                _(
                    "Only choice fields have choices: remove them or change the "
                    "field type to “%(choice_type)s”."
                ),
                params={"choice_type": gettext("Choice")},
            )

        minimum, maximum = value.get("min_value"), value.get("max_value")
        if field_type != "number":
            for name in ("min_value", "max_value"):
                if value.get(name) is not None:
                    errors[name] = ValidationError(
                        _("Only number fields have a minimum and a maximum.")
                    )
        elif minimum is not None and maximum is not None and minimum > maximum:
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
