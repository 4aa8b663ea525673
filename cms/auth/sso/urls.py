"""Company sign-in URLs, under /auth/ (config/urls.py): OpenID Connect's
start and callback (mozilla-django-oidc's views, Baton's subclasses in
cms.auth.sso.oidc). Their addresses are registered at the provider, so they
carry no language prefix; the pages people read do (``page_urls``)."""

from django.urls import include, path

from . import oidc  # registers the OpenID Connect sign-in button too

urlpatterns = [
    # Confirming who signs (reauth.py), next to mozilla-django-oidc's start,
    # callback and logout.
    path(
        "oidc/reauthenticate/",
        oidc.ReauthView.as_view(),
        name="oidc_reauthenticate",
    ),
    path("oidc/", include("mozilla_django_oidc.urls")),
]
