"""My notifications: where I am told what waits on me, whether I get the
daily digest, which kinds of messages I receive, and the last messages sent
to me."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from cms.errors import BatonError
from cms.models import Delivery, NotificationPreference
from cms.notifications import company_settings
from cms.notifications.channels import channels
from cms.notifications.delivery import channel_for
from cms.notifications.events import EVENT_KINDS
from cms.services.notifying import (
    notification_channels_offered,
    notification_preference_save,
)

__all__ = ["my_notifications"]

RECENT_DELIVERIES = 20
# The service's field names → this form's.
FORM_FIELDS = {"channel": "channel", "muted_kinds": "receive"}


class PreferenceForm(forms.Form):
    channel = forms.ChoiceField(label=_("Where to tell me"), required=False)
    daily_digest = forms.BooleanField(
        label=_("Send me a daily digest of items due soon or overdue"),
        required=False,
    )
    # Ticked = received: the page asks what to receive, the model stores what
    # was turned off, so a kind added later reaches everyone until they say no.
    receive = forms.MultipleChoiceField(
        label=_("Tell me about"),
        required=False,
        choices=[(key, label) for key, (label, _events) in EVENT_KINDS.items()],
    )

    def __init__(self, *args, default_label="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [
            ("", _("Company default (%(channel)s)") % {"channel": default_label}),
            *(
                (key, channel.label)
                for key, channel in notification_channels_offered().items()
            ),
        ]

    def muted_kinds(self) -> list[str]:
        received = set(self.cleaned_data["receive"])
        return [key for key in EVENT_KINDS if key not in received]

    def add_service_error(self, error: BatonError):
        """Show the service's refusal above the form, and each of its field
        errors next to the field it is about."""
        self.add_error(None, str(error.message))
        for name, field_errors in error.fields.items():
            for field_error in field_errors:
                self.add_error(FORM_FIELDS.get(name), str(field_error))


def _today(preference, found, default_key) -> dict:
    """What reaches the person now, as saved (not as a refused form says)."""
    channel = channel_for(preference, default_key)
    muted = set(preference.muted_kinds or ()) if preference else set()
    return {
        "channel": found[channel].label if channel in found else channel,
        "daily_digest": preference.daily_digest if preference else True,
        "muted": [
            label for key, (label, _events) in EVENT_KINDS.items() if key in muted
        ],
    }


def _deliveries(user, found) -> list[dict]:
    deliveries = (
        Delivery.objects.filter(recipient=user)
        .select_related("handover__employee")
        .order_by("-created_at", "-pk")[:RECENT_DELIVERIES]
    )
    return [
        {
            "delivery": delivery,
            "channel_label": found[delivery.channel].label
            if delivery.channel in found
            else delivery.channel,
        }
        for delivery in deliveries
    ]


@login_required
@require_http_methods(["GET", "POST"])
def my_notifications(request):
    found = channels()
    default_key = company_settings().default_channel
    default = found.get(default_key)
    default_label = default.label if default else default_key
    preference = NotificationPreference.objects.filter(user=request.user).first()
    muted = set(preference.muted_kinds or ()) if preference else set()
    initial = {
        "channel": preference.channel if preference else "",
        "daily_digest": preference.daily_digest if preference else True,
        "receive": [key for key in EVENT_KINDS if key not in muted],
    }
    form = PreferenceForm(
        request.POST or None, initial=initial, default_label=default_label
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                notification_preference_save(
                    actor=request.user,
                    channel=form.cleaned_data["channel"],
                    daily_digest=form.cleaned_data["daily_digest"],
                    muted_kinds=form.muted_kinds(),
                )
            except BatonError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("Your notification settings are saved."))
                return redirect(request.path)
        status = 400
    return render(
        request,
        "cms/participant/notifications.html",
        {
            "form": form,
            "today": _today(preference, found, default_key),
            "deliveries": _deliveries(request.user, found),
        },
        status=status,
    )
