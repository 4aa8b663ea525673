"""Demo data for ``manage.py seed_demo``: idempotent, and it never overwrites
what someone changed (existing users, snippets and templates are left alone)."""

import datetime
import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from wagtail.models import (
    GroupApprovalTask,
    GroupPagePermission,
    Locale,
    Page,
    Site,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from cms.hooks import run_demo_handover_seeders, run_demo_seeders
from cms.models import (
    ChecklistTemplatePage,
    Department,
    Employee,
    Handover,
    Role,
    TemplateIndexPage,
)
from cms.services import handover_start

from .chinese import localise_translation, seed_chinese_branch
from .content import TEMPLATES, localise, template_body

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "baton-demo"
LANGUAGES = ("en", "zh-hans")

GROUPS = {
    "HR": {
        "admin": True,
        "snippets": ("add", "change", "delete", "view"),
        "pages": ("add", "change"),
    },
    "HR heads": {
        "admin": True,
        "snippets": ("add", "change", "delete", "view"),
        "pages": ("add", "change", "publish"),
    },
    "IT": {"admin": True, "snippets": ("view",), "pages": ()},
    "Managers": {"admin": False, "snippets": (), "pages": ()},
    "Employees": {"admin": False, "snippets": (), "pages": ()},
}

USERS = [
    # username, first, last, groups
    ("hr", "Na", "Li", ["HR", "Employees"]),
    ("hrhead", "Min", "Wang", ["HR heads", "Employees"]),
    ("it", "Jun", "Zhao", ["IT", "Employees"]),
    ("manager", "Wei", "Zhang", ["Managers", "Employees"]),
    ("sales", "Fang", "Chen", ["Employees"]),
    ("dev", "Lei", "Liu", ["Employees"]),
    ("successor", "Jing", "Yang", ["Employees"]),
]

ROLES = [
    ("sales", "Sales", "Account managers and sales staff."),
    ("engineer", "Engineer", "Software and hardware engineers."),
    ("general", "General", "Any employee."),
]

DEPARTMENTS = [
    # code, name, parent code, head username
    ("company", "Baton Demo Co.", None, "hrhead"),
    ("sales", "Sales", "company", "manager"),
    ("rnd", "R&D", "company", "manager"),
    ("hr", "Human Resources", "company", "hrhead"),
    ("it", "IT", "company", "it"),
]

INDEX_TITLE = {"en": "Handover templates", "zh-hans": "交接模板"}
INDEX_INTRO = {
    "en": "Role templates for offboarding handovers. Open one to preview it.",
    "zh-hans": "按岗位划分的离职交接模板。打开即可预览。",
}
WORKFLOW_NAME = "Template approval"
TASK_NAME = "HR head approval"


def seed(*, stdout=None, sales_handover=False, history=False):
    """The demo basics; with ``history``, also months of past handovers
    (``seed_demo`` only: tests that seed the basics stay fast)."""
    _seed_basics(stdout=stdout, sales_handover=sales_handover)
    if history:
        from .history import seed_history

        seed_history(stdout=stdout)


@transaction.atomic
def _seed_basics(*, stdout=None, sales_handover=False):
    def say(message):
        if stdout is not None:
            stdout.write(message)

    locales = {
        code: Locale.objects.get_or_create(language_code=code)[0] for code in LANGUAGES
    }
    groups = _groups()
    users = _users(groups)
    _roles_and_departments(users)
    chinese = seed_chinese_branch(users)
    indexes = _template_indexes(locales)
    _page_permissions(groups, indexes)
    _workflow(groups, indexes)
    # Other apps' demo data that templates refer to (e.g. connectors).
    run_demo_seeders()
    created = _templates(indexes, locales, users["hrhead"], chinese)
    employees = _employees(users)
    started = _demo_handover(users, employees)
    sales_started = _sales_handover(users, employees) if sales_handover else None
    say(
        f"Demo data ready: {len(users)} users, {created} template page(s) created"
        + (", a handover started for dev" if started else "")
        + (" and for sales" if sales_started else "")
        + "."
    )


def _groups():
    groups = {}
    snippet_types = ContentType.objects.get_for_models(Role, Department).values()
    for name, spec in GROUPS.items():
        group, created = Group.objects.get_or_create(name=name)
        groups[name] = group
        if not created:
            continue
        permissions = []
        if spec["admin"]:
            permissions.append(
                Permission.objects.get(
                    content_type__app_label="wagtailadmin", codename="access_admin"
                )
            )
        for content_type in snippet_types:
            for action in spec["snippets"]:
                permissions.append(
                    Permission.objects.get(
                        content_type=content_type,
                        codename=f"{action}_{content_type.model}",
                    )
                )
        if name in ("HR", "HR heads"):
            # The company's notification settings (default channel, batching)
            # and certificate settings (bilingual or not).
            permissions += Permission.objects.filter(
                content_type__app_label__in=["cms", "reports"],
                codename__in=[
                    "change_notificationsettings",
                    "change_certificatesettings",
                ],
            )
        group.permissions.add(*permissions)
    return groups


def _users(groups):
    User = get_user_model()
    users = {}
    for username, first, last, group_names in USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@baton.example",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            user.groups.add(*(groups[name] for name in group_names))
        users[username] = user
    return users


def _roles_and_departments(users):
    for code, name, description in ROLES:
        Role.objects.get_or_create(
            code=code, defaults={"name": name, "description": description}
        )
    for code, name, parent_code, head in DEPARTMENTS:
        Department.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "parent": Department.objects.filter(code=parent_code).first()
                if parent_code
                else None,
                "head": users[head],
            },
        )


