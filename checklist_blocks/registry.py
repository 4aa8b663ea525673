"""The one place the rest of Baton learns about block kinds.

A kind's JSON Schema describes the ITEM DATA a block of that kind produces (the
values a participant completes), not the block definition. Schemas carry the
English source titles so that they are stable; translate labels for display.
"""

from dataclasses import dataclass, field
from functools import cache

from django.utils import translation
from wagtail.blocks import StreamValue, StructValue

from .blocks.connector import (
    ConnectorListBlock,
    known_connector_slugs,
    register_connector_catalog,
    unregister_connector_catalog,
)
from .blocks.fields import FormFieldBlock, answer_value_schema
from .blocks.items import DOMAIN_BLOCK_CLASSES
from .blocks.stream import ChecklistStreamBlock, SectionBlock, iter_item_children

__all__ = [
    "SCHEMA_DIALECT",
    "SCHEMA_ID_PREFIX",
    "SECTION_KIND",
    "KindSpec",
    "UnknownKind",
    "all_kinds",
    "body_block",
    "get_kind",
    "item_data",
    "item_kinds",
    "iter_items",
    "known_connector_slugs",
    "register_connector_catalog",
    "schema_for_field",
    "unregister_connector_catalog",
]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID_PREFIX = "urn:baton:item-schema:"
SECTION_KIND = "section"

_KIND_CLASSES = {
    SECTION_KIND: SectionBlock,
    **DOMAIN_BLOCK_CLASSES,
    "field": FormFieldBlock,
    "connector_list": ConnectorListBlock,
}


class UnknownKind(KeyError):
    """Raised for a kind name the registry does not know."""

    def __init__(self, kind):
        super().__init__(kind)
        self.kind = kind

    def __str__(self):
        return (
            f"Unknown block kind {self.kind!r}; known kinds: {', '.join(_KIND_CLASSES)}"
        )


@dataclass(frozen=True)
class KindSpec:
    """What Baton knows about one block kind. Treat ``json_schema`` as read-only."""

    kind: str
    block_class: type
    label: str
    description: str
    icon: str
    json_schema: dict = field(compare=False, hash=False, repr=False)

    @property
    def block(self):
        """A shared instance of the block (the one the template body uses)."""
        return _block_instance(self.kind)


def _kind_schema(kind, block_class):
    meta = block_class._meta_class
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"{SCHEMA_ID_PREFIX}{kind}",
        "title": str(meta.label),
        "description": str(meta.description),
        **block_class.data_schema(),
    }


@cache
def all_kinds():
    """Every kind, ``section`` first, in block-chooser order."""
    # Schemas are built from the English source strings, whatever the language.
    with translation.override(None):
        return tuple(
            KindSpec(
                kind=kind,
                block_class=block_class,
                label=block_class._meta_class.label,
                description=block_class._meta_class.description,
                icon=block_class._meta_class.icon,
                json_schema=_kind_schema(kind, block_class),
            )
            for kind, block_class in _KIND_CLASSES.items()
        )


def get_kind(name):
    for spec in all_kinds():
        if spec.kind == name:
            return spec
    raise UnknownKind(name)


def item_kinds():
    """Every kind that becomes a handover item (all but ``section``)."""
    return tuple(spec for spec in all_kinds() if spec.kind != SECTION_KIND)


@cache
def body_block():
    """The shared ``ChecklistStreamBlock`` used to read stored template bodies."""
    return ChecklistStreamBlock()


def _block_instance(kind):
    if kind not in _KIND_CLASSES:
        raise UnknownKind(kind)
    return body_block().child_blocks[kind]


def item_data(kind, block_value):
    """The JSON-serialisable initial item data a block of ``kind`` produces.

    ``block_value`` is a ``StructValue`` or the stored (JSON) form of one.
    """
    spec = get_kind(kind)
    block = _block_instance(kind)
    if not isinstance(block_value, StructValue):
        block_value = block.to_python(block_value)
    elif missing := block.child_blocks.keys() - block_value.keys():
        # A value built in code may leave out children; they take their defaults.
        defaults = {name: block.child_blocks[name].get_default() for name in missing}
        block_value = block.normalize({**defaults, **block_value})
    return spec.block_class.item_data(block_value)


def iter_items(stream_value):
    """Yield ``(section_id or None, block_id, kind, struct_value)`` in document order.

    Accepts a ``StreamValue`` of the template body or its stored JSON list.
    """
    if not isinstance(stream_value, StreamValue):
        stream_value = body_block().to_python(stream_value)
    for section, child, _path in iter_item_children(stream_value):
        yield (section.id if section else None, child.id, child.block_type, child.value)


def schema_for_field(field_block_value):
    """The JSON Schema of a ``field`` item's data ``{"value": …}`` by its field_type."""
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"{SCHEMA_ID_PREFIX}field:{field_block_value.get('key') or 'unnamed'}",
        "title": str(field_block_value.get("label") or ""),
        "type": "object",
        "properties": {"value": answer_value_schema(field_block_value)},
        "required": ["value"],
        "additionalProperties": False,
    }
