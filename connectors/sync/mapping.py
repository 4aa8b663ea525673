"""From an upstream record to item data: the block's filter, its field mapping
and the item kind's JSON Schema."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import jsonschema
from django.utils.translation import gettext

from checklist_blocks.blocks.items import DOMAIN_BLOCK_CLASSES
from cms.errors import InvalidInput

from ..sdk.base import Record
from .blocks import BlockInfo

__all__ = ["block_mapping", "filter_matches", "map_record"]


def _get_path(data, path: str):
    current = data
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
        if current is None:
            return None
    return current


def _set_path(data: dict, path: str, value) -> None:
    head, _dot, rest = path.partition(".")
    if not rest:
        data[head] = value
        return
    _set_path(data.setdefault(head, {}), rest, value)


def _schema_at(schema: dict, path: str) -> dict:
    for part in path.split("."):
        schema = schema.get("properties", {}).get(part, {})
    return schema


def _coerce(value, schema: dict):
    """Upstream systems send numbers as text and text as numbers; fit the value
    to the item property's type where that loses nothing."""
    declared = schema.get("type", [])
    types = {declared} if isinstance(declared, str) else set(declared)
    if value is None:
        return None if "null" in types else value
    if "string" in types and isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if "string" in types and isinstance(value, int | float | Decimal):
        return str(value)
    if (
        "string" in types
        and isinstance(value, list)
        and all(isinstance(entry, str | int | float) for entry in value)
    ):
        return ", ".join(str(entry) for entry in value)
    if "array" in types and isinstance(value, str):
        item_types = schema.get("items", {}).get("type")
        if item_types == "string":
            return [part.strip() for part in value.split(",") if part.strip()]
    if "string" in types and isinstance(value, str):
        limit = schema.get("maxLength")
        if limit and len(value) > limit:
            return value[: limit - 1] + "…"
    return value


def filter_matches(record: Record, rows) -> bool:
    for row in rows or ():
        actual = _get_path(record.fields, row.get("field") or "")
        actual_text = "" if actual is None else str(actual)
        expected = row.get("value") or ""
        operator = row.get("operator") or "equals"
        if operator == "equals" and actual_text != expected:
            return False
        if operator == "not_equals" and actual_text == expected:
            return False
        if operator == "contains" and expected.casefold() not in actual_text.casefold():
            return False
        if operator == "in" and actual_text not in {
            part.strip() for part in expected.split(",")
        }:
            return False
    return True


def block_mapping(block: BlockInfo, defaults) -> dict[str, str]:
    rows = block.value.get("field_mapping") or []
    chosen = {
        (row.get("target") or "").strip(): (row.get("source") or "").strip()
        for row in rows
        if (row.get("target") or "").strip() and (row.get("source") or "").strip()
    }
    if chosen:
        return chosen
    return dict((defaults or {}).get(block.record_kind, {}))


@cache
def _validator(target_kind: str) -> jsonschema.Draft202012Validator:
    # Built once per kind: a run maps thousands of records against it.
    return jsonschema.Draft202012Validator(
        DOMAIN_BLOCK_CLASSES[target_kind].data_schema()
    )


def map_record(record: Record, mapping: dict[str, str], target_kind: str) -> dict:
    """The item data of a record; InvalidInput naming the bad fields otherwise."""
    validator = _validator(target_kind)
    schema = validator.schema
    data = {}
    for target, source in mapping.items():
        value = _get_path(record.fields, source)
        if value is None:
            continue
        _set_path(data, target, _coerce(value, _schema_at(schema, target)))
    problems = sorted(
        ".".join(str(part) for part in error.absolute_path) or error.message
        for error in validator.iter_errors(data)
    )
    if problems:
        raise InvalidInput(
            gettext("These fields have values the item cannot hold: %(fields)s.")
            % {"fields": ", ".join(problems)}
        )
    return data
