"""How an item's content and history read: the entries checklist_blocks'
templates render, and each version's changes in words."""

import json

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from checklist_blocks.blocks.connector import RECORD_KIND_TARGETS
from checklist_blocks.registry import UnknownKind, get_kind
from cms import names
from cms.models import Item

__all__ = ["item_entries", "item_history", "person_name", "split_empty"]

HISTORY_ACTIONS = {
    "update": _("Changed"),
    "submit": _("Submitted"),
    "not_applicable": _("Proposed as not applicable"),
    "accept": _("Accepted"),
    "return": _("Returned"),
    "attach": _("Attachment added"),
    "assign": _("Assigned"),
}
HISTORY_FIELDS = {
    "state": _("State"),
    "not_applicable_reason": _("Reason it does not apply"),
    "attachments": _("Attachments"),
    "assignee": _("Successor"),
}
VALUE_PREVIEW_LENGTH = 160


def person_name(user) -> str:
    """A user by the one name rule (``cms.names``) in the active language;
    nobody (a change Baton made itself) is "Baton"."""
    if user is None:
        return gettext("Baton")
    return names.person_name(user)


def _answer_text(value) -> str:
    if value is True:
        return gettext("Yes")
    if value is False:
        return gettext("No")
    return "" if value is None else str(value)


def item_entries(item: Item, data=None) -> list[dict]:
    """The read-only entries checklist_blocks' templates render for ``data``
    (the item's own by default)."""
    data = item.data if data is None else data
    if item.kind == "field":
        value = data.get("value")
        if isinstance(value, dict):
            value = value.get("filename") or ""
        return [
            {
                "name": "value",
                "label": gettext("Answer"),
                "widget": "textarea"
                if item.definition.get("field_type") == "long_text"
                else "input",
                "input_type": "text",
                "value": _answer_text(value),
            }
        ]
    kind = item.kind
    if kind == "connector_list":
        kind = RECORD_KIND_TARGETS.get(data.get("record_kind"), "")
        data = data.get("data") or {}
    try:
        fields = get_kind(kind).block_class.domain_fields
    except UnknownKind:
        return [
            {
                "name": key,
                "label": key,
                "widget": "input",
                "input_type": "text",
                "value": _preview(value),
            }
            for key, value in data.items()
        ]
    return [spec.entry(data.get(spec.name)) for spec in fields]


def _preview(value) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return _answer_text(value)
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    if len(text) > VALUE_PREVIEW_LENGTH:
        return text[: VALUE_PREVIEW_LENGTH - 1] + "…"
    return text


def _field_labels(item: Item) -> dict:
    labels = {key: str(label) for key, label in HISTORY_FIELDS.items()}
    kind = item.kind
    if kind == "field":
        labels["value"] = gettext("Answer")
        return labels
    if kind == "connector_list":
        kind = RECORD_KIND_TARGETS.get(item.data.get("record_kind"), "")
    try:
        fields = get_kind(kind).block_class.domain_fields
    except UnknownKind:
        return labels
    labels.update({spec.name: str(spec.label) for spec in fields})
    return labels


def item_history(item: Item, versions, users) -> list[dict]:
    labels = _field_labels(item)
    states = dict(Item.State.choices)
    rows = []
    for version in versions:
        changes = []
        for key, (before, after) in (version.changes or {}).items():
            if key == "state":
                before, after = states.get(before, before), states.get(after, after)
            elif key == "assignee":
                before, after = users.get(before, before), users.get(after, after)
            changes.append(
                {
                    "field": labels.get(key, key),
                    "before": _preview(before),
                    "after": _preview(after),
                }
            )
        rows.append(
            {
                "number": version.number,
                "actor": person_name(version.actor),
                "action": HISTORY_ACTIONS.get(version.action, version.action),
                "at": version.created_at,
                "changes": changes,
            }
        )
    return rows


def _is_empty(entry) -> bool:
    if entry.get("widget") == "group":
        return all(_is_empty(child) for child in entry.get("children", ()))
    if entry.get("widget") == "list":
        return not entry.get("rows")
    return entry.get("value") in (None, "")


def split_empty(entries) -> tuple[list, list]:
    """The entries with content, and the labels of those without: a reader sees
    what was handed over and, in one line, what was left blank."""
    filled = [entry for entry in entries if not _is_empty(entry)]
    empty = [str(entry["label"]) for entry in entries if _is_empty(entry)]
    return filled, empty


def upstream_rows(item: Item) -> list[dict]:
    """Upstream values a connector kept beside what a person typed."""
    pending = (item.provenance or {}).get("upstream") or {}
    if not pending:
        return []
    labels = _field_labels(item)
    current = (item.data or {}).get("data") or {}
    return [
        {
            "field": field,
            "label": labels.get(field, field),
            "current": _preview(current.get(field)),
            "upstream": _preview(change.get("value")),
            "at": change.get("at", ""),
        }
        for field, change in sorted(pending.items())
    ]
