"""The company sign-in pages people read, under /<language>/auth/ like the
participant pages (config/urls.py, in the language-prefixed patterns)."""

from django.urls import path

from .views import signing_pin

urlpatterns = [
    path("signing-pin/", signing_pin, name="signing_pin"),
]
