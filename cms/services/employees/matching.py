"""Matching a directory's people to employee records (by directory id, number,
then email) and their departments (by code, then name), a batch at a time."""

import hashlib

from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.text import slugify

from cms.models import Department, Employee

from .values import DirectoryValues

__all__ = ["department_code", "departments_of", "generated_number", "match_batch"]


def department_code(person: DirectoryValues) -> str:
    code = person.department_code or slugify(person.department_name)
    if not code or len(code) > 50:
        basis = person.department_code or person.department_name
        code = "dir-" + hashlib.sha256(basis.encode()).hexdigest()[:16]
    return code


def departments_of(people) -> dict[tuple[str, str], int]:
    """(code, name) -> department id for every department people name: by
    code, then by name, created when missing (two queries and one insert)."""
    wanted = {
        (person.department_code, person.department_name)
        for person in people
        if person.department_code or person.department_name
    }
    if not wanted:
        return {}
    codes = {code for code, _name in wanted if code} | {
        department_code(DirectoryValues("", department_code=code, department_name=name))
        for code, name in wanted
    }
    names = {name for _code, name in wanted if name}
    existing = list(
        Department.objects.filter(Q(code__in=codes) | Q(name__in=names)).only(
            "pk", "code", "name"
        )
    )
    by_code = {department.code: department.pk for department in existing}
    by_name = {department.name: department.pk for department in existing}
    found, missing = {}, {}
    for code, name in wanted:
        pk = (by_code.get(code) if code else None) or (
            by_name.get(name) if name else None
        )
        if pk is None:
            new_code = department_code(
                DirectoryValues("", department_code=code, department_name=name)
            )
            pk = by_code.get(new_code)
        if pk is None:
            missing.setdefault(new_code, (code, name))
        else:
            found[(code, name)] = pk
    created = Department.objects.bulk_create(
        [
            Department(code=new_code, name=(name or code)[:100])
            for new_code, (code, name) in missing.items()
        ]
    )
    for department, (pair) in zip(created, missing.values(), strict=True):
        found[pair] = department.pk
    return found


def generated_number(source: str, directory_id: str) -> str:
    return "D-" + hashlib.sha256(f"{source}:{directory_id}".encode()).hexdigest()[:16]


def match_batch(batch):
    """The existing employees of a batch, by directory id, number, then email
    (one query)."""
    directory_ids = {person.directory_id for person in batch}
    numbers = {person.employee_number for person in batch if person.employee_number}
    emails = {person.email.lower() for person in batch if person.email}
    employees = list(
        Employee.objects.annotate(email_key=Lower("work_email")).filter(
            Q(directory_id__in=directory_ids)
            | Q(employee_number__in=numbers)
            | Q(email_key__in=emails)
        )
    )
    by_directory = {e.directory_id: e for e in employees if e.directory_id}
    by_number = {e.employee_number: e for e in employees}
    by_email = {}
    for employee in employees:
        if employee.email_key:
            by_email.setdefault(employee.email_key, []).append(employee)
    matched = {}
    for person in batch:
        employee = by_directory.get(person.directory_id)
        if employee is None and person.employee_number:
            employee = by_number.get(person.employee_number)
        if employee is None and person.email:
            candidates = by_email.get(person.email.lower(), [])
            employee = candidates[0] if len(candidates) == 1 else None
        if employee is not None and employee.directory_id not in (
            "",
            person.directory_id,
        ):
            # Someone else's record in the directory already: not this person.
            employee = None
        matched[person.directory_id] = employee
    return matched, set(by_number)
