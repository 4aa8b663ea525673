"""Stored spreadsheet uploads (``UploadImport``): the file is read once when it
arrives, the person chooses the columns and whether it adds to the block's list
or replaces it, sees what that would change, and the import runs in the
background (huey, ``importing``), reporting "n of N rows".

The file is checked whole on arrival (a formula in row 40,000 is refused
before anything is stored) and kept as a normalised UTF-8 CSV in the private
storage — one row number and the cell texts per line — so that every later
pass (the preview, the import) streams it with the csv module whatever the
original format was. It is deleted once imported; a failed import keeps it
for a retry, and ``upload_purge`` deletes what was left behind after
``KEPT_HOURS``.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import logging
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import PurePath

from django.core.files import File
from django.utils import timezone
from django.utils.translation import gettext

from cms.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
)
from cms.models import ParticipantRole
from cms.permissions import is_hr_admin
from cms.services.common import require_visible

from ..models import UploadImport
from .files import PREVIEW_ROWS, open_sheet, refuse_header_only
from .records import records_from_rows, validate_mapping

__all__ = [
    "KEPT_HOURS",
    "UploadPreview",
    "require_own",
    "stored_records",
    "upload_create",
    "upload_preview",
    "upload_purge",
    "without_rows",
]

logger = logging.getLogger(__name__)

IMPORTERS = frozenset({ParticipantRole.HR, ParticipantRole.LEAVER})
# Uploads a person may leave unconfirmed per block: an older one is deleted
# when a new one arrives (two tabs may still compare two files).
KEPT_UPLOADS = 2
# Files not imported (never confirmed, or failed and not retried) are deleted
# after this: they hold personal data nobody asked to keep.
KEPT_HOURS = 24
# Skipped rows whose reason a preview lists; the rest are counted.
LISTED_SKIPS = 10


def _require_importer(actor, handover) -> None:
    roles = require_visible(actor, handover)
    if not (roles & IMPORTERS or is_hr_admin(actor)):
        raise PermissionDenied(
            gettext("Only HR or the departing employee can import records.")
        )


def require_own(actor, upload: UploadImport) -> None:
    """A person's upload is theirs alone: anyone else is told it is not there."""
    _require_importer(actor, upload.handover)
    if upload.created_by_id != actor.pk:
        raise NotFound()


