"""Spreadsheet import on a handover: upload a file, choose the columns while
looking at a preview, import.

The parsed rows wait in the session (under a random token, bound to the handover
and block) between the upload and the import; nothing is written until the
person presses "Import". Only HR and the departing employee may import; anyone
who cannot see the handover gets a 404, as on the participant pages.
"""

import json
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from checklist_blocks.blocks.connector import RECORD_KIND_CHOICES, RECORD_KIND_TARGETS
from checklist_blocks.blocks.spec import choice_label
from checklist_blocks.registry import get_kind
from cms.errors import BatonError, InvalidInput, NotFound, PermissionDenied
from cms.models import ParticipantRole
from cms.participant.views import handover_or_404
from cms.permissions import roles_of
from cms.services import RequestMeta

from . import spreadsheet
from .forms import MappingForm, UploadForm, property_field_name
from .models import SyncRun
from .sync import connector_blocks, import_records
from .types.base import ConnectorError
from .types.spreadsheet import SpreadsheetConnector

__all__ = ["spreadsheet_preview", "spreadsheet_upload"]

SESSION_KEY = "connectors.spreadsheet_uploads"
# Uploads kept per session: an older one is dropped when a new one arrives.
KEPT_UPLOADS = 2
# The parsed rows must fit in the session comfortably.
MAX_STORED_BYTES = 4 * 1024 * 1024
# Skipped rows listed one by one after an import; the rest are counted.
LISTED_SKIPS = 10
IMPORTERS = frozenset({ParticipantRole.HR, ParticipantRole.LEAVER})


class _Refused(Exception):
    """Render the page with a message instead of doing what was asked."""

    def __init__(self, message, status):
        super().__init__(str(message))
        self.message = message
        self.status = status


# Upload size: stop keeping the bytes of a file past the limit -------------------------


class _TooLarge(UploadedFile):
    """Stands in for a file that was larger than the limit: its size is known,
    its content was never kept."""

    def __init__(self, name, size):
        super().__init__(file=None, name=name, size=size)

    def read(self, *args, **kwargs):  # pragma: no cover — never read
        return b""


class SizeLimitedUploadHandler(FileUploadHandler):
    """Counts each uploaded file's bytes; past ``limit`` it passes nothing on,
    so no later handler stores the rest in memory or on disk."""

    def __init__(self, limit, request=None):
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            return None
        return raw_data

    def file_complete(self, file_size):
        if self.received > self.limit:
            return _TooLarge(self.file_name, self.received)
        return None


# Who and what -------------------------------------------------------------------------


def _block_or_404(request, handover_id, block_id):
    """The handover and its spreadsheet block, or 404; 403 for a participant who
    is neither HR nor the departing employee."""
    handover = handover_or_404(request, handover_id)
    block = next(
        (info for info in connector_blocks(handover) if info.block_id == block_id),
        None,
    )
    if (
        block is None
        or block.connector is None
        or block.connector.type != SpreadsheetConnector.slug
        or block.record_kind not in RECORD_KIND_TARGETS
    ):
        raise Http404
    if not roles_of(request.user, handover) & IMPORTERS:
        raise _Refused(
            gettext("Only HR or the departing employee can import records."), 403
        )
    return handover, block


def _max_rows(block) -> int:
    try:
        return SpreadsheetConnector.max_rows_of(block.connector.settings)
    except ConnectorError:
        return spreadsheet.MAX_ROWS


def _closed_reason(handover, block):
    if not handover.is_open:
        return gettext(
            "This handover is %(state)s: nothing can be imported into it."
        ) % {"state": handover.get_state_display().lower()}
    if not block.connector.enabled:
        return gettext("The connector “%(name)s” is disabled.") % {
            "name": block.connector.name
        }
    return ""


def _base_context(handover, block):
    target = RECORD_KIND_TARGETS[block.record_kind]
    return {
        "handover": handover,
        "connector_block": block,
        "record_kind_label": choice_label(RECORD_KIND_CHOICES, block.record_kind),
        "target_label": get_kind(target).block_class._meta_class.label,
        "properties": spreadsheet.item_properties(target),
        "title_paths": spreadsheet.title_properties(target),
        "title_labels": [
            prop.label
            for prop in spreadsheet.item_properties(target)
            if prop.path in spreadsheet.title_properties(target)
        ],
        "detail_url": reverse("participant:detail", args=[handover.pk]),
        "upload_url": reverse(
            "connectors:spreadsheet_upload", args=[handover.pk, block.block_id]
        ),
        "max_megabytes": spreadsheet.MAX_UPLOAD_BYTES // (1024 * 1024),
        "max_rows": number_format(_max_rows(block), force_grouping=True),
    }


