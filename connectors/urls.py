"""Participant-facing connector pages (spreadsheet import), under /<lang>/imports/."""

from django.urls import path

from . import participant, views

app_name = "connectors"

urlpatterns = [
    path(
        "sync/<int:handover_id>/<slug:block_id>/",
        participant.resync,
        name="resync",
    ),
    path(
        "<int:handover_id>/<slug:block_id>/",
        views.spreadsheet_upload,
        name="spreadsheet_upload",
    ),
    path(
        "<int:handover_id>/<slug:block_id>/<int:upload_id>/",
        views.spreadsheet_preview,
        name="spreadsheet_preview",
    ),
    path(
        "<int:handover_id>/<slug:block_id>/<int:upload_id>/progress/",
        views.spreadsheet_progress,
        name="spreadsheet_progress",
    ),
    path(
        "<int:handover_id>/<slug:block_id>/<int:upload_id>/progress.json",
        views.spreadsheet_progress_json,
        name="spreadsheet_progress_json",
    ),
]
