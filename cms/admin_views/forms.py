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
from cms.models import ChecklistTemplatePage, Employee

from .intake.people import SCOPE_STARTABLE, lazy_search_url, person_label
from .intake.pickers import PeopleMultiplePicker, PeoplePicker

__all__ = [
    "HandoverCancelForm",
    "HandoverStartForm",
    "TemplateChoiceField",
    "UserChoiceField",
    "UserMultipleChoiceField",
    "active_users",
    "add_service_errors",
    "employee_picker",
    "plan_for_display",
    "start_initial",
    "user_picker",
    "users_picker",
]


def add_service_errors(form: forms.Form, error: BatonError) -> None:
    """Put a service's field errors next to the fields they are about; those
    about no field of this form go on top of it."""
    for field, messages in error.fields.items():
        if isinstance(messages, str | Promise):
            messages = [messages]
        for message in messages:
            form.add_error(field if field in form.fields else None, str(message))


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return person_label(obj)


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return person_label(obj)


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title} ({obj.locale.get_display_name()})"


def active_users():
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .order_by("first_name", "last_name", "username")
    )


def user_picker(**kwargs) -> PeoplePicker:
    return PeoplePicker(search_url=lazy_search_url("user"), **kwargs)


def users_picker(**kwargs) -> PeopleMultiplePicker:
    return PeopleMultiplePicker(search_url=lazy_search_url("user"), **kwargs)


def employee_picker(*, scope: str = "", **kwargs) -> PeoplePicker:
    return PeoplePicker(search_url=lazy_search_url("employee", scope=scope), **kwargs)


def start_initial(plan, *, data=None) -> dict:
    """The start form filled in from a start plan; the dates and IT people
    already typed (``data``) are kept."""
    data = data or {}
    it_users = data.getlist("it_users") if hasattr(data, "getlist") else []
    return {
        "employee": plan.employee.pk,
        "template": getattr(plan.template, "pk", None),
        "successors": [user.pk for user in plan.successors],
        "manager": getattr(plan.manager, "pk", None),
        "it_users": it_users or [user.pk for user in plan.it_users],
        "resignation_date": data.get("resignation_date", ""),
        "last_working_day": data.get("last_working_day", ""),
    }


def plan_for_display(plan, *, last_working_day_given: bool) -> dict:
    """What the start form shows of a plan: every decision and why, and what
    would stop the start (the missing last working day only once it matters)."""
    problems = [
        message
        for field, messages in plan.problems.items()
        if last_working_day_given or field != "last_working_day"
        for message in messages
    ]
    return {"explanations": plan.explanations, "problems": problems}


class HandoverStartForm(forms.Form):
    employee = forms.ModelChoiceField(
        label=_("Employee"),
        queryset=Employee.objects.filter(user__isnull=False).select_related("user"),
        widget=employee_picker(scope=SCOPE_STARTABLE),
        help_text=_(
            "Type a name, employee number, email or department: employees who can "
            "sign in and have no open handover are found. Then press “Suggest” to "
            "see the template and people the start rules give, and why."
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
        queryset=active_users(),
        required=False,
        widget=users_picker(),
        help_text=_(
            "Left empty: the start rules decide (without rules, a colleague in the "
            "same department and role first, the manager only as a last resort)."
        ),
    )
    manager = UserChoiceField(
        label=_("Manager"),
        queryset=active_users(),
        required=False,
        widget=user_picker(),
        help_text=_("Approves the handover. Left empty: the employee's manager."),
    )
    it_users = UserMultipleChoiceField(
        label=_("IT participants"),
        queryset=active_users(),
        required=False,
        widget=users_picker(),
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

    # Who and when first: that is what the start rules need to suggest the rest.
    field_order = [
        "employee",
        "resignation_date",
        "last_working_day",
        "template",
        "successors",
        "manager",
        "it_users",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._offer_templates_in_suggested_order(self._chosen_employee())

    def _chosen_employee(self):
        value = (
            self.data.get("employee") if self.is_bound else self.initial.get("employee")
        )
        try:
            return self.fields["employee"].clean(value) if value else None
        except forms.ValidationError:
            return None

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

    def chosen_date(self, name):
        """A date typed in, valid or not yet (None)."""
        value = self.data.get(name) if self.is_bound else self.initial.get(name)
        try:
            return self.fields[name].clean(value) if value else None
        except forms.ValidationError:
            return None

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
