"""Feishu, DingTalk and WeCom sign-in, included at ``auth/im/`` (outside the
language prefix: the callback URLs are registered with each vendor).

``sso_im:<vendor>`` starts a sign-in (``?next=`` kept when safe);
``sso_im:<vendor>_callback`` is the redirect URL to register with the vendor:
``https://<Baton's host>/auth/im/<vendor>/callback/``."""

from django.urls import path

from .im import VENDORS, views

app_name = "sso_im"
urlpatterns = []
for _key in VENDORS:
    urlpatterns += [
        path(f"{_key}/", views.start, {"vendor": _key}, name=_key),
        path(
            f"{_key}/callback/",
            views.callback,
            {"vendor": _key},
            name=f"{_key}_callback",
        ),
    ]