def _render(request, template, context, status=200):
    response = render(request, template, context, status=status)
    patch_cache_control(response, private=True, no_cache=True, no_store=True)
    return response


def _refused_page(request, refusal: _Refused):
    return _render(
        request,
        "connectors/refused.html",
        {"message": refusal.message},
        status=refusal.status,
    )


def _error_status(error: BatonError) -> int:
    if isinstance(error, NotFound):
        raise Http404 from error
    return error.status


def _field_errors(error: BatonError, *names) -> list[str]:
    found = [str(message) for name in names for message in error.fields.get(name, ())]
    return found or [str(error.message)]


# Uploads in the session ---------------------------------------------------------------


def _uploads(request) -> dict:
    return request.session.get(SESSION_KEY) or {}


def _store(request, handover, block, filename, table) -> str:
    data = table.to_dict()
    if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_STORED_BYTES:
        raise InvalidInput(
            gettext(
                "The file holds too much text to import at once. Split it into "
                "smaller files."
            ),
            fields={"file": []},
        )
    uploads = _uploads(request)
    newest = sorted(uploads.items(), key=lambda entry: entry[1].get("at", ""))
    uploads = dict(newest[-(KEPT_UPLOADS - 1) :]) if KEPT_UPLOADS > 1 else {}
    token = secrets.token_urlsafe(18)
    uploads[token] = {
        "handover": handover.pk,
        "block": block.block_id,
        "user": request.user.pk,
        "filename": filename,
        "at": timezone.now().isoformat(),
        "table": data,
    }
    request.session[SESSION_KEY] = uploads
    return token


def _stored(request, handover, block, token):
    entry = _uploads(request).get(token)
    if (
        not entry
        or entry.get("handover") != handover.pk
        or entry.get("block") != block.block_id
        or entry.get("user") != request.user.pk
    ):
        return None
    return entry


def _forget(request, token) -> None:
    uploads = _uploads(request)
    if uploads.pop(token, None) is not None:
        request.session[SESSION_KEY] = uploads


# Views --------------------------------------------------------------------------------


@csrf_exempt
def spreadsheet_upload(request, handover_id, block_id):
    """Choose a file. Upload handlers can only change before the body is read,
    so CSRF is checked by the inner view, after the size limit is in place."""
    if request.method == "POST":
        request.upload_handlers.insert(
            0, SizeLimitedUploadHandler(spreadsheet.MAX_UPLOAD_BYTES, request)
        )
    return _upload(request, handover_id, block_id)


@login_required
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def _upload(request, handover_id, block_id):
    try:
        handover, block = _block_or_404(request, handover_id, block_id)
    except _Refused as refusal:
        return _refused_page(request, refusal)
    context = _base_context(handover, block)
    closed = _closed_reason(handover, block)
    context["closed"] = closed
    context["last_run"] = (
        SyncRun.objects.filter(handover=handover, block_id=block.block_id)
        .select_related("actor")
        .first()
    )
    if request.method != "POST":
        context["form"] = UploadForm()
        return _render(request, "connectors/spreadsheet_upload.html", context)

    form = UploadForm(request.POST, request.FILES)
    context["form"] = form
    if closed:
        context["errors"] = [closed]
        return _render(
            request, "connectors/spreadsheet_upload.html", context, status=409
        )
    if not form.is_valid():
        context["errors"] = [
            str(message) for messages_ in form.errors.values() for message in messages_
        ]
        return _render(
            request, "connectors/spreadsheet_upload.html", context, status=400
        )
    uploaded = form.cleaned_data["file"]
    try:
        table = spreadsheet.read_table(
            uploaded,
            uploaded.name,
            sheet=form.cleaned_data.get("sheet") or None,
            max_rows=_max_rows(block),
        )
        token = _store(request, handover, block, uploaded.name, table)
    except InvalidInput as error:
        context["errors"] = _field_errors(error, "file")
        return _render(
            request, "connectors/spreadsheet_upload.html", context, status=400
        )
    return redirect(
        "connectors:spreadsheet_preview", handover.pk, block.block_id, token
    )


