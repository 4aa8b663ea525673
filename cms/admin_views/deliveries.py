"""HR's delivery log of one handover: every message sent about it, by which
channel, and whether it went, failed, or went by e-mail instead."""

from django.db.models import Q
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from cms import selectors
from cms.errors import NotFound
from cms.models import Delivery
from cms.notifications.channels import channels

from .links import participant_url
from .permissions import HRAdminRequiredMixin

__all__ = ["HandoverDeliveriesView", "handover_deliveries"]

LOG_LENGTH = 200


def handover_deliveries(handover, *, state=""):
    """Messages about the handover, newest first: those about it alone, and
    batches or digests that listed it among others."""
    deliveries = Delivery.objects.filter(
        Q(handover=handover)
        | Q(handover__isnull=True, notifications__handover=handover)
    )
    if state:
        deliveries = deliveries.filter(state=state)
    return (
        deliveries.select_related("recipient").distinct().order_by("-created_at", "-pk")
    )


class HandoverDeliveriesView(HRAdminRequiredMixin, WagtailAdminTemplateMixin, View):
    template_name = "cms/admin/handover_deliveries.html"
    page_title = _("Delivery log")
    header_icon = "mail"
    index_url_name = None
    deliveries_url_name = None

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": _("Handovers")},
            {"url": "", "label": self.get_page_title(), "sublabel": str(self.handover)},
        ]

    def get_page_subtitle(self):
        return str(self.handover)

    def get(self, request, pk):
        try:
            self.handover = selectors.handover_get(user=request.user, handover_id=pk)
        except NotFound as error:
            raise Http404 from error
        state = request.GET.get("state", "")
        if state not in Delivery.State.values:
            state = ""
        found = channels()
        rows = [
            {
                "delivery": delivery,
                "channel_label": found[delivery.channel].label
                if delivery.channel in found
                else delivery.channel,
            }
            for delivery in handover_deliveries(self.handover, state=state)[:LOG_LENGTH]
        ]
        url = reverse(self.deliveries_url_name, args=[self.handover.pk])
        context = self.get_context_data(
            handover=self.handover,
            rows=rows,
            state=state,
            states=[
                {"value": "", "label": _("All"), "url": url},
                *(
                    {"value": value, "label": label, "url": f"{url}?state={value}"}
                    for value, label in Delivery.State.choices
                ),
            ],
            participant_url=participant_url(self.handover.pk),
        )
        return TemplateResponse(request, self.get_template_names(), context)
