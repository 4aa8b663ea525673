"""Baton's own passwords, which a company can switch off
(``BATON_LOCAL_PASSWORDS``): then they sign nobody in, anywhere — the sign-in
page, the API token endpoint, the password typed again to sign — except
superusers while ``BATON_LOCAL_PASSWORDS_FOR_SUPERUSERS`` is on (the way in
when the identity provider is down)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

__all__ = ["PasswordBackend", "local_password_allowed", "local_passwords_on"]

logger = logging.getLogger(__name__)


def local_passwords_on() -> bool:
    return bool(getattr(settings, "BATON_LOCAL_PASSWORDS", True))


def local_password_allowed(user) -> bool:
    """May ``user`` prove who they are with a Baton password?"""
    if local_passwords_on():
        return True
    return bool(
        getattr(settings, "BATON_LOCAL_PASSWORDS_FOR_SUPERUSERS", True)
        and user.is_superuser
    )


class PasswordBackend(ModelBackend):
    """Django's username/password backend (and its permissions), refusing
    while local passwords are off. A refusal is a failed sign-in like a wrong
    password: Django's ``user_login_failed`` signal, counted by axes."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(
            request, username=username, password=password, **kwargs
        )
        if user is not None and not local_password_allowed(user):
            logger.info(
                "sign-in: local passwords are off; refused %s", user.get_username()
            )
            return None
        return user
