"""Which connector blocks a handover has, which connector fills each, and the
status row people see for it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from checklist_blocks.registry import iter_items
from cms.errors import NotFound
from cms.models import Handover

from ..models import BlockSync, ConnectorConfig
from ..sdk.base import EmployeeRef

__all__ = [
    "BlockInfo",
    "block_sync_for",
    "connector_blocks",
    "employee_ref",
    "find_block",
]


@dataclass(frozen=True)
class BlockInfo:
    block_id: str
    value: dict
    position: int
    section_id: str
    section_title: str
    connector: ConnectorConfig | None

    @property
    def slug(self) -> str:
        return self.value.get("connector") or ""

    @property
    def record_kind(self) -> str:
        return self.value.get("record_kind") or ""

    @property
    def label(self) -> str:
        return self.value.get("label") or ""


def connector_blocks(handover: Handover) -> list[BlockInfo]:
    """The handover's connector_list blocks, from its pinned template revision."""
    body = handover.template_revision.as_object().body
    titles = {
        block.id: block.value["title"]
        for block in body
        if block.block_type == "section"
    }
    found = []
    for position, (section_id, block_id, kind, value) in enumerate(iter_items(body)):
        if kind == "connector_list":
            found.append((position, section_id, block_id, dict(value)))
    slugs = {value.get("connector") for *_rest, value in found}
    configs = {
        config.slug: config for config in ConnectorConfig.objects.filter(slug__in=slugs)
    }
    return [
        BlockInfo(
            block_id=block_id,
            value=value,
            position=position,
            section_id=section_id or "",
            section_title=titles.get(section_id, ""),
            connector=configs.get(value.get("connector")),
        )
        for position, section_id, block_id, value in found
    ]


def find_block(handover: Handover, block_id: str) -> BlockInfo:
    for block in connector_blocks(handover):
        if block.block_id == block_id:
            return block
    raise NotFound(_("This handover has no such connector block."))


def employee_ref(employee) -> EmployeeRef:
    user = employee.user
    return EmployeeRef(
        email=employee.work_email or (user.email if user else ""),
        employee_number=employee.employee_number,
        directory_id=employee.directory_id,
        username=user.get_username() if user else "",
        name=employee.name,
    )


def block_sync_for(handover: Handover, block: BlockInfo) -> BlockSync:
    status, _created = BlockSync.objects.get_or_create(
        handover=handover,
        block_id=block.block_id,
        defaults={
            "connector": block.connector,
            "connector_slug": block.slug,
            "record_kind": block.record_kind,
            "label": block.label[:255],
            "state": BlockSync.State.QUEUED,
        },
    )
    return status
