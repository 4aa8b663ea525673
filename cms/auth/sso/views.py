"""The "Signing PIN" page: set or change the PIN that signs for people who
sign in with a company account. Setting it needs the old PIN, or — for a
first PIN or a forgotten one — a sign-in at most
``BATON_SIGNING_PIN_FRESH_SIGN_IN`` ago, so that nobody sets a PIN from a
screen someone left open. A wrong old PIN counts towards the lockout."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from cms.auth.lockout import (
    attempt_request,
    failure_record,
    is_locked_out,
    success_record,
)
from cms.errors import InvalidInput
from cms.services.signing import RequestMeta

from .pins import has_pin, pin_check, pin_set, signs_with_password
from .providers import signed_in_with
from .session import seconds_since_sign_in

__all__ = ["signing_pin"]


class PinForm(forms.Form):
    old_pin = forms.CharField(
        required=False, strip=True, label=gettext_lazy("Your current PIN")
    )
    pin = forms.CharField(strip=True, label=gettext_lazy("New PIN"))
    pin_again = forms.CharField(strip=True, label=gettext_lazy("New PIN again"))


def _fresh(request) -> bool:
    seconds = seconds_since_sign_in(request)
    limit = settings.BATON_SIGNING_PIN_FRESH_SIGN_IN.total_seconds()
    return seconds is not None and seconds <= limit


def _old_pin_refused(request, old_pin: str) -> str:
    """Why the old PIN does not do ("" when it does); a wrong one is counted."""
    user = request.user
    meta = RequestMeta.from_request(request)
    where = attempt_request(
        ip_address=meta.ip_address, user_agent=meta.user_agent, path=meta.path
    )
    if is_locked_out(username=user.get_username(), request=where):
        return _("Too many wrong PINs or passwords: try again later.")
    if not old_pin:
        return _("Enter your current PIN, or sign in again to set a new one.")
    if not pin_check(user, old_pin):
        failure_record(username=user.get_username(), request=where)
        return _("That is not your current PIN.")
    success_record(username=user.get_username(), request=where)
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def signing_pin(request):
    here = reverse("signing_pin")
    if request.method == "POST" and request.POST.get("action") == "sign_in_again":
        logout(request)
        return redirect(f"{reverse('wagtailadmin_login')}?{urlencode({'next': here})}")
    fresh = _fresh(request)
    pin_exists = has_pin(request.user)
    form = PinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["pin"] != data["pin_again"]:
            form.add_error("pin_again", _("The two PINs differ."))
        elif not fresh and not pin_exists:
            form.add_error(None, _("Sign in again to set your PIN."))
        elif not fresh and (refusal := _old_pin_refused(request, data["old_pin"])):
            form.add_error("old_pin", refusal)
        else:
            try:
                pin_set(user=request.user, pin=data["pin"])
            except InvalidInput as error:
                for message in error.fields.get("pin", [error.message]):
                    form.add_error("pin", message)
            else:
                messages.success(request, _("Your signing PIN is set."))
                return redirect(here)
    return render(
        request,
        "cms/auth/signing_pin.html",
        {
            "form": form,
            "fresh": fresh,
            "pin_exists": pin_exists,
            "asks_pin": not signs_with_password(request.user, signed_in_with(request)),
            "fresh_minutes": int(
                settings.BATON_SIGNING_PIN_FRESH_SIGN_IN.total_seconds() // 60
            ),
        },
        status=400 if request.method == "POST" else 200,
    )
