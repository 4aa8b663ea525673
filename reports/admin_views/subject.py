"""HR's screens for a person's own data: the export download (from the
employee archive) and the erasure requests (list, record, review).

Nobody but HR admins sees them: anyone else gets 404, as for a page that does
not exist. Views parse input and call the services in ``reports.subject``.
"""

import django_filters
from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton

from cms.admin_views.forms import employee_picker
from cms.admin_views.permissions import HRAdminRequiredMixin
from cms.errors import BatonError, NotFound
from cms.models import Employee

from ..models import ErasureRequest, SubjectExport
from ..subject import requests as erasure
from ..subject.export import export_filename, subject_export_file

__all__ = [
    "ErasureRequestCreateView",
    "ErasureRequestIndexView",
    "ErasureRequestReviewView",
    "SubjectExportView",
]


def _index_crumb():
    return {
        "url": reverse("reports_erasure_requests"),
        "label": _("Personal data requests"),
    }


class _HRPage(HRAdminRequiredMixin, WagtailAdminTemplateMixin):
    header_icon = "user"


class SubjectExportView(_HRPage, TemplateView):
    """GET explains what the ZIP holds; POST writes and sends it."""

    template_name = "reports/subject/export.html"
    page_title = _("Export this person's data")
    header_icon = "download"
    employee = None

    def _employee(self, pk):
        return get_object_or_404(Employee, pk=pk)

    def get_page_subtitle(self):
        return self.employee.employee_number if self.employee else ""

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse("wagtailsnippets_cms_employee:list"),
                "label": _("Employees"),
            },
            {"url": "", "label": self.page_title},
        ]

    def get(self, request, pk):
        self.employee = self._employee(pk)
        return super().get(request, pk=pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["employee"] = self.employee
        context["filename"] = export_filename(self.employee)
        return context

    def post(self, request, pk):
        self.employee = self._employee(pk)
        try:
            handle, _log = subject_export_file(self.employee, actor=request.user)
        except NotFound as error:
            raise Http404 from error
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=export_filename(self.employee),
            content_type="application/zip",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class ErasureRequestFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=ErasureRequest.Status.choices,
        empty_label=_("Any"),
    )
    received_via = django_filters.ChoiceFilter(
        label=_("Received via"),
        choices=ErasureRequest.Channel.choices,
        empty_label=_("Any"),
    )
    received_from = django_filters.DateFilter(
        label=_("Received from"),
        field_name="received_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_to = django_filters.DateFilter(
        label=_("Received until"),
        field_name="received_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = ErasureRequest
        fields = ["status", "received_via"]


class ErasureRequestIndexView(_HRPage, TemplateView):
    template_name = "reports/subject/request_index.html"
    page_title = _("Personal data requests")

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_header_buttons(self):
        return [
            HeaderButton(
                _("Record an erasure request"),
                url=reverse("reports_erasure_request_add"),
                icon_name="plus",
            )
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        queryset = ErasureRequest.objects.select_related(
            "employee", "reviewed_by"
        ).order_by("-received_at", "-pk")
        filters = ErasureRequestFilterSet(self.request.GET or None, queryset=queryset)
        context["filters"] = filters
        context["requests"] = filters.qs[:200]
        context["exports"] = SubjectExport.objects.select_related(
            "employee", "exported_by"
        )[:50]
        return context


class ErasureRequestForm(forms.Form):
    employee = forms.ModelChoiceField(
        label=_("Employee"),
        queryset=Employee.objects.all(),
        widget=employee_picker(),
    )
    received_at = forms.DateTimeField(
        label=_("Received at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    received_via = forms.ChoiceField(
        label=_("Received via"), choices=ErasureRequest.Channel.choices
    )
    requested_by = forms.CharField(
        label=_("Requested by"),
        max_length=255,
        help_text=_("Who asked: the person, or someone acting for them."),
    )
    request_text = forms.CharField(
        label=_("What was asked"), widget=forms.Textarea, required=False
    )


class ErasureRequestCreateView(_HRPage, View):
    template_name = "reports/subject/request_form.html"
    page_title = _("Record an erasure request")
    header_icon = "plus"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            _index_crumb(),
            {"url": "", "label": self.page_title},
        ]

    def render(self, form, status=200):
        context = self.get_context_data(
            form=form,
            action_url=reverse("reports_erasure_request_add"),
            submit_button_label=_("Record the request"),
            submit_button_active_label=_("Recording…"),
        )
        return TemplateResponse(
            self.request, self.get_template_names(), context, status=status
        )

    def get(self, request):
        initial = {"received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
        if request.GET.get("employee", "").isdigit():
            initial["employee"] = request.GET["employee"]
        return self.render(ErasureRequestForm(initial=initial))

    def post(self, request):
        form = ErasureRequestForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        try:
            recorded = erasure.erasure_request_record(
                actor=request.user, **form.cleaned_data
            )
        except NotFound as error:
            raise Http404 from error
        except BatonError as error:
            for field, errors in error.fields.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
            if not error.fields:
                form.add_error(None, str(error.message))
            return self.render(form, status=error.status)
        messages.success(
            request,
            _("Erasure request #%(number)s recorded.") % {"number": recorded.pk},
        )
        return redirect("reports_erasure_request", recorded.pk)


class ErasureRequestReviewView(_HRPage, TemplateView):
    """The request, what would be erased and what must be kept and why, and
    the decision: approve (and carry out), or refuse with a reason."""

    template_name = "reports/subject/request_review.html"
    header_icon = "doc-full"

    def get_page_title(self):
        return _("Erasure request #%(number)s") % {"number": self.object.pk}

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            _index_crumb(),
            {"url": "", "label": self.get_page_title()},
        ]

    def _load(self, pk):
        self.object = get_object_or_404(
            ErasureRequest.objects.select_related(
                "employee", "recorded_by", "reviewed_by"
            ),
            pk=pk,
        )

    def get(self, request, pk):
        self._load(pk)
        return super().get(request, pk=pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        own = erasure.is_own_request(self.request.user, self.object)
        context["erasure_request"] = self.object
        context["own_request"] = own
        context["decidable"] = (
            self.object.status == ErasureRequest.Status.RECEIVED and not own
        )
        context["can_carry_out"] = (
            self.object.status == ErasureRequest.Status.APPROVED and not own
        )
        context["lines"] = None
        if not own and self.object.status in (
            ErasureRequest.Status.RECEIVED,
            ErasureRequest.Status.APPROVED,
        ):
            context["lines"] = erasure.erasure_request_review(
                actor=self.request.user, request=self.object
            )
        result = self.object.result or {}
        labels = _class_labels() if result else {}
        order = {key: position for position, key in enumerate(labels)}

        def listed(values: dict):
            keys = sorted(values, key=lambda key: order.get(key, len(order)))
            return [(labels.get(key, key), values[key]) for key in keys]

        context["erased"] = listed(result.get("erased") or {})
        context["kept"] = listed(result.get("kept") or {})
        return context

    def post(self, request, pk):
        self._load(pk)
        decision = request.POST.get("decision")
        note = request.POST.get("note", "")
        try:
            if decision == "approve":
                erasure.erasure_request_approve(
                    actor=request.user, request=self.object, note=note
                )
                messages.success(
                    request, _("The request was approved and carried out.")
                )
            elif decision == "refuse":
                erasure.erasure_request_refuse(
                    actor=request.user, request=self.object, reason=note
                )
                messages.success(request, _("The request was refused."))
            elif decision == "carry_out":
                erasure.erasure_request_carry_out(
                    actor=request.user, request=self.object
                )
                messages.success(request, _("The request was carried out."))
            else:
                messages.error(request, _("Choose to approve or to refuse."))
        except NotFound as error:
            raise Http404 from error
        except BatonError as error:
            text = " ".join(
                str(message) for errors in error.fields.values() for message in errors
            )
            messages.error(request, text or str(error.message))
        return redirect("reports_erasure_request", self.object.pk)


def _class_labels() -> dict[str, str]:
    """Data class -> its label, for results stored with the class keys."""
    from cms.services.erasure.classes import PERSON_RECORD, DataClass

    from ..subject.preview import PERSON_RECORD_LABEL

    labels = {data_class.value: str(data_class.label) for data_class in DataClass}
    labels[PERSON_RECORD] = str(PERSON_RECORD_LABEL)
    return labels
