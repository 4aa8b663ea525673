"""Signing by confirming at the identity provider (docs/sso.md "Signing"):
after an OpenID Connect sign-in, instead of typing the signing PIN, the
signer may go back to the provider, which asks them to sign in again
(``prompt=login``, ``max_age=0``). The ID token's ``auth_time`` must be no
older than the moment Baton sent them there, and the person must be the one
signed in. The confirmation lets them sign once, within
``BATON_OIDC_REAUTH_SECONDS``."""

from __future__ import annotations

import time

from django.conf import settings

__all__ = [
    "REAUTHENTICATED_AT",
    "reauth_consume",
    "reauth_record",
    "reauth_started",
    "reauth_state_started_at",
]

REAUTHENTICATED_AT = "baton_oidc_reauthenticated_at"
_STARTED = "baton_oidc_reauth_started"
# The provider's clock and Baton's may differ by this much.
CLOCK_SKEW = 30


def reauth_started(request, state: str) -> None:
    """Remember that the flow with ``state`` confirms, not signs in."""
    started = dict(request.session.get(_STARTED, {}))
    started[state] = time.time()
    request.session[_STARTED] = started


def reauth_state_started_at(request, state: str) -> float | None:
    """When the confirmation with ``state`` began; None for a sign-in."""
    started = dict(request.session.get(_STARTED, {}))
    started_at = started.pop(state, None)
    request.session[_STARTED] = started
    return started_at


def reauth_record(request, *, auth_time, started_at: float) -> bool:
    """Accept the provider's confirmation when it signed the person in after
    Baton asked it to (``auth_time``)."""
    if not isinstance(auth_time, int | float) or auth_time < started_at - CLOCK_SKEW:
        return False
    request.session[REAUTHENTICATED_AT] = time.time()
    return True


def reauth_consume(request) -> bool:
    """A fresh confirmation, used up by this signature (True), or none."""
    session = getattr(request, "session", None)
    if session is None:
        return False
    confirmed_at = session.pop(REAUTHENTICATED_AT, None)
    if confirmed_at is None:
        return False
    return time.time() - float(confirmed_at) <= settings.BATON_OIDC_REAUTH_SECONDS
