"""What a session remembers about its sign-in: how (``SESSION_METHOD``: the
signature asks for the matching proof) and when (the signing PIN may be set
without the old one only shortly after a sign-in)."""

from __future__ import annotations

import time

from django.contrib.auth.signals import user_logged_in

from .providers import SESSION_METHOD

__all__ = ["SIGNED_IN_AT", "connect", "seconds_since_sign_in"]

SIGNED_IN_AT = "baton_signed_in_at"

# The backends whose sign-in is a company account's, by dotted path.
_BACKEND_METHODS = {"cms.auth.sso.ldap.DirectoryBackend": "ldap"}


def _remember(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    backend = getattr(user, "backend", "")
    # providers.sign_in sets the provider's method right after this.
    request.session[SESSION_METHOD] = _BACKEND_METHODS.get(backend, "password")
    request.session[SIGNED_IN_AT] = time.time()


def seconds_since_sign_in(request) -> float | None:
    signed_in_at = request.session.get(SIGNED_IN_AT)
    if signed_in_at is None:
        return None
    return time.time() - float(signed_in_at)


def connect() -> None:
    user_logged_in.connect(_remember, dispatch_uid="baton.sso.session")
