"""HR's decisions on an event of the intake queue: start it as planned (one
click), change the plan and start it, or dismiss it with a reason."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from cms import services
from cms.errors import BatonError, NotFound
from cms.models import ResignationEvent
from cms.permissions import is_hr_admin

from ..forms import add_service_errors
from ..links import participant_url
from ..permissions import HRAdminRequiredMixin
from .forms import ProposalChangeForm, ProposalDismissForm
from .queue import employee_text, start_by_hand_url

__all__ = ["EventChangeView", "EventDismissView", "EventStartView"]

State = ResignationEvent.State


class _EventMixin(HRAdminRequiredMixin):
    index_url_name = None

    def get_event(self, pk) -> ResignationEvent:
        return get_object_or_404(
            ResignationEvent.objects.select_related("employee", "handover"), pk=pk
        )

    def refused_by_service(self, error: BatonError, form=None) -> None:
        messages.error(self.request, str(error.message))
        if form is not None:
            add_service_errors(form, error)
        else:
            for texts in error.fields.values():
                for text in texts if isinstance(texts, list | tuple) else [texts]:
                    messages.error(self.request, str(text))

    def started(self, outcome) -> None:
        messages.success(
            self.request,
            outcome.message,
            buttons=[
                messages.button(participant_url(outcome.handover.pk), _("Open")),
            ],
        )


class EventStartView(_EventMixin, View):
    """One click: the proposal starts as planned."""

    http_method_names = ["post"]

    def post(self, request, pk):
        event = self.get_event(pk)
        try:
            outcome = services.proposal_start(
                actor=request.user,
                event=event,
                meta=services.RequestMeta.from_request(request),
            )
        except NotFound as error:
            raise Http404 from error
        except BatonError as error:
            self.refused_by_service(error)
            return redirect("intake:change", event.pk)
        self.started(outcome)
        return redirect(self.index_url_name)


class _EventFormView(_EventMixin, WagtailAdminTemplateMixin, View):
    form_class = None
    header_icon = "clipboard-list"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": _("Intake")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_page_subtitle(self):
        return employee_text(self.event)

    def dispatch(self, request, *args, **kwargs):
        if not is_hr_admin(request.user):
            raise Http404
        self.event = self.get_event(kwargs["pk"])
        try:
            services.event_require_undecided(self.event)
        except BatonError as error:
            messages.error(request, str(error.message))
            return redirect(self.index_url_name)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        return self.render(self.form_class(event=self.event))

    def render(self, form, status=200, **extra):
        context = self.get_context_data(
            form=form,
            event=self.event,
            employee_text=employee_text(self.event),
            by_hand_url=start_by_hand_url(self.event),
            media=form.media,
            **extra,
        )
        return TemplateResponse(
            self.request, self.get_template_names(), context, status=status
        )


class EventChangeView(_EventFormView):
    """The plan, changed by HR, then started."""

    template_name = "cms/admin/intake/event_change.html"
    form_class = ProposalChangeForm

    def get_page_title(self):
        if self.event.state == State.REFUSED:
            return _("Start by hand")
        return _("Change and start")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=reverse("intake:change", args=[self.event.pk]),
            submit_button_label=_("Start handover"),
            submit_button_active_label=_("Starting…"),
            explanations=(self.event.plan or {}).get("explanations", []),
        )
        return context

    def post(self, request, pk):
        form = self.form_class(request.POST, event=self.event)
        if not form.is_valid():
            messages.error(request, _("The handover could not be started."))
            return self.render(form, status=400)
        try:
            outcome = services.proposal_start(
                actor=request.user,
                event=self.event,
                meta=services.RequestMeta.from_request(request),
                **form.service_arguments(),
            )
        except NotFound as error:
            raise Http404 from error
        except BatonError as error:
            self.refused_by_service(error, form)
            return self.render(form, status=error.status)
        self.started(outcome)
        return redirect(self.index_url_name)


class EventDismissView(_EventFormView):
    template_name = "cms/admin/intake/event_dismiss.html"
    page_title = _("Dismiss")
    form_class = ProposalDismissForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=reverse("intake:dismiss", args=[self.event.pk]),
            submit_button_label=_("Dismiss"),
            submit_button_active_label=_("Dismissing…"),
        )
        return context

    def post(self, request, pk):
        form = self.form_class(request.POST, event=self.event)
        if not form.is_valid():
            return self.render(form, status=400)
        try:
            services.proposal_dismiss(
                actor=request.user,
                event=self.event,
                reason=form.cleaned_data["reason"],
                meta=services.RequestMeta.from_request(request),
            )
        except NotFound as error:
            raise Http404 from error
        except BatonError as error:
            self.refused_by_service(error, form)
            return self.render(form, status=error.status)
        messages.success(
            request,
            _("The event for %(employee)s is dismissed: nothing starts.")
            % {"employee": employee_text(self.event)},
        )
        return redirect(self.index_url_name)
