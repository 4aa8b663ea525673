"""The handover list as a spreadsheet: what HR shares with management, with
the list's filters and search applied."""

from collections import OrderedDict

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.exports import SafeSpreadsheetExportMixin

from .progress import attach_progress

__all__ = ["HandoverExportMixin"]


class HandoverExportMixin(SafeSpreadsheetExportMixin):
    """Every row of the filtered handover list, progress included: the
    progress of all rows comes from one query (``attach_progress``)."""

    export_filename = "handovers"
    list_export = [
        "number",
        "employee",
        "employee_number",
        "department",
        "template",
        "state",
        "resignation_date",
        "last_working_day",
        "started_at",
        "completed_at",
        "items_done",
        "items_total",
        "percent_done",
        "overdue",
    ]
    export_headings = {
        # Not "Number": another catalog translates that word as a numeral.
        "number": _("Handover number"),
        "employee": _("Employee"),
        "employee_number": _("Employee number"),
        "department": _("Department"),
        "template": _("Template"),
        "state": _("State"),
        "resignation_date": _("Resignation date"),
        "last_working_day": _("Last working day"),
        "started_at": _("Started at"),
        "completed_at": _("Completed at"),
        "items_done": _("Items done"),
        "items_total": _("Items in total"),
        "percent_done": _("Done (%)"),
        "overdue": _("Overdue"),
    }

    def export_queryset(self, queryset):
        return attach_progress(queryset)

    def to_row_dict(self, item):
        handover, employee = item, item.employee
        progress = handover.progress
        return OrderedDict(
            number=handover.number,
            employee=employee.name,
            employee_number=employee.employee_number,
            department=employee.department.name if employee.department else None,
            template=handover.template.title,
            state=handover.get_state_display(),
            resignation_date=handover.resignation_date,
            last_working_day=handover.last_working_day,
            started_at=handover.started_at,
            completed_at=handover.completed_at,
            items_done=progress["done"],
            items_total=progress["total"],
            percent_done=progress["percent"],
            overdue=gettext("Yes") if handover.is_overdue else gettext("No"),
        )
