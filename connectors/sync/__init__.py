"""The sync engine: upstream records become handover items, and stay current.

Every connector type goes through here. A run fetches the employee's records,
applies the template block's filter and field mapping, and upserts one item per
record keyed by (handover, connector, external id):

- new records become items (with a version and the block's roles and due date);
- a field a person edited is never overwritten: the upstream value is kept
  beside it (``provenance["upstream"]``) for the person to take or ignore;
- an item already submitted or signed is never changed under its signatures:
  upstream changes wait beside it in the same way;
- a record gone upstream is marked "resolved upstream", not deleted.

Runs hold a lease on their block and commit in batches (``runs``); a run whose
worker died is interrupted by the periodic tick and retried, and the retry
resumes where it stopped. The unique keys make a second run create nothing
twice.

- ``blocks``: which blocks, which connector, the block's status row;
- ``mapping``: filter, field mapping, schema;
- ``apply``: the batch upsert (items locked, person's values kept);
- ``bulk``: set-based updates linear in the rows;
- ``runs``: claiming, batches and heartbeats;
- ``outcome``: how a run ends (the log, the block, the audit trail);
- ``stranded``: runs whose worker died (the minute tick);
- ``fill``: a block filled from its connector (the huey task's body);
- ``uploads``: spreadsheet imports and their preview.
"""

from .apply import BatchContext, Counts, apply_batch
from .blocks import (
    BlockInfo,
    block_sync_for,
    connector_blocks,
    employee_ref,
    find_block,
)
from .fill import run_block_sync
from .mapping import map_record
from .runs import SYNC_ACTOR_ROLE, BlockBusy, LeaseLost, RetryLater, retry_delay
from .stranded import Retry, sync_recover_stranded
from .uploads import UPLOAD, import_preview, import_records

__all__ = [
    "SYNC_ACTOR_ROLE",
    "UPLOAD",
    "BatchContext",
    "BlockBusy",
    "BlockInfo",
    "Counts",
    "LeaseLost",
    "Retry",
    "RetryLater",
    "apply_batch",
    "block_sync_for",
    "connector_blocks",
    "employee_ref",
    "find_block",
    "import_preview",
    "import_records",
    "map_record",
    "retry_delay",
    "run_block_sync",
    "sync_recover_stranded",
]
