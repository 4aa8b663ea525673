"""API tokens in the admin (Settings → API tokens): HR and IT admins see every
unexpired token, narrow the list to one user, and revoke one token or all of a
user's. Rules live in ``cms.auth.tokens``. The list downloads as XLSX / CSV
(``?export=``) with its filter: owners and dates, never a token or its hash."""

import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from cms.auth import tokens
from cms.errors import BatonError
from cms.exports import (
    SpreadsheetButtonsMixin,
    export_format,
    spreadsheet_response,
)
from cms.names import person_name

__all__ = ["TokenIndexView", "token_last_used"]

# Knox moves a token's expiry on at most once a minute (MIN_REFRESH_INTERVAL):
# an expiry that moved less than that since issue means "not used since".
REFRESH_GRANULARITY = datetime.timedelta(minutes=1)


class TokenFilter(forms.Form):
    q = forms.CharField(label=_("User"), required=False)
    user = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )


class TokenIndexView(SpreadsheetButtonsMixin, WagtailAdminTemplateMixin, View):
    template_name = "cms/admin/api_tokens.html"
    page_title = _("API tokens")
    header_icon = "key"

    def dispatch(self, request, *args, **kwargs):
        if not tokens.can_manage_tokens(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = TokenFilter(request.GET or None)
        user = None
        search = ""
        if form.is_valid():
            search = form.cleaned_data["q"].strip()
            if form.cleaned_data["user"]:
                user = (
                    get_user_model()
                    .objects.filter(pk=form.cleaned_data["user"])
                    .first()
                )
        listed = tokens.tokens_visible(
            actor=request.user, user_id=user.pk if user else None
        )
        if search:
            listed = listed.filter(
                Q(user__username__icontains=search)
                | Q(user__first_name__icontains=search)
                | Q(user__last_name__icontains=search)
                | Q(user__email__icontains=search)
            )
        fmt = export_format(request)
        if fmt:
            return self.export(listed, fmt)
        page = Paginator(listed, 50).get_page(request.GET.get("p"))
        for token in page.object_list:
            token.public_id = tokens.token_public_id(token)
            token.expires_by = tokens.token_expires_by(token)
            token.last_used = token_last_used(token)
        return self.render_to_response(
            self.get_context_data(filter=form, page=page, chosen_user=user)
        )

    def export(self, listed, fmt):
        headings = [
            gettext("Owner"),
            gettext("Username"),
            gettext("Token"),
            gettext("Issued"),
            gettext("Expires if unused"),
            gettext("Expires at the latest"),
            gettext("Last used"),
        ]
        rows = (
            [
                person_name(token.user),
                token.user.get_username(),
                tokens.token_public_id(token),
                token.created,
                token.expiry,
                tokens.token_expires_by(token),
                token_last_used(token),
            ]
            for token in listed
        )
        return spreadsheet_response(
            filename="api-tokens", headings=headings, rows=rows, fmt=fmt
        )

    def post(self, request):
        try:
            if request.POST.get("intent") == "revoke_all":
                user = (
                    get_user_model()
                    .objects.filter(pk=_number(request.POST.get("user")))
                    .first()
                )
                if user is None:
                    raise Http404
                count = tokens.tokens_revoke_all(actor=request.user, user=user)
                messages.success(
                    request,
                    ngettext(
                        "Revoked %(count)d token of %(user)s.",
                        "Revoked %(count)d tokens of %(user)s.",
                        count,
                    )
                    % {"count": count, "user": user.get_username()},
                )
            else:
                token_id = request.POST.get("token", "")
                token = tokens.token_revoke(actor=request.user, token_id=token_id)
                messages.success(
                    request,
                    gettext("Revoked token %(id)s of %(user)s.")
                    % {"id": token_id, "user": token.user.get_username()},
                )
        except BatonError as error:
            messages.error(request, str(error.message))
        # Back to the same list: its filters ride on the form's URL.
        return redirect(request.get_full_path())


def token_last_used(token):
    """When the token was last used, to the minute: knox moves the expiry to
    ``BATON_TOKEN_IDLE`` after each use. None when unused since it was issued.
    Once the expiry reaches its cap (``BATON_TOKEN_TTL`` after issue) this is
    the last use that moved it."""
    if token.expiry is None:
        return None
    used = token.expiry - settings.BATON_TOKEN_IDLE
    if used - token.created < REFRESH_GRANULARITY:
        return None
    return used


def _number(value) -> int:
    try:
        number = int(value or 0)
    except ValueError:
        return 0
    return number if 0 < number < 2**63 else 0
