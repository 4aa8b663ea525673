"""The dashboard and every report cost the same number of queries for 2 and
for 20 handovers, within their budgets (dashboard 8, report 6)."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms.models import Handover, Item, ParticipantRole, Signature
from connectors.models import AccessAction, SyncRun
from reports.figures import (
    REPORTS,
    ReportFilters,
    build_report,
    dashboard_for,
    scope_for,
)

from .builders import (
    access_action,
    add_employee,
    add_item,
    add_participant,
    ask,
    block_sync,
    connector,
    grant,
    issue_certificate,
    last_activity,
    make_handover,
    residual,
    sign,
    sync_run,
    utc,
)

DASHBOARD_BUDGET = 8
REPORT_BUDGET = 6
PERIOD = ReportFilters(start=date(2026, 1, 1), end=date(2026, 3, 31))
STATES = [
    Handover.State.DRAFT,
    Handover.State.IN_PROGRESS,
    Handover.State.IN_REVIEW,
    Handover.State.COMPLETED,
]


def _populate(world, count: int):
    """``count`` handovers in the lead's chain with something for every
    figure: items in each state, signatures, questions, certificates, access
    changes, residual access and connector runs."""
    u = world.users
    crm = connector(f"CRM {count}", f"crm-{count}")
    for number in range(count):
        employee = add_employee(
            world,
            f"q{count}-{number}",
            department="sales-east",
            role="sales",
            manager="teamlead",
        )
        state = STATES[number % len(STATES)]
        handover = make_handover(
            world,
            employee,
            state=state,
            last_working_day=date(2026, 1, 1 + number % 28),
            started_at=utc(2026, 1, 1 + number % 28, 1),
            review_started_at=utc(2026, 2, 1, 1),
        )
        add_participant(handover, u["successor"], ParticipantRole.SUCCESSOR)
        add_participant(handover, u["lead"], ParticipantRole.MANAGER)
        add_participant(handover, u["it"], ParticipantRole.IT)
        last_activity(handover, utc(2026, 1, 2))
        items = [
            add_item(
                handover,
                f"b{index}:{number}" if index == 0 else f"b{index}",
                state=item_state,
                assignee=u["successor"],
                confirmed_by_role=role,
                filled_by_role=ParticipantRole.IT,
                due_date=date(2026, 1, 10),
            )
            for index, (item_state, role) in enumerate(
                [
                    (Item.State.RETURNED, ParticipantRole.SUCCESSOR),
                    (Item.State.SUBMITTED, ParticipantRole.MANAGER),
                    (Item.State.PENDING, ParticipantRole.IT),
                    (Item.State.ACCEPTED, ParticipantRole.SUCCESSOR),
                ]
            )
        ]
        sign(
            handover,
            item=items[0],
            signer=u["successor"],
            role=ParticipantRole.SUCCESSOR,
            decision=Signature.Decision.RETURN,
            signed_at=utc(2026, 1, 20),
        )
        sign(
            handover,
            item=items[3],
            signer=u["successor"],
            role=ParticipantRole.SUCCESSOR,
            decision=Signature.Decision.ACCEPT,
            signed_at=utc(2026, 1, 21),
        )
        ask(items[0], author=u["successor"], created_at=utc(2026, 1, 20))
        if state == Handover.State.COMPLETED:
            issue_certificate(handover, utc(2026, 2, 1 + number % 27))
        access = grant(handover)
        access_action(
            handover,
            access=access,
            state=AccessAction.State.VERIFIED,
            scheduled_for=utc(2026, 1, 20),
            finished_at=utc(2026, 1, 21),
        )
        access_action(
            handover,
            operation=AccessAction.Operation.MANUAL,
            scheduled_for=utc(2026, 1, 20),
        )
        residual(access, days_after=1)
        block_sync(handover, state="failed")
        sync_run(
            crm,
            state=SyncRun.State.FAILED,
            started_at=utc(2026, 1, 20),
            errors=[{"message": "Timeout"}],
        )


def _fresh(user):
    """The user as a new request loads it: no permission caches."""
    return get_user_model().objects.get(pk=user.pk)


def _queries(run) -> int:
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured)


def _report_costs(world, username, filters):
    scope = scope_for(_fresh(world.users[username]))
    return {
        key: _queries(lambda key=key: build_report(scope, key, filters))
        for key in REPORTS
        if scope.can_see(key)
    }


def _dashboard_costs(world):
    return {
        username: _queries(
            lambda username=username: dashboard_for(
                _fresh(world.users[username]), today=date(2026, 1, 15)
            )
        )
        for username in ("hr", "it", "lead")
    }


@pytest.mark.parametrize(
    ("username", "filters"),
    [
        ("hr", PERIOD),
        ("lead", PERIOD),
        ("it", PERIOD),
        (
            "hr",
            ReportFilters(
                PERIOD.start, PERIOD.end, group="department", role=None, template=None
            ),
        ),
    ],
)
def test_reports_cost_the_same_for_2_and_20_handovers(world, username, filters):
    _populate(world, 2)
    small = _report_costs(world, username, filters)
    _populate(world, 18)
    large = _report_costs(world, username, filters)

    assert small == large
    assert max(large.values()) <= REPORT_BUDGET, large


def test_filtered_reports_cost_no_more(world, django_assert_max_num_queries):
    _populate(world, 20)
    filters = ReportFilters(
        PERIOD.start,
        PERIOD.end,
        department=world.departments["sales"],
        role=world.roles["sales"],
        template=world.templates["sales"],
        group="template",
    )
    scope = scope_for(_fresh(world.users["hr"]))

    for key in REPORTS:
        with django_assert_max_num_queries(REPORT_BUDGET):
            report = build_report(scope, key, filters)
        assert report.key == key


def test_dashboards_cost_the_same_for_2_and_20_handovers(
    world, django_assert_max_num_queries
):
    _populate(world, 2)
    small = _dashboard_costs(world)
    _populate(world, 18)
    large = _dashboard_costs(world)

    assert small == large
    for username in ("hr", "it", "lead"):
        with django_assert_max_num_queries(DASHBOARD_BUDGET):
            panels = dashboard_for(_fresh(world.users[username]))
        assert panels


def test_the_figures_count_what_was_built(world):
    # The costs above are measured on data every figure reads.
    _populate(world, 4)
    scope = scope_for(world.users["hr"])

    counts = {key: len(build_report(scope, key, PERIOD).rows) for key in REPORTS}

    assert counts["questions"] > 0 and counts["workload"] > 0
    assert build_report(scope, "cycle-time", PERIOD).summary[0][1] == 1
    assert build_report(scope, "access", PERIOD).summary[1][1] == 4
