"""What intake takes in and gives back: how an event names the employee,
the notice, bulk rows, outcomes; finding employees and people in bulk, and
planning one row."""

from dataclasses import asdict, dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext

from cms.models import ChecklistTemplatePage, Employee, Handover, ResignationEvent
from cms.permissions import HR_ADMIN_GROUPS

from ..start_rules import StartPlan, codes

__all__ = [
    "BulkRow",
    "BulkRowPlan",
    "EmployeeLookup",
    "IntakeOutcome",
    "Refused",
    "ResignationNotice",
    "active_people",
    "intake_user",
    "plan_row",
    "resolve_employees",
    "templates_by_id",
]


@dataclass(frozen=True)
class EmployeeLookup:
    """How an event names the employee: at least one of these."""

    id: int | None = None
    number: str = ""
    email: str = ""
    directory_id: str = ""

    def is_empty(self) -> bool:
        return not (self.id or self.number or self.email or self.directory_id)

    def as_json(self) -> dict:
        return {key: value for key, value in asdict(self).items() if value}

    def describe(self) -> str:
        parts = []
        if self.id:
            parts.append(gettext("id %(value)s") % {"value": self.id})
        if self.number:
            parts.append(
                gettext("employee number “%(value)s”") % {"value": self.number}
            )
        if self.email:
            parts.append(gettext("email “%(value)s”") % {"value": self.email})
        if self.directory_id:
            parts.append(
                gettext("directory id “%(value)s”") % {"value": self.directory_id}
            )
        return ", ".join(parts)


@dataclass(frozen=True)
class ResignationNotice:
    """A resignation as a source reports it; ``external_id`` is unique within
    the source (and connector)."""

    source: str
    external_id: str
    employee: EmployeeLookup
    resignation_date: date | None
    last_working_day: date | None
    reason: str = ""
    connector_slug: str = ""
    template_id: int | None = None
    successor_ids: tuple[int, ...] = ()
    manager_id: int | None = None
    language: str = ""
    payload: dict = field(default_factory=dict)


@dataclass(frozen=True)
class IntakeOutcome:
    status: str  # "started" | "proposed" | "duplicate" | "refused"
    event: ResignationEvent
    handover: Handover | None
    message: str


@dataclass(frozen=True)
class BulkRow:
    """One row of a bulk start (a spreadsheet line, or an employee selected)."""

    line: int
    employee: EmployeeLookup
    last_working_day: date | None
    resignation_date: date | None = None
    template_id: int | None = None
    successor_ids: tuple[int, ...] = ()
    manager_id: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class BulkRowPlan:
    """A bulk row previewed: the employee found, the plan, or why it is refused
    (``problems``: field -> translated reasons; ``codes``: field -> code)."""

    row: BulkRow
    employee: Employee | None
    plan: StartPlan | None
    problems: dict[str, list[str]]
    codes: dict[str, str]

    @property
    def line(self) -> int:
        return self.row.line

    @property
    def startable(self) -> bool:
        return not self.problems

    @property
    def refusal_code(self) -> str:
        return next(iter(self.codes.values()), "")

    @property
    def refusal(self) -> str:
        return " ".join(text for texts in self.problems.values() for text in texts)


def intake_user():
    """The service account that starts what events start: created on first
    use, an HR admin that cannot sign in."""
    user, created = get_user_model().objects.get_or_create(
        username=settings.BATON_INTAKE_USER, defaults={"is_active": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=HR_ADMIN_GROUPS[0])[0])
    return user


_EMPLOYEE_RELATIONS = (
    "user",
    "role",
    "department",
    "manager__user",
    "backup__user",
    "manager__backup__user",
)


