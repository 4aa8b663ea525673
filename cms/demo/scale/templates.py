"""The generated templates: sections of about ten items of every kind, as an HR
author writes them, published through Wagtail; and what a handover's items
start as, read from the published revision the way ``handover_start`` reads it."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from checklist_blocks.blocks import previews
from checklist_blocks.registry import item_data
from cms.models import ChecklistTemplatePage, TemplateIndexPage
from cms.services.handovers import _item_prototypes

from .company import COMPANIES
from .spec import ScaleInfo, ScaleSpec

__all__ = [
    "ItemProto",
    "TemplateInfo",
    "filled_data",
    "publish_template",
    "template_body",
    "template_items",
    "templates_publish",
]

_ID_NAMESPACE = uuid.UUID("0f3c2d6e-51b4-4c1e-9d0a-7e2b8c4f1a63")
SECTION_TITLES = (
    "Clients and deals",
    "Projects",
    "Unfinished work",
    "Accounts and permissions",
    "Assets",
    "Documents",
    "Approvals and expenses",
    "Knowledge",
    "Systems",
    "Suppliers",
    "Reports",
    "Team",
)
KIND_CYCLE = (
    "client",
    "task",
    "project",
    "document",
    "account",
    "task",
    "asset",
    "approval",
    "expense",
    "knowledge",
    "document",
    "field",
)
# Who fills and who confirms each kind (HR writes templates this way).
ROLES_BY_KIND = {
    "client": ("leaver", "successor"),
    "task": ("leaver", "successor"),
    "project": ("leaver", "successor"),
    "document": ("leaver", "successor"),
    "knowledge": ("leaver", "successor"),
    "account": ("it", "manager"),
    "asset": ("leaver", "it"),
    "approval": ("leaver", "manager"),
    "expense": ("leaver", "manager"),
    "field": ("leaver", "hr"),
}
LABELS = {
    "client": "Client: {company}",
    "task": "Unfinished task {number}",
    "project": "Project {company} #{number}",
    "document": "Documents, folder {number}",
    "account": "System account {number}",
    "asset": "Equipment item {number}",
    "approval": "Pending approval {number}",
    "expense": "Unreimbursed expense {number}",
    "knowledge": "Know-how {number}",
    "field": "Question {number}",
}
PREFILLED = {
    "client": lambda company: {"customer": company},
    "account": lambda company: {"system": "OA", "action": "transfer"},
    "asset": lambda company: {"asset_type": "laptop", "return_to_role": "it"},
    "approval": lambda company: {"system": "OA", "direction": "raised_by_me"},
    "expense": lambda company: {"currency": "CNY", "status": "not_submitted"},
    "document": lambda company: {"medium": "electronic"},
    "task": lambda company: {"status": "in_progress"},
}
NO_CONDITION = {"field_key": "", "operator": "", "value": ""}
FILLED_TEXTS = ("description", "next_step", "notes", "relationship_notes")


def _block_id(spec: ScaleSpec, template: str, path: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"{spec.seed}/{template}/{path}"))


def _item_value(kind: str, number: int, *, section: int) -> dict:
    """A block value of ``kind``: the common settings and a prefilled value or
    two, as an HR author would write it."""
    filled_by, confirmed_by = ROLES_BY_KIND[kind]
    company = COMPANIES[number % len(COMPANIES)]
    value = {
        "label": LABELS[kind].format(company=company, number=number),
        "help_text": "Say where it is and what the successor must do next."
        if number % 3 == 0
        else "",
        "required": number % 10 != 7,
        "filled_by": filled_by,
        "confirmed_by": confirmed_by,
        "evidence": "optional" if number % 4 == 0 else "none",
        "due_offset_days": -(number % 6),
        "condition": dict(NO_CONDITION),
    }
    if kind in PREFILLED:
        value.update(PREFILLED[kind](company))
    if kind == "field":
        value.update(
            key=f"answer_s{section}_{number}",
            field_type="text",
            choices=[],
            placeholder="",
            min_value=None,
            max_value=None,
        )
    return value


def _laptop_items() -> list:
    """The first section's question, and the item it shows when answered yes."""
    question = {
        **_item_value("field", 0, section=0),
        "label": "Do you have a company laptop?",
        "key": "has_laptop",
        "field_type": "yes_no",
        "required": True,
    }
    laptop = {
        **_item_value("asset", 1, section=0),
        "label": "Return the laptop",
        "condition": {"field_key": "has_laptop", "operator": "is_yes", "value": ""},
    }
    return [("field", question), ("asset", laptop)]


def _connector_block(slug, record_kind, mapping) -> tuple:
    return (
        "connector_list",
        {
            "label": "From the company directory",
            "help_text": "",
            "required": False,
            "filled_by": "leaver",
            "confirmed_by": "successor",
            "evidence": "none",
            "due_offset_days": -3,
            "condition": dict(NO_CONDITION),
            "connector": slug,
            "record_kind": record_kind,
            "filter": [],
            "field_mapping": [
                {"source": source, "target": target} for target, source in mapping
            ],
        },
    )


