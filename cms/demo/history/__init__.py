"""Eight months of handovers for the demo (``seed_demo``; ``--no-history``
skips them), so the dashboard and the reports have something to say on the
first ``make run``.

About three dozen employees left: most handovers were completed and
certified (the older ones late, the recent ones on the day), a few are in
review, several are open (overdue, stuck, waiting for an answer, without a
successor), some are drafts or were cancelled. Access was revoked in the
company directory (some changes failed, some access was still active after
departure) and some syncs failed.

How: ``cms.demo.scale`` loads with PostgreSQL's COPY, and ``make run`` uses
SQLite; playing every step through ``cms.services`` one call at a time takes
over a minute there. So each story is played by scale's ``Player`` (the
in-memory replica of the services that ``tests/test_seed_scale.py`` holds to
the services' rows) up to the approval, each step at its own moment, and its
rows are inserted with the ORM; what follows goes through the real code on a
moved clock (``clock.HistoryClock``): the certificate is issued by the real
issuing task (WeasyPrint) at the moment of approval, by-hand access through
``connectors.access``, a successor removed through ``cms.services``. Audit
chains, checkpoints and signatures verify (``manage.py verify_audit``).

Idempotent: a story whose leaver already has a handover is not played again,
and the people are created once."""

import datetime
import gc
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from cms.models import Department, Employee, Handover, Role

from .clock import HistoryClock
from .connector_rows import directory
from .player import cast_for, play
from .stories import LEAVERS, STAFF, STORIES

__all__ = ["seed_history"]

HIRED = datetime.date(2022, 4, 1)


def _username(name: str, number: str) -> str:
    surname, given = name.lower().split(" ", 1)
    return f"{given}.{surname}.{number.lower()}"


def _employee(number, name, department, role, position, manager, group):
    """The employee and their user account: no usable password (they are not
    demo logins), in the "Employees" group."""
    User = get_user_model()
    employee = Employee.objects.filter(employee_number=number).first()
    if employee is not None:
        return employee
    username = _username(name, number)
    surname, given = name.split(" ", 1)
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": given,
            "last_name": surname,
            "email": f"{username}@baton.example",
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(group)
    return Employee.objects.create(
        employee_number=number,
        name=name,
        department=Department.objects.get(code=department),
        role=Role.objects.get(code=role),
        position=position,
        manager=Employee.objects.get(employee_number=manager),
        work_email=user.email,
        user=user,
        hire_date=HIRED,
    )


def _people() -> dict:
    group = Group.objects.get(name="Employees")
    people = {}
    for number, name, department, role, position, manager in STAFF:
        people[number] = _employee(
            number, name, department, role, position, manager, group
        )
    for number, spec in LEAVERS.items():
        name, department, role, position, manager, _template, _successor = spec
        people[number] = _employee(
            number, name, department, role, position, manager, group
        )
    return people


def seed_history(*, stdout=None) -> int:
    """Play every story not played yet; returns how many were played. Each
    story commits on its own (a failure keeps the ones before it)."""
    began = time.perf_counter()
    User = get_user_model()
    with transaction.atomic():
        people = _people()
        directory()
    employees = {
        number: employee
        for number, employee in people.items()
        if number in LEAVERS and not Handover.objects.filter(employee=employee).exists()
    }
    if not employees:
        return 0
    cast = cast_for(
        hr=User.objects.get(username="hr"),
        it=User.objects.get(username="it"),
        today=timezone.localdate(),
        now=timezone.now(),
        users=User.objects.all(),
    )
    successors = {
        employee.employee_number: employee.user
        for employee in Employee.objects.filter(
            employee_number__in={spec[-1] for spec in LEAVERS.values()}
        ).select_related("user")
    }
    # Each certificate ends with a full garbage collection (reports frees the
    # laid-out document at once); over the whole heap of a Django process it
    # costs more than the rendering. What exists now lives until the command
    # ends: leave it out of those collections.
    gc.collect()
    gc.freeze()
    played = 0
    clock = HistoryClock()
    try:
        with clock.running():
            for story in STORIES:
                employee = employees.get(story.number)
                if employee is None:
                    continue
                template, successor = LEAVERS[story.number][-2:]
                with transaction.atomic():
                    play(
                        story, cast, employee, (template, successors[successor]), clock
                    )
                played += 1
    finally:
        gc.unfreeze()
    if stdout is not None:
        stdout.write(
            f"Demo history: {played} handover(s) over the past months "
            f"({time.perf_counter() - began:.1f} s)."
        )
    return played
