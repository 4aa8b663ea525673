"""Access in a system without a connector, recorded by HR or IT in the admin
(the access queue's "Add access by hand")."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.errors import BatonError

from . import services
from .admin_views import _ITOnly

__all__ = ["AccessAddView", "ManualAccessForm"]


class ManualAccessForm(forms.Form):
    handover = forms.CharField(
        label=_("Handover number"), help_text=_("e.g. HO-2026-00012")
    )
    system = forms.CharField(label=_("System"), max_length=255)
    account = forms.CharField(label=_("Account"), max_length=512)
    group = forms.CharField(label=_("Group or role"), max_length=512, required=False)
    instructions = forms.CharField(
        label=_("Instructions for IT"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Exactly what IT must do in that system, step by step."),
    )


class AccessAddView(_ITOnly):
    """Access in a system without a connector, recorded by HR or IT."""

    template_name = "connectors/admin/access_add.html"
    page_title = _("Add access by hand")
    header_icon = "plus"

    def get(self, request):
        initial = {"handover": request.GET.get("handover", "")}
        return self.render_to_response(
            self.get_context_data(form=ManualAccessForm(initial=initial))
        )

    def post(self, request):
        from cms.models import Handover

        form = ManualAccessForm(request.POST)
        if form.is_valid():
            handover = Handover.objects.filter(
                number__iexact=form.cleaned_data["handover"].strip()
            ).first()
            if handover is None:
                form.add_error("handover", gettext("There is no such handover."))
            else:
                try:
                    services.access_grant_add(
                        actor=request.user,
                        handover=handover,
                        system=form.cleaned_data["system"],
                        account=form.cleaned_data["account"],
                        group=form.cleaned_data["group"],
                        instructions=form.cleaned_data["instructions"],
                    )
                except BatonError as error:
                    for field, problems in error.fields.items():
                        for problem in problems:
                            form.add_error(
                                field if field in form.fields else None, str(problem)
                            )
                    if not error.fields:
                        form.add_error(None, str(error.message))
                else:
                    messages.success(
                        request,
                        gettext(
                            "Added to %(number)s: IT will get the task once the "
                            "manager confirms the decision."
                        )
                        % {"number": handover.number},
                    )
                    return redirect("connectors_access_queue")
        return self.render_to_response(self.get_context_data(form=form), status=400)