def _template_indexes(locales):
    """The English library is the site's root page; the Chinese one is its
    translation, served under /zh-hans/."""
    root = Page.get_first_root_node()
    site = Site.objects.filter(is_default_site=True).first()
    index = TemplateIndexPage.objects.filter(locale=locales["en"]).first()
    if index is None:
        index = TemplateIndexPage(
            title=INDEX_TITLE["en"],
            slug="templates",
            intro=INDEX_INTRO["en"],
            locale=locales["en"],
        )
        root.add_child(instance=index)
        index.save_revision().publish()
        welcome = site.root_page.specific if site else None
        if site is None:
            site = Site.objects.create(
                hostname="localhost",
                root_page=index,
                is_default_site=True,
                site_name="Baton",
            )
        else:
            site.root_page = index
            site.site_name = "Baton"
            site.save()
        # Wagtail's starter "Welcome" page has no place in Baton.
        if (
            welcome is not None
            and type(welcome) is Page
            and not welcome.get_children().exists()
        ):
            welcome.delete()
    indexes = {"en": index}
    zh_index = index.get_translations().filter(locale=locales["zh-hans"]).first()
    if zh_index is None:
        zh_index = index.copy_for_translation(locales["zh-hans"])
        zh_index.title = INDEX_TITLE["zh-hans"]
        zh_index.intro = INDEX_INTRO["zh-hans"]
        zh_index.save_revision().publish()
    indexes["zh-hans"] = zh_index.specific
    return indexes


def _page_permissions(groups, indexes):
    for name, spec in GROUPS.items():
        for index in indexes.values():
            for action in spec["pages"]:
                permission = Permission.objects.get(
                    content_type__app_label="wagtailcore", codename=f"{action}_page"
                )
                GroupPagePermission.objects.get_or_create(
                    group=groups[name], page=index, permission=permission
                )


def _workflow(groups, indexes):
    workflow, created = Workflow.objects.get_or_create(name=WORKFLOW_NAME)
    if created:
        task = GroupApprovalTask.objects.create(name=TASK_NAME)
        task.groups.set([groups["HR heads"]])
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    for index in indexes.values():
        WorkflowPage.objects.get_or_create(page=index, defaults={"workflow": workflow})


