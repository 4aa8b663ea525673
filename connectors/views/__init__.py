"""Spreadsheet import on a handover: upload a file, choose the columns and
whether it adds to the list or replaces it while looking at what that would
change, import in the background and watch the progress.

The file is checked and stored privately on upload (``UploadImport``); nothing
is written to the handover until the person confirms the preview they saw. Only
HR and the departing employee may import, each seeing only their own uploads;
anyone who cannot see the handover gets a 404, as on the participant pages.
"""

from .common import SizeLimitedUploadHandler
from .preview import spreadsheet_preview
from .progress import spreadsheet_progress, spreadsheet_progress_json
from .upload import spreadsheet_upload

__all__ = [
    "SizeLimitedUploadHandler",
    "spreadsheet_preview",
    "spreadsheet_progress",
    "spreadsheet_progress_json",
    "spreadsheet_upload",
]
