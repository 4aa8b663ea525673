"""The item properties a spreadsheet column can fill, and which of them names
an item."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext

from checklist_blocks.blocks.connector import RECORD_KIND_TARGETS
from checklist_blocks.blocks.spec import (
    URL,
    Choice,
    Date,
    Email,
    Group,
    Integer,
    ListOf,
    LongText,
    Text,
)
from checklist_blocks.blocks.spec import Decimal as DecimalSpec
from checklist_blocks.registry import get_kind
from cms.errors import InvalidInput

__all__ = [
    "TITLE_PROPERTIES",
    "Property",
    "item_properties",
    "list_group",
    "target_kind",
    "title_properties",
]

SCALAR_SPECS = (Text, LongText, Email, URL, Date, Integer, DecimalSpec, Choice)


@dataclass(frozen=True)
class Property:
    """One item property a column can fill.

    ``path`` is dotted (``contact_person.email``). ``list_name`` is set for a
    field of a list of groups (``open_deals.title``): one row fills one entry.
    ``many`` marks a list of plain values (``commitments``): one cell holds
    several, one per line or separated by semicolons.
    """

    path: str
    label: object
    spec: object
    list_name: str = ""
    many: bool = False

    @property
    def name(self):
        return self.path.rpartition(".")[2]


def _joined(*labels):
    return format_lazy("{} \u203a {}", *labels)


def item_properties(target_kind: str) -> list[Property]:
    """The properties of item kind ``target_kind`` that a column can fill."""
    properties = []
    for spec in get_kind(target_kind).block_class.domain_fields:
        if isinstance(spec, SCALAR_SPECS):
            properties.append(Property(spec.name, spec.label, spec))
        elif isinstance(spec, Group):
            properties.extend(
                Property(
                    f"{spec.name}.{child.name}", _joined(spec.label, child.label), child
                )
                for child in spec.fields
                if isinstance(child, SCALAR_SPECS)
            )
        elif isinstance(spec, ListOf):
            item = spec.item
            if isinstance(item, Group):
                properties.extend(
                    Property(
                        f"{spec.name}.{child.name}",
                        _joined(spec.label, child.label),
                        child,
                        list_name=spec.name,
                    )
                    for child in item.fields
                    if isinstance(child, SCALAR_SPECS)
                )
            elif isinstance(item, SCALAR_SPECS):
                properties.append(Property(spec.name, spec.label, item, many=True))
    return properties


# What labels a row's item, by target kind: the first non-empty names it, and a
# row where all of the mapped ones are empty is skipped.
TITLE_PROPERTIES = {
    "client": ("customer",),
    "task": ("description",),
    "project": ("project_name",),
    "account": ("system", "account_id", "role_permission"),
    "approval": ("title", "reference"),
    "expense": ("description", "reference"),
    "asset": ("description", "asset_tag"),
    "document": ("title",),
    "knowledge": ("topic",),
}


def title_properties(target: str) -> tuple[str, ...]:
    """The properties that name an item of kind ``target``, best first."""
    return TITLE_PROPERTIES[target]


def target_kind(record_kind: str) -> str:
    try:
        return RECORD_KIND_TARGETS[record_kind]
    except KeyError:
        raise InvalidInput(
            gettext("Unknown record kind “%(kind)s”.") % {"kind": record_kind}
        ) from None


def list_group(target: str, list_name: str) -> Group:
    """The group of fields one entry of list ``list_name`` holds."""
    for spec in get_kind(target).block_class.domain_fields:
        if spec.name == list_name:
            return spec.item
    raise KeyError(list_name)
