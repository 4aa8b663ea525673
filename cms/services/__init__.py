"""Every write to handovers goes through these functions: admin, participant
pages, API and tasks alike."""

from .handovers import (
    handover_approve,
    handover_blockers,
    handover_cancel,
    handover_declare,
    handover_open,
    handover_reopen,
    handover_start,
    participant_add,
    participant_remove,
    suggest_successors,
    suggest_templates,
)
from .items import (
    attachment_add,
    comment_add,
    comment_resolve,
    item_accept,
    item_assign,
    item_content,
    item_mark_not_applicable,
    item_return,
    item_submit,
    item_update,
    items_accept,
)
from .signing import RequestMeta

__all__ = [
    "RequestMeta",
    "attachment_add",
    "comment_add",
    "comment_resolve",
    "handover_approve",
    "handover_blockers",
    "handover_cancel",
    "handover_declare",
    "handover_open",
    "handover_reopen",
    "handover_start",
    "item_accept",
    "item_assign",
    "item_content",
    "item_mark_not_applicable",
    "item_return",
    "item_submit",
    "item_update",
    "items_accept",
    "participant_add",
    "participant_remove",
    "suggest_successors",
    "suggest_templates",
]
