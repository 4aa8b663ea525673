"""The directory's writes: one sync creates and updates employee records batch
by batch — a constant number of queries per batch, whatever the directory's
size — keeping aside what a person typed, then resolves managers once every
row is in."""

from dataclasses import dataclass, field

from django.db import transaction
from wagtail.search.backends import get_search_backends

from cms.models import Employee

from .matching import departments_of, generated_number, match_batch
from .provenance import now_stamp, typed_by_person
from .values import DirectoryValues

__all__ = ["BATCH_SIZE", "DirectoryApplyResult", "employees_apply_directory"]

# People are read and written this many at a time: a constant number of
# queries per batch, whatever the directory's size.
BATCH_SIZE = 1000
# The directory's statuses as the employee archive knows them.
_STATUSES = {
    "active": Employee.Status.ACTIVE,
    "leaving": Employee.Status.LEAVING,
    "disabled": Employee.Status.LEFT,
}
_LEAVING_STATUSES = frozenset({Employee.Status.LEAVING, Employee.Status.LEFT})
# Directory field -> Employee field, for the plain values.
_PLAIN_FIELDS = {
    "name": "name",
    "email": "work_email",
    "phone": "work_phone",
    "position": "position",
}
_LAST_WORKING_DAY = "last_working_day"


@dataclass(frozen=True)
class DirectoryApplyResult:
    """What applying a directory changed."""

    created: int
    updated: int
    unchanged: int
    # (employee id, field, directory value) kept aside: a person typed the field.
    kept: list[tuple[int, str, str]] = field(default_factory=list)
    # People who just turned leaving or disabled, or gained a last working day.
    leaving: list[tuple[Employee, DirectoryValues]] = field(default_factory=list)


