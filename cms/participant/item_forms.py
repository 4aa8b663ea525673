"""Item data forms, built from the kind's JSON Schema with labels and choice
names from its field specs where the kind has them: one renderer and one parser
serve every kind, nested groups and repeated rows included."""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext

from checklist_blocks.blocks.connector import RECORD_KIND_TARGETS
from checklist_blocks.blocks.spec import Choice, Group, ListOf
from checklist_blocks.registry import UnknownKind, get_kind, schema_for_field

__all__ = ["DATA_PREFIX", "Control", "item_controls", "parse_item_data"]

DATA_PREFIX = "data."
REMOVE_MARKER = "__remove__"
ROW_PLACEHOLDER = "__index__"
ROW_NUMBER = "__number__"
EMPTY_VALUES = (None, "", [], {})


@dataclass
class Control:
    """One input (or group of inputs) of an item data form."""

    path: str
    label: str
    widget: str
    value: Any = ""
    choices: list = field(default_factory=list)
    help_text: str = ""
    placeholder: str = ""
    max_length: int | None = None
    minimum: Any = None
    maximum: Any = None
    step: str = ""
    children: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    blank_row: "Control | None" = None
    row_label: str = ""
    has_rows: bool = False
    errors: list = field(default_factory=list)

    @property
    def name(self):
        return DATA_PREFIX + self.path

    @property
    def html_id(self):
        return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.path)

    @property
    def is_group(self):
        return self.widget == "group"

    @property
    def is_list(self):
        return self.widget == "list"


@dataclass(frozen=True)
class _Layout:
    """Where an item's editable data lives: its schema properties, the field specs
    naming them, and the key they sit under (connector records nest theirs)."""

    properties: dict
    specs: dict
    container: str = ""


def _layout(item) -> _Layout | None:
    if item.kind == "field":
        if item.definition.get("field_type") == "file":
            return None
        return _Layout(schema_for_field(item.definition)["properties"], {})
    try:
        spec = get_kind(item.kind)
    except UnknownKind:
        return None
    if item.kind == "connector_list":
        target = RECORD_KIND_TARGETS.get((item.data or {}).get("record_kind"))
        if target is None:
            return None
        spec = get_kind(target)
        container = "data"
    else:
        container = ""
    block_class = spec.block_class
    properties = block_class.data_schema()["properties"]
    specs = {field.name: field for field in getattr(block_class, "domain_fields", ())}
    return _Layout(properties, specs, container)


def _types(schema) -> set:
    declared = schema.get("type", [])
    return {declared} if isinstance(declared, str) else set(declared)


def _label(schema, spec, fallback):
    if spec is not None and spec.label:
        return str(spec.label)
    title = schema.get("title")
    # Schema titles are the English source strings: translate them for display.
    return gettext(title) if title else fallback


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _build(path, schema, value, spec, errors, used, *, label="") -> Control:
    types = _types(schema)
    control = Control(
        path=path,
        label=label or _label(schema, spec, path.rsplit(".", 1)[-1]),
        widget="text",
        help_text=str(spec.help_text) if spec is not None and spec.help_text else "",
    )
    if path in errors:
        control.errors = [str(message) for message in errors[path]]
        used.add(path)
    if "enum" in schema:
        control.widget = "select"
        if isinstance(spec, Choice):
            control.choices = [(str(v), str(label)) for v, label in spec.choices]
        else:
            control.choices = [
                (str(v), str(v)) for v in schema["enum"] if v is not None
            ]
        control.value = _text(value)
    elif "object" in types and "properties" in schema:
        control.widget = "group"
        value = value if isinstance(value, dict) else {}
        child_specs = (
            {f.name: f for f in spec.fields} if isinstance(spec, Group) else {}
        )
        control.children = [
            _build(
                f"{path}.{name}",
                child,
                value.get(name),
                child_specs.get(name),
                errors,
                used,
            )
            for name, child in schema["properties"].items()
        ]
    elif "array" in types:
        control.widget = "list"
        row_spec = spec.item if isinstance(spec, ListOf) else None
        row_schema = schema.get("items", {"type": "string"})
        control.row_label = _label(row_schema, row_spec, control.label)
        rows = value if isinstance(value, list) else []
        control.has_rows = bool(rows)
        # An empty list shows one blank row, so adding the first needs no script.
        for index, row in enumerate(rows or [None]):
            control.rows.append(
                _build(
                    f"{path}.{index}",
                    row_schema,
                    row,
                    row_spec,
                    errors,
                    used,
                    label=f"{control.row_label} {index + 1}",
                )
            )
        control.blank_row = _build(
            f"{path}.{ROW_PLACEHOLDER}",
            row_schema,
            None,
            row_spec,
            {},
            set(),
            label=f"{control.row_label} {ROW_NUMBER}",
        )
    elif "boolean" in types:
        control.widget = "yes_no"
        control.value = _text(value)
    elif types & {"integer", "number"}:
        control.widget = "number"
        control.step = "1" if "integer" in types else "any"
        control.minimum = schema.get("minimum")
        control.maximum = schema.get("maximum")
        control.value = _text(value)
    elif "string" in types or not types:
        string_format = schema.get("format")
        if string_format in ("date", "email"):
            control.widget = string_format
        elif string_format == "uri":
            control.widget = "url"
        elif "pattern" in schema:
            control.widget = "decimal"
        elif _is_long_text(schema):
            control.widget = "textarea"
        else:
            control.widget = "text"
            control.max_length = schema.get("maxLength")
        control.value = _text(value)
    else:
        control.widget = "unsupported"
    return control


