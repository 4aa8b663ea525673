"""Forms of the intake screens. They parse input only: the intake service
decides what starts and says why not."""

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateInput

from cms import services
from cms.models import ChecklistTemplatePage

from ..forms import (
    TemplateChoiceField,
    UserChoiceField,
    UserMultipleChoiceField,
    active_users,
    user_picker,
    users_picker,
)

__all__ = [
    "BULK_FILE_MAX_BYTES",
    "BulkDatesForm",
    "BulkUploadForm",
    "ProposalChangeForm",
    "ProposalDismissForm",
]

# A spreadsheet of a few thousand rows is far below this; anything larger is
# not a list of leavers.
BULK_FILE_MAX_BYTES = 2 * 1024 * 1024


class ProposalChangeForm(forms.Form):
    """A proposed event's plan, as HR wants it before it starts."""

    last_working_day = forms.DateField(
        label=_("Last working day"), widget=AdminDateInput
    )
    template = TemplateChoiceField(
        label=_("Template"),
        queryset=ChecklistTemplatePage.objects.live().select_related("locale"),
        required=False,
        help_text=_("Left empty: the template the start rules give."),
    )
    successors = UserMultipleChoiceField(
        label=_("Successors"),
        queryset=active_users(),
        required=False,
        widget=users_picker(),
        help_text=_("Left empty: the successor the start rules give."),
    )
    manager = UserChoiceField(
        label=_("Manager"),
        queryset=active_users(),
        required=False,
        widget=user_picker(),
        help_text=_("Left empty: the employee's manager."),
    )

    def __init__(self, *args, event, **kwargs):
        plan = event.plan or {}
        kwargs.setdefault(
            "initial",
            {
                "last_working_day": event.last_working_day,
                "template": plan.get("template"),
                "successors": plan.get("successors") or [],
                "manager": plan.get("manager"),
            },
        )
        super().__init__(*args, **kwargs)
        field = self.fields["template"]
        if event.employee is not None:
            templates = services.suggest_templates(employee=event.employee)
        else:
            templates = list(field.queryset.order_by("title"))
        field.choices = [("", "---------")] + [
            (template.pk, field.label_from_instance(template)) for template in templates
        ]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "template": data["template"],
            "successors": list(data["successors"]) or None,
            "manager": data["manager"],
            "last_working_day": data["last_working_day"],
        }


class ProposalDismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the event, for whoever reviews the intake log."),
    )

    def __init__(self, *args, event=None, **kwargs):
        super().__init__(*args, **kwargs)


class BulkUploadForm(forms.Form):
    spreadsheet = forms.FileField(
        label=_("Spreadsheet"),
        validators=[FileExtensionValidator(["xlsx", "csv"])],
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
        help_text=_(
            "XLSX or CSV, one employee a row, with a heading row. Nothing starts "
            "before you have seen the preview."
        ),
    )

    def clean_spreadsheet(self):
        spreadsheet = self.cleaned_data["spreadsheet"]
        if spreadsheet.size > BULK_FILE_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB.")
                % {"size": BULK_FILE_MAX_BYTES // (1024 * 1024)}
            )
        return spreadsheet


class BulkDatesForm(forms.Form):
    """What a bulk start of selected employees needs besides who."""

    last_working_day = forms.DateField(
        label=_("Last working day"), widget=AdminDateInput
    )
    resignation_date = forms.DateField(
        label=_("Resignation date"), required=False, widget=AdminDateInput
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
