"""Records a person uploaded (a spreadsheet) into a connector block: a preview
of what an import would change, and the import itself, in batches."""

from __future__ import annotations

import logging

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.errors import Conflict, NotFound, PermissionDenied
from cms.models import Handover, Item, ParticipantRole
from cms.permissions import is_hr_admin
from cms.services.common import require_visible
from cms.services.signing import NO_REQUEST

from ..models import SyncedRecord, SyncRun, UploadImport
from .apply import BatchContext
from .blocks import block_sync_for, find_block
from .outcome import role_of_actor, run_fail, run_finish
from .runs import BlockBusy, UnexpectedError, run_claim, run_execute

__all__ = ["UPLOAD", "import_preview", "import_records"]

logger = logging.getLogger(__name__)

UPLOAD = "upload"
# Items listed by name in a preview; the rest are counted.
PREVIEW_LISTED = 50


def _open_handover(handover) -> Handover:
    try:
        return Handover.objects.select_related("template_revision").get(
            pk=getattr(handover, "pk", handover)
        )
    except Handover.DoesNotExist as error:
        raise NotFound() from error


def import_records(
    *,
    handover,
    block_id: str,
    records,
    actor,
    meta=NO_REQUEST,
    replace: bool = True,
    upload: UploadImport | None = None,
) -> SyncRun:
    """Import records a person uploaded into a connector block, in batches that
    each commit (the block shows "n of N"). HR or the departing employee only,
    while the handover is open. ``records`` may be any iterable; it is read
    lazily. ``replace`` means the records are the whole list: items of records
    not in it become "resolved upstream"; otherwise they are added to the list.
    ``upload`` (its row count) follows the progress."""
    handover = _open_handover(handover)
    roles = require_visible(actor, handover)
    if not ({ParticipantRole.HR, ParticipantRole.LEAVER} & roles or is_hr_admin(actor)):
        raise PermissionDenied(
            _("Only HR or the departing employee can import records.")
        )
    if handover.state not in Handover.OPEN_STATES:
        raise Conflict(
            _("This handover is %(state)s: this action is not possible now.")
            % {"state": handover.get_state_display().lower()}
        )
    block = find_block(handover, block_id)
    config = block.connector
    if config is None or not config.enabled:
        raise Conflict(_("The connector of this block is missing or disabled."))
    if not config.can(UPLOAD):
        raise Conflict(_("This block is filled by its connector, not by uploads."))
    status = block_sync_for(handover, block)
    try:
        run, _resumed = run_claim(
            status=status,
            handover=handover,
            block=block,
            trigger=SyncRun.Trigger.UPLOAD,
            actor=actor,
        )
    except BlockBusy as error:
        raise Conflict(
            _("This block is being imported right now; try again when it ends.")
        ) from error
    if upload is not None:
        UploadImport.objects.filter(pk=upload.pk).update(run=run)
    context = BatchContext(
        handover=handover,
        block=block,
        run=run,
        chain_started_at=run.started_at,
        identity_mapping=True,
    )
    total = len(records) if hasattr(records, "__len__") else 0
    if not total and upload is not None:
        total = upload.rows_total
    try:
        counts = run_execute(
            context,
            status.pk,
            records,
            total=total,
            complete=replace,
            upload=upload,
        )
        return run_finish(
            context=context,
            status_pk=status.pk,
            counts=counts,
            actor=actor,
            role=role_of_actor(actor, roles),
            meta=meta,
        )
    except Exception as error:
        # The batches applied so far stay; the run and the block say it failed.
        logger.exception("Import run %s of handover %s failed.", run.pk, handover.pk)
        run_fail(
            status,
            run,
            UnexpectedError(
                gettext("The import stopped on an unexpected error (%(error)s).")
                % {"error": type(error).__name__}
            ),
            retry=False,
            errors=context.errors,
        )
        raise


def import_preview(
    *, handover, block_id: str, external_ids: set[str], replace: bool
) -> dict:
    """What importing records with ``external_ids`` would do to the block: how
    many are new, how many update an item, and which items would become "not
    applicable" (resolved upstream) — none when adding to the list."""
    handover = _open_handover(handover)
    block = find_block(handover, block_id)
    external_ids = {str(external_id).strip() for external_id in external_ids} - {""}
    links = SyncedRecord.objects.filter(
        handover=handover, connector=block.connector, block_id=block.block_id
    )
    existing = set(links.values_list("external_id", flat=True))
    result = {
        "new": len(external_ids - existing),
        "updated": len(external_ids & existing),
        "resolved": [],
        "resolved_count": 0,
    }
    if not replace or block.connector is None:
        return result
    live = set(links.filter(gone_at__isnull=True).values_list("external_id", flat=True))
    leaving = live - external_ids
    result["resolved_count"] = len(leaving)
    if leaving:
        listed = sorted(leaving)[:PREVIEW_LISTED]
        rows = (
            Item.objects.filter(synced_record__in=links.filter(external_id__in=listed))
            .order_by("label", "pk")
            .values_list("pk", "label", "synced_record__external_id")
        )
        result["resolved"] = [
            {"item_id": pk, "label": label, "external_id": external_id}
            for pk, label, external_id in rows
        ]
    return result
