"""The settings every checklist item shares, and the base ``ItemBlock``."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from wagtail import blocks

from .spec import choice_label

__all__ = [
    "CONDITION_OPERATORS_NEEDING_VALUE",
    "CONDITION_OPERATOR_CHOICES",
    "DUE_OFFSET_MAX_DAYS",
    "DUE_OFFSET_MIN_DAYS",
    "EVIDENCE_CHOICES",
    "FIELD_KEY_PATTERN",
    "ITEM_TEMPLATE",
    "PREVIEW_TEMPLATE",
    "ROLE_CHOICES",
    "ConditionBlock",
    "ItemBlock",
    "describe_condition",
    "describe_due_offset",
    "questions_in_context",
    "validate_due_offset",
    "validate_field_key",
]

ROLE_CHOICES = (
    ("leaver", _("Departing employee")),
    ("successor", _("Successor")),
    ("manager", _("Manager")),
    ("hr", _("HR")),
    ("it", _("IT / asset admin")),
)
EVIDENCE_CHOICES = (
    ("none", _("No attachment")),
    ("optional", _("Attachment optional")),
    ("required", _("Attachment required")),
)
CONDITION_OPERATOR_CHOICES = (
    ("equals", _("equals")),
    ("not_equals", _("does not equal")),
    ("is_yes", _("is yes")),
    ("is_no", _("is no")),
)
CONDITION_OPERATORS_NEEDING_VALUE = frozenset({"equals", "not_equals"})

DUE_OFFSET_MIN_DAYS = -180
DUE_OFFSET_MAX_DAYS = 90

FIELD_KEY_PATTERN = r"^[a-z][a-z0-9_]{0,49}$"
FIELD_KEY_MESSAGE = _(
    "Use 1 to 50 lowercase letters, digits or underscores, starting with a letter "
    "(for example has_laptop)."
)

ITEM_TEMPLATE = "checklist_blocks/item.html"
PREVIEW_TEMPLATE = "checklist_blocks/preview.html"

validate_field_key = RegexValidator(re.compile(FIELD_KEY_PATTERN), FIELD_KEY_MESSAGE)


def validate_due_offset(value):
    if value is not None and not DUE_OFFSET_MIN_DAYS <= value <= DUE_OFFSET_MAX_DAYS:
        raise ValidationError(
            _("Due offset must be between %(minimum)d and %(maximum)d days."),
            code="due_offset_out_of_range",
            params={"minimum": DUE_OFFSET_MIN_DAYS, "maximum": DUE_OFFSET_MAX_DAYS},
        )


def describe_due_offset(days):
    """'Due 3 days before the last working day', or '' when there is no due date."""
    if days is None:
        return ""
    if days == 0:
        return gettext("Due on the last working day")
    if days < 0:
        return ngettext(
            "Due %(count)d day before the last working day",
            "Due %(count)d days before the last working day",
            -days,
        ) % {"count": -days}
    return ngettext(
        "Due %(count)d day after the last working day",
        "Due %(count)d days after the last working day",
        days,
    ) % {"count": days}


def describe_condition(condition, questions=None):
    """'Shown if the answer to "Do you have a laptop?" is yes', or '' when the
    item is always shown.

    ``questions`` maps field keys to their labels; a key without one (no
    template at hand, or a question since removed) is shown as it is.
    """
    if not condition or not condition.get("field_key"):
        return ""
    key = condition["field_key"]
    params = {
        "question": (questions or {}).get(key) or key,
        "value": condition.get("value") or "",
    }
    messages = {
        "equals": gettext('Shown if the answer to "%(question)s" is "%(value)s"'),
        "not_equals": gettext(
            'Shown if the answer to "%(question)s" is not "%(value)s"'
        ),
        "is_yes": gettext('Shown if the answer to "%(question)s" is yes'),
        "is_no": gettext('Shown if the answer to "%(question)s" is no'),
    }
    message = messages.get(condition.get("operator"))
    return message % params if message else ""


def questions_in_context(parent_context):
    """Field keys -> labels of the template being rendered, or {} without one.

    Worked out once per body: every item of a page renders with the same page.
    """
    page = parent_context.get("page") if parent_context else None
    body = getattr(page, "body", None)
    if body is None:
        return {}
    questions = getattr(body, "_baton_questions", None)
    if questions is None:
        questions = {}
        for child in body:
            items = child.value["items"] if child.block_type == "section" else [child]
            for item in items:
                if item.block_type == "field" and item.value.get("key"):
                    questions.setdefault(item.value["key"], item.value.get("label"))
        body._baton_questions = questions
    return questions


class ConditionBlock(blocks.StructBlock):
    """Show the item only when a form field of this template has a given answer."""

    # Stored as the question's key; the editor script shows a list of the
    # template's questions in its place (checklist_blocks/.../editor.js).
    field_key = blocks.CharBlock(
        required=False,
        max_length=50,
        label=_("Question"),
        help_text=_("The question of this template whose answer decides."),
    )
    operator = blocks.ChoiceBlock(
        choices=CONDITION_OPERATOR_CHOICES,
        required=False,
        label=_("Operator"),
    )
    value = blocks.CharBlock(
        required=False,
        max_length=255,
        label=_("Value"),
        help_text=_('Only for "equals" and "does not equal".'),
    )

    def clean(self, value):
        value = super().clean(value)
        field_key = value.get("field_key")
        operator = value.get("operator")
        errors = {}
        if field_key:
            if not re.match(FIELD_KEY_PATTERN, field_key):
                errors["field_key"] = ValidationError(FIELD_KEY_MESSAGE)
            if not operator and not self.is_deferred_validation:
                errors["operator"] = ValidationError(
                    _("Choose how the answer is compared.")
                )
            if (
                operator in CONDITION_OPERATORS_NEEDING_VALUE
                and not value.get("value")
                and not self.is_deferred_validation
            ):
                errors["value"] = ValidationError(
                    _('The operator "%(operator)s" needs a value to compare with.'),
                    params={
                        "operator": choice_label(CONDITION_OPERATOR_CHOICES, operator)
                    },
                )
        elif value.get("value"):
            # An operator alone is harmless (the condition is simply off), but a
            # typed value shows the author expected the condition to apply.
            errors["field_key"] = ValidationError(
                _("Name the field this condition depends on, or clear the condition.")
            )
        if errors:
            raise blocks.StructBlockValidationError(block_errors=errors)
        return value

    class Meta:
        icon = "view"
        label = _("Condition")
        collapsed = True
        help_text = _("Leave empty to always show the item.")
        form_attrs = {
            "data-controller": "baton-condition",
            "data-baton-condition-always-value": _("Always show this item"),
            "data-baton-condition-missing-value": _(
                "%(key)s (not a question of this template)"
            ),
        }


class ItemBlock(blocks.StructBlock):
    """Base of every item kind: the common settings plus the kind's domain fields.

    Subclasses list their domain fields as ``FieldSpec``s in ``domain_fields``;
    the child blocks, the item data and the JSON Schema all derive from it.
    """

    label = blocks.CharBlock(
        max_length=255,
        label=_("Label"),
        help_text=_("What the participant sees, e.g. “Return your laptop”."),
    )
    help_text = blocks.TextBlock(
        required=False,
        rows=2,
        label=_("Help text"),
        help_text=_("Instructions shown under the label."),
    )
    required = blocks.BooleanBlock(
        required=False,
        default=True,
        label=_("Required"),
        help_text=_("The handover cannot be completed while this item is open."),
    )
    filled_by = blocks.ChoiceBlock(
        choices=ROLE_CHOICES, default="leaver", label=_("Filled in by")
    )
    confirmed_by = blocks.ChoiceBlock(
        choices=ROLE_CHOICES, default="successor", label=_("Confirmed by")
    )
    evidence = blocks.ChoiceBlock(
        choices=EVIDENCE_CHOICES, default="none", label=_("Evidence")
    )
    due_offset_days = blocks.IntegerBlock(
        required=False,
        default=0,
        validators=[validate_due_offset],
        label=_("Due (days from the last working day)"),
        help_text=_(
            "Negative numbers are days before the last working day, positive after; "
            "leave empty for no due date."
        ),
    )
    condition = ConditionBlock()

    domain_fields = ()
    common_settings = (
        "required",
        "filled_by",
        "confirmed_by",
        "evidence",
        "due_offset_days",
        "condition",
    )

    def __init__(self, local_blocks=None, **kwargs):
        domain_blocks = [(field.name, field.block()) for field in self.domain_fields]
        super().__init__([*domain_blocks, *(local_blocks or ())], **kwargs)

    def get_form_layout(self):
        if self.meta.form_layout is not None:
            return super().get_form_layout()
        content = [
            name for name in self.child_blocks if name not in self.common_settings
        ]
        # The settings are in view, not behind the block's gear button: who
        # fills in and confirms an item is what authors most often change.
        settings = blocks.BlockGroup(
            children=[name for name in self.common_settings if name != "condition"],
            heading=_("Item settings"),
            icon="cog",
        )
        return blocks.BlockGroup(children=[*content, settings, "condition"])

    @staticmethod
    def child_error(child_name, message):
        """A validation error shown on one child field of the item."""
        return blocks.StructBlockValidationError(
            block_errors={child_name: ValidationError(message)}
        )

    @classmethod
    def data_schema_properties(cls):
        """JSON Schema ``properties`` of the item data this kind produces."""
        return {field.name: field.schema() for field in cls.domain_fields}

    @classmethod
    def data_schema(cls):
        """JSON Schema (without ``$id``/``$schema``) of this kind's item data."""
        return {
            "type": "object",
            "properties": cls.data_schema_properties(),
            "additionalProperties": False,
        }

    @classmethod
    def item_data(cls, value):
        """Initial item data: the prefilled domain-field values, JSON-serialisable."""
        return {
            field.name: field.to_data(value.get(field.name))
            for field in cls.domain_fields
        }

    def domain_entries(self, value):
        return [field.entry(value.get(field.name)) for field in self.domain_fields]

    def badges(self, value):
        """Short facts shown under the label, as ``{"kind", "text"}`` dicts."""
        required = value.get("required")
        badges = [
            {
                "kind": "required" if required else "optional",
                "text": gettext("Required") if required else gettext("Optional"),
            },
            {
                "kind": "filled-by",
                "text": gettext("Filled in by: %(role)s")
                % {"role": choice_label(ROLE_CHOICES, value.get("filled_by"))},
            },
            {
                "kind": "confirmed-by",
                "text": gettext("Confirmed by: %(role)s")
                % {"role": choice_label(ROLE_CHOICES, value.get("confirmed_by"))},
            },
        ]
        evidence = value.get("evidence")
        if evidence in ("optional", "required"):
            badges.append(
                {
                    "kind": f"evidence-{evidence}",
                    "text": choice_label(EVIDENCE_CHOICES, evidence),
                }
            )
        due = describe_due_offset(value.get("due_offset_days"))
        if due:
            badges.append({"kind": "due", "text": due})
        return badges

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context.update(
            {
                "kind": self.name,
                "kind_label": self.label,
                "badges": self.badges(value),
                "condition_text": describe_condition(
                    value.get("condition"), questions_in_context(parent_context)
                ),
                "entries": self.domain_entries(value),
            }
        )
        return context

    class Meta:
        icon = "tasks"
        template = ITEM_TEMPLATE
        preview_template = PREVIEW_TEMPLATE
        label_format = "{label}"
