"""Checklist blocks: the StreamField vocabulary of handover templates."""

from .common import (
    CONDITION_OPERATOR_CHOICES,
    EVIDENCE_CHOICES,
    ROLE_CHOICES,
    ConditionBlock,
    ItemBlock,
)
from .connector import (
    RECORD_KIND_CHOICES,
    RECORD_KIND_TARGETS,
    ConnectorListBlock,
    register_connector_catalog,
    unregister_connector_catalog,
)
from .fields import FIELD_TYPE_CHOICES, FormFieldBlock
from .items import (
    AccountBlock,
    ApprovalBlock,
    AssetBlock,
    ClientBlock,
    DocumentBlock,
    ExpenseBlock,
    KnowledgeBlock,
    ProjectBlock,
    TaskBlock,
)
from .stream import ChecklistStreamBlock, SectionBlock, SectionItemsBlock

__all__ = [
    "CONDITION_OPERATOR_CHOICES",
    "EVIDENCE_CHOICES",
    "FIELD_TYPE_CHOICES",
    "RECORD_KIND_CHOICES",
    "RECORD_KIND_TARGETS",
    "ROLE_CHOICES",
    "AccountBlock",
    "ApprovalBlock",
    "AssetBlock",
    "ChecklistStreamBlock",
    "ClientBlock",
    "ConditionBlock",
    "ConnectorListBlock",
    "DocumentBlock",
    "ExpenseBlock",
    "FormFieldBlock",
    "ItemBlock",
    "KnowledgeBlock",
    "ProjectBlock",
    "SectionBlock",
    "SectionItemsBlock",
    "TaskBlock",
    "register_connector_catalog",
    "unregister_connector_catalog",
]
