"""The two steps of a Feishu, DingTalk or WeCom sign-in.

``start`` sends the browser to the vendor with a random ``state`` kept in the
session (and the safe ``next``); ``callback`` checks the state, trades the
code server-side for what the vendor vouches for, finds the Baton user with
:func:`~cms.auth.sso.match.match_user` and signs them in. Anything that goes
wrong ends on the sign-in page with a translated message; the reason is
logged with every secret scrubbed."""

from __future__ import annotations

import logging
import secrets
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..match import MatchRefused, match_user
from ..providers import sign_in
from .base import NotMember, Unreachable, VendorError, scrub

__all__ = ["callback", "start"]

logger = logging.getLogger("cms.auth.sso.im")

SESSION_KEY = "baton_sso_im"
# How long a started sign-in may take (scanning a QR code, confirming).
STATE_SECONDS = 10 * 60


def _vendor(key: str):
    from . import VENDORS

    vendor = VENDORS.get(key)
    if vendor is None or not vendor.enabled():
        raise Http404
    return vendor()


def _safe_next(request, url: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and allowed else ""


@never_cache
@require_GET
def start(request, vendor: str):
    flow = _vendor(vendor)
    state = secrets.token_urlsafe(32)
    redirect_uri = request.build_absolute_uri(reverse(f"sso_im:{vendor}_callback"))
    request.session[SESSION_KEY] = {
        "vendor": vendor,
        "state": state,
        "next": _safe_next(request, request.GET.get("next", "")),
        "redirect_uri": redirect_uri,
        "started": time.time(),
    }
    url = flow.authorize_url(redirect_uri=redirect_uri, state=state, request=request)
    return HttpResponseRedirect(url)


@never_cache
@require_GET
def callback(request, vendor: str):
    flow = _vendor(vendor)
    name = flow.label
    pending = request.session.pop(SESSION_KEY, None) or {}
    next_url = _safe_next(request, pending.get("next", ""))
    state = request.GET.get("state", "")
    fresh = time.time() - float(pending.get("started") or 0) < STATE_SECONDS
    if not (
        pending.get("vendor") == vendor
        and fresh
        and state
        and secrets.compare_digest(state, str(pending.get("state", "")))
    ):
        logger.warning("sso %s: refused a callback whose state is not ours", vendor)
        message = _(
            "This sign-in was not started here or took too long. Please sign in again."
        )
        return _back(request, message, next_url)
    if request.GET.get("error"):
        logger.info("sso %s: the person declined (%s)", vendor, request.GET["error"])
        message = _("You did not allow Baton to use your %(vendor)s account.")
        return _back(request, message % {"vendor": name}, next_url)
    code = next(
        (request.GET[param] for param in flow.code_params if request.GET.get(param)),
        "",
    )
    if not code:
        logger.warning("sso %s: the callback came without a code", vendor)
        message = _("%(vendor)s sent Baton no sign-in code. Please sign in again.")
        return _back(request, message % {"vendor": name}, next_url)
    try:
        identity = flow.identity(code=code, redirect_uri=pending["redirect_uri"])
    except Unreachable as error:
        logger.warning("sso %s: %s", vendor, scrub(error.detail, flow.secrets))
        message = _("%(vendor)s did not answer. Please try again in a moment.")
        return _back(request, message % {"vendor": name}, next_url)
    except VendorError as error:
        logger.warning("sso %s: %s", vendor, scrub(error.detail, flow.secrets))
        message = _(
            "%(vendor)s could not confirm who you are (error %(code)s). Please "
            "sign in again; if it keeps failing, tell IT."
        )
        detail = {"vendor": name, "code": scrub(error.code, flow.secrets)[:80]}
        return _back(request, message % detail, next_url)
    except NotMember as refused:
        logger.warning("sso %s: %s", vendor, scrub(refused.reason, flow.secrets))
        message = _(
            "This %(vendor)s account is not a member of the company's organisation."
        )
        return _back(request, message % {"vendor": name}, next_url)
    try:
        user = match_user(identity)
    except MatchRefused as refused:
        logger.warning("sso %s: no sign-in: %s", vendor, refused.reason)
        message = _("Your company account is not linked to anyone in Baton. Ask HR.")
        return _back(request, message, next_url)
    sign_in(request, user, method=vendor)
    return HttpResponseRedirect(next_url or _landing(user))


def _back(request, message: str, next_url: str):
    """The sign-in page with ``message``, keeping where the person was going."""
    messages.error(request, message)
    url = resolve_url(settings.LOGIN_URL)
    if next_url:
        url = f"{url}?{urlencode({'next': next_url})}"
    return HttpResponseRedirect(url)


def _landing(user) -> str:
    """Where a sign-in without ``next`` ends: the admin for those who use it,
    else the person's handovers."""
    if user.has_perm("wagtailadmin.access_admin"):
        return reverse("wagtailadmin_home")
    return reverse("participant:list")
