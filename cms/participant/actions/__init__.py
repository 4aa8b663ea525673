"""Participant pages that write. Each parses the form, calls one service and
redirects back with a message; a refused action re-renders the page with the
service's message next to the form, under the service's HTTP status."""

from .handover import (
    handover_approve,
    handover_declare,
    handover_reopen,
    items_accept_resolved,
    participant_add,
    participant_remove,
)
from .items import (
    item_assign,
    item_attach,
    item_comment,
    item_decide,
    item_not_applicable,
    item_save,
    item_upstream,
    question_resolve,
)

__all__ = [
    "handover_approve",
    "handover_declare",
    "handover_reopen",
    "item_assign",
    "item_attach",
    "item_comment",
    "item_decide",
    "item_not_applicable",
    "item_save",
    "item_upstream",
    "items_accept_resolved",
    "participant_add",
    "participant_remove",
    "question_resolve",
]
