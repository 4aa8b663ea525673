"""Serving private files (attachments, certificates): as downloads, never
cached by shared caches, never sniffed into something executable."""

from django.http import FileResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _

from .errors import NotFound

__all__ = ["private_file_response"]


def private_file_response(field_file, *, filename: str, content_type: str):
    """Call only after the caller's permission to see the file was checked."""
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as error:
        raise NotFound(_("The file is missing from storage.")) from error
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True)
    return response