class _Apply:
    """One directory sync's writes, batch by batch."""

    def __init__(self, source: str):
        self.source = source
        self.label = f"directory:{source}"
        self.stamp = {"source": self.label, "at": now_stamp()}
        self.created = self.updated = self.unchanged = 0
        self.kept: list[tuple[int, str, str]] = []
        self.leaving: list[tuple[Employee, DirectoryValues]] = []
        # directory id -> employee, for the managers once every row is in.
        self.employees: dict[str, Employee] = {}
        self.managers: list[tuple[Employee, str]] = []
        self.unchanged_ids: set[int] = set()

    def set(
        self, employee, name, value, changed: set, attribute: str = "", shown=None
    ) -> None:
        """The provenance rule for one field (``attribute``: its column, for a
        relation, and ``shown``: the directory's value as HR reads it)."""
        attribute = attribute or name
        current = getattr(employee, attribute)
        provenance = employee.provenance
        if typed_by_person(employee, name):
            entry = provenance[name]
            if shown is None:
                shown = "" if value is None else str(value)
            if current != value and entry.get("directory_value") != shown:
                provenance[name] = {**entry, "directory_value": shown}
                changed.add("provenance")
                self.kept.append((employee.pk, name, shown))
            elif current == value and "directory_value" in entry:
                provenance[name] = {
                    key: item for key, item in entry.items() if key != "directory_value"
                }
                changed.add("provenance")
            return
        if current != value:
            setattr(employee, attribute, value)
            provenance[name] = dict(self.stamp)
            changed.update({name, "provenance"})

    def values(self, person, departments) -> dict:
        values = {
            target: getattr(person, source_name).strip()
            for source_name, target in _PLAIN_FIELDS.items()
            if getattr(person, source_name).strip()
        }
        department = departments.get((person.department_code, person.department_name))
        if department is not None:
            values["department_id"] = department
        values["status"] = _STATUSES.get(person.status, Employee.Status.ACTIVE)
        return values

    def update(self, employee, person, departments, taken_numbers) -> bool:
        employee.provenance = dict(employee.provenance or {})
        previous_status = employee.status
        if typed_by_person(employee, "status"):
            previous_status = employee.provenance["status"].get(
                "directory_value", previous_status
            )
        previous_day = employee.provenance.get(_LAST_WORKING_DAY, {}).get("value")
        changed: set[str] = set()
        if not employee.directory_id:
            employee.directory_id = person.directory_id
            changed.add("directory_id")
        number = person.employee_number
        if (
            number
            and number != employee.employee_number
            and number not in taken_numbers
        ):
            self.set(employee, "employee_number", number, changed)
        for name, value in self.values(person, departments).items():
            if name == "department_id":
                department = person.department_name or person.department_code
                self.set(
                    employee, "department", value, changed, "department_id", department
                )
            else:
                self.set(employee, name, value, changed)
        self._last_working_day(employee, person, changed)
        new_status = _STATUSES.get(person.status, Employee.Status.ACTIVE)
        day = person.last_working_day.isoformat() if person.last_working_day else None
        if (
            new_status in _LEAVING_STATUSES and previous_status not in _LEAVING_STATUSES
        ) or (day and day != previous_day):
            self.leaving.append((employee, person))
        return changed

    def _last_working_day(self, employee, person, changed) -> None:
        day = person.last_working_day.isoformat() if person.last_working_day else None
        entry = employee.provenance.get(_LAST_WORKING_DAY, {})
        if entry.get("value") != day:
            employee.provenance[_LAST_WORKING_DAY] = {**self.stamp, "value": day}
            changed.add("provenance")

    def create(self, person, departments, source) -> Employee:
        values = self.values(person, departments)
        employee = Employee(
            employee_number=person.employee_number
            or generated_number(source, person.directory_id),
            directory_id=person.directory_id,
            name=values.get("name") or person.directory_id,
            work_email=values.get("work_email", ""),
            work_phone=values.get("work_phone", ""),
            position=values.get("position", ""),
            department_id=values.get("department_id"),
            status=values["status"],
        )
        fields = ["employee_number", "directory_id", *values]
        employee.provenance = {
            ("department" if name == "department_id" else name): dict(self.stamp)
            for name in fields
        }
        if person.last_working_day:
            employee.provenance[_LAST_WORKING_DAY] = {
                **self.stamp,
                "value": person.last_working_day.isoformat(),
            }
        return employee

    def batch(self, batch) -> None:
        departments = departments_of(batch)
        matched, taken_numbers = match_batch(batch)
        to_create, to_update, fields = [], [], set()
        for person in batch:
            employee = matched[person.directory_id]
            if employee is None:
                employee = self.create(person, departments, self.source)
                if employee.employee_number in taken_numbers:
                    continue  # A number another record holds: never two records.
                taken_numbers.add(employee.employee_number)
                to_create.append((employee, person))
            else:
                changed = self.update(employee, person, departments, taken_numbers)
                if changed:
                    to_update.append(employee)
                    fields |= changed
                else:
                    self.unchanged += 1
                    self.unchanged_ids.add(employee.pk)
            self.employees[person.directory_id] = employee
            if person.manager_directory_id:
                self.managers.append((employee, person.manager_directory_id))
        created = Employee.objects.bulk_create([employee for employee, _ in to_create])
        self.created += len(created)
        for employee, person in to_create:
            if person.status in ("leaving", "disabled") or person.last_working_day:
                self.leaving.append((employee, person))
        if to_update:
            Employee.objects.bulk_update(to_update, sorted(fields))
            self.updated += len(to_update)
        self._index([*created, *to_update])

    def _index(self, employees) -> None:
        """The admin's search finds the records the directory wrote (one
        statement per backend, as the single-record signals would)."""
        if employees:
            for backend in get_search_backends(with_auto_update=True):
                backend.add_bulk(Employee, employees)

    def apply_managers(self) -> None:
        wanted = {
            manager_id
            for _employee, manager_id in self.managers
            if manager_id not in self.employees
        }
        wanted = sorted(wanted)
        known = {}
        for start in range(0, len(wanted), BATCH_SIZE):
            rows = Employee.objects.filter(
                directory_id__in=wanted[start : start + BATCH_SIZE]
            ).values_list("directory_id", "pk", "name")
            known.update({directory_id: (pk, name) for directory_id, pk, name in rows})
        known.update(
            {
                directory_id: (employee.pk, employee.name)
                for directory_id, employee in self.employees.items()
            }
        )
        changed = []
        for employee, manager_directory_id in self.managers:
            manager_id, manager_name = known.get(manager_directory_id, (None, ""))
            if manager_id is None or manager_id == employee.pk:
                continue
            fields: set[str] = set()
            before = (employee.manager_id, dict(employee.provenance))
            self.set(
                employee, "manager", manager_id, fields, "manager_id", manager_name
            )
            if (employee.manager_id, employee.provenance) != before:
                changed.append(employee)
                if employee.pk in self.unchanged_ids:
                    self.unchanged_ids.discard(employee.pk)
                    self.unchanged -= 1
                    self.updated += 1
        for start in range(0, len(changed), BATCH_SIZE):
            Employee.objects.bulk_update(
                changed[start : start + BATCH_SIZE], ["manager", "provenance"]
            )


@transaction.atomic
def employees_apply_directory(
    *, source: str, people: list[DirectoryValues]
) -> DirectoryApplyResult:
    """Keep Employee records in step with a directory (``source``: the
    connector's slug). Matches by directory id, then employee number, then
    email; creates who is missing (without a user account); updates what the
    directory owns and keeps aside what a person typed; resolves managers once
    every row is in; matches departments by code, then name, creating missing
    ones. Set-based: a constant number of queries per batch of ``BATCH_SIZE``."""
    run = _Apply(source)
    seen = set()
    unique = []
    for person in people:
        if person.directory_id and person.directory_id not in seen:
            seen.add(person.directory_id)
            unique.append(person)
    for start in range(0, len(unique), BATCH_SIZE):
        run.batch(unique[start : start + BATCH_SIZE])
    run.apply_managers()
    return DirectoryApplyResult(
        created=run.created,
        updated=run.updated,
        unchanged=run.unchanged,
        kept=run.kept,
        leaving=run.leaving,
    )
