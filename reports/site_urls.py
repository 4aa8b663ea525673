"""The managers' report pages on the participant site, under the language
prefix like ``/handovers/`` (config/urls.py includes them at ``/reports/``)."""

from django.urls import path

from . import site_views

__all__ = ["urlpatterns"]

urlpatterns = [
    path("", site_views.reports_index, name="reports_site_index"),
    path("<slug:key>/", site_views.report, name="reports_site_report"),
]
