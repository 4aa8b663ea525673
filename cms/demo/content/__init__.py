"""The demo templates (Sales, Tech, General), written once with both languages
side by side. ``T(en, zh)`` marks a text; :func:`localise` picks one language;
:func:`template_body` gives a template's stream in one language."""

import uuid

from .library import TEMPLATES
from .markup import T, item, localise, section

__all__ = ["TEMPLATES", "T", "item", "localise", "section", "template_body"]

_ID_NAMESPACE = uuid.UUID("5a1d0c3e-7b0e-4f57-9d8a-6b2f3c1e9a40")


def _with_ids(blocks, path):
    """Deterministic block ids, identical in both languages, so an item keeps its
    identity across translations and re-runs of the demo."""
    stream = []
    for index, (kind, value) in enumerate(blocks):
        block_path = f"{path}/{index}"
        if kind == "section":
            value = {**value, "items": _with_ids(value["items"], block_path)}
        stream.append(
            {
                "type": kind,
                "value": value,
                "id": str(uuid.uuid5(_ID_NAMESPACE, block_path)),
            }
        )
    return stream


def template_body(slug, language):
    return localise(_with_ids(TEMPLATES[slug]["body"], slug), language)
