"""The template body: sections of items, and the checks that span the whole body."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks

from . import previews
from .common import CONDITION_OPERATOR_CHOICES, PREVIEW_TEMPLATE
from .connector import ConnectorListBlock
from .fields import FIELD_TYPE_CHOICES, FormFieldBlock
from .items import (
    AccountBlock,
    ApprovalBlock,
    AssetBlock,
    ClientBlock,
    DocumentBlock,
    ExpenseBlock,
    KnowledgeBlock,
    ProjectBlock,
    TaskBlock,
)
from .spec import LongText, Text, choice_label

__all__ = [
    "SECTION_TEMPLATE",
    "ChecklistStreamBlock",
    "SectionBlock",
    "SectionItemsBlock",
    "iter_item_children",
]

SECTION_TEMPLATE = "checklist_blocks/section.html"
HANDOVER_GROUP = _("Handover items")
FORM_GROUP = _("Questions and imports")
STRUCTURE_GROUP = _("Structure")


def iter_item_children(stream_value):
    """Yield ``(section_child_or_None, item_child, path)`` in document order.

    ``path`` is ``(index,)`` for a top-level item and ``(section_index, index)``
    for an item inside a section.
    """
    for index, child in enumerate(stream_value):
        if child.block_type == "section":
            for inner_index, item in enumerate(child.value["items"]):
                yield child, item, (index, inner_index)
        else:
            yield None, child, (index,)


class _ItemKindsBlock(blocks.StreamBlock):
    task = TaskBlock(group=HANDOVER_GROUP)
    project = ProjectBlock(group=HANDOVER_GROUP)
    client = ClientBlock(group=HANDOVER_GROUP)
    account = AccountBlock(group=HANDOVER_GROUP)
    asset = AssetBlock(group=HANDOVER_GROUP)
    document = DocumentBlock(group=HANDOVER_GROUP)
    approval = ApprovalBlock(group=HANDOVER_GROUP)
    expense = ExpenseBlock(group=HANDOVER_GROUP)
    knowledge = KnowledgeBlock(group=HANDOVER_GROUP)
    field = FormFieldBlock(group=FORM_GROUP)
    connector_list = ConnectorListBlock(group=FORM_GROUP)


class SectionItemsBlock(_ItemKindsBlock):
    """The items of one section."""

    class Meta:
        label = _("Items")


class SectionBlock(blocks.StructBlock):
    """A titled group of items, e.g. “Clients” or “Equipment”."""

    title = blocks.CharBlock(max_length=255, label=_("Title"))
    description = blocks.TextBlock(required=False, rows=2, label=_("Description"))
    items = SectionItemsBlock()

    # Declared like an item kind's domain fields so the registry treats it alike.
    domain_fields = (
        Text("title", _("Title")),
        LongText("description", _("Description")),
    )

    @classmethod
    def data_schema(cls):
        return {
            "type": "object",
            "properties": {field.name: field.schema() for field in cls.domain_fields},
            "additionalProperties": False,
        }

    @classmethod
    def item_data(cls, value):
        return {
            field.name: field.to_data(value.get(field.name))
            for field in cls.domain_fields
        }

    class Meta:
        icon = "folder-open-1"
        label = _("Section")
        description = _("A titled group of items, e.g. “Clients” or “Equipment”.")
        template = SECTION_TEMPLATE
        preview_template = PREVIEW_TEMPLATE
        preview_value = staticmethod(previews.section)
        label_format = "{title}"


class ChecklistStreamBlock(_ItemKindsBlock):
    """A template body: sections and items, checked as a whole."""

    section = SectionBlock(group=STRUCTURE_GROUP)

    def __init__(self, local_blocks=None, **kwargs):
        super().__init__(local_blocks, **kwargs)
        # Sections come first in the block chooser.
        self.child_blocks.move_to_end("section", last=False)

    def clean(self, value):
        """Check what no single block can: field keys and the conditions using them.

        These are contradictions, so they hold for drafts too; checks for values
        that are merely missing live in the blocks and honour deferred validation.
        """
        value = super().clean(value)
        errors = _BodyErrors()
        fields = _collect_fields(value, errors)
        _check_conditions(value, fields, errors)
        if errors:
            raise errors.as_validation_error()
        return value

    class Meta:
        label = _("Checklist")


def _collect_fields(stream_value, errors):
    """Map each field key to its first ``field`` value, flagging duplicates."""
    fields = {}
    for _section, child, path in iter_item_children(stream_value):
        if child.block_type != "field":
            continue
        key = child.value.get("key")
        if not key:
            continue
        if key in fields:
            errors.add(
                path,
                ("key",),
                _(
                    'The key "%(key)s" is already used by another field in this '
                    "template."
                ),
                key=key,
            )
        else:
            fields[key] = child.value
    return fields


def _check_conditions(stream_value, fields, errors):
    for _section, child, path in iter_item_children(stream_value):
        condition = child.value.get("condition") or {}
        key = condition.get("field_key")
        operator = condition.get("operator")
        if not key:
            continue
        if child.block_type == "field" and key == child.value.get("key"):
            errors.add(
                path,
                ("condition", "field_key"),
                _('A field cannot depend on its own answer ("%(key)s").'),
                key=key,
            )
            continue
        field = fields.get(key)
        if field is None:
            errors.add(
                path,
                ("condition", "field_key"),
                _(
                    'The condition refers to the field "%(key)s", which does not '
                    "exist in this template."
                ),
                key=key,
            )
            continue
        field_type = field.get("field_type")
        if operator in ("is_yes", "is_no") and field_type != "yes_no":
            errors.add(
                path,
                ("condition", "operator"),
                _(
                    '"%(operator)s" only works with yes/no fields, but "%(key)s" is '
                    'a "%(field_type)s" field.'
                ),
                operator=choice_label(CONDITION_OPERATOR_CHOICES, operator),
                key=key,
                field_type=choice_label(FIELD_TYPE_CHOICES, field_type),
            )
        elif (
            operator in ("equals", "not_equals")
            and field_type == "choice"
            and condition.get("value")
            and condition["value"] not in field.get("choices", ())
        ):
            errors.add(
                path,
                ("condition", "value"),
                _(
                    '"%(value)s" is not one of the choices of the field "%(key)s": '
                    "%(choices)s."
                ),
                value=condition["value"],
                key=key,
                choices=", ".join(field.get("choices", ())),
            )


class _BodyErrors:
    """Errors collected per item and child, raised in Wagtail's nested shape.

    The nesting mirrors the body: stream index -> (section ``items`` -> stream
    index ->) item child -> grandchild, so the editor highlights the exact input.
    """

    def __init__(self):
        self.tree = {}

    def __bool__(self):
        return bool(self.tree)

    def add(self, path, child_path, message, **params):
        node = self.tree.setdefault(path[0], {})
        if len(path) == 2:
            node = node.setdefault("items", {}).setdefault(path[1], {})
        for name in child_path[:-1]:
            node = node.setdefault(name, {})
        # One message per input is enough; the first found is the most basic.
        node.setdefault(child_path[-1], ValidationError(message, params=params))

    def as_validation_error(self):
        return self._build(self.tree)

    @classmethod
    def _build(cls, node):
        if isinstance(node, ValidationError):
            return node
        children = {name: cls._build(child) for name, child in node.items()}
        if all(isinstance(name, int) for name in children):
            return blocks.StreamBlockValidationError(block_errors=children)
        return blocks.StructBlockValidationError(block_errors=children)
