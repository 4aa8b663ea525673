"""HR starts one handover by hand: after the employee and the last working
day, "Suggest" fills in what the start rules give and shows every decision
and why (``start_plan``) before anything starts."""

import uuid

from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from cms import services
from cms.errors import BatonError, NotFound
from cms.models import Employee, ResignationEvent

from ..forms import (
    HandoverStartForm,
    add_service_errors,
    plan_for_display,
    start_initial,
)
from ..links import participant_url
from ..permissions import HRAdminRequiredMixin

__all__ = ["HandoverStartView"]


class HandoverStartView(HRAdminRequiredMixin, WagtailAdminTemplateMixin, View):
    """HR starts a handover. Submitting with only the employee (or with
    “Suggest”) fills in what the start rules give, and shows every decision
    and why before anything starts."""

    template_name = "cms/admin/handover_start.html"
    page_title = _("Start a handover")
    header_icon = "tasks"
    index_url_name = None
    start_url_name = None

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": _("Handovers")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get(self, request):
        # "Start by hand" from the intake queue brings the dates along.
        dates = {
            name: request.GET[name]
            for name in ("resignation_date", "last_working_day")
            if request.GET.get(name)
        }
        employee = self._employee_from(request.GET.get("employee"))
        if employee is None:
            return self.render(HandoverStartForm(initial=dates))
        form = HandoverStartForm(initial={"employee": employee.pk, **dates})
        return self.render_plan(employee, form, data=request.GET)

    def post(self, request):
        form = HandoverStartForm(request.POST)
        if "suggest" in request.POST or not request.POST.get("template"):
            return self.suggest(form)
        if not form.is_valid():
            messages.error(request, _("The handover could not be started."))
            return self.render(form, status=400)
        arguments = form.service_arguments()
        plan = services.start_plan(
            employee=arguments["employee"],
            last_working_day=arguments["last_working_day"],
            resignation_date=arguments["resignation_date"],
            template=arguments["template"],
            successors=arguments["successors"],
            manager=arguments["manager"],
        )
        if plan.successor_pending:
            return self.start_for_manager_to_pick(form, plan)
        # Left empty, what the rules give (as "Suggest" showed it).
        arguments["successors"] = arguments["successors"] or plan.successors or None
        arguments["it_users"] = arguments["it_users"] or plan.it_users
        try:
            handover = services.handover_start(
                actor=request.user,
                meta=services.RequestMeta.from_request(request),
                due_offset_days=plan.due_offset_days,
                source={"source": ResignationEvent.Source.ADMIN.value},
                **arguments,
            )
        except NotFound as error:
            raise Http404 from error
        except BatonError as error:
            messages.error(request, str(error.message))
            add_service_errors(form, error)
            return self.render(form, status=error.status)
        return self.started(
            handover,
            _("Handover %(number)s started for %(name)s.")
            % {"number": handover.number, "name": handover.employee.name},
        )

    def start_for_manager_to_pick(self, form, plan):
        """The rules leave the successor to the manager and HR named none:
        started as intake starts it (a draft, the manager told to pick), and
        kept in the intake log as HR's own start."""
        if plan.problems:
            messages.error(self.request, _("The handover could not be started."))
            for field, problems in plan.problems.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
            return self.render(form, status=400)
        data = form.cleaned_data
        outcome = services.resignation_receive(
            notice=services.ResignationNotice(
                source=ResignationEvent.Source.ADMIN,
                external_id=uuid.uuid4().hex,
                employee=services.EmployeeLookup(id=data["employee"].pk),
                resignation_date=data["resignation_date"],
                last_working_day=data["last_working_day"],
                template_id=data["template"].pk,
                manager_id=getattr(data["manager"], "pk", None),
            ),
            mode="start",
            actor=self.request.user,
            meta=services.RequestMeta.from_request(self.request),
        )
        if outcome.handover is None:
            messages.error(self.request, outcome.message)
            return self.render(form, status=400)
        return self.started(outcome.handover, outcome.message)

    def started(self, handover, message):
        messages.success(
            self.request,
            message,
            buttons=[messages.button(participant_url(handover.pk), _("Open"))],
        )
        return redirect(self.index_url_name)

    def suggest(self, form):
        """Fill in what the start rules give; keep the dates and IT people
        already typed."""
        employee = form.chosen_employee
        if employee is None:
            form.is_valid()
            return self.render(form, status=400)
        return self.render_plan(employee, form, data=self.request.POST)

    def render_plan(self, employee, form, *, data):
        last_working_day = form.chosen_date("last_working_day")
        plan = services.start_plan(
            employee=employee,
            last_working_day=last_working_day,
            resignation_date=form.chosen_date("resignation_date"),
        )
        return self.render(
            HandoverStartForm(initial=start_initial(plan, data=data)),
            suggestions=services.suggest_successors(employee=employee),
            plan=plan_for_display(
                plan, last_working_day_given=last_working_day is not None
            ),
        )

    def _employee_from(self, value):
        if not value:
            return None
        try:
            return Employee.objects.select_related("manager", "department", "role").get(
                pk=int(value)
            )
        except (Employee.DoesNotExist, ValueError) as error:
            raise Http404 from error

    def render(self, form, status=200, suggestions=(), plan=None):
        context = self.get_context_data(
            form=form,
            successor_suggestions=suggestions,
            plan=plan,
            action_url=reverse(self.start_url_name),
            submit_button_label=_("Start handover"),
            submit_button_active_label=_("Starting…"),
            media=form.media,
        )
        return TemplateResponse(
            self.request, self.get_template_names(), context, status=status
        )