def choices_key(*, mapping: dict, id_column: str | None, mode: str) -> str:
    """A short fingerprint of the choices a preview was shown for: an import
    confirms exactly what the person saw."""
    payload = json.dumps(
        {"mapping": mapping, "id_column": id_column or "", "mode": mode},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


# Arrival ------------------------------------------------------------------------------


def upload_create(
    *,
    actor,
    handover,
    block_id: str,
    uploaded_file,
    filename: str,
    sheet: str | None = None,
    max_rows: int,
) -> UploadImport:
    """Check the whole file and store it, normalised, for the preview and the
    import. Raises ``InvalidInput`` (under ``fields["file"]``) for a file that
    cannot be imported; then nothing is stored."""
    _require_importer(actor, handover)
    with tempfile.TemporaryFile() as normalised:
        text = io.TextIOWrapper(normalised, encoding="utf-8", newline="")
        writer = csv.writer(text)
        preview = []
        count = 0
        with open_sheet(
            uploaded_file, filename, sheet=sheet, max_rows=max_rows
        ) as opened:
            for number, values in opened.rows:
                writer.writerow([number, *values])
                count += 1
                if len(preview) < PREVIEW_ROWS:
                    preview.append([number, values])
        if not count:
            refuse_header_only()
        text.flush()
        text.detach()
        normalised.seek(0)
        upload = UploadImport(
            handover=handover,
            block_id=block_id,
            filename=PurePath(filename).name[:255],
            sheet=opened.sheet_name[:255],
            options={
                "columns": opened.columns,
                "preview": preview,
                "sheet_names": opened.sheet_names,
                "encoding": opened.encoding,
                "delimiter": opened.delimiter,
            },
            rows_total=count,
            created_by=actor,
        )
        upload.file.save(f"{uuid.uuid4().hex}.csv", File(normalised), save=False)
        upload.save()
    _forget_older(upload)
    return upload


def _forget_older(upload: UploadImport) -> None:
    older = UploadImport.objects.filter(
        handover_id=upload.handover_id,
        block_id=upload.block_id,
        created_by_id=upload.created_by_id,
        state=UploadImport.State.UPLOADED,
    ).order_by("-created_at", "-pk")[KEPT_UPLOADS:]
    for stale in older:
        _delete(stale)


def _delete(upload: UploadImport) -> None:
    upload.file.delete(save=False)
    upload.delete()


# Reading the stored rows -------------------------------------------------------------


def _stored_rows(stream):
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        for line in csv.reader(text):
            yield int(line[0]), line[1:]
    finally:
        text.detach()


@contextlib.contextmanager
def stored_records(upload: UploadImport, *, record_kind: str, mapping, id_column):
    """The upload's rows as records, read from the stored file as they are
    asked for (``InvalidInput`` at once for a mapping that does not fit)."""
    columns = upload.options.get("columns") or []
    mapping = validate_mapping(
        columns=columns, mapping=mapping, record_kind=record_kind, id_column=id_column
    )
    if not upload.file:
        raise Conflict(
            gettext("That upload is no longer available: upload the file again.")
        )
    with upload.file.open("rb") as stream:
        yield records_from_rows(
            _stored_rows(stream),
            columns=columns,
            mapping=mapping,
            record_kind=record_kind,
            id_column=id_column,
            namespace=upload.block_id,
        )


# The preview --------------------------------------------------------------------------


@dataclass
class UploadPreview:
    """What importing the upload with the chosen columns and mode would do."""

    replace: bool
    rows: int = 0
    new: int = 0
    updated: int = 0
    skipped: int = 0
    skipped_reasons: list[str] = field(default_factory=list)
    resolved: list[dict] = field(default_factory=list)
    resolved_count: int = 0
    # Items in the list that the file does not hold (they stay when adding).
    kept_count: int = 0


def upload_preview(
    *, actor, upload: UploadImport, block, mapping, id_column, mode
) -> UploadPreview:
    """Read the stored rows with ``mapping`` and count what an import in
    ``mode`` would create, update, skip and turn "not applicable" (resolved
    upstream). Changes nothing."""
    from ..sync import import_preview

    require_own(actor, upload)
    replace = mode == UploadImport.Mode.REPLACE
    preview = UploadPreview(replace=replace)
    usable: set[str] = set()
    unusable: set[str] = set()
    with stored_records(
        upload, record_kind=block.record_kind, mapping=mapping, id_column=id_column
    ) as records:
        for record in records:
            preview.rows += 1
            if record.error:
                preview.skipped += 1
                unusable.add(record.external_id)
                if len(preview.skipped_reasons) < LISTED_SKIPS:
                    preview.skipped_reasons.append(str(record.error))
            else:
                usable.add(record.external_id)
    # A row that is in the file but cannot be imported keeps its item: it is
    # not gone upstream. So it counts against "resolved", not as new.
    everything = import_preview(
        handover=upload.handover,
        block_id=upload.block_id,
        external_ids=usable | unusable,
        replace=True,
    )
    counted = (
        import_preview(
            handover=upload.handover,
            block_id=upload.block_id,
            external_ids=usable,
            replace=False,
        )
        if unusable
        else everything
    )
    preview.new = counted["new"]
    preview.updated = counted["updated"]
    if replace:
        preview.resolved = everything["resolved"]
        preview.resolved_count = everything["resolved_count"]
    else:
        preview.kept_count = everything["resolved_count"]
    return preview


def without_rows(options: dict) -> dict:
    """The upload's options without the rows kept for its preview."""
    return {key: value for key, value in options.items() if key != "preview"}


# Housekeeping -------------------------------------------------------------------------


def upload_purge(*, now=None) -> int:
    """Delete the files nobody imported within ``KEPT_HOURS``: unconfirmed
    uploads go entirely, failed ones keep their row (the history) without the
    file. Returns how many files were deleted."""
    cutoff = (now or timezone.now()) - timedelta(hours=KEPT_HOURS)
    deleted = 0
    for upload in UploadImport.objects.filter(
        state=UploadImport.State.UPLOADED, created_at__lt=cutoff
    ):
        _delete(upload)
        deleted += 1
    for upload in UploadImport.objects.filter(
        state__in=(UploadImport.State.FAILED, UploadImport.State.DONE),
        created_at__lt=cutoff,
    ).exclude(file=""):
        upload.file.delete(save=False)
        upload.options = without_rows(upload.options)
        upload.save(update_fields=["file", "options"])
        deleted += 1
    return deleted
