"""The other forms of the participant pages. They only coerce types: the
services own every rule and every message about it."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from cms.auth.sso.reauth import reauth_consume
from cms.errors import InvalidInput
from cms.models import Handover, Item, ParticipantRole

__all__ = [
    "AcceptResolvedForm",
    "ApproveForm",
    "AssignForm",
    "AttachmentForm",
    "CommentForm",
    "DecisionForm",
    "DeclareForm",
    "HandoverFilterForm",
    "ItemFilterForm",
    "NotApplicableForm",
    "ParticipantAddForm",
    "ParticipantRemoveForm",
    "ReopenForm",
    "VersionForm",
    "clean_form",
    "signing_credentials",
]


def clean_form(form_class, request) -> dict:
    """The cleaned data of ``form_class`` bound to the request, or InvalidInput
    carrying the form's errors (shown like any service error)."""
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        raise InvalidInput(
            fields={key: list(value) for key, value in form.errors.items()}
        )
    return form.cleaned_data


class VersionForm(forms.Form):
    version = forms.IntegerField(required=False)


class UpstreamForm(VersionForm):
    TAKE = "take"
    IGNORE = "ignore"

    field = forms.CharField(max_length=100)
    choice = forms.ChoiceField(choices=((TAKE, TAKE), (IGNORE, IGNORE)))


class NotApplicableForm(VersionForm):
    reason = forms.CharField(required=False, max_length=2000)


class DecisionForm(VersionForm):
    ACCEPT = "accept"
    ACCEPT_WITH_REMARKS = "accept_with_remarks"
    RETURN = "return"

    decision = forms.ChoiceField(
        choices=[
            (ACCEPT, _("Accept")),
            (ACCEPT_WITH_REMARKS, _("Accept with remarks")),
            (RETURN, _("Return with a question")),
        ]
    )
    password = forms.CharField(required=False, strip=False)
    pin = forms.CharField(required=False, strip=True)
    remarks = forms.CharField(required=False, max_length=10_000)


class AcceptResolvedForm(forms.Form):
    """How many resolved items the page offered: the batch refuses when the
    list changed since."""

    password = forms.CharField(required=False, strip=False)
    pin = forms.CharField(required=False, strip=True)
    count = forms.IntegerField(min_value=1)


class CommentForm(forms.Form):
    body = forms.CharField(required=False, strip=False, max_length=20_000)
    question = forms.IntegerField(required=False)
    is_question = forms.BooleanField(required=False)


class AttachmentForm(forms.Form):
    file = forms.FileField(
        error_messages={"required": _("Choose a file to attach.")},
    )


class DeclareForm(forms.Form):
    password = forms.CharField(required=False, strip=False)
    pin = forms.CharField(required=False, strip=True)
    statement = forms.CharField(required=False, max_length=10_000)


class ApproveForm(forms.Form):
    password = forms.CharField(required=False, strip=False)
    pin = forms.CharField(required=False, strip=True)
    remarks = forms.CharField(required=False, max_length=10_000)
    section = forms.CharField(required=False, max_length=64)


class ReopenForm(forms.Form):
    reason = forms.CharField(required=False, max_length=10_000)


class ParticipantAddForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True),
        error_messages={
            "required": _("Choose a person."),
            "invalid_choice": _("Choose a person from the list."),
        },
    )


class ParticipantRemoveForm(forms.Form):
    # Anyone, active or not: a deactivated account must still be removable.
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.all(),
        error_messages={
            "required": _("Choose a person."),
            "invalid_choice": _("Choose a person from the list."),
        },
    )


class AssignForm(forms.Form):
    """Blank means unassigned; whether the person is a successor is the
    service's rule."""

    successor = forms.ModelChoiceField(
        queryset=get_user_model().objects.all(),
        required=False,
        error_messages={"invalid_choice": _("Choose a person from the list.")},
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class HandoverFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    state = forms.ChoiceField(
        required=False, choices=[("", _("All states")), *Handover.State.choices]
    )
    role = forms.ChoiceField(
        required=False, choices=[("", _("All my roles")), *ParticipantRole.choices]
    )
    # The tab: open handovers first; finished ones (completed, cancelled) apart.
    show = forms.ChoiceField(
        required=False,
        choices=[
            ("active", _("Active handovers")),
            ("finished", _("Finished handovers")),
        ],
    )


class ItemFilterForm(forms.Form):
    """What the handover page lists: the filters live in the URL, so a view is
    bookmarkable and the back button returns to it."""

    HIDDEN = "hidden"

    q = forms.CharField(required=False, max_length=100)
    section = forms.CharField(required=False, max_length=64)
    state = forms.ChoiceField(
        required=False,
        choices=[
            ("", _("All states")),
            *Item.State.choices,
            (HIDDEN, _("Hidden by a condition")),
        ],
    )
    mine = forms.BooleanField(required=False)
    page = forms.IntegerField(required=False, min_value=1)


def signing_credentials(cleaned: dict, request) -> dict:
    """What a sign form proves the signer with: their password, the signing
    PIN of someone who signed in with a company account, or — with neither —
    a confirmation at the identity provider just before (docs/sso.md)."""
    credentials = {"password": cleaned["password"], "pin": cleaned["pin"]}
    if not (credentials["password"] or credentials["pin"]):
        credentials["company_reauth"] = reauth_consume(request)
    return credentials
