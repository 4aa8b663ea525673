"""A small company built row by row, and handovers with known timestamps:
the reports' tests compute every expected figure by hand from these."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from wagtail.models import Page

from cms.models import (
    AuditChainCheckpoint,
    Certificate,
    ChecklistTemplatePage,
    Comment,
    Department,
    Employee,
    Handover,
    Item,
    Participant,
    ParticipantRole,
    Role,
    Signature,
    TemplateIndexPage,
)
from connectors.models import (
    AccessAction,
    AccessGrant,
    BlockSync,
    ConnectorConfig,
    ResidualAccess,
    SyncRun,
)

_numbers = itertools.count(1)


def utc(*parts) -> datetime:
    """An aware UTC datetime: utc(2026, 1, 5, 1, 0)."""
    return datetime(*parts, tzinfo=UTC)


@dataclass
class World:
    """Departments company > sales > sales-east and company > rnd; roles
    sales and engineer; two templates; people:

    - ``hr`` (HR group), ``it`` (IT group), ``member`` (nobody reports to them)
    - ``boss`` ← ``lead`` ← ``teamlead`` ← ``worker`` (two levels below lead)
    - ``boss`` ← ``peer`` ← ``peer_report`` (the lead's peer and their team)
    - ``gone``: a manager whose account is inactive (``gone_report`` reports)
    """

    users: dict = field(default_factory=dict)
    employees: dict = field(default_factory=dict)
    departments: dict = field(default_factory=dict)
    roles: dict = field(default_factory=dict)
    templates: dict = field(default_factory=dict)


def _user(username, *, groups=(), is_active=True):
    user = get_user_model().objects.create_user(
        username=username,
        email=f"{username}@example.com",
        password="correct horse battery",
        is_active=is_active,
    )
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def add_employee(
    world: World,
    key: str,
    *,
    department=None,
    role=None,
    manager=None,
    user=None,
    name=None,
) -> Employee:
    employee = Employee.objects.create(
        employee_number=f"T{next(_numbers):05d}",
        name=name or key.replace("_", " ").title(),
        department=world.departments.get(department) if department else None,
        role=world.roles.get(role) if role else None,
        manager=world.employees[manager] if manager else None,
        user=user,
    )
    world.employees[key] = employee
    return employee


def _template(index: TemplateIndexPage, slug: str, title: str, role: Role):
    page = ChecklistTemplatePage(title=title, slug=slug, role=role, body=[])
    index.add_child(instance=page)
    page.save_revision().publish()
    return ChecklistTemplatePage.objects.get(pk=page.pk)


def build_world() -> World:
    world = World()
    company = Department.objects.create(code="t-company", name="Company")
    sales = Department.objects.create(code="t-sales", name="Sales", parent=company)
    world.departments = {
        "company": company,
        "sales": sales,
        "sales-east": Department.objects.create(
            code="t-sales-east", name="Sales East", parent=sales
        ),
        "rnd": Department.objects.create(code="t-rnd", name="R&D", parent=company),
    }
    world.roles = {
        "sales": Role.objects.create(code="t-sales", name="Sales"),
        "engineer": Role.objects.create(code="t-engineer", name="Engineer"),
    }
    for username, groups in (
        ("hr", ["HR"]),
        ("it", ["IT"]),
        ("member", []),
        ("boss", []),
        ("lead", []),
        ("teamlead", []),
        ("worker", []),
        ("peer", []),
        ("peer_report", []),
        ("successor", []),
        ("successor2", []),
    ):
        world.users[username] = _user(username, groups=groups)
    world.users["gone"] = _user("gone", is_active=False)
    world.users["named_manager"] = _user("named_manager", groups=["Managers"])

    add_employee(world, "hr", department="company", user=world.users["hr"])
    add_employee(world, "it", department="company", user=world.users["it"])
    add_employee(world, "member", department="rnd", user=world.users["member"])
    add_employee(world, "boss", department="company", user=world.users["boss"])
    add_employee(
        world, "lead", department="sales", manager="boss", user=world.users["lead"]
    )
    add_employee(
        world,
        "teamlead",
        department="sales-east",
        manager="lead",
        user=world.users["teamlead"],
    )
    add_employee(
        world,
        "worker",
        department="sales-east",
        role="sales",
        manager="teamlead",
        user=world.users["worker"],
    )
    add_employee(
        world, "peer", department="rnd", manager="boss", user=world.users["peer"]
    )
    add_employee(
        world,
        "peer_report",
        department="rnd",
        role="engineer",
        manager="peer",
        user=world.users["peer_report"],
    )
    add_employee(world, "gone", department="rnd", user=world.users["gone"])
    add_employee(world, "gone_report", department="rnd", manager="gone")
    add_employee(
        world, "named_manager", department="rnd", user=world.users["named_manager"]
    )

    root = Page.get_first_root_node()
    index = TemplateIndexPage(title="Reports test templates", slug="t-templates")
    root.add_child(instance=index)
    world.templates = {
        "sales": _template(index, "t-sales", "Sales offboarding", world.roles["sales"]),
        "engineer": _template(
            index, "t-engineer", "Engineer offboarding", world.roles["engineer"]
        ),
    }
    return world


def make_handover(
    world: World,
    employee: Employee,
    *,
    template: str = "sales",
    state: str = Handover.State.IN_PROGRESS,
    last_working_day: date,
    started_at: datetime | None = None,
    created_at: datetime | None = None,
    review_started_at: datetime | None = None,
    completed_at: datetime | None = None,
    cancelled_at: datetime | None = None,
) -> Handover:
    """A handover row with exactly these timestamps (no services: nothing else
    is written, not even an audit event)."""
    page = world.templates[template]
    handover = Handover.objects.create(
        number=f"HO-T-{next(_numbers):05d}",
        employee=employee,
        template=page,
        template_revision=page.live_revision,
        state=state,
        last_working_day=last_working_day,
        started_at=started_at,
    )
    # auto_now_add ignores a given value: set it afterwards.
    Handover.objects.filter(pk=handover.pk).update(
        created_at=created_at or started_at or utc(2026, 1, 1),
        review_started_at=review_started_at,
        completed_at=completed_at,
        cancelled_at=cancelled_at,
    )
    handover.refresh_from_db()
    return handover


def issue_certificate(handover: Handover, issued_at: datetime) -> Certificate:
    return Certificate.objects.create(
        handover=handover,
        code=f"T{next(_numbers):08d}",
        language="en",
        pdf="certificates/dummy.pdf",
        pdf_sha256="0" * 64,
        root_hash="0" * 64,
        issued_at=issued_at,
    )


def add_participant(handover, user, role) -> Participant:
    return Participant.objects.create(handover=handover, user=user, role=role)


def add_item(
    handover,
    block_id: str,
    *,
    label: str = "Item",
    section_title: str = "Section",
    state: str = Item.State.PENDING,
    filled_by_role: str = ParticipantRole.LEAVER,
    confirmed_by_role: str = ParticipantRole.SUCCESSOR,
    assignee=None,
    due_date: date | None = None,
    definition: dict | None = None,
    kind: str = "task",
) -> Item:
    return Item.objects.create(
        handover=handover,
        block_id=block_id,
        section_title=section_title,
        kind=kind,
        label=label,
        definition=definition or {},
        state=state,
        filled_by_role=filled_by_role,
        confirmed_by_role=confirmed_by_role,
        assignee=assignee,
        due_date=due_date,
    )


def sign(handover, *, signer, role, decision, signed_at, item=None) -> Signature:
    return Signature.objects.create(
        handover=handover,
        item=item,
        signer=signer,
        role=role,
        decision=decision,
        signed_at=signed_at,
        content_hash="0" * 64,
        intent_statement="test",
        auth_method="password",
        server_signature="0" * 64,
        key_id="test",
    )


def ask(item, *, author, created_at, is_question=True) -> Comment:
    comment = Comment.objects.create(
        item=item, author=author, body="Where is it?", is_question=is_question
    )
    Comment.objects.filter(pk=comment.pk).update(created_at=created_at)
    return comment


def last_activity(handover, updated_at) -> AuditChainCheckpoint:
    return AuditChainCheckpoint.objects.create(
        handover=handover,
        length=1,
        head_hash="0" * 64,
        signature="0" * 64,
        key_id="test",
        updated_at=updated_at,
    )


def connector(name: str, slug: str) -> ConnectorConfig:
    return ConnectorConfig.objects.create(type="rest", name=name, slug=slug)


def grant(handover, *, system="Mail", account="someone") -> AccessGrant:
    return AccessGrant.objects.create(
        handover=handover,
        system=system,
        kind=AccessGrant.Kind.ACCOUNT,
        account_id=f"{account}-{next(_numbers)}",
    )


def access_action(
    handover,
    *,
    operation=AccessAction.Operation.SUSPEND,
    state=AccessAction.State.PLANNED,
    scheduled_for: datetime,
    finished_at: datetime | None = None,
    access: AccessGrant | None = None,
) -> AccessAction:
    return AccessAction.objects.create(
        grant=access or grant(handover),
        handover=handover,
        operation=operation,
        description="Change",
        scheduled_for=scheduled_for,
        state=state,
        finished_at=finished_at,
    )


def residual(access: AccessGrant, *, days_after: int, active=True, resolved_at=None):
    return ResidualAccess.objects.create(
        grant=access,
        checked_at=utc(2026, 1, 1),
        days_after=days_after,
        active=active,
        resolved_at=resolved_at,
    )


def sync_run(config, *, state, started_at, finished_at=None, errors=()) -> SyncRun:
    return SyncRun.objects.create(
        connector=config,
        trigger=SyncRun.Trigger.PERIODIC,
        state=state,
        started_at=started_at,
        finished_at=finished_at,
        errors=list(errors),
    )


def block_sync(handover, *, state, block_id="crm") -> BlockSync:
    return BlockSync.objects.create(
        handover=handover, block_id=block_id, connector_slug="crm", state=state
    )
