"""The ``connector_list`` kind: items produced from an external system's records.

Only the block and its validation live here; fetching records is the connectors
app's job. That app tells us which connectors exist through
``register_connector_catalog`` (checklist_blocks imports nothing of Baton's).
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from wagtail import blocks

from . import previews
from .common import ItemBlock
from .items import DOMAIN_BLOCK_CLASSES
from .spec import choice_label

__all__ = [
    "CONNECTOR_SLUG_PATTERN",
    "FILTER_OPERATOR_CHOICES",
    "RECORD_KINDS",
    "RECORD_KIND_CHOICES",
    "RECORD_KIND_TARGETS",
    "ConnectorListBlock",
    "known_connector_slugs",
    "register_connector_catalog",
    "unregister_connector_catalog",
]

# record kind -> (label, the item kind each record becomes)
RECORD_KINDS = {
    "client": (_("Client"), "client"),
    "contact": (_("Contact"), "client"),
    "deal": (_("Deal"), "client"),
    "task": (_("Task"), "task"),
    "issue": (_("Issue"), "task"),
    "project": (_("Project"), "project"),
    "account": (_("Account"), "account"),
    "group": (_("Group"), "account"),
    "role": (_("Role"), "account"),
    "approval": (_("Approval"), "approval"),
    "expense": (_("Expense"), "expense"),
    "asset": (_("Asset"), "asset"),
    "document": (_("Document"), "document"),
    "repository": (_("Code repository"), "document"),
    "wiki_page": (_("Wiki page"), "knowledge"),
}
RECORD_KIND_CHOICES = tuple(
    (kind, label) for kind, (label, _target) in RECORD_KINDS.items()
)
RECORD_KIND_TARGETS = {kind: target for kind, (_label, target) in RECORD_KINDS.items()}

FILTER_OPERATOR_CHOICES = (
    ("equals", _("equals")),
    ("not_equals", _("does not equal")),
    ("contains", _("contains")),
    ("in", _("is one of (comma-separated)")),
)
CONNECTOR_SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"

_connector_catalogs = []


def register_connector_catalog(catalog):
    """Register a callable returning the set of known connector slugs.

    Once at least one catalog is registered, a ``connector_list`` naming a slug
    that no catalog knows is rejected. Usable as a decorator.
    """
    if catalog not in _connector_catalogs:
        _connector_catalogs.append(catalog)
    return catalog


def unregister_connector_catalog(catalog):
    if catalog in _connector_catalogs:
        _connector_catalogs.remove(catalog)


def known_connector_slugs():
    """The union of all catalogs, or None when no catalog is registered."""
    if not _connector_catalogs:
        return None
    slugs = set()
    for catalog in _connector_catalogs:
        slugs.update(catalog())
    return slugs


def _has_property_path(properties, path):
    """Whether a dotted path such as ``contact_person.email`` names a property."""
    head, _dot, rest = path.partition(".")
    schema = properties.get(head)
    if schema is None:
        return False
    if not rest:
        return True
    return _has_property_path(schema.get("properties", {}), rest)


class RecordKindBlock(blocks.ChoiceBlock):
    def clean(self, value):
        try:
            return super().clean(value)
        except ValidationError as err:
            if value and value not in RECORD_KIND_TARGETS:
                raise ValidationError(
                    _('Unknown record kind "%(kind)s". Choose one of: %(kinds)s.'),
                    code="unknown_record_kind",
                    params={"kind": value, "kinds": ", ".join(RECORD_KIND_TARGETS)},
                ) from err
            raise


class FilterBlock(blocks.StructBlock):
    field = blocks.CharBlock(max_length=100, label=_("Field"))
    operator = blocks.ChoiceBlock(
        choices=FILTER_OPERATOR_CHOICES, default="equals", label=_("Operator")
    )
    value = blocks.CharBlock(required=False, max_length=255, label=_("Value"))

    class Meta:
        icon = "filter"
        label = _("Filter")
        label_format = "{field} {operator} {value}"


class MappingBlock(blocks.StructBlock):
    source = blocks.CharBlock(
        required=False,
        max_length=100,
        label=_("Source"),
        help_text=_("Field of the external record, e.g. owner.email."),
    )
    target = blocks.CharBlock(
        required=False,
        max_length=100,
        label=_("Target"),
        help_text=_("Property of the item, e.g. customer or contact_person.email."),
    )

    class Meta:
        icon = "arrow-right"
        label = _("Mapping")
        label_format = "{source} → {target}"


class ConnectorListBlock(ItemBlock):
    """A list of items filled from an external system's records."""

    connector = blocks.CharBlock(
        max_length=64,
        validators=[
            RegexValidator(
                re.compile(CONNECTOR_SLUG_PATTERN),
                _("Use the connector's slug: lowercase letters, digits, - and _."),
            )
        ],
        label=_("Connector"),
        help_text=_("Slug of a configured connector, e.g. crm."),
    )
    record_kind = RecordKindBlock(
        choices=RECORD_KIND_CHOICES, default="client", label=_("Record kind")
    )
    filter = blocks.ListBlock(FilterBlock(), default=[], label=_("Filter"))
    field_mapping = blocks.ListBlock(
        MappingBlock(), default=[], label=_("Field mapping")
    )

    def clean(self, value):
        value = super().clean(value)
        errors = {}

        known = known_connector_slugs()
        connector = value.get("connector")
        if known is not None and connector and connector not in known:
            errors["connector"] = ValidationError(
                _('There is no connector "%(slug)s". Known connectors: %(known)s.'),
                params={"slug": connector, "known": ", ".join(sorted(known)) or "—"},
            )

        mapping_errors = self._mapping_errors(value)
        if mapping_errors:
            errors["field_mapping"] = blocks.ListBlockValidationError(
                block_errors=mapping_errors
            )
        if errors:
            raise blocks.StructBlockValidationError(block_errors=errors)
        return value

    def _mapping_errors(self, value):
        target_kind = RECORD_KIND_TARGETS.get(value.get("record_kind"))
        if target_kind is None:
            # Only possible in a draft with no record kind chosen yet.
            return {}
        target_class = DOMAIN_BLOCK_CLASSES[target_kind]
        properties = target_class.data_schema_properties()
        kind_label = target_class._meta_class.label
        seen_targets = set()
        errors = {}
        for index, row in enumerate(value.get("field_mapping") or ()):
            row_errors = {}
            source = (row.get("source") or "").strip()
            target = (row.get("target") or "").strip()
            if not source and not self.is_deferred_validation:
                row_errors["source"] = ValidationError(
                    _("Name the field of the external record to copy from.")
                )
            if not target:
                if not self.is_deferred_validation:
                    row_errors["target"] = ValidationError(
                        _("Name the item property to copy into.")
                    )
            elif not _has_property_path(properties, target):
                row_errors["target"] = ValidationError(
                    _(
                        '"%(target)s" is not a property of the item kind '
                        '"%(kind)s". Choose one of: %(properties)s.'
                    ),
                    params={
                        "target": target,
                        "kind": kind_label,
                        "properties": ", ".join(properties),
                    },
                )
            elif target in seen_targets:
                row_errors["target"] = ValidationError(
                    _('"%(target)s" is already the target of another mapping.'),
                    params={"target": target},
                )
            seen_targets.add(target)
            if row_errors:
                errors[index] = blocks.StructBlockValidationError(
                    block_errors=row_errors
                )
        return errors

    @classmethod
    def data_schema_properties(cls):
        return {
            "external_id": {
                "title": "External id",
                "type": ["string", "null"],
                "description": "The record's id in the external system.",
            },
            "record_kind": {
                "title": "Record kind",
                "type": "string",
                "enum": list(RECORD_KIND_TARGETS),
            },
            "data": {
                "title": "Data",
                "type": "object",
                "description": "Item data of the kind the record becomes.",
            },
        }

    @classmethod
    def data_schema(cls):
        target_kinds = sorted(set(RECORD_KIND_TARGETS.values()))
        return {
            **super().data_schema(),
            "required": ["external_id", "record_kind", "data"],
            "$defs": {
                kind: DOMAIN_BLOCK_CLASSES[kind].data_schema() for kind in target_kinds
            },
            "allOf": [
                {
                    "if": {"properties": {"record_kind": {"const": record_kind}}},
                    "then": {"properties": {"data": {"$ref": f"#/$defs/{target}"}}},
                }
                for record_kind, target in RECORD_KIND_TARGETS.items()
            ],
        }

    @classmethod
    def item_data(cls, value):
        return {
            "external_id": None,
            "record_kind": value.get("record_kind"),
            "data": {},
        }

    def domain_entries(self, value):
        kind = value.get("record_kind")
        return [
            {
                "name": "connector",
                "label": self.child_blocks["connector"].label,
                "widget": "input",
                "input_type": "text",
                "value": value.get("connector") or "",
            },
            {
                "name": "record_kind",
                "label": self.child_blocks["record_kind"].label,
                "widget": "input",
                "input_type": "text",
                "value": str(choice_label(RECORD_KIND_CHOICES, kind)) if kind else "",
            },
        ]

    class Meta:
        icon = "download"
        label = _("Connector list")
        description = _(
            "Items filled from an external system, e.g. every CRM client the "
            "employee owns."
        )
        preview_value = staticmethod(previews.connector_list)
