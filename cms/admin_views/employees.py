"""The employee archive: a snippet listing, and per employee an archive page
with their handovers and certificates."""

from django.core.exceptions import FieldDoesNotExist
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.widgets.button import HeaderButton
from wagtail.snippets.views.snippets import (
    CreateView,
    DeleteView,
    EditView,
    IndexView,
    InspectView,
)

from cms import selectors, services
from cms.exports import SafeSpreadsheetExportMixin
from cms.models import Certificate, Employee
from cms.permissions import is_departing_employee, is_hr_admin

from .breadcrumbs import TranslatedSnippetViewSet
from .filters import EmployeeFilterSet
from .forms import employee_picker, user_picker
from .links import certificate_url, participant_url
from .progress import attach_progress

__all__ = [
    "EmployeeArchiveView",
    "EmployeeCreateView",
    "EmployeeDeleteView",
    "EmployeeEditView",
    "EmployeeIndexView",
    "EmployeeViewSet",
    "directory_kept_aside",
]


def directory_kept_aside(employee: Employee) -> list[dict]:
    """Fields a person typed where the directory says something else: the
    directory's value was kept aside, not written (``Employee.provenance``)."""
    kept = []
    for name, entry in sorted((employee.provenance or {}).items()):
        if not isinstance(entry, dict) or "directory_value" not in entry:
            continue
        try:
            field = Employee._meta.get_field(name)
        except FieldDoesNotExist:
            label, current = name, ""
        else:
            label = capfirst(field.verbose_name)
            display = getattr(employee, f"get_{name}_display", None)
            current = display() if callable(display) else getattr(employee, name, "")
        kept.append(
            {
                "field": label,
                "value": current if current not in (None, "") else "—",
                "directory_value": entry["directory_value"] or "—",
            }
        )
    return kept


class _RecordedByPersonMixin:
    """What HR types is theirs: the directory will not overwrite those fields
    (``employee_record_edit``)."""

    def save_instance(self):
        instance = super().save_instance()
        services.employee_record_edit(
            actor=self.request.user,
            employee=instance,
            changed_fields=list(self.form.changed_data),
        )
        return instance


class EmployeeCreateView(_RecordedByPersonMixin, CreateView):
    pass


class EmployeeEditView(_RecordedByPersonMixin, EditView):
    pass


class EmployeeIndexView(SafeSpreadsheetExportMixin, IndexView):
    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if is_hr_admin(self.request.user):
            buttons.append(
                HeaderButton(
                    _("Bulk start"), url=reverse("intake:bulk"), icon_name="upload"
                )
            )
        return buttons

    def get_list_more_buttons(self, instance):
        """The archive is what HR opens an employee for: name it so."""
        inspect_url = self.get_inspect_url(instance)
        buttons = [
            button
            for button in super().get_list_more_buttons(instance)
            if getattr(button, "url", None) != inspect_url
        ]
        if inspect_url:
            buttons.append(
                MenuItem(
                    _("Archive"),
                    url=inspect_url,
                    icon_name="folder-open-inverse",
                    priority=5,
                )
            )
        return buttons


class EmployeeArchiveView(InspectView):
    """Who the employee is, and every handover and certificate of theirs the
    viewer may see."""

    page_title = _("Archive")

    @cached_property
    def handovers(self):
        handovers = (
            selectors.handovers_for_user(user=self.request.user)
            .filter(employee=self.object)
            .order_by("-created_at")
        )
        return attach_progress(handovers)

    @cached_property
    def certificates(self):
        certificates = Certificate.objects.filter(
            handover__in=[handover.pk for handover in self.handovers]
        ).select_related("handover")
        return [
            {
                "certificate": certificate,
                "url": certificate_url(certificate.handover_id),
            }
            for certificate in certificates.order_by("-issued_at")
        ]

    @cached_property
    def start_url(self):
        """Offered when HR could start a handover for this employee now."""
        employee = self.object
        can_start = (
            is_hr_admin(self.request.user)
            and employee.user_id
            # Another HR admin starts an HR admin's own handover.
            and not is_departing_employee(self.request.user, employee)
            and not any(handover.is_open for handover in self.handovers)
        )
        if can_start:
            return reverse("handovers:start") + f"?employee={employee.pk}"
        return None

    @cached_property
    def header_buttons(self):
        if self.start_url:
            return [
                HeaderButton(
                    _("Start a handover"), url=self.start_url, icon_name="plus"
                )
            ]
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["handovers"] = [
            {"handover": handover, "url": participant_url(handover.pk)}
            for handover in self.handovers
        ]
        context["certificates"] = self.certificates
        context["start_url"] = self.start_url
        context["directory_kept"] = directory_kept_aside(self.object)
        return context


class EmployeeDeleteView(DeleteView):
    def dispatch(self, request, *args, **kwargs):
        if self.user_has_permission("delete") and not (
            self.user_has_permission_for_instance("delete", self.object)
        ):
            messages.error(
                request,
                _(
                    "%(name)s has handovers, so their archive record cannot be "
                    "deleted. Set their status to “Left” instead."
                )
                % {"name": self.object.name},
            )
            return redirect("wagtailsnippets_cms_employee:inspect", self.object.pk)
        return super().dispatch(request, *args, **kwargs)


class EmployeeViewSet(TranslatedSnippetViewSet):
    model = Employee
    icon = "user"
    menu_label = _("Employees")
    list_display = [
        "name",
        "employee_number",
        "department",
        "position",
        "manager",
        "status",
    ]
    list_export = [
        "employee_number",
        "name",
        "department",
        "position",
        "role",
        "manager",
        "work_email",
        "work_phone",
        "status",
        "hire_date",
        "directory_id",
    ]
    export_filename = "employees"
    filterset_class = EmployeeFilterSet
    search_fields = ["name", "employee_number", "position"]
    # Plain database lookups: partial employee numbers match at once, without
    # waiting for a search index.
    search_backend_name = None
    ordering = "name"
    list_per_page = 50
    index_view_class = EmployeeIndexView
    add_view_class = EmployeeCreateView
    edit_view_class = EmployeeEditView
    delete_view_class = EmployeeDeleteView
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = EmployeeArchiveView
    inspect_template_name = "cms/admin/employee_archive.html"
    inspect_view_fields = [
        "employee_number",
        "name",
        "department",
        "position",
        "role",
        "manager",
        "hire_date",
        "status",
        "work_email",
        "work_phone",
        "user",
    ]
    # The model's panels, with people searched as you type: a company of
    # 20,000 does not fit in a drop-down.
    panels = [
        FieldRowPanel([FieldPanel("employee_number"), FieldPanel("name")]),
        FieldRowPanel([FieldPanel("department"), FieldPanel("position")]),
        FieldRowPanel(
            [FieldPanel("role"), FieldPanel("manager", widget=employee_picker())]
        ),
        FieldPanel("backup", widget=employee_picker()),
        FieldRowPanel([FieldPanel("hire_date"), FieldPanel("status")]),
        MultiFieldPanel(
            [
                FieldPanel("work_email"),
                FieldPanel("work_phone"),
                FieldPanel("directory_id"),
                FieldPanel("user", widget=user_picker()),
            ],
            heading=_("Contact and sign-in"),
        ),
    ]

    def get_queryset(self, request):
        return Employee.objects.select_related("department", "role", "manager")
