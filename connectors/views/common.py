"""What the import pages share: who may import into which block, the upload
size limit, the page context, refusals."""

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.formats import number_format
from django.utils.translation import gettext

from checklist_blocks.blocks.connector import RECORD_KIND_CHOICES, RECORD_KIND_TARGETS
from checklist_blocks.blocks.spec import choice_label
from checklist_blocks.registry import get_kind
from cms import selectors
from cms.errors import BatonError, NotFound
from cms.models import ParticipantRole
from cms.permissions import roles_of

from .. import spreadsheet
from ..models import UploadImport
from ..sdk.base import ConnectorError
from ..sync import connector_blocks
from ..types.spreadsheet import SpreadsheetConnector

__all__ = [
    "Refused",
    "SizeLimitedUploadHandler",
    "base_context",
    "block_or_404",
    "closed_reason",
    "error_status",
    "field_errors",
    "gone",
    "max_rows_of",
    "own_upload",
    "progress_url",
    "refused_page",
    "render_page",
]

IMPORTERS = frozenset({ParticipantRole.HR, ParticipantRole.LEAVER})


class Refused(Exception):
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


def block_or_404(request, handover_id, block_id):
    """The handover and its spreadsheet block, or 404; 403 for a participant who
    is neither HR nor the departing employee."""
    handover = selectors.handover_or_404(user=request.user, handover_id=handover_id)
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
        raise Refused(
            gettext("Only HR or the departing employee can import records."), 403
        )
    return handover, block


def max_rows_of(block) -> int:
    try:
        return SpreadsheetConnector.max_rows_of(block.connector.settings)
    except ConnectorError:
        return spreadsheet.MAX_ROWS


def closed_reason(handover, block):
    if not handover.is_open:
        return gettext(
            "This handover is %(state)s: nothing can be imported into it."
        ) % {"state": handover.get_state_display().lower()}
    if not block.connector.enabled:
        return gettext("The connector “%(name)s” is disabled.") % {
            "name": block.connector.name
        }
    return ""


def base_context(handover, block):
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
        "max_rows": number_format(max_rows_of(block), force_grouping=True),
    }


def render_page(request, template, context, status=200):
    response = render(request, template, context, status=status)
    patch_cache_control(response, private=True, no_cache=True, no_store=True)
    return response


def refused_page(request, refusal: Refused):
    return render_page(
        request,
        "connectors/refused.html",
        {"message": refusal.message},
        status=refusal.status,
    )


def error_status(error: BatonError) -> int:
    if isinstance(error, NotFound):
        raise Http404 from error
    return error.status


def field_errors(error: BatonError, *names) -> list[str]:
    found = [str(message) for name in names for message in error.fields.get(name, ())]
    return found or [str(error.message)]


# The person's uploads ---------------------------------------------------------------


def own_upload(request, handover, block, upload_id) -> UploadImport | None:
    """The upload, when it is this person's, for this handover and block."""
    return (
        UploadImport.objects.filter(
            pk=upload_id,
            handover=handover,
            block_id=block.block_id,
            created_by=request.user,
        )
        .select_related("handover", "run")
        .first()
    )


def gone(request, context):
    messages.error(
        request,
        gettext("That upload is no longer available: upload the file again."),
    )
    return redirect(context["upload_url"])


def progress_url(upload) -> str:
    return reverse(
        "connectors:spreadsheet_progress",
        args=[upload.handover_id, upload.block_id, upload.pk],
    )
