"""Sign-in with the company directory (OpenLDAP, Active Directory), through
django-auth-ldap: the sign-in page's username and password are checked by a
bind as the person's entry, found with a search (``BATON_LDAP_USER_FILTER``
under ``BATON_LDAP_USER_BASE``, as the ``BATON_LDAP_BIND_DN`` account).

The entry's directory id, employee number and e-mail address go through
:func:`match_user`, Baton's one rule: django-auth-ldap never creates or
updates a Baton account by itself. The directory id is read the way the
directory connector stores it in ``Employee.directory_id``: entryUUID by
default, Active Directory's binary objectGUID as its UUID text.
"""

from __future__ import annotations

import logging
import uuid

import ldap
from django.conf import settings
from django_auth_ldap.backend import LDAPBackend
from django_auth_ldap.config import LDAPSearch, LDAPSettings

from .match import Identity, MatchRefused, match_user

__all__ = ["DirectoryBackend", "configured", "identity_from_entry"]

logger = logging.getLogger(__name__)


def configured() -> bool:
    return bool(getattr(settings, "BATON_LDAP_URI", ""))


def _ldap_settings() -> LDAPSettings:
    """django-auth-ldap's settings, from Baton's (read for each sign-in)."""
    options = {
        ldap.OPT_NETWORK_TIMEOUT: settings.BATON_LDAP_TIMEOUT,
        ldap.OPT_TIMEOUT: settings.BATON_LDAP_TIMEOUT,
        # Active Directory answers with referrals python-ldap would chase.
        ldap.OPT_REFERRALS: 0,
    }
    if settings.BATON_LDAP_CA_FILE:
        options[ldap.OPT_X_TLS_CACERTFILE] = settings.BATON_LDAP_CA_FILE
        options[ldap.OPT_X_TLS_REQUIRE_CERT] = ldap.OPT_X_TLS_DEMAND
        # Applies the TLS options to this connection (python-ldap needs it last).
        options[ldap.OPT_X_TLS_NEWCTX] = 0
    attributes = [
        "*",
        *filter(
            None,
            (
                settings.BATON_LDAP_DIRECTORY_ID_ATTR,
                settings.BATON_LDAP_EMPLOYEE_NUMBER_ATTR,
                settings.BATON_LDAP_EMAIL_ATTR,
            ),
        ),
    ]
    return LDAPSettings(
        prefix="BATON_LDAP_NO_SUCH_SETTING_",
        defaults={
            "SERVER_URI": settings.BATON_LDAP_URI,
            "BIND_DN": settings.BATON_LDAP_BIND_DN,
            "BIND_PASSWORD": settings.BATON_LDAP_BIND_PASSWORD,
            "START_TLS": settings.BATON_LDAP_START_TLS,
            "CONNECTION_OPTIONS": options,
            "USER_SEARCH": LDAPSearch(
                settings.BATON_LDAP_USER_BASE,
                ldap.SCOPE_SUBTREE,
                settings.BATON_LDAP_USER_FILTER,
                attributes,
            ),
            # Read again after the bind as the person: operational attributes
            # (entryUUID) only when named.
            "USER_ATTRLIST": attributes,
            # Baton's accounts come from HR's records (match_user), not from
            # the directory: nothing created, nothing overwritten.
            "ALWAYS_UPDATE_USER": False,
            "NO_NEW_USERS": True,
        },
    )


def _first(attrs, name: str):
    if not name or not attrs:
        return None
    for key, values in attrs.items():
        if key.lower() == name.lower() and values:
            return values[0]
    return None


def _text(attrs, name: str) -> str:
    value = _first(attrs, name)
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).strip()


def _directory_id(attrs) -> str:
    name = settings.BATON_LDAP_DIRECTORY_ID_ATTR
    if name.lower() == "objectguid":
        value = _first(attrs, name)
        if isinstance(value, str):
            # django-auth-ldap decodes whatever happens to be valid UTF-8.
            value = value.encode("utf-8", "surrogateescape")
        if isinstance(value, bytes) and len(value) == 16:
            return str(uuid.UUID(bytes_le=value))
        return ""
    return _text(attrs, name)


def identity_from_entry(attrs) -> Identity:
    return Identity(
        source="ldap",
        directory_id=_directory_id(attrs),
        employee_number=_text(attrs, settings.BATON_LDAP_EMPLOYEE_NUMBER_ATTR),
        # The directory's own address: the company vouches for it.
        email=_text(attrs, settings.BATON_LDAP_EMAIL_ATTR),
        given_name=_text(attrs, "givenName"),
        family_name=_text(attrs, "sn"),
    )


class DirectoryBackend(LDAPBackend):
    """django-auth-ldap's backend with Baton's settings and matching rule."""

    @property
    def settings(self):
        if self._settings is None:
            self._settings = _ldap_settings()
        return self._settings

    @settings.setter
    def settings(self, value):
        self._settings = value

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not configured():
            return None
        return super().authenticate(request, username, password, **kwargs)

    def get_or_build_user(self, username, ldap_user):
        """The Baton user the directory entry is (called once the bind as the
        entry succeeded); a refusal fails the sign-in."""
        try:
            user = match_user(identity_from_entry(ldap_user.attrs))
        except MatchRefused as refused:
            logger.warning("ldap: sign-in of %s refused: %s", username, refused.reason)
            if ldap_user._request is not None:
                # The sign-in form says to ask HR (forms.LoginForm).
                ldap_user._request.baton_sso_refused = True
            raise ldap_user.AuthenticationFailed(refused.reason) from None
        return user, False
