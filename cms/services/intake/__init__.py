"""Intake: resignation events start handovers by themselves, or propose them to
HR's review queue. Every event is kept (started, proposed, refused with its
reason, dismissed); a repeat of the same event changes nothing and says so.
``handover_start`` stays the one way to start: intake plans (``start_rules``)
and calls it."""

from .bulk import bulk_preview, bulk_start
from .notices import (
    BulkRow,
    BulkRowPlan,
    EmployeeLookup,
    IntakeOutcome,
    ResignationNotice,
    intake_user,
)
from .receive import (
    MODES,
    SUCCESSOR_REQUESTED,
    resignation_receive,
    resignation_record_malformed,
)
from .review import (
    event_require_undecided,
    proposal_dismiss,
    proposal_start,
    successor_pick,
)

__all__ = [
    "MODES",
    "SUCCESSOR_REQUESTED",
    "BulkRow",
    "BulkRowPlan",
    "EmployeeLookup",
    "IntakeOutcome",
    "ResignationNotice",
    "bulk_preview",
    "bulk_start",
    "event_require_undecided",
    "intake_user",
    "proposal_dismiss",
    "proposal_start",
    "resignation_receive",
    "resignation_record_malformed",
    "successor_pick",
]
