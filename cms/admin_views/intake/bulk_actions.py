"""“Start handovers” among the Employees list's bulk actions: the selected
employees, with the last working day HR gives them, go to the same preview
as a spreadsheet's rows."""

from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction

from cms.models import Employee
from cms.permissions import is_hr_admin

from .bulk import store_rows
from .forms import BulkDatesForm
from .spreadsheet import MAX_ROWS

__all__ = ["StartHandoversBulkAction"]


class StartHandoversBulkAction(SnippetBulkAction):
    display_name = _("Start handovers")
    action_type = "start_handovers"
    aria_label = _("Start handovers for the selected employees")
    template_name = "cms/admin/intake/bulk_action_start.html"
    action_priority = 20
    form_class = BulkDatesForm
    models = [Employee]

    def dispatch(self, request, *args, **kwargs):
        if not is_hr_admin(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    @classmethod
    def get_queryset(cls, model, object_ids):
        return list(
            model.objects.filter(pk__in=list(object_ids))
            .select_related("department")
            .order_by("name", "pk")[: MAX_ROWS + 1]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["too_many"] = len(context["items"]) > MAX_ROWS
        context["max_rows"] = MAX_ROWS
        return context

    def form_valid(self, form):
        employees, _without_access = self.get_actionable_objects()
        if not employees:
            raise Http404
        if len(employees) > MAX_ROWS:
            form.add_error(
                None,
                gettext("At most %(max)d employees at a time.") % {"max": MAX_ROWS},
            )
            return self.form_invalid(form)
        data = form.cleaned_data
        rows = [
            {
                "line": line,
                "employee_id": employee.pk,
                "number": employee.employee_number,
                "last_working_day": data["last_working_day"].isoformat(),
                "resignation_date": data["resignation_date"].isoformat()
                if data["resignation_date"]
                else None,
                "reason": data["reason"],
                "errors": [],
            }
            for line, employee in enumerate(employees, start=1)
        ]
        token = store_rows(self.request, rows, origin="employees")
        return redirect("intake:bulk_preview", token)