def _preview_context(context, table, form, filename):
    context.update(
        {
            "form": form,
            "table": table,
            "filename": filename,
            "preview_rows": table.preview(),
            "row_count": len(table),
            "more_rows": max(0, len(table) - spreadsheet.PREVIEW_ROWS),
            "mapping_fields": [
                (
                    form[property_field_name(prop.path)],
                    prop.path in context["title_paths"],
                )
                for prop in form.properties
            ],
        }
    )
    return context


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def spreadsheet_preview(request, handover_id, block_id, token):
    """The first rows of the file and a column per item property; "Import"."""
    try:
        handover, block = _block_or_404(request, handover_id, block_id)
    except _Refused as refusal:
        return _refused_page(request, refusal)
    context = _base_context(handover, block)
    entry = _stored(request, handover, block, token)
    if entry is None:
        messages.error(
            request,
            gettext("That upload is no longer available: upload the file again."),
        )
        return redirect(context["upload_url"])
    table = spreadsheet.Table.from_dict(entry["table"])
    target_properties = context["properties"]
    closed = _closed_reason(handover, block)
    context["closed"] = closed

    if request.method != "POST":
        suggested = _initial_mapping(block, table)
        form = MappingForm(
            initial=MappingForm.initial_for(
                suggested, spreadsheet.suggest_id_column(table.columns)
            ),
            properties=target_properties,
            columns=table.columns,
        )
        return _render(
            request,
            "connectors/spreadsheet_preview.html",
            _preview_context(context, table, form, entry["filename"]),
        )

    form = MappingForm(
        request.POST, properties=target_properties, columns=table.columns
    )
    _preview_context(context, table, form, entry["filename"])
    if closed:
        context["errors"] = [closed]
        return _render(
            request, "connectors/spreadsheet_preview.html", context, status=409
        )
    if not form.is_valid():
        context["errors"] = [
            str(message) for messages_ in form.errors.values() for message in messages_
        ]
        return _render(
            request, "connectors/spreadsheet_preview.html", context, status=400
        )
    try:
        records = spreadsheet.rows_to_records(
            table,
            form.mapping(),
            record_kind=block.record_kind,
            id_column=form.id_column(),
            namespace=block.block_id,
        )
        run = import_records(
            handover=handover,
            block_id=block.block_id,
            records=records,
            actor=request.user,
            meta=RequestMeta.from_request(request),
        )
    except PermissionDenied as error:
        return _refused_page(request, _Refused(error.message, error.status))
    except BatonError as error:
        context["errors"] = _field_errors(error, "mapping", "file")
        return _render(
            request,
            "connectors/spreadsheet_preview.html",
            context,
            status=_error_status(error),
        )
    _forget(request, token)
    _report(request, run)
    return redirect(context["detail_url"])


def _initial_mapping(block, table) -> dict[str, str]:
    """The template's own mapping (column → property) where the file has those
    columns; the guess from the header names for the rest."""
    suggested = spreadsheet.suggest_mapping(table.columns, block.record_kind)
    paths = {
        prop.path
        for prop in spreadsheet.item_properties(RECORD_KIND_TARGETS[block.record_kind])
    }
    chosen = {}
    for row in block.value.get("field_mapping") or ():
        source = (row.get("source") or "").strip()
        target = (row.get("target") or "").strip()
        if target in paths and source in table.columns:
            chosen[target] = source
    if not chosen:
        return suggested
    taken = set(chosen.values())
    for path, column in suggested.items():
        if path not in chosen and column not in taken:
            chosen[path] = column
    return chosen


def _report(request, run) -> None:
    messages.success(
        request,
        gettext("Imported: %(created)d new, %(updated)d updated, %(skipped)d skipped.")
        % {"created": run.created, "updated": run.updated, "skipped": run.skipped},
    )
    if run.resolved:
        messages.info(
            request,
            ngettext(
                "%(count)d item imported before is no longer in the file: it is "
                "marked as resolved.",
                "%(count)d items imported before are no longer in the file: they "
                "are marked as resolved.",
                run.resolved,
            )
            % {"count": run.resolved},
        )
    reasons = [
        str(error.get("message") if isinstance(error, dict) else error)
        for error in run.errors or ()
    ]
    for reason in reasons[:LISTED_SKIPS]:
        messages.error(request, reason)
    if len(reasons) > LISTED_SKIPS:
        rest = len(reasons) - LISTED_SKIPS
        messages.error(
            request,
            ngettext(
                "… and %(count)d more skipped row.",
                "… and %(count)d more skipped rows.",
                rest,
            )
            % {"count": rest},
        )
