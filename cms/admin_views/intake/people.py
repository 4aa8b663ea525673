"""Search-as-you-type for the people pickers (employee, successor, manager, IT).

One query per lookup whatever the size of the company: every term of the
query must appear (in any case) in one of the person's name, employee number,
email or department, and at most ``limit`` people come back, the closest
matches first. The ``0010_people_search`` migration gives the columns trigram
indexes, so a lookup stays fast at tens of thousands of employees.
"""

from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.utils.functional import lazy
from django.views.decorators.http import require_GET

from cms.models import Department, Employee, Handover
from cms.names import join_name
from cms.permissions import is_hr_admin

__all__ = [
    "DEFAULT_LIMIT",
    "KINDS",
    "MAX_LIMIT",
    "SCOPE_STARTABLE",
    "lazy_search_url",
    "people_search",
    "person_label",
    "search_employees",
    "search_url",
    "search_users",
]

KINDS = ("employee", "user")
# Employees HR may start a handover for: they can sign in, none is open yet.
SCOPE_STARTABLE = "startable"
DEFAULT_LIMIT = 20
MAX_LIMIT = 50
# More terms than this add nothing a person types, only work for the database.
MAX_TERMS = 5
MAX_QUERY_LENGTH = 100
# Up to this many matches are sorted at once; more walk the ordering's index.
CANDIDATES = 200


def search_url(kind: str, *, scope: str = "") -> str:
    """The picker endpoint for ``kind`` ("employee" or "user")."""
    url = f"{reverse('cms_people_search')}?kind={kind}"
    return f"{url}&scope={scope}" if scope else url


# For widgets built when a form class is defined, before the URLs are loaded.
lazy_search_url = lazy(search_url, str)


def _terms(query: str) -> list[str]:
    return query[:MAX_QUERY_LENGTH].split()[:MAX_TERMS]


class _Departments(dict):
    """The departments each word names, looked up once per search. A few
    hundred departments at most: matching them first keeps the employee query
    on its own indexes instead of a join under an OR."""

    def __missing__(self, term):
        self[term] = ids = list(
            Department.objects.filter(name__icontains=term).values_list("pk", flat=True)
        )
        return ids


def _employee_condition(term: str, departments: _Departments | None = None) -> Q:
    condition = (
        Q(name__icontains=term)
        | Q(employee_number__icontains=term)
        | Q(work_email__icontains=term)
    )
    named = (departments if departments is not None else _Departments())[term]
    if named:
        condition |= Q(department_id__in=named)
    return condition


def person_label(user) -> str:
    """How a user is named in every picker: "Name (username)", the name by the
    one name rule (``cms.names``) in the active language."""
    full_name = join_name(user.last_name, user.first_name)
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


def _detail(employee: Employee | None, email: str = "") -> str:
    parts = []
    if employee is not None:
        parts.append(employee.employee_number)
        if employee.department_id:
            parts.append(employee.department.name)
        if employee.position:
            parts.append(employee.position)
        email = email or employee.work_email
    if email:
        parts.append(email)
    return " · ".join(parts)


