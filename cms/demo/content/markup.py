"""How the demo templates are written: ``T(en, zh)`` marks a text in both
languages, ``item`` and ``section`` make the blocks, and :func:`localise`
picks one language."""

from dataclasses import dataclass

__all__ = ["T", "item", "localise", "section"]


@dataclass(frozen=True)
class T:
    en: str
    zh: str


def localise(value, language):
    if isinstance(value, T):
        return value.zh if language == "zh-hans" else value.en
    if isinstance(value, dict):
        return {key: localise(item, language) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [localise(item, language) for item in value]
    return value


def item(
    kind,
    label,
    *,
    help_text=None,
    filled_by="leaver",
    confirmed_by="successor",
    evidence="none",
    due=0,
    required=True,
    condition=None,
    **fields,
):
    value = {
        "label": label,
        "help_text": help_text or T("", ""),
        "required": required,
        "filled_by": filled_by,
        "confirmed_by": confirmed_by,
        "evidence": evidence,
        "due_offset_days": due,
        "condition": condition or {"field_key": "", "operator": "equals", "value": ""},
        **fields,
    }
    return (kind, value)


def section(title, description, *items):
    return ("section", {"title": title, "description": description, "items": items})
