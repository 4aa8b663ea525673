"""The "Data retention" menu of HR admins: the retention policy of each data
class (edited within the legal minimums), legal holds and the purge runs with
their dry-run reports. Rules live in ``cms.services.retention``."""

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from cms.errors import BatonError
from cms.models import RetentionPolicy
from cms.permissions import is_hr_admin
from cms.services import retention
from cms.services.retention.rules import legal_basis_text

from .forms import add_service_errors

__all__ = [
    "PolicyEditView",
    "PolicyIndexView",
    "RetentionView",
    "retention_menu_item",
    "retention_urls",
]


class RetentionView(WagtailAdminTemplateMixin, View):
    """HR admins only; a 404 for anyone else, as the other HR screens."""

    header_icon = "bin"

    def dispatch(self, request, *args, **kwargs):
        if not is_hr_admin(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": "", "label": _("Data retention")},
            {"url": "", "label": self.get_page_title()},
        ]

    def render(self, status=200, **context):
        return TemplateResponse(
            self.request,
            self.template_name,
            self.get_context_data(**context),
            status=status,
        )


def minimum_text(data_class: str) -> str:
    minimum = retention.MINIMUMS.get(data_class)
    if minimum is None:
        return gettext("None in law (PIPL Art. 19: no longer than needed)")
    return gettext("%(months)d months: %(law)s") % {
        "months": minimum.months,
        "law": minimum.law,
    }


class PolicyForm(forms.ModelForm):
    class Meta:
        model = RetentionPolicy
        fields = ["period_months", "counted_from", "action", "legal_basis", "enabled"]
        widgets = {"legal_basis": forms.Textarea(attrs={"rows": 3})}

    def clean_period_months(self):
        months = self.cleaned_data["period_months"]
        problem = retention.minimum_problem(self.instance.data_class, months)
        if problem:
            raise forms.ValidationError(problem)
        return months


class PolicyIndexView(RetentionView):
    template_name = "cms/admin/retention/policies.html"
    page_title = _("Retention policies")

    def get(self, request):
        policies = [
            {
                "policy": policy,
                "minimum": minimum_text(policy.data_class),
                "basis": legal_basis_text(policy),
            }
            for policy in RetentionPolicy.objects.all()
        ]
        return self.render(policies=policies)


class PolicyEditView(RetentionView):
    template_name = "cms/admin/retention/policy_edit.html"
    page_title = _("Edit retention policy")

    def get_page_subtitle(self):
        return self.policy.data_class_label

    def dispatch(self, request, *args, **kwargs):
        if not is_hr_admin(request.user):
            raise Http404
        self.policy = get_object_or_404(RetentionPolicy, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def show(self, form, status=200):
        return self.render(
            status=status,
            form=form,
            policy=self.policy,
            minimum=minimum_text(self.policy.data_class),
            action_url=reverse("cms_retention_policy_edit", args=[self.policy.pk]),
        )

    def get(self, request, pk):
        return self.show(PolicyForm(instance=self.policy))

    def post(self, request, pk):
        form = PolicyForm(request.POST, instance=self.policy)
        if not form.is_valid():
            messages.error(request, gettext("The policy was not saved."))
            return self.show(form, status=400)
        try:
            retention.policy_update(
                actor=request.user, policy=self.policy, **form.cleaned_data
            )
        except BatonError as error:
            add_service_errors(form, error)
            messages.error(request, str(error.message))
            return self.show(form, status=error.status)
        messages.success(
            request,
            gettext("The retention policy for %(class)s is saved.")
            % {"class": self.policy.data_class_label},
        )
        return redirect("cms_retention_policies")


class HRMenuItem(MenuItem):
    def is_shown(self, request):
        return is_hr_admin(request.user)


class RetentionSubmenu(SubmenuMenuItem):
    def is_shown(self, request):
        return is_hr_admin(request.user)


def retention_menu_item():
    menu = Menu(
        items=[
            HRMenuItem(
                _("Policies"),
                reverse("cms_retention_policies"),
                name="retention-policies",
                icon_name="list-ul",
                order=100,
            ),
            HRMenuItem(
                _("Legal holds"),
                reverse("cms_retention_holds"),
                name="retention-holds",
                icon_name="lock",
                order=200,
            ),
            HRMenuItem(
                _("Runs"),
                reverse("cms_retention_runs"),
                name="retention-runs",
                icon_name="history",
                order=300,
            ),
        ]
    )
    return RetentionSubmenu(
        _("Data retention"), menu, name="data-retention", icon_name="bin", order=900
    )


def retention_urls():
    from .retention_holds import HoldIndexView, HoldPlaceView, HoldReleaseView
    from .retention_runs import RunIndexView, RunReportView

    return [
        path("retention/", PolicyIndexView.as_view(), name="cms_retention_policies"),
        path(
            "retention/policies/<int:pk>/",
            PolicyEditView.as_view(),
            name="cms_retention_policy_edit",
        ),
        path("retention/holds/", HoldIndexView.as_view(), name="cms_retention_holds"),
        path(
            "retention/holds/place/",
            HoldPlaceView.as_view(),
            name="cms_retention_hold_place",
        ),
        path(
            "retention/holds/<int:pk>/release/",
            HoldReleaseView.as_view(),
            name="cms_retention_hold_release",
        ),
        path("retention/runs/", RunIndexView.as_view(), name="cms_retention_runs"),
        path(
            "retention/runs/<int:pk>/",
            RunReportView.as_view(),
            name="cms_retention_run",
        ),
    ]
