"""Step 1: choose a file; it is checked whole and stored for the preview."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from cms.errors import InvalidInput

from .. import spreadsheet
from ..forms import UploadForm
from ..models import SyncRun, UploadImport
from ..spreadsheet.uploads import upload_create
from .common import (
    Refused,
    SizeLimitedUploadHandler,
    base_context,
    block_or_404,
    closed_reason,
    field_errors,
    max_rows_of,
    progress_url,
    refused_page,
    render_page,
)

__all__ = ["spreadsheet_upload"]


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
        handover, block = block_or_404(request, handover_id, block_id)
    except Refused as refusal:
        return refused_page(request, refusal)
    context = base_context(handover, block)
    closed = closed_reason(handover, block)
    context["closed"] = closed
    context["last_run"] = (
        SyncRun.objects.filter(handover=handover, block_id=block.block_id)
        .select_related("actor")
        .first()
    )
    context["running"] = [
        (upload, progress_url(upload))
        for upload in UploadImport.objects.filter(
            handover=handover,
            block_id=block.block_id,
            created_by=request.user,
            state__in=(UploadImport.State.QUEUED, UploadImport.State.RUNNING),
        )
    ]
    if request.method != "POST":
        context["form"] = UploadForm()
        return render_page(request, "connectors/spreadsheet_upload.html", context)

    form = UploadForm(request.POST, request.FILES)
    context["form"] = form
    if closed:
        context["errors"] = [closed]
        return render_page(
            request, "connectors/spreadsheet_upload.html", context, status=409
        )
    if not form.is_valid():
        context["errors"] = [
            str(message) for messages_ in form.errors.values() for message in messages_
        ]
        return render_page(
            request, "connectors/spreadsheet_upload.html", context, status=400
        )
    uploaded = form.cleaned_data["file"]
    try:
        upload = upload_create(
            actor=request.user,
            handover=handover,
            block_id=block.block_id,
            uploaded_file=uploaded,
            filename=uploaded.name,
            sheet=form.cleaned_data.get("sheet") or None,
            max_rows=max_rows_of(block),
        )
    except InvalidInput as error:
        context["errors"] = field_errors(error, "file")
        return render_page(
            request, "connectors/spreadsheet_upload.html", context, status=400
        )
    return redirect(
        "connectors:spreadsheet_preview", handover.pk, block.block_id, upload.pk
    )