def resolve_employees(lookups) -> dict[EmployeeLookup, Employee | None]:
    """Every lookup's employee from one query: by id, number, directory id,
    then email (work email, else the account's); an email two employees share
    finds nobody."""
    lookups = [lookup for lookup in set(lookups) if not lookup.is_empty()]
    ids = {lookup.id for lookup in lookups if lookup.id}
    numbers = {lookup.number for lookup in lookups if lookup.number}
    directory_ids = {lookup.directory_id for lookup in lookups if lookup.directory_id}
    emails = {lookup.email.lower() for lookup in lookups if lookup.email}
    if not lookups:
        return {}
    candidates = list(
        Employee.objects.select_related(*_EMPLOYEE_RELATIONS)
        .annotate(email_key=Lower("work_email"), account_email_key=Lower("user__email"))
        .filter(
            Q(pk__in=ids)
            | Q(employee_number__in=numbers)
            | Q(directory_id__in=directory_ids)
            | Q(email_key__in=emails)
            | Q(account_email_key__in=emails)
        )
    )
    by = {"id": {}, "number": {}, "directory_id": {}, "email": {}, "account": {}}
    for employee in candidates:
        by["id"][employee.pk] = employee
        by["number"][employee.employee_number] = employee
        if employee.directory_id:
            by["directory_id"].setdefault(employee.directory_id, []).append(employee)
        if employee.email_key:
            by["email"].setdefault(employee.email_key, []).append(employee)
        if employee.account_email_key:
            by["account"].setdefault(employee.account_email_key, []).append(employee)

    def one(found):
        return found[0] if found and len(found) == 1 else None

    resolved = {}
    for lookup in lookups:
        email = lookup.email.lower()
        resolved[lookup] = (
            (by["id"].get(lookup.id) if lookup.id else None)
            or (by["number"].get(lookup.number) if lookup.number else None)
            or one(by["directory_id"].get(lookup.directory_id))
            or one(by["email"].get(email))
            or one(by["account"].get(email))
        )
    return resolved


def active_people(user_ids) -> dict[int, object]:
    user_ids = {pk for pk in user_ids if pk}
    if not user_ids:
        return {}
    return get_user_model().objects.filter(is_active=True).in_bulk(list(user_ids))


def templates_by_id(template_ids) -> dict[int, ChecklistTemplatePage]:
    template_ids = {pk for pk in template_ids if pk}
    if not template_ids:
        return {}
    return ChecklistTemplatePage.objects.select_related(
        "locale", "live_revision", "role"
    ).in_bulk(list(template_ids))


class Refused(Exception):
    def __init__(self, field_name: str, code: str, message):
        self.problems = {field_name: [str(message)]}
        self.codes = {field_name: code}
        super().__init__(str(message))


def plan_row(planner, row, employee, people, templates, *, language=""):
    """A row's plan, or ``Refused`` before planning when it cannot be planned."""
    if row.employee.is_empty():
        raise Refused(
            "employee", codes.MALFORMED, gettext("The event names no employee.")
        )
    if employee is None:
        raise Refused(
            "employee",
            codes.UNKNOWN_EMPLOYEE,
            gettext("No employee matches %(reference)s.")
            % {"reference": row.employee.describe()},
        )
    template = None
    if row.template_id:
        template = templates.get(row.template_id)
        if template is None:
            raise Refused(
                "template",
                codes.NO_TEMPLATE,
                gettext("There is no template %(id)s.") % {"id": row.template_id},
            )
    successors = [people.get(pk) for pk in row.successor_ids]
    if None in successors:
        raise Refused(
            "successors",
            codes.UNKNOWN_PERSON,
            gettext("A successor named is not an active user."),
        )
    manager = people.get(row.manager_id) if row.manager_id else None
    if row.manager_id and manager is None:
        raise Refused(
            "manager",
            codes.UNKNOWN_PERSON,
            gettext("The manager named is not an active user."),
        )
    return planner.plan(
        employee=employee,
        last_working_day=row.last_working_day,
        resignation_date=row.resignation_date,
        template=template,
        successors=successors or None,
        manager=manager,
        language=language,
    )