def _ranked(matching, *, ids, exact: Q, prefix: Q, order, limit: int) -> list:
    """The closest ``limit`` of ``matching``: an exact match, then those whose
    name starts with what was typed, then the rest, each group by ``order``.

    ``ids`` are every match when there are few (at most ``CANDIDATES``): they
    are sorted at once. ``None`` says many match (a letter or two, a whole
    department): sorting thousands would be slow, so each group walks the
    ordering's index instead and stops at the limit."""
    if ids is not None:
        closeness = Case(
            When(exact, then=Value(0)),
            When(prefix, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return list(
            matching.model.objects.filter(pk__in=ids)
            .annotate(closeness=closeness)
            .order_by("closeness", *order)[:limit]
        )
    found = []
    for group in (exact, prefix & ~exact, ~prefix & ~exact):
        if len(found) >= limit:
            break
        found += matching.filter(group).order_by(*order)[: limit - len(found)]
    return found


def _few(queryset, field="pk") -> list | None:
    """Every value of ``field`` in ``queryset`` if there are few, else None."""
    values = list(queryset.order_by().values_list(field, flat=True)[: CANDIDATES + 1])
    return values if len(values) <= CANDIDATES else None


def search_employees(
    query: str, *, limit: int = DEFAULT_LIMIT, queryset: QuerySet | None = None
) -> list[dict]:
    """Employees matching ``query`` (from ``queryset``, default everyone): an
    exact employee number first, then names starting with the query."""
    terms = _terms(query)
    if not terms:
        return []
    employees = Employee.objects.all() if queryset is None else queryset
    departments = _Departments()
    for term in terms:
        employees = employees.filter(_employee_condition(term, departments))
    found = _ranked(
        employees,
        ids=_few(employees),
        exact=Q(employee_number__iexact=query.strip()),
        prefix=Q(name__istartswith=terms[0]),
        order=("name", "pk"),
        limit=limit,
    )
    departments = Department.objects.in_bulk(
        {employee.department_id for employee in found} - {None}
    )
    for employee in found:
        # Attached from one query: the groups may have read them in three.
        employee.department = departments.get(employee.department_id)
    return [
        {
            "value": str(employee.pk),
            "text": str(employee),
            "detail": _detail(employee),
        }
        for employee in found
    ]


def _account_condition(term: str) -> Q:
    return (
        Q(username__icontains=term)
        | Q(first_name__icontains=term)
        | Q(last_name__icontains=term)
        | Q(email__icontains=term)
    )


def _records(term: str, departments: _Departments):
    return Employee.objects.filter(
        _employee_condition(term, departments), user__isnull=False
    )


def _user_ids(
    users: QuerySet, terms: list[str], departments: _Departments
) -> list | None:
    """The users matching every term if there are few, else None. The
    longest term is looked up first, the others only among its matches;
    accounts and employee records are read apart, each through its own
    indexes (an OR across both tables would scan them)."""
    within = None
    for term in sorted(terms, key=len, reverse=True):
        accounts = users.filter(_account_condition(term))
        records = _records(term, departments)
        if within is not None:
            accounts = accounts.filter(pk__in=within)
            records = records.filter(user_id__in=within)
        by_account = _few(accounts)
        by_record = None if by_account is None else _few(records, "user_id")
        if by_record is None:
            return None
        within = sorted(set(by_account) | set(by_record))
    return list(users.filter(pk__in=within).values_list("pk", flat=True))


def search_users(
    query: str, *, limit: int = DEFAULT_LIMIT, queryset: QuerySet | None = None
) -> list[dict]:
    """Active users matching ``query`` by their account (username, name,
    email) or their employee record (name, number, email, department)."""
    terms = _terms(query)
    if not terms:
        return []
    User = get_user_model()
    users = User.objects.filter(is_active=True) if queryset is None else queryset
    matching = users
    departments = _Departments()
    for term in terms:
        # For walking in name order: the records are read once, then each
        # account is checked against them as it comes.
        matching = matching.filter(
            _account_condition(term)
            | Q(pk__in=_records(term, departments).values("user_id"))
        )
    found = _ranked(
        matching,
        ids=_user_ids(users, terms, departments),
        exact=Q(username__iexact=query.strip()),
        prefix=Q(first_name__istartswith=terms[0])
        | Q(last_name__istartswith=terms[0])
        | Q(username__istartswith=terms[0]),
        order=("first_name", "last_name", "username", "pk"),
        limit=limit,
    )
    records = {
        employee.user_id: employee
        for employee in Employee.objects.filter(
            user_id__in=[user.pk for user in found]
        ).select_related("department")
    }
    return [
        {
            "value": str(user.pk),
            "text": person_label(user),
            "detail": _detail(records.get(user.pk), user.email),
        }
        for user in found
    ]


def _limit(value) -> int:
    try:
        return max(1, min(int(value), MAX_LIMIT))
    except (TypeError, ValueError):
        return DEFAULT_LIMIT


@require_GET
def people_search(request):
    """``/admin/people/search/?q=…&kind=employee|user&limit=20`` for HR's
    pickers; anyone else gets a 404, as for every HR screen."""
    if not is_hr_admin(request.user):
        raise Http404
    kind = request.GET.get("kind", "employee")
    if kind not in KINDS:
        raise Http404
    query = request.GET.get("q", "")
    limit = _limit(request.GET.get("limit"))
    if kind == "user":
        results = search_users(query, limit=limit)
    else:
        employees = None
        if request.GET.get("scope") == SCOPE_STARTABLE:
            employees = Employee.objects.filter(user__isnull=False).exclude(
                pk__in=Handover.objects.filter(state__in=Handover.OPEN_STATES).values(
                    "employee_id"
                )
            )
        results = search_employees(query, limit=limit, queryset=employees)
    response = JsonResponse({"results": results})
    response["Cache-Control"] = "private, no-store"
    return response
