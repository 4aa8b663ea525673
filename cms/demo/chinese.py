"""The demo's Chinese branch: roles, departments and employees named in Chinese,
and the Chinese template library's pages tied to them.

Roles, departments and positions are company data, not translatable pages: a
Chinese-speaking company names them in Chinese. So the zh-Hans site gets its own
branch of the org chart (codes prefixed ``zh-``) rather than translations of the
English one, which stays as it is for the English site. Like the rest of the
demo, it is created once and never overwritten.
"""

import datetime

from cms.models import ChecklistTemplatePage, Department, Employee, Role

__all__ = [
    "ZH_DEPARTMENTS",
    "ZH_EMPLOYEES",
    "ZH_ROLES",
    "localise_translation",
    "seed_chinese_branch",
]

ZH_ROLES = [
    # code, name, description, the English role whose templates it takes
    ("zh-sales", "销售", "客户经理与销售人员。", "sales"),
    ("zh-engineer", "研发工程师", "软件与硬件工程师。", "engineer"),
    ("zh-general", "通用岗位", "适用于所有员工。", "general"),
]

ZH_DEPARTMENTS = [
    # code, name, parent code, head username, the English department it mirrors
    ("zh-company", "接力演示（上海）有限公司", None, "hrhead", "company"),  # noqa: RUF001
    ("zh-sales", "销售部", "zh-company", "manager", "sales"),
    ("zh-rnd", "研发部", "zh-company", "manager", "rnd"),
    ("zh-hr", "人力资源部", "zh-company", "hrhead", "hr"),
    ("zh-it", "信息技术部", "zh-company", "it", "it"),
]

ZH_EMPLOYEES = [
    # number, name, department, role, position, manager number
    ("Z0001", "周婷", "zh-hr", "zh-general", "人力资源总监", None),
    ("Z0002", "吴强", "zh-sales", "zh-general", "销售总监", "Z0001"),
    ("Z0003", "孙悦", "zh-sales", "zh-sales", "大客户经理", "Z0002"),
    ("Z0004", "郑浩", "zh-sales", "zh-sales", "客户经理", "Z0002"),
    ("Z0005", "黄丽", "zh-rnd", "zh-engineer", "后端工程师", "Z0002"),
    ("Z0006", "马超", "zh-it", "zh-general", "IT 运维工程师", "Z0001"),
]


def seed_chinese_branch(users):
    """Create the branch; returns the Chinese roles and departments by the code
    of the English ones they mirror (for the Chinese template pages)."""
    roles = {}
    for code, name, description, english in ZH_ROLES:
        roles[english] = Role.objects.get_or_create(
            code=code, defaults={"name": name, "description": description}
        )[0]
    departments = {}
    for code, name, parent_code, head, english in ZH_DEPARTMENTS:
        departments[english] = Department.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "parent": Department.objects.filter(code=parent_code).first(),
                "head": users[head],
            },
        )[0]
    _employees()
    return roles, departments


def _employees():
    employees = {}
    for number, name, department, role, position, manager in ZH_EMPLOYEES:
        employees[number] = Employee.objects.get_or_create(
            employee_number=number,
            defaults={
                "name": name,
                "department": Department.objects.filter(code=department).first(),
                "role": Role.objects.filter(code=role).first(),
                "position": position,
                "manager": employees.get(manager),
                "work_email": f"{number.lower()}@baton.example",
                "hire_date": datetime.date(2022, 9, 1),
            },
        )[0]


def localise_translation(translation: ChecklistTemplatePage, roles, departments):
    """A new Chinese template page takes the Chinese role of its English
    original's, and the Chinese departments beside the English ones.

    The English departments stay: HR starts a handover in Chinese for anyone in
    the company, and the suggestions (``suggest_templates``, start rules) rank a
    template by the leaver's role and department, which are the English ones
    for the English org chart."""
    original_role = translation.role.code if translation.role_id else None
    if original_role in roles:
        translation.role = roles[original_role]
    mirrors = [
        departments[department.code]
        for department in translation.departments.all()
        if department.code in departments
    ]
    translation.departments.add(*mirrors)