def _templates(indexes, locales, publisher, chinese):
    created = 0
    for slug, spec in TEMPLATES.items():
        original = ChecklistTemplatePage.objects.filter(
            locale=locales["en"], slug=slug
        ).first()
        if original is None:
            original = ChecklistTemplatePage(
                title=localise(spec["title"], "en"),
                slug=slug,
                description=localise(spec["description"], "en"),
                role=Role.objects.get(code=spec["role"]),
                body=template_body(slug, "en"),
            )
            indexes["en"].add_child(instance=original)
            original.departments.set(
                Department.objects.filter(code__in=spec["departments"])
            )
            original.save_revision(user=publisher).publish(user=publisher)
            created += 1
        if not original.get_translations().filter(locale=locales["zh-hans"]).exists():
            translation = original.copy_for_translation(locales["zh-hans"]).specific
            translation.title = localise(spec["title"], "zh-hans")
            translation.description = localise(spec["description"], "zh-hans")
            translation.body = template_body(slug, "zh-hans")
            translation.departments.set(original.departments.all())
            localise_translation(translation, *chinese)
            translation.save_revision(user=publisher).publish(user=publisher)
            created += 1
    return created


EMPLOYEES = [
    # number, username, name, department, role, position, manager number
    ("E0001", "hrhead", "Wang Min", "hr", "general", "Head of HR", None),
    (
        "E0002",
        "manager",
        "Zhang Wei",
        "sales",
        "general",
        "Sales and R&D director",
        "E0001",
    ),
    ("E0003", "hr", "Li Na", "hr", "general", "HR business partner", "E0001"),
    ("E0004", "it", "Zhao Jun", "it", "general", "IT administrator", "E0001"),
    ("E0005", "sales", "Chen Fang", "sales", "sales", "Key account manager", "E0002"),
    ("E0006", "dev", "Liu Lei", "rnd", "engineer", "Backend engineer", "E0002"),
    ("E0007", "successor", "Yang Jing", "sales", "sales", "Account manager", "E0002"),
]


def _employees(users):
    employees = {}
    for number, username, name, department, role, position, manager in EMPLOYEES:
        employee, _created = Employee.objects.get_or_create(
            employee_number=number,
            defaults={
                "name": name,
                "department": Department.objects.filter(code=department).first(),
                "role": Role.objects.filter(code=role).first(),
                "position": position,
                "manager": employees.get(manager),
                "work_email": users[username].email,
                "user": users[username],
                "hire_date": datetime.date(2021, 3, 1),
            },
        )
        employees[number] = employee
    return employees


def _sales_handover(users, employees):
    """A Sales handover for `make run`, filled from the CRM and OA samples and
    the example client spreadsheet (tests start their own sales handovers)."""
    sales = employees["E0005"]
    if Handover.objects.filter(employee=sales).exists():
        return None
    template = ChecklistTemplatePage.objects.live().get(
        slug="sales", locale__language_code="en"
    )
    today = datetime.date.today()
    handover = handover_start(
        actor=users["hr"],
        employee=sales,
        template=template,
        resignation_date=today - datetime.timedelta(days=3),
        last_working_day=today + datetime.timedelta(days=14),
        successors=[users["successor"]],
        manager=users["manager"],
        it_users=[users["it"]],
    )
    run_demo_handover_seeders(handover=handover, actor=users["hr"])
    return handover


def _demo_handover(users, employees):
    """One handover in progress for dev, so a new user sees the flow at once."""
    dev = employees["E0006"]
    if Handover.objects.filter(employee=dev).exists():
        return False
    template = ChecklistTemplatePage.objects.live().get(
        slug="tech", locale__language_code="en"
    )
    today = datetime.date.today()
    handover_start(
        actor=users["hr"],
        employee=dev,
        template=template,
        resignation_date=today - datetime.timedelta(days=7),
        last_working_day=today + datetime.timedelta(days=21),
        successors=[users["successor"]],
        manager=users["manager"],
        it_users=[users["it"]],
    )
    return True
