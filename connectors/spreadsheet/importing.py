"""Importing a stored upload: the person confirms the choices they previewed,
and the huey task runs the import once, in the background; a failed import
can be tried again while its file is kept."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from cms.errors import BatonError, Conflict, InvalidInput, NotFound

from ..models import UploadImport
from .records import validate_mapping
from .uploads import require_own, stored_records, without_rows

__all__ = ["upload_retry", "upload_run", "upload_start"]


def upload_start(
    *, actor, upload: UploadImport, block, mapping, id_column, mode
) -> UploadImport:
    """Queue the import with these choices (the huey task runs it after the
    commit). ``InvalidInput`` for a mapping that does not fit; ``Conflict`` when
    the upload was already started."""
    require_own(actor, upload)
    if mode not in UploadImport.Mode.values:
        raise InvalidInput(
            gettext("Choose whether the file adds to the list or replaces it."),
            fields={"mode": []},
        )
    mapping = validate_mapping(
        columns=upload.options.get("columns") or [],
        mapping=mapping,
        record_kind=block.record_kind,
        id_column=id_column,
    )
    with transaction.atomic():
        locked = UploadImport.objects.select_for_update().get(pk=upload.pk)
        if locked.state != UploadImport.State.UPLOADED:
            raise Conflict(gettext("This file is already being imported."))
        locked.options = {
            **locked.options,
            "mapping": mapping,
            "id_column": id_column or "",
            "record_kind": block.record_kind,
        }
        locked.mode = mode
        locked.state = UploadImport.State.QUEUED
        locked.save(update_fields=["options", "mode", "state"])
        _queue(locked.pk)
    return locked


def upload_retry(*, actor, upload: UploadImport) -> UploadImport:
    """Queue a failed import again (the file is kept for a while for this):
    rows already imported are found by their id and not created twice."""
    require_own(actor, upload)
    with transaction.atomic():
        locked = UploadImport.objects.select_for_update().get(pk=upload.pk)
        if locked.state != UploadImport.State.FAILED:
            raise Conflict(gettext("Only a failed import can be tried again."))
        if not locked.file:
            raise Conflict(
                gettext("That upload is no longer available: upload the file again.")
            )
        locked.state = UploadImport.State.QUEUED
        locked.error = ""
        locked.rows_done = 0
        locked.finished_at = None
        locked.save(update_fields=["state", "error", "rows_done", "finished_at"])
        _queue(locked.pk)
    return locked


def _queue(upload_id: int) -> None:
    from ..upload_tasks import upload_import_task

    # The worker must find the queued row, so it is sent after the commit.
    transaction.on_commit(lambda: upload_import_task(upload_id))


def upload_run(*, upload_id: int) -> UploadImport | None:
    """The huey task's body: import a queued upload, once. Returns the upload,
    or None when it was not waiting (already run, or deleted)."""
    from ..sync import connector_blocks, import_records

    claimed = UploadImport.objects.filter(
        pk=upload_id, state=UploadImport.State.QUEUED
    ).update(state=UploadImport.State.RUNNING, rows_done=0)
    if not claimed:
        return None
    upload = UploadImport.objects.select_related("handover", "created_by").get(
        pk=upload_id
    )
    options = upload.options
    with translation.override(upload.handover.language):
        block = next(
            (
                info
                for info in connector_blocks(upload.handover)
                if info.block_id == upload.block_id
            ),
            None,
        )
        try:
            if block is None:
                raise NotFound(gettext("This block is no longer in the handover."))
            with stored_records(
                upload,
                record_kind=block.record_kind,
                mapping=options.get("mapping") or {},
                id_column=options.get("id_column") or None,
            ) as records:
                run = import_records(
                    handover=upload.handover,
                    block_id=upload.block_id,
                    records=records,
                    actor=upload.created_by,
                    replace=upload.mode == UploadImport.Mode.REPLACE,
                    upload=upload,
                )
        except BatonError as error:
            # The handover closed, the person lost their role, the block is
            # busy: said on the progress page, where they can try again.
            _failed(upload, error.message)
            return upload
        except Exception:
            _failed(upload, gettext("The import stopped on an unexpected error."))
            raise
    upload.refresh_from_db()
    upload.run = run
    upload.state = UploadImport.State.DONE
    upload.finished_at = timezone.now()
    # Imported: the items hold what was needed; the file (and the rows kept
    # for the preview) are personal data nobody needs any more.
    upload.file.delete(save=False)
    upload.options = without_rows(upload.options)
    upload.save(update_fields=["run", "state", "finished_at", "file", "options"])
    return upload


def _failed(upload: UploadImport, message) -> None:
    upload.state = UploadImport.State.FAILED
    upload.error = str(message)
    upload.finished_at = timezone.now()
    UploadImport.objects.filter(pk=upload.pk).update(
        state=upload.state, error=upload.error, finished_at=upload.finished_at
    )
