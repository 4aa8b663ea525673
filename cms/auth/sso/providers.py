"""The company sign-in buttons on Baton's sign-in page, and the one way a
provider's callback signs the person in.

A provider module registers itself (in its AppConfig ``ready`` or at import
from ``cms/auth/sso/...``) with :func:`register`; the sign-in page lists
:func:`enabled_providers`. Each callback, once the provider has vouched for an
:class:`~cms.auth.sso.match.Identity`, calls :func:`sign_in`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import login

__all__ = [
    "SESSION_METHOD",
    "LoginProvider",
    "enabled_providers",
    "register",
    "sign_in",
    "signed_in_with",
]

# How the person in this session signed in ("password", "oidc", "ldap",
# "feishu", "dingtalk", "wecom"): signing asks for the matching proof.
SESSION_METHOD = "baton_sign_in_method"


@dataclass(frozen=True)
class LoginProvider:
    # "oidc", "feishu", …: also the method recorded in the session.
    key: str
    # The button's text, translated ("Sign in with Feishu").
    label: Any
    # The URL name that starts the flow; it takes ``?next=``.
    url_name: str
    # Shown when True; read on every request (settings can change in tests).
    enabled: Callable[[], bool]
    # A static file path of the provider's icon, or "".
    icon: str = ""


_PROVIDERS: dict[str, LoginProvider] = {}


def register(provider: LoginProvider) -> None:
    _PROVIDERS[provider.key] = provider


def enabled_providers() -> list[LoginProvider]:
    return [provider for provider in _PROVIDERS.values() if provider.enabled()]


def sign_in(request, user, *, method: str) -> None:
    """Sign ``user`` in (a new session id) and remember how."""
    # Baton's password backend (it also loads the session's user): the
    # provider has vouched for the person already.
    login(request, user, backend="cms.auth.sso.passwords.PasswordBackend")
    request.session[SESSION_METHOD] = method


def signed_in_with(request) -> str:
    return request.session.get(SESSION_METHOD, "password")
