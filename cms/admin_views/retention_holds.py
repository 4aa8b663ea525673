"""Legal holds in the admin: every hold (active first), placing one on an
employee or a handover, releasing one. HR admins only."""

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages

from cms.errors import BatonError, NotFound
from cms.models import Employee, Handover, LegalHold
from cms.permissions import is_hr_admin
from cms.services import retention
from cms.services.signing import RequestMeta

from .forms import add_service_errors
from .retention import RetentionView

__all__ = ["HoldIndexView", "HoldPlaceView", "HoldReleaseView", "hold_subject"]


def hold_subject(hold: LegalHold) -> str:
    if hold.handover_id:
        return gettext("Handover %(number)s") % {"number": hold.handover.number}
    return gettext("Employee %(name)s (%(number)s)") % {
        "name": hold.employee.name,
        "number": hold.employee.employee_number,
    }


class HoldPlaceForm(forms.Form):
    employee_number = forms.CharField(
        label=_("Employee number"),
        required=False,
        help_text=_("Holds every handover of the employee, past and future."),
    )
    handover_number = forms.CharField(
        label=_("Handover number"), required=False, help_text=_("Holds one handover.")
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. the dispute or the authority's request this is for."),
    )

    def clean(self):
        cleaned = super().clean()
        employee_number = (cleaned.get("employee_number") or "").strip()
        handover_number = (cleaned.get("handover_number") or "").strip()
        if bool(employee_number) == bool(handover_number):
            raise forms.ValidationError(
                _("Give either an employee number or a handover number.")
            )
        cleaned["employee"] = cleaned["handover"] = None
        if employee_number:
            cleaned["employee"] = Employee.objects.filter(
                employee_number=employee_number
            ).first()
            if cleaned["employee"] is None:
                self.add_error("employee_number", _("No employee has this number."))
        else:
            cleaned["handover"] = Handover.objects.filter(
                number=handover_number
            ).first()
            if cleaned["handover"] is None:
                self.add_error("handover_number", _("No handover has this number."))
        return cleaned


class HoldReleaseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for release"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class HoldIndexView(RetentionView):
    template_name = "cms/admin/retention/holds.html"
    page_title = _("Legal holds")
    header_icon = "lock"

    def get(self, request):
        holds = LegalHold.objects.select_related(
            "employee", "handover", "placed_by", "released_by"
        ).order_by("released_at", "-placed_at")[:500]
        rows = [{"hold": hold, "subject": hold_subject(hold)} for hold in holds]
        return self.render(rows=rows, place_url=reverse("cms_retention_hold_place"))


class HoldPlaceView(RetentionView):
    template_name = "cms/admin/retention/hold_form.html"
    page_title = _("Place a legal hold")
    header_icon = "lock"

    def show(self, form, status=200):
        return self.render(
            status=status,
            form=form,
            action_url=reverse("cms_retention_hold_place"),
            submit_label=_("Place hold"),
            intro=_(
                "While the hold is active, the nightly purge leaves all data of "
                "the employee's handovers (or of the one handover) alone."
            ),
        )

    def get(self, request):
        return self.show(HoldPlaceForm())

    def post(self, request):
        form = HoldPlaceForm(request.POST)
        if not form.is_valid():
            return self.show(form, status=400)
        try:
            hold = retention.hold_place(
                actor=request.user,
                employee=form.cleaned_data["employee"],
                handover=form.cleaned_data["handover"],
                reason=form.cleaned_data["reason"],
                meta=RequestMeta.from_request(request),
            )
        except BatonError as error:
            add_service_errors(form, error)
            return self.show(form, status=error.status)
        messages.success(
            request,
            gettext("Legal hold placed: %(subject)s.")
            % {"subject": hold_subject(hold)},
        )
        return redirect("cms_retention_holds")


class HoldReleaseView(RetentionView):
    template_name = "cms/admin/retention/hold_form.html"
    page_title = _("Release a legal hold")
    header_icon = "lock-open"

    def dispatch(self, request, *args, **kwargs):
        if not is_hr_admin(request.user):
            raise Http404
        self.hold = get_object_or_404(
            LegalHold.objects.select_related("employee", "handover"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return hold_subject(self.hold)

    def show(self, form, status=200):
        return self.render(
            status=status,
            form=form,
            hold=self.hold,
            action_url=reverse("cms_retention_hold_release", args=[self.hold.pk]),
            submit_label=_("Release hold"),
            intro=gettext(
                "%(subject)s, held because: %(reason)s. Once released, the next "
                "purge run erases what its policies say is due."
            )
            % {"subject": hold_subject(self.hold), "reason": self.hold.reason},
        )

    def get(self, request, pk):
        return self.show(HoldReleaseForm())

    def post(self, request, pk):
        form = HoldReleaseForm(request.POST)
        if not form.is_valid():
            return self.show(form, status=400)
        try:
            retention.hold_release(
                actor=request.user,
                hold=self.hold,
                reason=form.cleaned_data["reason"],
                meta=RequestMeta.from_request(request),
            )
        except NotFound as error:
            raise Http404 from error
        except BatonError as error:
            messages.error(request, str(error.message))
            return redirect("cms_retention_holds")
        messages.success(
            request,
            gettext("Legal hold released: %(subject)s.")
            % {"subject": hold_subject(self.hold)},
        )
        return redirect("cms_retention_holds")
