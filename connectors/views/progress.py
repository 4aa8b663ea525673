"""Step 3: n of N rows while the import runs in the background, then what it
did and the way back to the handover."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from cms.errors import BatonError, NotFound

from ..models import UploadImport
from ..spreadsheet.importing import upload_retry
from .common import (
    Refused,
    base_context,
    block_or_404,
    gone,
    own_upload,
    progress_url,
    refused_page,
    render_page,
)

__all__ = ["spreadsheet_progress", "spreadsheet_progress_json"]

# Skipped rows listed one by one after an import; the rest are counted.
LISTED_SKIPS = 10
# How often the progress page asks again while an import runs (seconds).
REFRESH_SECONDS = 2


def _progress(upload) -> dict:
    total = upload.rows_total
    done = min(upload.rows_done, total) if total else upload.rows_done
    finished = upload.state in (UploadImport.State.DONE, UploadImport.State.FAILED)
    return {
        "state": upload.state,
        "state_label": str(upload.get_state_display()),
        "rows_done": done,
        "rows_total": total,
        "percent": int(done * 100 / total) if total else (100 if finished else 0),
        "finished": finished,
        "label": gettext("%(done)s of %(total)s rows")
        % {
            "done": number_format(done, force_grouping=True),
            "total": number_format(total, force_grouping=True),
        },
    }


def _summary(run) -> dict | None:
    if run is None:
        return None
    reasons = [
        str(error.get("message") if isinstance(error, dict) else error)
        for error in run.errors or ()
    ]
    return {
        "run": run,
        "reasons": reasons[:LISTED_SKIPS],
        "more_reasons": max(0, len(reasons) - LISTED_SKIPS),
    }


def _upload_for_progress(request, handover_id, block_id, upload_id):
    handover, block = block_or_404(request, handover_id, block_id)
    context = base_context(handover, block)
    upload = own_upload(request, handover, block, upload_id)
    return context, upload


@login_required
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def spreadsheet_progress(request, handover_id, block_id, upload_id):
    """n of N rows while the import runs (the page asks again by itself, with
    or without JavaScript); then what it did, and the way back. POST tries a
    failed import again."""
    try:
        context, upload = _upload_for_progress(
            request, handover_id, block_id, upload_id
        )
    except Refused as refusal:
        return refused_page(request, refusal)
    if upload is None:
        return gone(request, context)
    if upload.state == UploadImport.State.UPLOADED:
        return redirect(
            "connectors:spreadsheet_preview", upload.handover_id, block_id, upload.pk
        )
    if request.method == "POST":
        try:
            upload = upload_retry(actor=request.user, upload=upload)
        except NotFound:
            return gone(request, context)
        except BatonError as error:
            messages.error(request, str(error.message))
        return redirect(progress_url(upload))
    progress = _progress(upload)
    context.update(
        {
            "upload": upload,
            "progress": progress,
            "summary": _summary(upload.run) if progress["finished"] else None,
            "can_retry": upload.state == UploadImport.State.FAILED
            and bool(upload.file),
            "refresh_seconds": REFRESH_SECONDS,
            "progress_json_url": reverse(
                "connectors:spreadsheet_progress_json",
                args=[upload.handover_id, block_id, upload.pk],
            ),
        }
    )
    return render_page(request, "connectors/spreadsheet_progress.html", context)


@login_required
@require_http_methods(["GET", "HEAD"])
def spreadsheet_progress_json(request, handover_id, block_id, upload_id):
    """The progress alone, for the page to poll."""
    try:
        _context, upload = _upload_for_progress(
            request, handover_id, block_id, upload_id
        )
    except Refused as refusal:
        return JsonResponse({"error": str(refusal.message)}, status=refusal.status)
    if upload is None:
        raise Http404
    response = JsonResponse(_progress(upload))
    patch_cache_control(response, private=True, no_cache=True, no_store=True)
    return response
