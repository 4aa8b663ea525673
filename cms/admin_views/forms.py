"""Forms of the HR screens. They only parse input: every rule about starting or
cancelling a handover lives in the service, whose errors come back onto the
form through ``add_service_errors``."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateInput

from cms import services
from cms.errors import BatonError
from cms.models import ChecklistTemplatePage, Employee, Handover

__all__ = [
    "HandoverCancelForm",
    "HandoverStartForm",
    "add_service_errors",
    "start_suggestions",
]


def add_service_errors(form: forms.Form, error: BatonError) -> None:
    """Put a service's field errors next to the fields they are about; those
    about no field of this form go on top of it."""
    for field, messages in error.fields.items():
        if isinstance(messages, str | Promise):
            messages = [messages]
        for message in messages:
            form.add_error(field if field in form.fields else None, str(message))


def _person(user) -> str:
    full_name = user.get_full_name()
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _person(obj)


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return _person(obj)


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title} ({obj.locale.get_display_name()})"


def _active_users():
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .order_by("first_name", "last_name", "username")
    )


def start_suggestions(employee: Employee) -> tuple[dict, list]:
    """Initial values for the start form once the employee is known (the best
    template, the best successor, the employee's manager) and every successor
    suggestion with why it was made, to show beside the field."""
    templates = services.suggest_templates(employee=employee)
    successors = services.suggest_successors(employee=employee)
    manager = employee.manager
    initial = {
        "employee": employee.pk,
        "template": templates[0].pk if templates else None,
        "successors": [successors[0].user.pk] if successors else [],
        "manager": manager.user_id if manager is not None else None,
    }
    return initial, successors


class HandoverStartForm(forms.Form):
    employee = forms.ModelChoiceField(
        label=_("Employee"),
        queryset=Employee.objects.filter(user__isnull=False).select_related("user"),
        help_text=_(
            "Employees who can sign in and have no open handover. Choose one and "
            "press “Suggest” to fill in the template and people from the org chart."
        ),
    )
    template = TemplateChoiceField(
        label=_("Template"),
        queryset=ChecklistTemplatePage.objects.live().select_related("locale"),
        required=False,
        help_text=_("Best match for the employee's role and department first."),
    )
    successors = UserMultipleChoiceField(
        label=_("Successors"),
        queryset=_active_users(),
        required=False,
        help_text=_(
            "Left empty: the best suggestion takes over (a colleague in the same "
            "department and role first, the manager only as a last resort)."
        ),
    )
    manager = UserChoiceField(
        label=_("Manager"),
        queryset=_active_users(),
        required=False,
        help_text=_("Approves the handover. Left empty: the employee's manager."),
    )
    it_users = UserMultipleChoiceField(
        label=_("IT participants"),
        queryset=_active_users(),
        required=False,
        help_text=_(
            "Revoke or transfer accounts and take back assets. Left empty while "
            "the template has IT items: the members of the IT group take part."
        ),
    )
    resignation_date = forms.DateField(
        label=_("Resignation date"), required=False, widget=AdminDateInput
    )
    last_working_day = forms.DateField(
        label=_("Last working day"), widget=AdminDateInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        employee = self._chosen_employee()
        self._offer_startable_employees(employee)
        self._offer_templates_in_suggested_order(employee)

    def _chosen_employee(self):
        value = (
            self.data.get("employee") if self.is_bound else self.initial.get("employee")
        )
        try:
            return self.fields["employee"].clean(value) if value else None
        except forms.ValidationError:
            return None

    def _offer_startable_employees(self, chosen):
        """The list offers employees without an open handover; the field still
        accepts any employee with an account, so a handover started meanwhile
        by someone else is reported by the service, not as a bad choice."""
        startable = list(
            self.fields["employee"]
            .queryset.exclude(handovers__state__in=Handover.OPEN_STATES)
            .order_by("name")
        )
        if chosen is not None and chosen not in startable:
            startable.insert(0, chosen)
        self.fields["employee"].choices = [("", "---------")] + [
            (employee.pk, str(employee)) for employee in startable
        ]

    def _offer_templates_in_suggested_order(self, employee):
        field = self.fields["template"]
        if employee is None:
            templates = list(field.queryset.order_by("title"))
        else:
            templates = services.suggest_templates(employee=employee)
        field.choices = [("", "---------")] + [
            (template.pk, field.label_from_instance(template)) for template in templates
        ]

    @property
    def chosen_employee(self):
        return self._chosen_employee()

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "employee": data["employee"],
            "template": data["template"],
            "successors": list(data["successors"]) or None,
            "manager": data["manager"],
            "it_users": list(data["it_users"]),
            "resignation_date": data["resignation_date"],
            "last_working_day": data["last_working_day"],
        }


class HandoverCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        # The service says when a reason is missing, in the same words as the API.
        required=False,
        help_text=_("Shown in the handover's history and to its participants."),
    )
