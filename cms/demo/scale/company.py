"""The generated company: departments, users, employees with their org chart,
and the staff groups (HR, IT, managers)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from cms.models import Department, Employee, Role

from .bulk import Copier
from .spec import BENCH_PASSWORD, ScaleSpec, anchor

__all__ = ["COMPANIES", "FAN_OUT", "People", "company_create"]

# A person is one surname and two given names (``person_name``).
SURNAMES = [
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Huang",
    "Zhao",
    "Wu",
    "Zhou",
    "Xu",
    "Sun",
    "Ma",
    "Zhu",
    "Hu",
    "Guo",
    "He",
    "Lin",
    "Gao",
    "Luo",
    "Zheng",
    "Liang",
    "Xie",
    "Song",
    "Tang",
    "Han",
    "Feng",
    "Deng",
    "Cao",
    "Peng",
    "Zeng",
    "Xiao",
    "Tian",
    "Dong",
    "Pan",
    "Yuan",
    "Cai",
    "Jiang",
    "Yu",
    "Du",
    "Ye",
    "Cheng",
    "Wei",
    "Su",
    "Lü",
    "Ding",
    "Ren",
    "Shen",
    "Yao",
    "Lu",
]
GIVEN = [
    "Wei",
    "Fang",
    "Na",
    "Min",
    "Jing",
    "Li",
    "Qiang",
    "Lei",
    "Jun",
    "Yang",
    "Yong",
    "Yan",
    "Jie",
    "Juan",
    "Tao",
    "Ming",
    "Chao",
    "Xiu",
    "Xia",
    "Ping",
    "Gang",
    "Hui",
    "Hong",
    "Bo",
    "Lan",
    "Yu",
    "Hao",
    "Kai",
    "Ning",
    "Xin",
    "Rui",
    "Yi",
    "Chen",
    "Lin",
    "Feng",
    "Dan",
    "Ting",
    "Qian",
    "Bin",
    "Hua",
    "Long",
    "Mei",
    "Shan",
    "Yun",
    "Zhen",
]
POSITIONS = (
    "Account manager",
    "Sales representative",
    "Software engineer",
    "Senior engineer",
    "Product manager",
    "Accountant",
    "Buyer",
    "Project manager",
    "Support engineer",
    "Analyst",
)
# The customers and projects the company's work is about.
COMPANIES = (
    "Huaxin Logistics",
    "Minghe Foods",
    "Qingyun Textiles",
    "Donghai Shipping",
    "Jinlong Machinery",
    "Baiyun Pharma",
    "Tianfu Telecom",
    "Hengda Steel",
    "Lianhua Retail",
    "Xinghe Energy",
)
HR_STAFF = 20
IT_STAFF = 20
# Reports per manager, and divisions under the root (teams under each division).
FAN_OUT = 8


@dataclass
class People:
    user_ids: list  # employee number (1-based) -> user pk
    employee_ids: list
    usernames: dict
    manager_of: dict  # employee number -> manager employee number
    hr: list  # employee numbers
    it: list
    successor: int  # employee number of the bench successor


def person_name(number: int) -> tuple[str, str]:
    surname = SURNAMES[number % len(SURNAMES)]
    given = GIVEN[(number // len(SURNAMES)) % len(GIVEN)]
    second = GIVEN[(number * 7 + 3) % len(GIVEN)].lower()
    return given + second, surname


def _departments(spec: ScaleSpec):
    """The root (the seed's marker), ``FAN_OUT`` divisions and their teams."""
    root = Department.objects.create(
        code=spec.marker, name=f"Scale Co. (seed {spec.seed}, {spec.today})"
    )
    divisions = [
        Department.objects.create(
            code=f"scale-s{spec.seed}-division-{number + 1}",
            name=f"Division {number + 1}",
            parent=root,
        )
        for number in range(FAN_OUT)
    ]
    teams = [
        Department.objects.create(
            code=f"scale-s{spec.seed}-team-{number + 1}",
            name=f"Team {number + 1}",
            parent=divisions[number % FAN_OUT],
        )
        for number in range(FAN_OUT * FAN_OUT)
    ]
    return root, divisions, teams


def _department_of(number: int, root, divisions, teams):
    """The team of the employee's second-level ancestor in the org chart."""
    ancestor = number
    while ancestor > 1 + FAN_OUT + FAN_OUT * FAN_OUT:
        ancestor = (ancestor - 2) // FAN_OUT + 1
    if ancestor == 1:
        return root
    if ancestor <= 1 + FAN_OUT:
        return divisions[(ancestor - 2) % FAN_OUT]
    return teams[(ancestor - 2 - FAN_OUT) % len(teams)]


def _role_ids() -> list:
    roles = list(Role.objects.all())
    if not roles:
        roles = [Role.objects.create(code="general", name="General")]
    return [role.pk for role in roles]


def company_create(spec: ScaleSpec, ids, copier: Copier, rng: random.Random, say):
    """Departments, users, employees (with the org chart) and staff groups."""
    User = get_user_model()
    prefix = spec.prefix
    root, divisions, teams = _departments(spec)
    role_ids = _role_ids()
    password = make_password(BENCH_PASSWORD)
    joined = anchor(spec.today) - dt.timedelta(days=6 * 365)
    count = spec.employees
    user_ids = [None] + [ids[User].take() for _ in range(count)]
    employee_ids = [None] + [ids[Employee].take() for _ in range(count)]
    hr = list(range(2, 2 + HR_STAFF))
    it = list(range(2 + HR_STAFF, 2 + HR_STAFF + IT_STAFF))
    successor = count  # a leaf of the org chart: no reports
    usernames = {}
    manager_of = {}
    users, employees = [], []
    for number in range(1, count + 1):
        first, last = person_name(number)
        if number == successor:
            username = f"{prefix}.successor"
        elif number == hr[0]:
            username = f"{prefix}.hr"
        else:
            username = f"{prefix}.u{number:06d}"
        usernames[user_ids[number]] = username
        users.append(
            {
                "id": user_ids[number],
                "password": password,
                "last_login": None,
                "is_superuser": False,
                "username": username,
                "first_name": first,
                "last_name": last,
                "email": f"{username}@scale.example",
                "is_staff": False,
                "is_active": True,
                "date_joined": joined + dt.timedelta(minutes=number),
            }
        )
        manager = (number - 2) // FAN_OUT + 1 if number > 1 else None
        manager_of[number] = manager
        if number in hr:
            position = "HR business partner"
        elif number in it:
            position = "IT administrator"
        else:
            position = POSITIONS[number % len(POSITIONS)]
        employees.append(
            {
                "id": employee_ids[number],
                "employee_number": f"S{spec.seed}-{number:06d}",
                "name": f"{first} {last}",
                "department_id": _department_of(number, root, divisions, teams).pk,
                "position": position,
                "role_id": role_ids[number % len(role_ids)],
                "hire_date": spec.today - dt.timedelta(days=30 + rng.randint(0, 4000)),
                "manager_id": employee_ids[manager] if manager else None,
                "work_email": f"{username}@scale.example",
                "work_phone": f"+86 21 5{number:07d}",
                "status": Employee.Status.ACTIVE,
                "directory_id": f"uid={username}",
                "user_id": user_ids[number],
            }
        )
    copier.copy(User, users)
    copier.copy(Employee, employees)
    copier.copy(User.groups.through, _memberships(ids, user_ids, hr, it))
    say(f"  {count} users and employees, {len(teams)} teams")
    return People(
        user_ids=user_ids,
        employee_ids=employee_ids,
        usernames=usernames,
        manager_of=manager_of,
        hr=hr,
        it=it,
        successor=successor,
    )


def _memberships(ids, user_ids, hr, it) -> list[dict]:
    """Everyone is an employee; HR, IT and the top of the org chart (the
    managers of the divisions and teams) also in their groups."""
    User = get_user_model()
    groups = {group.name: group.pk for group in Group.objects.all()}
    membership = []
    for number in range(1, len(user_ids)):
        names = ["Employees"]
        if number in hr:
            names.append("HR")
        if number in it:
            names.append("IT")
        if number <= 1 + FAN_OUT + FAN_OUT * FAN_OUT:
            names.append("Managers")
        membership += [
            {
                "id": ids[User.groups.through].take(),
                "user_id": user_ids[number],
                "group_id": groups[name],
            }
            for name in names
            if name in groups
        ]
    return membership
