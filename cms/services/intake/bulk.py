"""Bulk start: a spreadsheet's rows (or an admin selection) previewed, then
started row by row; refused rows start nothing and are kept for HR."""

import uuid

from django.db import transaction
from django.utils.translation import gettext

from cms.models import ResignationEvent

from ..common import require_hr
from ..signing import NO_REQUEST
from ..start_rules import StartPlanner, codes
from .notices import (
    BulkRow,
    BulkRowPlan,
    IntakeOutcome,
    Refused,
    ResignationNotice,
    active_people,
    plan_row,
    resolve_employees,
    templates_by_id,
)
from .receive import event_key, receive, refuse_event

__all__ = ["bulk_preview", "bulk_start"]

State = ResignationEvent.State


def _bulk_plans(rows, planner) -> tuple[list[BulkRowPlan], dict, dict]:
    employees = resolve_employees(row.employee for row in rows)
    planner.preload_open_handovers(
        employee.pk for employee in employees.values() if employee is not None
    )
    people = active_people(
        [pk for row in rows for pk in row.successor_ids]
        + [row.manager_id for row in rows]
    )
    templates = templates_by_id(row.template_id for row in rows)
    first_line = {}
    previews = []
    for row in rows:
        employee = employees.get(row.employee)
        plan = None
        try:
            plan = plan_row(planner, row, employee, people, templates)
            problems, refusal_codes = plan.problems, plan.codes
            if employee.pk in first_line:
                problems = {
                    **problems,
                    "employee": [
                        *problems.get("employee", []),
                        gettext("%(name)s is already on line %(line)d.")
                        % {"name": employee.name, "line": first_line[employee.pk]},
                    ],
                }
                refusal_codes = {"employee": codes.ALREADY_OPEN, **refusal_codes}
            first_line.setdefault(employee.pk, row.line)
        except Refused as refused:
            problems, refusal_codes = refused.problems, refused.codes
        previews.append(
            BulkRowPlan(
                row=row,
                employee=employee,
                plan=plan,
                problems=problems,
                codes=refusal_codes,
            )
        )
    return previews, people, templates


def bulk_preview(*, rows: list[BulkRow]) -> list[BulkRowPlan]:
    """Each row's plan or refusals, before anything starts. Reads only, in a
    number of queries that does not grow with the rows' employees or people."""
    return _bulk_plans(rows, StartPlanner())[0]


def bulk_start(*, actor, rows: list[BulkRow], meta=NO_REQUEST) -> list[IntakeOutcome]:
    """Start a handover for each startable row, each in its own transaction:
    a refused row starts nothing and is kept as a refused event for HR; the
    others start. One outcome per row, in the rows' order."""
    require_hr(actor)
    planner = StartPlanner()
    previews, people, templates = _bulk_plans(rows, planner)
    batch = uuid.uuid4().hex
    outcomes = []
    for preview in previews:
        row = preview.row
        notice = ResignationNotice(
            source=ResignationEvent.Source.BULK,
            external_id=f"{batch}:{row.line}",
            employee=row.employee,
            resignation_date=row.resignation_date,
            last_working_day=row.last_working_day,
            reason=row.reason,
            template_id=row.template_id,
            successor_ids=tuple(row.successor_ids),
            manager_id=row.manager_id,
            payload={"line": row.line},
        )
        if not preview.startable:
            outcomes.append(_bulk_refused(notice, preview))
            continue
        outcomes.append(
            receive(
                notice=notice,
                mode="start",
                actor=actor,
                meta=meta,
                employee=preview.employee,
                planner=planner,
                people=people,
                templates=templates,
                plan=preview.plan,
            )
        )
    return outcomes


@transaction.atomic
def _bulk_refused(notice, preview: BulkRowPlan) -> IntakeOutcome:
    event = ResignationEvent.objects.create(
        **event_key(notice),
        employee=preview.employee,
        employee_ref=notice.employee.as_json(),
        resignation_date=notice.resignation_date,
        last_working_day=notice.last_working_day,
        reason=notice.reason,
        payload=notice.payload,
        state=State.REFUSED,
    )
    return refuse_event(event, preview.problems, preview.codes, preview.plan)