def template_body(spec: ScaleSpec, name: str, items: int, *, connector=None):
    """Sections of about ten items; the first asks about a laptop and shows
    the laptop item only when the answer is yes; ``connector`` adds a block
    filled by that connector (``(slug, record_kind, mapping)``)."""
    body = []
    number = 0
    section_index = 0
    while number < items:
        section_items = []
        if section_index == 0:
            section_items += _laptop_items()
            number = 2
        while len(section_items) < 10 and number < items:
            kind = KIND_CYCLE[number % len(KIND_CYCLE)]
            section_items.append(
                (kind, _item_value(kind, number, section=section_index))
            )
            number += 1
        if section_index == 0 and connector is not None:
            section_items.append(_connector_block(*connector))
        section_path = f"{section_index}"
        body.append(
            {
                "type": "section",
                "id": _block_id(spec, name, section_path),
                "value": {
                    "title": SECTION_TITLES[section_index % len(SECTION_TITLES)],
                    "description": "",
                    "items": [
                        {
                            "type": kind,
                            "id": _block_id(spec, name, f"{section_path}/{index}"),
                            "value": value,
                        }
                        for index, (kind, value) in enumerate(section_items)
                    ],
                },
            }
        )
        section_index += 1
    return body


@dataclass
class ItemProto:
    """An item as ``handover_start`` materialises it from a template block."""

    block_id: str
    section_block_id: str
    section_title: str
    position: int
    kind: str
    label: str
    definition: dict
    data: dict
    required: bool
    filled_by_role: str
    confirmed_by_role: str
    evidence: str
    due_offset: int | None

    @property
    def condition(self):
        condition = self.definition.get("condition") or {}
        return condition if condition.get("field_key") else None


@dataclass
class TemplateInfo:
    name: str
    page: ChecklistTemplatePage
    revision_id: int
    items: list
    connector_blocks: list  # (block_id, slug, record_kind, definition)


def template_items(revision) -> tuple[list[ItemProto], list]:
    """What ``handover_start`` makes of a revision: its items, from the very
    prototypes the service materialises them from, and its connector blocks."""
    protos, connector_blocks = [], []
    for prototype in _item_prototypes(revision):
        definition = json.loads(prototype["definition"])
        if not prototype["materialise"]:
            connector_blocks.append(
                (
                    prototype["block_id"],
                    definition.get("connector"),
                    definition.get("record_kind"),
                    definition,
                )
            )
            continue
        protos.append(
            ItemProto(
                block_id=prototype["block_id"],
                section_block_id=prototype["section_block_id"],
                section_title=prototype["section_title"],
                position=prototype["position"],
                kind=prototype["kind"],
                label=prototype["label"],
                definition=definition,
                data=json.loads(prototype["data"]),
                required=prototype["required"],
                filled_by_role=prototype["filled_by_role"],
                confirmed_by_role=prototype["confirmed_by_role"],
                evidence=prototype["evidence"],
                due_offset=prototype["due_offset_days"],
            )
        )
    return protos, connector_blocks


def publish_template(index, *, slug, title, body, author):
    """The template ``slug`` under ``index``, created and published unless
    it is there already."""
    page = ChecklistTemplatePage.objects.filter(slug=slug, locale=index.locale).first()
    if page is None:
        page = ChecklistTemplatePage(
            title=title,
            slug=slug,
            description="Generated for benchmarks (manage.py seed_scale).",
            body=body,
            owner=author,
        )
        index.add_child(instance=page)
        page.full_clean()
        page.save_revision(user=author).publish()
    return ChecklistTemplatePage.objects.get(pk=page.pk)


TITLES = {
    "small": "Scale: short checklist",
    "medium": "Scale: standard checklist",
    "large": "Scale: long checklist",
    "blocks-300": "Scale: 300 blocks",
    "items-500": "Scale: 500 items",
    "fill": "Scale: ticket import",
}


def templates_publish(spec: ScaleSpec, info: ScaleInfo, author) -> dict:
    """The company's templates by name: three sizes around ``spec.items`` and
    the ones benchmarks start, fill and list, each with a connector block."""
    index = TemplateIndexPage.objects.get(locale__language_code="en")
    directory = (info.directory_connector_slug, "account", ())
    small = max(spec.items // 2, 5)
    sizes = {
        "small": (small, directory),
        "medium": (spec.items, directory),
        "large": (spec.items + (spec.items - small), directory),
        "blocks-300": (300, directory),
        "items-500": (500, directory),
        "fill": (10, (info.bulk_connector_slug, "task", ())),
    }
    result = {}
    for name, (size, connector) in sizes.items():
        page = publish_template(
            index,
            slug=info.template_slugs[name],
            title=TITLES[name],
            body=template_body(spec, name, size, connector=connector),
            author=author,
        )
        revision = page.live_revision
        protos, connector_blocks = template_items(revision)
        result[name] = TemplateInfo(
            name=name,
            page=page,
            revision_id=revision.pk,
            items=protos,
            connector_blocks=connector_blocks,
        )
    return result


def filled_data(kind: str, proto_data: dict, number: int) -> dict:
    """What the person filling an item types: realistic values for the kind."""
    if kind == "field":
        return {"value": f"Answer {number}"}
    sample = item_data(kind, getattr(previews, kind)())
    changes = {
        key: value
        for key, value in sample.items()
        if value not in (None, "", [], {}) and proto_data.get(key) != value
    }
    for key in FILLED_TEXTS:
        if isinstance(changes.get(key), str):
            changes[key] = f"{changes[key]} (ref. {number})"
    return changes
