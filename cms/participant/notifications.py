"""My notifications: where I am told what waits on me, whether I get the
daily digest, and the last messages sent to me."""

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
from cms.services.notifying import (
    notification_channels_offered,
    notification_preference_save,
)

__all__ = ["my_notifications"]

RECENT_DELIVERIES = 20


class PreferenceForm(forms.Form):
    channel = forms.ChoiceField(label=_("Where to tell me"), required=False)
    daily_digest = forms.BooleanField(
        label=_("Send me a daily digest of items due soon or overdue"),
        required=False,
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


@login_required
@require_http_methods(["GET", "POST"])
def my_notifications(request):
    found = channels()
    default_key = company_settings().default_channel
    default = found.get(default_key)
    default_label = default.label if default else default_key
    preference = NotificationPreference.objects.filter(user=request.user).first()
    initial = {
        "channel": preference.channel if preference else "",
        "daily_digest": preference.daily_digest if preference else True,
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
                )
            except BatonError as error:
                form.add_error("channel", str(error.message))
            else:
                messages.success(request, _("Your notification settings are saved."))
                return redirect(request.path)
        status = 400
    deliveries = (
        Delivery.objects.filter(recipient=request.user)
        .select_related("handover__employee")
        .order_by("-created_at", "-pk")[:RECENT_DELIVERIES]
    )
    return render(
        request,
        "cms/participant/notifications.html",
        {
            "form": form,
            "deliveries": [
                {
                    "delivery": delivery,
                    "channel_label": found[delivery.channel].label
                    if delivery.channel in found
                    else delivery.channel,
                }
                for delivery in deliveries
            ],
        },
        status=status,
    )
