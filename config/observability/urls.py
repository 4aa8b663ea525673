"""``/metrics`` (config/urls.py includes this at "metrics")."""

from django.urls import path

from .metrics import metrics_view

urlpatterns = [path("", metrics_view, name="metrics")]
