"""Every write to handovers goes through these functions: admin, participant
pages, API and tasks alike."""

from .approval import handover_approve, handover_reopen
from .assigning import item_assign
from .confirming import (
    INTENT,
    item_accept,
    item_return,
    items_accept,
    resolved_upstream_unsigned,
)
from .discussion import (
    ALLOWED_UPLOAD_TYPES,
    attachment_add,
    comment_add,
    comment_resolve,
)
from .employees import (
    DirectoryApplyResult,
    DirectoryValues,
    employee_record_edit,
    employees_apply_directory,
)
from .escalating import escalations_run
from .handovers import handover_open, handover_start
from .intake import (
    BulkRow,
    BulkRowPlan,
    EmployeeLookup,
    IntakeOutcome,
    ResignationNotice,
    bulk_preview,
    bulk_start,
    event_require_undecided,
    intake_user,
    proposal_dismiss,
    proposal_start,
    resignation_receive,
    resignation_record_malformed,
    successor_pick,
)
from .items import item_content, item_mark_not_applicable, item_submit, item_update
from .participants import participant_add, participant_remove, participant_replace
from .provenance import item_ignore_upstream, item_take_upstream
from .review import (
    field_answers,
    handover_advance,
    handover_blockers,
    handover_cancel,
    handover_content,
    handover_declare,
)
from .signing import RequestMeta
from .start_rules import StartPlan, StartPlanner, start_plan
from .suggestions import SuccessorSuggestion, suggest_successors, suggest_templates
from .visibility import item_is_visible, require_shown, visible_items

__all__ = [
    "ALLOWED_UPLOAD_TYPES",
    "INTENT",
    "BulkRow",
    "BulkRowPlan",
    "DirectoryApplyResult",
    "DirectoryValues",
    "EmployeeLookup",
    "IntakeOutcome",
    "RequestMeta",
    "ResignationNotice",
    "StartPlan",
    "StartPlanner",
    "SuccessorSuggestion",
    "attachment_add",
    "bulk_preview",
    "bulk_start",
    "comment_add",
    "comment_resolve",
    "employee_record_edit",
    "employees_apply_directory",
    "escalations_run",
    "event_require_undecided",
    "field_answers",
    "handover_advance",
    "handover_approve",
    "handover_blockers",
    "handover_cancel",
    "handover_content",
    "handover_declare",
    "handover_open",
    "handover_reopen",
    "handover_start",
    "intake_user",
    "item_accept",
    "item_assign",
    "item_content",
    "item_ignore_upstream",
    "item_is_visible",
    "item_mark_not_applicable",
    "item_return",
    "item_submit",
    "item_take_upstream",
    "item_update",
    "items_accept",
    "participant_add",
    "participant_remove",
    "participant_replace",
    "proposal_dismiss",
    "proposal_start",
    "require_shown",
    "resignation_receive",
    "resignation_record_malformed",
    "resolved_upstream_unsigned",
    "start_plan",
    "successor_pick",
    "suggest_successors",
    "suggest_templates",
    "visible_items",
]