def item_controls(item, data=None, errors=None) -> tuple[list[Control], list[str]]:
    """The controls of an item's data form, filled with ``data`` (the item's own
    when omitted), and the error messages no control claimed."""
    layout = _layout(item)
    errors = {key: list(value) for key, value in (errors or {}).items()}
    used = set()
    if layout is None:
        return [], _unclaimed(errors, used)
    data = item.data if data is None else data
    if layout.container:
        data = data.get(layout.container) or {}
    controls = []
    for name, schema in layout.properties.items():
        path = f"{layout.container}.{name}" if layout.container else name
        spec = layout.specs.get(name)
        label = gettext("Your answer") if item.kind == "field" else ""
        control = _build(path, schema, data.get(name), spec, errors, used, label=label)
        if item.kind == "field":
            control.placeholder = item.definition.get("placeholder") or ""
            if control.widget == "text" and control.max_length is None:
                control.max_length = 255
        controls.append(control)
    return controls, _unclaimed(errors, used)


def _unclaimed(errors, used) -> list[str]:
    return [
        str(message)
        for key, messages in errors.items()
        if key not in used
        for message in messages
    ]


def _blank(value) -> bool:
    if isinstance(value, dict):
        return all(_blank(child) for child in value.values())
    return value in EMPTY_VALUES


def _row_indices(key, post) -> list[int]:
    pattern = re.compile(rf"^{re.escape(key)}\.(\d+)(?:\.|$)")
    return sorted(
        {int(match.group(1)) for name in post if (match := pattern.match(name))}
    )


def _parse(key, schema, post):
    types = _types(schema)
    if "object" in types and "properties" in schema:
        return {
            name: _parse(f"{key}.{name}", child, post)
            for name, child in schema["properties"].items()
        }
    if "array" in types:
        row_schema = schema.get("items", {"type": "string"})
        rows = []
        for index in _row_indices(key, post):
            row_key = f"{key}.{index}"
            if post.get(f"{row_key}.{REMOVE_MARKER}"):
                continue
            row = _parse(row_key, row_schema, post)
            if not _blank(row):
                rows.append(row)
        return rows
    raw = post.get(key, "")
    if "enum" in schema:
        if raw == "" and None in schema["enum"]:
            return None
        return raw
    if "boolean" in types:
        return {"yes": True, "no": False}.get(raw)
    if types & {"integer", "number"}:
        raw = raw.strip()
        if not raw:
            return None
        try:
            number = Decimal(raw)
        except InvalidOperation:
            return raw  # the schema check names it as not a number
        if number == number.to_integral_value():
            return int(number)
        return raw if "integer" in types else float(number)
    # Browsers send CRLF line breaks; store what was typed, not the transport.
    text = raw.replace("\r\n", "\n")
    if not text.strip():
        return None if "null" in types else ""
    return text if _is_long_text(schema) else text.strip()


def _is_long_text(schema) -> bool:
    return not {"maxLength", "format", "pattern"} & schema.keys()


def parse_item_data(item, post) -> dict:
    """The item data a submitted form says, shaped by the kind's schema."""
    layout = _layout(item)
    if layout is None:
        return {}
    prefix = DATA_PREFIX + (f"{layout.container}." if layout.container else "")
    parsed = {
        name: _parse(prefix + name, schema, post)
        for name, schema in layout.properties.items()
    }
    if layout.container:
        return {layout.container: parsed}
    return parsed
