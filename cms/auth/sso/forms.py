"""Baton's sign-in form (``WAGTAILADMIN_USER_LOGIN_FORM``): Wagtail's, told
which company sign-ins to offer and whether a username/password form belongs
on the page at all. The form only shapes the page: whether a password signs
anyone in is the backends' decision (cms.auth.sso.passwords, .ldap)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm

from . import ldap
from .oidc import NOT_LINKED
from .passwords import local_passwords_on
from .providers import enabled_providers

__all__ = ["LoginForm"]

# ?password=1 shows the form while Baton's passwords are off: superusers' way
# in when the identity provider is down (BATON_LOCAL_PASSWORDS_FOR_SUPERUSERS).
BREAK_GLASS_PARAMETER = "password"


class LoginForm(WagtailLoginForm):
    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        if self.directory:
            self.fields["username"].label = settings.BATON_LDAP_LABEL or _(
                "Company username"
            )
            self.fields["username"].widget.attrs["placeholder"] = _(
                "Your company username"
            )
        self.fields["username"].widget.attrs["autocomplete"] = "username"

    @property
    def providers(self):
        return enabled_providers()

    @property
    def directory(self) -> bool:
        """The username and password are the company directory's."""
        return ldap.configured()

    @property
    def local_passwords(self) -> bool:
        return local_passwords_on()

    @property
    def show_password_form(self) -> bool:
        if self.directory or self.local_passwords:
            return True
        if self.request is not None and self.request.method == "POST":
            return True  # to show the refusal
        return bool(
            settings.BATON_LOCAL_PASSWORDS_FOR_SUPERUSERS
            and self.request is not None
            and self.request.GET.get(BREAK_GLASS_PARAMETER) == "1"
        )

    def get_invalid_login_error(self):
        if getattr(self.request, "baton_sso_refused", False):
            # The directory knows the person, HR's records do not.
            return forms.ValidationError(NOT_LINKED, code="not_linked")
        if not (self.directory or self.local_passwords):
            return forms.ValidationError(
                _(
                    "Baton's own passwords are switched off: sign in with your "
                    "company account."
                ),
                code="local_passwords_off",
            )
        return super().get_invalid_login_error()
