"""Sign-in with any OpenID Connect provider (Keycloak, Microsoft Entra ID,
Authing, …), through mozilla-django-oidc: the authorization code flow with
PKCE, a nonce and a state, the ID token's signature checked with the
provider's published keys, its issuer and audience checked here.

The provider is configured by its discovery document
(``BATON_OIDC_DISCOVERY_URL``): its endpoints, issuer and keys are read from
there, cached for an hour. The person is whoever :func:`match_user` finds for
the claims (the directory id, employee number and *verified* e-mail address);
a refusal sends them back to the sign-in page, saying to ask HR, with the
reason in the log. Baton never creates an account the HR records lack.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from .match import Identity, MatchRefused, match_user
from .providers import LoginProvider, register, sign_in, signed_in_with
from .reauth import reauth_record, reauth_started, reauth_state_started_at

__all__ = [
    "CallbackView",
    "OidcBackend",
    "ReauthView",
    "StartView",
    "configured",
    "discovery",
    "identity_from_claims",
]

logger = logging.getLogger(__name__)

DISCOVERY_TTL = 3600
NOT_LINKED = _("Your company account is not linked to anyone in Baton. Ask HR.")
NOT_CONFIRMED = _(
    "Your company account did not confirm who you are: sign with your signing PIN."
)
FAILED = _(
    "Signing in with your company account did not work. Try again; if it keeps "
    "failing, ask IT."
)

_discovered: dict[str, tuple[float, dict]] = {}


def configured() -> bool:
    return bool(settings.BATON_OIDC_DISCOVERY_URL and settings.BATON_OIDC_CLIENT_ID)


def discovery() -> dict:
    """The provider's discovery document, fetched at most once an hour."""
    url = settings.BATON_OIDC_DISCOVERY_URL
    cached = _discovered.get(url)
    if cached and time.monotonic() - cached[0] < DISCOVERY_TTL:
        return cached[1]
    response = requests.get(
        url, timeout=settings.BATON_OIDC_TIMEOUT, verify=settings.BATON_OIDC_VERIFY_TLS
    )
    response.raise_for_status()
    document = response.json()
    needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    missing = [name for name in needed if not document.get(name)]
    if missing:
        raise ImproperlyConfigured(
            f"The OpenID Connect discovery document lacks {', '.join(missing)}."
        )
    _discovered[url] = (time.monotonic(), document)
    return document


# mozilla-django-oidc's setting -> the discovery document's member.
_FROM_DISCOVERY = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
# mozilla-django-oidc's setting -> Baton's.
_FROM_BATON = {
    "OIDC_RP_CLIENT_ID": "BATON_OIDC_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET": "BATON_OIDC_CLIENT_SECRET",
    "OIDC_RP_SCOPES": "BATON_OIDC_SCOPES",
    "OIDC_RP_SIGN_ALGO": "BATON_OIDC_SIGN_ALGO",
    "OIDC_TIMEOUT": "BATON_OIDC_TIMEOUT",
    "OIDC_VERIFY_SSL": "BATON_OIDC_VERIFY_TLS",
}


def oidc_setting(attr, *default):
    """mozilla-django-oidc's settings, from Baton's and the discovery document."""
    if attr in _FROM_DISCOVERY:
        return discovery().get(_FROM_DISCOVERY[attr])
    if attr in _FROM_BATON:
        return getattr(settings, _FROM_BATON[attr])
    if attr == "LOGIN_REDIRECT_URL":
        return reverse("wagtailadmin_home")
    return import_from_settings(attr, *default)


def _claim(claims: dict, name: str) -> str:
    value = claims.get(name) if name else None
    return "" if value is None else str(value).strip()


def _verified(value) -> bool:
    # Absent: the provider vouches only for verified addresses (Entra ID).
    return value is None or value is True or str(value).lower() == "true"


def identity_from_claims(claims: dict) -> Identity:
    email = _claim(claims, "email")
    if email and not _verified(claims.get("email_verified")):
        logger.info("oidc: the e-mail address %s is not verified; not used", email)
        email = ""
    return Identity(
        source="oidc",
        directory_id=_claim(claims, settings.BATON_OIDC_DIRECTORY_ID_CLAIM),
        employee_number=_claim(claims, settings.BATON_OIDC_EMPLOYEE_NUMBER_CLAIM),
        email=email,
        given_name=_claim(claims, "given_name"),
        family_name=_claim(claims, "family_name"),
    )


def _from_setting(name):
    return property(lambda self: oidc_setting(name))


class OidcBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, matching by Baton's one rule. Listed in
    AUTHENTICATION_BACKENDS always: it answers only the callback view's
    ``authenticate(request, nonce=…, code_verifier=…)``, and reads the
    provider's settings only then."""

    get_settings = staticmethod(oidc_setting)
    OIDC_OP_TOKEN_ENDPOINT = _from_setting("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = _from_setting("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = _from_setting("OIDC_OP_JWKS_ENDPOINT")
    OIDC_RP_CLIENT_ID = _from_setting("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = _from_setting("OIDC_RP_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = _from_setting("OIDC_RP_SIGN_ALGO")
    OIDC_RP_IDP_SIGN_KEY = None

    def __init__(self, *args, **kwargs):
        # Not the library's __init__: it would fetch the discovery document
        # for every authenticate() call, password sign-ins included.
        self.UserModel = get_user_model()

    # Signs in only: permissions are Baton's password backend's (a
    # ModelBackend too) and guardian's, not asked twice.
    def has_perm(self, user_obj, perm, obj=None):
        return False

    def has_module_perms(self, user_obj, app_label):
        return False

    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def authenticate(self, request, **kwargs):
        if request is None or "nonce" not in kwargs or not configured():
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        """The library checks the signature and the nonce; the issuer and the
        audience are checked here (it leaves them out)."""
        payload = super().verify_token(token, **kwargs)
        if "nonce" not in kwargs:
            return payload  # a signed userinfo response, not the ID token
        if payload.get("iss") != discovery()["issuer"]:
            raise SuspiciousOperation("ID token from another issuer")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.BATON_OIDC_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token for another client")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, with the userinfo endpoint's when the
        provider has one (for the same subject only)."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            userinfo = super().get_userinfo(access_token, id_token, payload)
            if userinfo.get("sub") != payload.get("sub"):
                raise SuspiciousOperation("userinfo for another subject")
            claims.update(userinfo)
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        # For a confirmation before signing (reauth): when the provider last
        # checked who the person is.
        self.request.baton_oidc_auth_time = payload.get("auth_time")
        claims = self.get_userinfo(access_token, id_token, payload)
        # MatchRefused goes up to the callback view, which says so.
        return match_user(identity_from_claims(claims))


class StartView(OIDCAuthenticationRequestView):
    """Off to the provider (``?next=`` kept for the way back)."""

    get_settings = staticmethod(oidc_setting)
    OIDC_OP_AUTH_ENDPOINT = _from_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
    OIDC_RP_CLIENT_ID = _from_setting("OIDC_RP_CLIENT_ID")

    def __init__(self, *args, **kwargs):
        View.__init__(self, *args, **kwargs)

    def get(self, request):
        if not configured():
            raise Http404
        try:
            return super().get(request)
        except (requests.RequestException, ImproperlyConfigured, ValueError) as error:
            logger.warning("oidc: the provider's discovery failed: %s", error)
            return back_to_sign_in(request, FAILED)


def back_to_sign_in(request, message) -> HttpResponseRedirect:
    messages.error(request, message)
    return HttpResponseRedirect(reverse("wagtailadmin_login"))


class ReauthView(StartView):
    """Back to the provider to confirm who is signing (reauth.py): it must
    ask the person to sign in again (``prompt=login``, ``max_age=0``)."""

    def get(self, request):
        if not (
            configured()
            and request.user.is_authenticated
            and signed_in_with(request) == "oidc"
        ):
            raise Http404
        response = super().get(request)
        state = parse_qs(urlsplit(response.get("Location", "")).query).get("state")
        if state:
            reauth_started(request, state[0])
        return response

    def get_extra_params(self, request):
        return {**super().get_extra_params(request), "prompt": "login", "max_age": "0"}


class CallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer: signs the matched person in, or says why not."""

    get_settings = staticmethod(oidc_setting)

    reauth_started_at = None

    def get(self, request):
        if not configured():
            raise Http404
        state = request.GET.get("state", "")
        if state and request.user.is_authenticated:
            self.reauth_started_at = reauth_state_started_at(request, state)
        if self.reauth_started_at is not None and request.GET.get("error"):
            # Not the library's way (it signs the person out): they only
            # declined to confirm.
            return self._refused(NOT_CONFIRMED)
        try:
            return super().get(request)
        except MatchRefused as refused:
            logger.warning("oidc: sign-in refused: %s", refused.reason)
            return self._refused(NOT_LINKED)
        except (SuspiciousOperation, jwt.PyJWTError) as error:
            # A state this browser never sent, a replayed or forged token.
            logger.warning("oidc: sign-in refused: %s", error)
            return self._refused(FAILED)
        except (requests.RequestException, ImproperlyConfigured, ValueError) as error:
            logger.warning("oidc: the provider did not answer as expected: %s", error)
            return self._refused(FAILED)

    def _refused(self, message):
        if self.reauth_started_at is None:
            return back_to_sign_in(self.request, message)
        messages.error(self.request, message)
        return HttpResponseRedirect(self.success_url)

    def login_failure(self):
        error = self.request.GET.get("error", "")
        if error:
            logger.info("oidc: the provider answered %s", error[:100])
        return self._refused(FAILED)

    def login_success(self):
        if self.reauth_started_at is not None:
            return self._confirmed()
        sign_in(self.request, self.user, method="oidc")
        return HttpResponseRedirect(self.success_url)

    def _confirmed(self):
        """A confirmation before signing: the same person, signed in at the
        provider after Baton asked (never a sign-in as someone else)."""
        request = self.request
        if self.user.pk != request.user.pk:
            logger.warning(
                "oidc: %s confirmed as %s; refused",
                request.user.get_username(),
                self.user.get_username(),
            )
            return self._refused(NOT_CONFIRMED)
        if not reauth_record(
            request,
            auth_time=getattr(request, "baton_oidc_auth_time", None),
            started_at=self.reauth_started_at,
        ):
            logger.warning("oidc: the provider did not ask %s again", self.user)
            return self._refused(NOT_CONFIRMED)
        messages.success(
            request, _("You confirmed who you are: sign now, within a few minutes.")
        )
        return HttpResponseRedirect(self.success_url)

    @property
    def success_url(self):
        # Checked with url_has_allowed_host_and_scheme when the flow started.
        return self.request.session.get("oidc_login_next") or reverse(
            "wagtailadmin_home"
        )


class _Label:
    """The button's text: the configured one, else a translated default."""

    def __str__(self):
        return settings.BATON_OIDC_LABEL or gettext("Sign in with your company account")


register(
    LoginProvider(
        key="oidc",
        label=_Label(),
        url_name="oidc_authentication_init",
        enabled=configured,
    )
)
