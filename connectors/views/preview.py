"""Step 2: choose the columns and whether the file adds to the list or
replaces it, see what the import would change, confirm."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from checklist_blocks.blocks.connector import RECORD_KIND_TARGETS
from cms.errors import BatonError, NotFound

from .. import spreadsheet
from ..forms import MappingForm, property_field_name
from ..models import UploadImport
from ..spreadsheet.importing import upload_start
from ..spreadsheet.uploads import choices_key, upload_preview
from .common import (
    Refused,
    base_context,
    block_or_404,
    closed_reason,
    error_status,
    field_errors,
    gone,
    own_upload,
    progress_url,
    refused_page,
    render_page,
)

__all__ = ["spreadsheet_preview"]


def _preview_context(context, upload, form):
    options = upload.options
    row_count = upload.rows_total
    context.update(
        {
            "upload": upload,
            "form": form,
            "columns": options.get("columns") or [],
            "sheet_name": upload.sheet,
            "sheet_names": options.get("sheet_names") or [],
            "filename": upload.filename,
            "preview_rows": options.get("preview") or [],
            "row_count": row_count,
            "more_rows": max(0, row_count - spreadsheet.PREVIEW_ROWS),
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


def _show_effect(request, context, upload, block, *, mapping, id_column, mode):
    """Put what the import would do in ``context`` (or why it cannot run)."""
    try:
        context["effect"] = upload_preview(
            actor=request.user,
            upload=upload,
            block=block,
            mapping=mapping,
            id_column=id_column,
            mode=mode,
        )
    except BatonError as error:
        context["errors"] = field_errors(error, "mapping", "file")
        return False
    context["previewed"] = choices_key(mapping=mapping, id_column=id_column, mode=mode)
    return True


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def spreadsheet_preview(request, handover_id, block_id, upload_id):
    """The first rows of the file, a column per item property, add or replace,
    and what importing would change; "Import" once that was seen."""
    try:
        handover, block = block_or_404(request, handover_id, block_id)
    except Refused as refusal:
        return refused_page(request, refusal)
    context = base_context(handover, block)
    upload = own_upload(request, handover, block, upload_id)
    if upload is None or (
        upload.state == UploadImport.State.UPLOADED and not upload.file
    ):
        return gone(request, context)
    if upload.state != UploadImport.State.UPLOADED:
        return redirect(progress_url(upload))
    columns = upload.options.get("columns") or []
    closed = closed_reason(handover, block)
    context["closed"] = closed

    if request.method != "POST":
        initial = MappingForm.initial_for(
            _initial_mapping(block, columns), spreadsheet.suggest_id_column(columns)
        )
        form = MappingForm(
            initial=initial, properties=context["properties"], columns=columns
        )
        _preview_context(context, upload, form)
        mapping = {
            prop.path: initial[property_field_name(prop.path)]
            for prop in form.properties
            if initial.get(property_field_name(prop.path))
        }
        if _show_effect(
            request,
            context,
            upload,
            block,
            mapping=mapping,
            id_column=initial["id_column"] or None,
            mode=UploadImport.Mode.ADD,
        ):
            form.initial["previewed"] = context["previewed"]
        return render_page(request, "connectors/spreadsheet_preview.html", context)

    form = MappingForm(request.POST, properties=context["properties"], columns=columns)
    _preview_context(context, upload, form)
    if closed:
        context["errors"] = [closed]
        return render_page(
            request, "connectors/spreadsheet_preview.html", context, status=409
        )
    if not form.is_valid():
        context["errors"] = [
            str(message) for messages_ in form.errors.values() for message in messages_
        ]
        return render_page(
            request, "connectors/spreadsheet_preview.html", context, status=400
        )
    choices = {
        "mapping": form.mapping(),
        "id_column": form.id_column(),
        "mode": form.mode(),
    }
    confirmed = request.POST.get("action") != "preview" and form.cleaned_data.get(
        "previewed"
    ) == choices_key(**choices)
    if not confirmed:
        # New choices: show what they would do; importing is one more click.
        shown = _show_effect(request, context, upload, block, **choices)
        if request.POST.get("action") != "preview" and shown:
            context["changed"] = True
        return render_page(
            request,
            "connectors/spreadsheet_preview.html",
            context,
            status=200 if shown else 400,
        )
    try:
        upload = upload_start(actor=request.user, upload=upload, block=block, **choices)
    except NotFound:
        return gone(request, context)
    except BatonError as error:
        context["errors"] = field_errors(error, "mapping", "mode", "file")
        return render_page(
            request,
            "connectors/spreadsheet_preview.html",
            context,
            status=error_status(error),
        )
    return redirect(progress_url(upload))


def _initial_mapping(block, columns) -> dict[str, str]:
    """The template's own mapping (column → property) where the file has those
    columns; the guess from the header names for the rest."""
    suggested = spreadsheet.suggest_mapping(columns, block.record_kind)
    paths = {
        prop.path
        for prop in spreadsheet.item_properties(RECORD_KIND_TARGETS[block.record_kind])
    }
    chosen = {}
    for row in block.value.get("field_mapping") or ():
        source = (row.get("source") or "").strip()
        target = (row.get("target") or "").strip()
        if target in paths and source in columns:
            chosen[target] = source
    if not chosen:
        return suggested
    taken = set(chosen.values())
    for path, column in suggested.items():
        if path not in chosen and column not in taken:
            chosen[path] = column
    return chosen
