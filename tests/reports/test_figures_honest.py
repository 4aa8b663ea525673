"""Every figure of every report and of the dashboard, against handovers built
with known timestamps and computed by hand.

The company's time zone is Asia/Shanghai (UTC+8): 15:30 UTC on the last day of
a month is already the next month there. p90 is
``statistics.quantiles(n=10, method="inclusive")[-1]``: for sorted values
v0..v(n-1) it lies at position 0.9·(n-1), between the two closest values."""

from datetime import date, timedelta
from urllib.parse import urlsplit

import django_filters
import pytest
from django.conf import settings
from django.http import QueryDict
from django.utils import timezone

from cms.models import Handover, Item, ParticipantRole, Signature
from connectors.models import AccessAction, BlockSync, SyncRun
from reports.figures import ReportFilters, build_report, dashboard_for, scope_for
from reports.figures import list_filters as list_filters_module
from reports.figures.list_filters import handover_list_filters

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

Q1 = ReportFilters(start=date(2026, 1, 1), end=date(2026, 3, 31))
SUCCESSOR = ParticipantRole.SUCCESSOR
MANAGER = ParticipantRole.MANAGER
IT = ParticipantRole.IT


def test_the_company_works_in_shanghai_time():
    assert settings.TIME_ZONE == "Asia/Shanghai"


def _hr_report(world, key, filters):
    return build_report(scope_for(world.users["hr"]), key, filters)


def _rows(report, *keys):
    return [tuple(row[key] for key in keys) for row in report.rows]


# Cycle time ------------------------------------------------------------------------


@pytest.fixture
def certified(world):
    """Five handovers certified in Q1 2026 (local time), one just after.

    start→certificate (days), last working day→certificate (calendar days):
    c1 Sales East/sales/Sales   1.0,  0  (Jan)
    c2 Sales East/sales/Sales   2.0, -1  (Jan, issued before the last day)
    c6 Sales/no role/Sales      1.0,  1  (Jan: 16:30 UTC on 31 Dec is 1 Jan)
    c3 R&D/engineer/Engineer    4.0,  2  (Feb: 23:30 local on 2 Feb)
    c4 no dept/engineer/Eng.    3.0,  2  (Feb: 23:30 UTC on 31 Jan is 1 Feb)
    c5: 16:30 UTC on 31 Mar is 1 Apr in Shanghai: outside the period."""

    def certify(key, *, department, role, template, started, last_day, issued):
        employee = add_employee(world, key, department=department, role=role)
        handover = make_handover(
            world,
            employee,
            template=template,
            state=Handover.State.COMPLETED,
            last_working_day=last_day,
            started_at=started,
            completed_at=issued,
        )
        issue_certificate(handover, issued)
        return handover

    certify(
        "c1",
        department="sales-east",
        role="sales",
        template="sales",
        started=utc(2026, 1, 5, 1),
        last_day=date(2026, 1, 6),
        issued=utc(2026, 1, 6, 1),
    )
    certify(
        "c2",
        department="sales-east",
        role="sales",
        template="sales",
        started=utc(2026, 1, 10, 1),
        last_day=date(2026, 1, 13),
        issued=utc(2026, 1, 12, 1),
    )
    certify(
        "c6",
        department="sales",
        role=None,
        template="sales",
        started=utc(2025, 12, 30, 16, 30),
        last_day=date(2025, 12, 31),
        issued=utc(2025, 12, 31, 16, 30),
    )
    certify(
        "c3",
        department="rnd",
        role="engineer",
        template="engineer",
        started=utc(2026, 1, 29, 15, 30),
        last_day=date(2026, 1, 31),
        issued=utc(2026, 2, 2, 15, 30),
    )
    certify(
        "c4",
        department=None,
        role="engineer",
        template="engineer",
        started=utc(2026, 1, 28, 23, 30),
        last_day=date(2026, 1, 30),
        issued=utc(2026, 1, 31, 23, 30),
    )
    certify(
        "c5",
        department="sales",
        role="sales",
        template="sales",
        started=utc(2026, 3, 30, 16, 30),
        last_day=date(2026, 3, 31),
        issued=utc(2026, 3, 31, 16, 30),
    )


CYCLE_COLUMNS = (
    "group",
    "handovers",
    "start_median",
    "start_p90",
    "lwd_median",
    "lwd_p90",
)


def test_cycle_time_by_month(world, certified):
    report = _hr_report(world, "cycle-time", Q1)

    assert [
        (str(label), value, str(unit)) for label, value, unit in report.summary
    ] == [
        ("Handovers", 5, ""),
        # start: 1, 1, 2, 3, 4 → median 2; p90 at 3.6 → 3 + 0.6·1
        ("Start → certificate, median", 2.0, "days"),
        ("Start → certificate, p90", 3.6, "days"),
        # last day: -1, 0, 1, 2, 2 → median 1; p90 at 3.6 → 2
        ("Last working day → certificate, median", 1.0, "days"),
        ("Last working day → certificate, p90", 2.0, "days"),
    ]
    assert _rows(report, *CYCLE_COLUMNS) == [
        # 1, 1, 2 → p90 at 1.8 → 1.8; -1, 0, 1 → p90 0.8
        ("2026-01", 3, 1.0, 1.8, 0.0, 0.8),
        # 3, 4 → median 3.5, p90 at 0.9 → 3.9
        ("2026-02", 2, 3.5, 3.9, 2.0, 2.0),
        ("2026-03", 0, None, None, None, None),
    ]
    assert report.chart.kind == "bar"
    assert report.chart.labels == ["2026-01", "2026-02", "2026-03"]
    assert [series.data for series in report.chart.series] == [
        [1.0, 3.5, None],
        [0.0, 2.0, None],
    ]
    assert report.chart.unit == "days"
    assert [column.key for column in report.columns] == list(CYCLE_COLUMNS)


def test_cycle_time_by_department_role_and_template(world, certified):
    by_department = _hr_report(
        world, "cycle-time", ReportFilters(Q1.start, Q1.end, group="department")
    )
    by_role = _hr_report(
        world, "cycle-time", ReportFilters(Q1.start, Q1.end, group="role")
    )
    by_template = _hr_report(
        world, "cycle-time", ReportFilters(Q1.start, Q1.end, group="template")
    )

    assert _rows(by_department, *CYCLE_COLUMNS) == [
        ("R&D", 1, 4.0, 4.0, 2.0, 2.0),
        ("Sales", 1, 1.0, 1.0, 1.0, 1.0),
        # 1, 2 → 1.5, p90 1.9; -1, 0 → -0.5, p90 -0.1
        ("Sales East", 2, 1.5, 1.9, -0.5, -0.1),
        ("No department", 1, 3.0, 3.0, 2.0, 2.0),
    ]
    assert by_department.chart.kind == "hbar"
    assert by_department.chart.labels == ["R&D", "Sales", "Sales East", "No department"]
    assert [series.data for series in by_department.chart.series] == [
        [4.0, 1.0, 1.5, 3.0],
        [2.0, 1.0, -0.5, 2.0],
    ]
    assert _rows(by_role, *CYCLE_COLUMNS) == [
        ("Engineer", 2, 3.5, 3.9, 2.0, 2.0),
        ("Sales", 2, 1.5, 1.9, -0.5, -0.1),
        ("No role", 1, 1.0, 1.0, 1.0, 1.0),
    ]
    assert _rows(by_template, *CYCLE_COLUMNS) == [
        ("Engineer offboarding", 2, 3.5, 3.9, 2.0, 2.0),
        ("Sales offboarding", 3, 1.0, 1.8, 0.0, 0.8),
    ]


def test_cycle_time_of_a_department_includes_its_sub_departments(world, certified):
    report = _hr_report(
        world,
        "cycle-time",
        ReportFilters(Q1.start, Q1.end, department=world.departments["sales"]),
    )

    # c1, c2 (Sales East) and c6 (Sales); c5 is outside the period.
    assert report.summary[0][1] == 3
    assert [value for _label, value, _unit in report.summary[1:]] == [
        1.0,
        1.8,
        0.0,
        0.8,
    ]


def test_cycle_time_of_a_role_and_a_template(world, certified):
    engineers = _hr_report(
        world,
        "cycle-time",
        ReportFilters(Q1.start, Q1.end, role=world.roles["engineer"]),
    )
    sales_template = _hr_report(
        world,
        "cycle-time",
        ReportFilters(Q1.start, Q1.end, template=world.templates["sales"]),
    )

    assert [value for _label, value, _unit in engineers.summary] == [
        2,
        3.5,
        3.9,
        2.0,
        2.0,
    ]
    assert [value for _label, value, _unit in sales_template.summary] == [
        3,
        1.0,
        1.8,
        0.0,
        0.8,
    ]


def test_report_as_dict_is_plain_json(world, certified):
    report = _hr_report(world, "cycle-time", Q1).as_dict()

    assert report["key"] == "cycle-time"
    assert report["title"] == "Cycle time"
    assert report["filters"] == {
        "start": "2026-01-01",
        "end": "2026-03-31",
        "department": None,
        "role": None,
        "template": None,
        "group": "month",
    }
    assert report["summary"][1] == {
        "label": "Start → certificate, median",
        "value": 2.0,
        "unit": "days",
    }
    assert report["chart"]["series"][0] == {
        "label": "Start → certificate, median",
        "data": [1.0, 3.5, None],
    }
    assert report["columns"][0] == {"key": "group", "label": "Month", "kind": "text"}
    assert report["rows"][0]["group"] == "2026-01"


# Acceptance ------------------------------------------------------------------------


@pytest.fixture
def accepted(world):
    """Started in Q1 (local time) unless said otherwise:

    a1 Sales tmpl, Jan: first successor acceptance after 1.0 day (a later one,
       a return and a manager's acceptance do not count), review after 3.0
    a2 Sales tmpl, Feb (16:30 UTC on 31 Jan): accepted with remarks after 1.0,
       still in progress (not fully accepted)
    a3 Engineer tmpl, Feb: first after 2.0, review after 5.0 (completed)
    a5 Engineer tmpl, Mar: cancelled, never accepted (not waiting)
    a4: started in December, outside the period"""
    successor, manager = world.users["successor"], world.users["lead"]

    def start(key, *, template, started, state, review=None):
        employee = add_employee(world, key, department="sales")
        return make_handover(
            world,
            employee,
            template=template,
            state=state,
            last_working_day=date(2026, 3, 31),
            started_at=started,
            review_started_at=review,
        )

    a1 = start(
        "a1",
        template="sales",
        started=utc(2026, 1, 5, 1),
        state=Handover.State.IN_REVIEW,
        review=utc(2026, 1, 8, 1),
    )
    sign(
        a1,
        signer=successor,
        role=SUCCESSOR,
        decision=Signature.Decision.ACCEPT,
        signed_at=utc(2026, 1, 6, 1),
    )
    sign(
        a1,
        signer=successor,
        role=SUCCESSOR,
        decision=Signature.Decision.ACCEPT,
        signed_at=utc(2026, 1, 7, 1),
    )
    sign(
        a1,
        signer=successor,
        role=SUCCESSOR,
        decision=Signature.Decision.RETURN,
        signed_at=utc(2026, 1, 5, 13),
    )
    sign(
        a1,
        signer=manager,
        role=MANAGER,
        decision=Signature.Decision.ACCEPT,
        signed_at=utc(2026, 1, 5, 2),
    )
    a2 = start(
        "a2",
        template="sales",
        started=utc(2026, 1, 31, 16, 30),
        state=Handover.State.IN_PROGRESS,
    )
    sign(
        a2,
        signer=successor,
        role=SUCCESSOR,
        decision=Signature.Decision.ACCEPT_WITH_REMARKS,
        signed_at=utc(2026, 2, 1, 16, 30),
    )
    a3 = start(
        "a3",
        template="engineer",
        started=utc(2026, 2, 10, 1),
        state=Handover.State.COMPLETED,
        review=utc(2026, 2, 15, 1),
    )
    sign(
        a3,
        signer=successor,
        role=SUCCESSOR,
        decision=Signature.Decision.ACCEPT,
        signed_at=utc(2026, 2, 12, 1),
    )
    start(
        "a5",
        template="engineer",
        started=utc(2026, 3, 2, 1),
        state=Handover.State.CANCELLED,
    )
    a4 = start(
        "a4",
        template="sales",
        started=utc(2025, 12, 20, 1),
        state=Handover.State.IN_PROGRESS,
    )
    sign(
        a4,
        signer=successor,
        role=SUCCESSOR,
        decision=Signature.Decision.ACCEPT,
        signed_at=utc(2026, 1, 2, 1),
    )


ACCEPTANCE_COLUMNS = (
    "group",
    "handovers",
    "first_median",
    "first_p90",
    "full_median",
    "full_p90",
    "not_accepted",
)


def test_acceptance_by_month(world, accepted):
    report = _hr_report(world, "acceptance", Q1)

    assert [
        (str(label), value, str(unit)) for label, value, unit in report.summary
    ] == [
        ("Handovers started", 4, ""),
        # 1.0, 1.0, 2.0 → median 1.0, p90 at 1.8 → 1.8
        ("Start → first acceptance, median", 1.0, "days"),
        ("Start → first acceptance, p90", 1.8, "days"),
        # 3.0, 5.0 → 4.0, p90 at 0.9 → 4.8
        ("Start → full acceptance, median", 4.0, "days"),
        ("Start → full acceptance, p90", 4.8, "days"),
        ("Not fully accepted yet", 1, ""),
    ]
    assert _rows(report, *ACCEPTANCE_COLUMNS) == [
        ("2026-01", 1, 1.0, 1.0, 3.0, 3.0, 0),
        ("2026-02", 2, 1.5, 1.9, 5.0, 5.0, 1),
        ("2026-03", 1, None, None, None, None, 0),
    ]
    assert report.chart.labels == ["2026-01", "2026-02", "2026-03"]
    assert [series.data for series in report.chart.series] == [
        [1.0, 1.5, None],
        [3.0, 5.0, None],
    ]


def test_acceptance_by_template(world, accepted):
    report = _hr_report(
        world, "acceptance", ReportFilters(Q1.start, Q1.end, group="template")
    )

    assert _rows(report, *ACCEPTANCE_COLUMNS) == [
        ("Engineer offboarding", 2, 2.0, 2.0, 5.0, 5.0, 0),
        ("Sales offboarding", 2, 1.0, 1.0, 3.0, 3.0, 1),
    ]
    assert report.chart.labels == ["Engineer offboarding", "Sales offboarding"]


# Questions -------------------------------------------------------------------------


@pytest.fixture
def questioned(world):
    """Sales template handovers q1 (open since December), q2 (open since
    January) and q3 (completed in December: outside the period entirely).

    Laptop keys: keys1 returned twice, keys2 once → 2 items, 3 returns, of 2
    Client list: clients1 returned 16:30 UTC 31 Dec (1 Jan local, inside),
                 clients2 returned 16:30 UTC 31 Mar (1 Apr local, outside),
                 one question on clients2 → 1 item, 1 return, 1 question, of 2
    CRM deals (connector block "crm"): crm:abc returned, a question and a
                 plain comment on crm:def → 1 item, 1 return, 1 question, of 2"""
    successor = world.users["successor"]

    def handover(key, **kwargs):
        return make_handover(
            world,
            add_employee(world, key, department="sales"),
            last_working_day=date(2026, 4, 30),
            **kwargs,
        )

    q1 = handover("q1", started_at=utc(2025, 12, 1, 1))
    q2 = handover("q2", started_at=utc(2026, 1, 10, 1))
    q3 = handover(
        "q3",
        started_at=utc(2025, 11, 1, 1),
        state=Handover.State.COMPLETED,
        completed_at=utc(2025, 12, 20, 1),
    )

    def keys(on):
        return add_item(on, "b-keys", label="Laptop keys", section_title="Equipment")

    def clients(on):
        return add_item(on, "b-clients", label="Client list", section_title="Customers")

    def deal(on, record):
        return add_item(
            on,
            f"crm:{record}",
            label=f"Deal {record}",
            section_title="CRM",
            kind="connector_list",
            definition={"label": "Deals", "connector": "crm"},
        )

    def returned(item, at):
        sign(
            item.handover,
            item=item,
            signer=successor,
            role=SUCCESSOR,
            decision=Signature.Decision.RETURN,
            signed_at=at,
        )

    keys1, keys2, keys3 = keys(q1), keys(q2), keys(q3)
    clients1, clients2 = clients(q1), clients(q2)
    abc, def_ = deal(q1, "abc"), deal(q1, "def")
    returned(keys1, utc(2026, 1, 5, 1))
    returned(keys1, utc(2026, 1, 20, 1))
    returned(keys2, utc(2026, 2, 1, 1))
    returned(keys3, utc(2025, 12, 15, 1))
    returned(clients1, utc(2025, 12, 31, 16, 30))
    returned(clients2, utc(2026, 3, 31, 16, 30))
    returned(abc, utc(2026, 2, 2, 1))
    ask(clients2, author=successor, created_at=utc(2026, 2, 5, 1))
    ask(def_, author=successor, created_at=utc(2026, 2, 6, 1))
    ask(def_, author=successor, created_at=utc(2026, 2, 6, 2), is_question=False)
    ask(keys3, author=successor, created_at=utc(2025, 12, 16, 1))


def test_questions_per_template_block(world, questioned):
    report = _hr_report(world, "questions", Q1)

    assert [(str(label), value) for label, value, _unit in report.summary] == [
        ("Items returned", 4),
        ("Returns", 5),
        ("Questions asked", 2),
        ("Blocks with returns or questions", 3),
    ]
    assert report.rows == [
        {
            "template": "Sales offboarding",
            "section": "Equipment",
            "label": "Laptop keys",
            "block_id": "b-keys",
            "items_returned": 2,
            "returns": 3,
            "questions": 0,
            "share_returned": 100.0,
        },
        {
            "template": "Sales offboarding",
            "section": "Customers",
            "label": "Client list",
            "block_id": "b-clients",
            "items_returned": 1,
            "returns": 1,
            "questions": 1,
            "share_returned": 50.0,
        },
        {
            "template": "Sales offboarding",
            "section": "CRM",
            "label": "Deals",
            "block_id": "crm",
            "items_returned": 1,
            "returns": 1,
            "questions": 1,
            "share_returned": 50.0,
        },
    ]
    assert report.chart.kind == "hbar"
    assert report.chart.labels == [
        "Laptop keys · Sales offboarding",
        "Client list · Sales offboarding",
        "Deals · Sales offboarding",
    ]
    assert [series.data for series in report.chart.series] == [[2, 1, 1], [0, 1, 1]]


def test_questions_of_another_department_are_not_counted(world, questioned):
    report = _hr_report(
        world,
        "questions",
        ReportFilters(Q1.start, Q1.end, department=world.departments["rnd"]),
    )

    assert report.rows == []
    assert [value for _label, value, _unit in report.summary] == [0, 0, 0, 0]


# Access ----------------------------------------------------------------------------


def test_access_by_month_of_the_last_working_day(world):
    """x1 (10 Jan): suspend verified 18:00 local on 10 Jan (0 days), removal
    verified 00:30 local on 12 Jan (2 days: the last one counts), a restore
    later (not a revocation), one failed deletion; still active at +1.
    x2 (31 Jan): suspension verified 07:00 local on 1 Feb (1 day); active at +1,
    at +30 on two accounts (one since resolved: still found).
    x3 (14 Feb): no access changes. x5 (20 Feb): a planned suspension and a
    failed removal. x4 (2 Mar): outside the period."""
    period = ReportFilters(start=date(2026, 1, 1), end=date(2026, 2, 28))

    def handover(key, last_day):
        return make_handover(
            world,
            add_employee(world, key, department="sales"),
            last_working_day=last_day,
            started_at=utc(2025, 12, 1),
        )

    x1 = handover("x1", date(2026, 1, 10))
    access_action(
        x1,
        state=AccessAction.State.VERIFIED,
        scheduled_for=utc(2026, 1, 10, 10),
        finished_at=utc(2026, 1, 10, 10),
    )
    access_action(
        x1,
        operation=AccessAction.Operation.REMOVE_MEMBER,
        state=AccessAction.State.VERIFIED,
        scheduled_for=utc(2026, 1, 10, 10),
        finished_at=utc(2026, 1, 11, 16, 30),
    )
    access_action(
        x1,
        operation=AccessAction.Operation.RESTORE,
        state=AccessAction.State.VERIFIED,
        scheduled_for=utc(2026, 1, 20),
        finished_at=utc(2026, 1, 20, 1),
    )
    access_action(
        x1,
        operation=AccessAction.Operation.DELETE,
        state=AccessAction.State.FAILED,
        scheduled_for=utc(2026, 1, 10, 10),
    )
    x1_mail = grant(x1)
    residual(x1_mail, days_after=1)
    residual(x1_mail, days_after=30, active=False)
    x2 = handover("x2", date(2026, 1, 31))
    access_action(
        x2,
        state=AccessAction.State.VERIFIED,
        scheduled_for=utc(2026, 1, 31, 10),
        finished_at=utc(2026, 1, 31, 23),
    )
    x2_mail, x2_vpn = grant(x2), grant(x2, system="VPN")
    residual(x2_mail, days_after=1)
    residual(x2_mail, days_after=30)
    residual(x2_vpn, days_after=30, resolved_at=utc(2026, 3, 5))
    residual(x2_vpn, days_after=7)
    handover("x3", date(2026, 2, 14))
    x5 = handover("x5", date(2026, 2, 20))
    access_action(x5, scheduled_for=utc(2026, 2, 20, 10))
    access_action(
        x5,
        operation=AccessAction.Operation.REMOVE_MEMBER,
        state=AccessAction.State.FAILED,
        scheduled_for=utc(2026, 2, 20, 10),
    )
    x4 = handover("x4", date(2026, 3, 2))
    access_action(x4, state=AccessAction.State.FAILED, scheduled_for=utc(2026, 3, 2))
    residual(grant(x4), days_after=1)

    report = _hr_report(world, "access", period)

    assert [(str(label), value) for label, value, _unit in report.summary] == [
        ("Handovers", 4),
        ("With access changes", 3),
        # 2 and 1 days → 1.5, p90 1.9
        ("Last working day → revocation verified, median", 1.5),
        ("Last working day → revocation verified, p90", 1.9),
        ("Failed changes", 2),
        ("Residual access at +1 day", 2),
        ("Residual access at +30 days", 2),
    ]
    assert report.rows == [
        {
            "month": "2026-01",
            "handovers": 2,
            "with_changes": 2,
            "revoked_median": 1.5,
            "revoked_p90": 1.9,
            "failed": 1,
            "residual_1": 2,
            "residual_30": 2,
        },
        {
            "month": "2026-02",
            "handovers": 2,
            "with_changes": 1,
            "revoked_median": None,
            "revoked_p90": None,
            "failed": 1,
            "residual_1": 0,
            "residual_30": 0,
        },
    ]
    assert report.chart.labels == ["2026-01", "2026-02"]
    assert [series.data for series in report.chart.series] == [
        [1.5, None],
        [1.9, None],
    ]


# Connectors ------------------------------------------------------------------------


def test_connectors_runs_failures_and_last_success(world):
    """January 2026. CRM: an OK run, a failed one, a partial one at 16:30 UTC
    on 31 Dec (1 Jan local: inside), and an interrupted one at 16:30 UTC on
    31 Jan (1 Feb local: outside, but the latest failure). ERP: two failed
    runs, its last success in June. Directory: never ran."""
    january = ReportFilters(start=date(2026, 1, 1), end=date(2026, 1, 31))
    crm, erp = connector("CRM", "crm"), connector("ERP", "erp")
    connector("Directory", "directory")
    sync_run(
        crm,
        state=SyncRun.State.OK,
        started_at=utc(2026, 1, 5, 1),
        finished_at=utc(2026, 1, 5, 1, 5),
    )
    sync_run(
        crm,
        state=SyncRun.State.FAILED,
        started_at=utc(2026, 1, 10, 1),
        finished_at=utc(2026, 1, 10, 1, 1),
        errors=[{"message": "Rate limited"}, {"message": "Timeout"}],
    )
    sync_run(
        crm,
        state=SyncRun.State.PARTIAL,
        started_at=utc(2025, 12, 31, 16, 30),
        finished_at=utc(2025, 12, 31, 16, 40),
    )
    sync_run(crm, state=SyncRun.State.INTERRUPTED, started_at=utc(2026, 1, 31, 16, 30))
    sync_run(
        erp,
        state=SyncRun.State.OK,
        started_at=utc(2025, 6, 1, 1),
        finished_at=utc(2025, 6, 1, 2),
    )
    sync_run(
        erp,
        state=SyncRun.State.FAILED,
        started_at=utc(2026, 1, 3, 1),
        errors=[{"message": "Bad gateway"}],
    )
    sync_run(
        erp,
        state=SyncRun.State.FAILED,
        started_at=utc(2026, 1, 4, 1),
        errors=[{"message": "Bad credentials"}],
    )

    report = _hr_report(world, "connectors", january)

    assert [(str(label), value, unit) for label, value, unit in report.summary] == [
        ("Connectors", 3, ""),
        ("Runs", 5, ""),
        ("Failed runs", 3, ""),
        ("Failure rate", 60.0, "%"),
    ]
    assert report.rows == [
        {
            "connector": "CRM",
            "runs": 3,
            "failed": 1,
            "failure_rate": 33.3,
            "last_success": utc(2026, 1, 5, 1, 5),
            "last_error": "Interrupted",
        },
        {
            "connector": "Directory",
            "runs": 0,
            "failed": 0,
            "failure_rate": None,
            "last_success": None,
            "last_error": "",
        },
        {
            "connector": "ERP",
            "runs": 2,
            "failed": 2,
            "failure_rate": 100.0,
            "last_success": utc(2025, 6, 1, 2),
            "last_error": "Bad credentials",
        },
    ]
    assert report.chart.labels == ["CRM", "Directory", "ERP"]
    assert [series.data for series in report.chart.series] == [[3, 0, 2], [1, 0, 2]]
    assert report.as_dict()["rows"][0]["last_success"] == "2026-01-05T09:05:00+08:00"


# Workload --------------------------------------------------------------------------


@pytest.fixture
def busy(world):
    """Now: w1 (worker's, in progress) and w2 (peer_report's, in review) are
    open; w3 is completed. Successor has two open items (one overdue), IT two
    (none overdue) and a by-hand access change, lead one submitted item to
    confirm (overdue), peer one approval."""
    today = timezone.localdate()
    u = world.users
    w1 = make_handover(
        world,
        world.employees["worker"],
        last_working_day=today,
        started_at=utc(2026, 1, 5),
    )
    w2 = make_handover(
        world,
        world.employees["peer_report"],
        state=Handover.State.IN_REVIEW,
        last_working_day=today,
        started_at=utc(2026, 1, 5),
    )
    w3 = make_handover(
        world,
        add_employee(world, "w3"),
        last_working_day=today,
        state=Handover.State.COMPLETED,
        started_at=utc(2026, 1, 5),
    )
    for handover, successor, manager in (
        (w1, "successor", "lead"),
        (w2, "successor2", "peer"),
    ):
        add_participant(handover, u[successor], SUCCESSOR)
        add_participant(handover, u[manager], MANAGER)
        add_participant(handover, u["it"], IT)

    def item(handover, block, **kwargs):
        return add_item(handover, block, **kwargs)

    item(w1, "i1", assignee=u["successor"], due_date=today - timedelta(days=2))
    item(
        w1,
        "i2",
        assignee=u["successor"],
        state=Item.State.SUBMITTED,
        due_date=today + timedelta(days=3),
    )
    item(
        w1,
        "i3",
        assignee=u["successor"],
        state=Item.State.ACCEPTED,
        due_date=today - timedelta(days=9),
    )
    item(
        w1,
        "i4",
        confirmed_by_role=MANAGER,
        state=Item.State.SUBMITTED,
        due_date=today - timedelta(days=1),
    )
    item(w1, "i5", confirmed_by_role=MANAGER, due_date=today - timedelta(days=5))
    item(
        w1,
        "i6",
        filled_by_role=IT,
        confirmed_by_role=MANAGER,
        due_date=today + timedelta(days=1),
    )
    item(w1, "i7", confirmed_by_role=IT, state=Item.State.SUBMITTED)
    item(
        w1,
        "i8",
        filled_by_role=IT,
        state=Item.State.ACCEPTED,
        due_date=today - timedelta(days=9),
    )
    item(w2, "i9", assignee=u["successor2"], state=Item.State.NOT_APPLICABLE)
    item(w3, "i10", assignee=u["successor"], due_date=today - timedelta(days=9))
    access_action(
        w1, operation=AccessAction.Operation.MANUAL, scheduled_for=utc(2026, 1, 5)
    )
    access_action(
        w2,
        operation=AccessAction.Operation.MANUAL,
        state=AccessAction.State.FAILED,
        scheduled_for=utc(2026, 1, 5),
    )
    return today


WORKLOAD_COLUMNS = (
    "person",
    "role",
    "open_items",
    "overdue_items",
    "oldest_due",
    "tasks",
)


def test_workload_per_person(world, busy):
    today = busy
    report = _hr_report(world, "workload", Q1)

    assert _rows(report, *WORKLOAD_COLUMNS) == [
        ("It", "IT / asset admin", 2, 0, today + timedelta(days=1), 1),
        ("successor", "Successor", 2, 1, today - timedelta(days=2), 0),
        # i4 is overdue; i5 waits on the leaver, not on lead
        ("Lead", "Manager", 1, 1, today - timedelta(days=1), 0),
        ("Peer", "Manager", 0, 0, None, 1),
    ]
    assert [(str(label), value) for label, value, _unit in report.summary] == [
        ("People with work waiting", 4),
        ("Open items", 5),
        ("Overdue items", 2),
        ("Approvals and by-hand access changes", 2),
    ]
    assert report.chart.labels == [
        "It (IT / asset admin)",
        "successor (Successor)",
        "Lead (Manager)",
        "Peer (Manager)",
    ]
    assert [series.data for series in report.chart.series] == [
        [2, 2, 1, 0],
        [0, 1, 1, 0],
        [1, 0, 0, 1],
    ]


def test_workload_of_a_manager_is_their_chain(world, busy):
    today = busy
    report = build_report(scope_for(world.users["lead"]), "workload", Q1)

    # Only worker's handover: not peer_report's.
    assert _rows(report, *WORKLOAD_COLUMNS) == [
        ("It", "IT / asset admin", 2, 0, today + timedelta(days=1), 1),
        ("successor", "Successor", 2, 1, today - timedelta(days=2), 0),
        ("Lead", "Manager", 1, 1, today - timedelta(days=1), 0),
    ]


# Dashboard -------------------------------------------------------------------------

TODAY = date(2026, 3, 18)  # a Wednesday: this week ends Sunday 22 March


@pytest.fixture
def dashboard_world(world):
    """Handovers around Wednesday 18 March 2026 (BATON_STUCK_DAYS = 5: stuck
    means no activity since before 00:00 local on 14 March = 16:00 UTC 13 Mar).

    d1  draft, drafted 17 Mar                       not started
    d2  in progress, due 17 Mar (1 day late)        stuck (activity 10 Mar)
    d3  in progress, due 11 Mar (7 days late)       stuck (15:59 UTC 13 Mar),
                                                    no successor
    d4  in review, due 10 Mar (8 days late)         not stuck (16:00 UTC 13 Mar)
    d5  in progress, due 15 Feb (31 days late)      started 16 Mar, no chain
    d6  in progress, due today                      returned item, failed access
    d7  in progress, due Sunday 22 Mar              failing sync
    d8  in progress, due Monday 23 Mar              next week
    d9  draft, due Sunday 29 Mar                    next week, not started
    d10 in progress, due 30 Mar
    d11 completed, no certificate; d12 completed with one (and a returned item)
    d13 cancelled (a failed access change)
    d14 in progress, due 15 Mar (3 days late)
    d15 in progress since 1 Feb, no audit chain     stuck (started_at)
    d16 draft since 1 Feb                           stuck (created_at), not started"""
    recently = utc(2026, 3, 17, 2)

    def handover(
        key, state, last_day, *, started=recently, created=None, successor=True
    ):
        if state == Handover.State.DRAFT:
            started, created = None, created or recently
        made = make_handover(
            world,
            add_employee(world, key, department="sales"),
            state=state,
            last_working_day=last_day,
            started_at=started,
            created_at=created,
        )
        if successor:
            add_participant(made, world.users["successor"], SUCCESSOR)
        return made

    s = Handover.State
    handover("d1", s.DRAFT, date(2026, 4, 30))
    d2 = handover("d2", s.IN_PROGRESS, date(2026, 3, 17), started=utc(2026, 3, 1))
    last_activity(d2, utc(2026, 3, 10, 1))
    d3 = handover(
        "d3", s.IN_PROGRESS, date(2026, 3, 11), started=utc(2026, 3, 1), successor=False
    )
    last_activity(d3, utc(2026, 3, 13, 15, 59))
    d4 = handover("d4", s.IN_REVIEW, date(2026, 3, 10), started=utc(2026, 3, 1))
    last_activity(d4, utc(2026, 3, 13, 16, 0))
    handover("d5", s.IN_PROGRESS, date(2026, 2, 15), started=utc(2026, 3, 16))
    d6 = handover("d6", s.IN_PROGRESS, date(2026, 3, 18))
    add_item(d6, "returned", state=Item.State.RETURNED)
    access_action(d6, state=AccessAction.State.FAILED, scheduled_for=utc(2026, 3, 17))
    d7 = handover("d7", s.IN_PROGRESS, date(2026, 3, 22))
    block_sync(d7, state=BlockSync.State.FAILED)
    block_sync(d7, state=BlockSync.State.OK, block_id="erp")
    d8 = handover("d8", s.IN_PROGRESS, date(2026, 3, 23))
    handover("d9", s.DRAFT, date(2026, 3, 29))
    handover("d10", s.IN_PROGRESS, date(2026, 3, 30))
    handover("d11", s.COMPLETED, date(2026, 2, 1))
    d12 = handover("d12", s.COMPLETED, date(2026, 2, 1))
    issue_certificate(d12, utc(2026, 2, 2))
    add_item(d12, "returned", state=Item.State.RETURNED)
    d13 = handover("d13", s.CANCELLED, date(2026, 3, 1))
    access_action(d13, state=AccessAction.State.FAILED, scheduled_for=utc(2026, 3, 1))
    handover("d14", s.IN_PROGRESS, date(2026, 3, 15))
    handover("d15", s.IN_PROGRESS, date(2026, 4, 15), started=utc(2026, 2, 1))
    handover("d16", s.DRAFT, date(2026, 5, 1), created=utc(2026, 2, 1))

    # IT: due today up to 23:59 local; from 00:00 local tomorrow it is not.
    access_action(d8, scheduled_for=utc(2026, 3, 18, 15, 59))
    access_action(d8, scheduled_for=utc(2026, 3, 18, 16, 0))
    access_action(
        d8, operation=AccessAction.Operation.MANUAL, scheduled_for=utc(2026, 3, 10)
    )
    access_action(d8, state=AccessAction.State.VERIFIED, scheduled_for=utc(2026, 3, 1))
    residual(grant(d13), days_after=1)
    residual(grant(d13), days_after=30, resolved_at=utc(2026, 3, 15))
    residual(grant(d13), days_after=7, active=False)


def _figures(panels):
    return {
        panel.key: {
            figure.key: figure.value
            for group in panel.groups
            for figure in group.figures
        }
        for panel in panels
    }


def test_hr_dashboard_figures(world, dashboard_world):
    panels = dashboard_for(world.users["hr"], today=TODAY)

    assert [panel.key for panel in panels] == ["hr", "it"]
    assert _figures(panels) == {
        "hr": {
            "state_draft": 3,  # d1, d9, d16
            "state_in_progress": 9,  # d2, d3, d5, d6, d7, d8, d10, d14, d15
            "state_in_review": 1,  # d4
            "late_1-3": 2,  # d2, d14
            "late_4-7": 1,  # d3
            "late_8-30": 1,  # d4
            "late_31-": 1,  # d5
            "due_this_week": 2,  # d6, d7
            "stuck": 4,  # d2, d3, d15, d16
            "blocker_no_successor": 1,  # d3
            "blocker_returned": 1,  # d6 (d12 is completed)
            "blocker_access_failed": 1,  # d6 (d13 is cancelled)
            "blocker_sync_failing": 1,  # d7
            "blocker_no_certificate": 1,  # d11
            "next_week": 2,  # d8, d9
            "not_started": 3,  # d1, d9, d16
        },
        "it": {
            "access_due_today": 2,  # 15:59 UTC today and the manual one
            "access_failed": 2,  # d6, d13
            "access_manual": 1,
            "residual_access": 1,  # active and not resolved
        },
    }


def test_hr_dashboard_links(world, dashboard_world):
    hr, it = dashboard_for(world.users["hr"], today=TODAY)
    urls = {
        figure.key: figure.url
        for panel in (hr, it)
        for group in panel.groups
        for figure in group.figures
    }

    open_states = "state=draft&state=in_progress&state=in_review"
    assert urls == {
        "state_draft": "/admin/handovers/?state=draft",
        "state_in_progress": "/admin/handovers/?state=in_progress",
        "state_in_review": "/admin/handovers/?state=in_review",
        "late_1-3": "/admin/handovers/?late=1-3",
        "late_4-7": "/admin/handovers/?late=4-7",
        "late_8-30": "/admin/handovers/?late=8-30",
        "late_31-": "/admin/handovers/?late=31-",
        "due_this_week": f"/admin/handovers/?{open_states}"
        "&lwd_from=2026-03-18&lwd_to=2026-03-22",
        "stuck": "/admin/handovers/?stuck=yes",
        "blocker_no_successor": "/admin/handovers/?blocker=no_successor",
        "blocker_returned": "/admin/handovers/?blocker=returned",
        "blocker_access_failed": "/admin/handovers/?blocker=access_failed",
        "blocker_sync_failing": "/admin/handovers/?blocker=sync_failing",
        "blocker_no_certificate": "/admin/handovers/?blocker=no_certificate",
        "next_week": f"/admin/handovers/?{open_states}"
        "&lwd_from=2026-03-23&lwd_to=2026-03-29",
        "not_started": "/admin/handovers/?not_started=yes",
        "access_due_today": "/admin/access/?due=today",
        "access_failed": "/admin/access/?state=failed",
        "access_manual": "/admin/access/?operation=manual&state=planned",
        "residual_access": "/admin/access/residual/",
    }
    labels = {
        figure.key: str(figure.label) for group in hr.groups for figure in group.figures
    }
    assert labels["stuck"] == "No activity for 5 days"
    assert labels["late_31-"] == "Over 30 days late"
    assert {figure.key: figure.tone for group in hr.groups for figure in group.figures}[
        "late_31-"
    ] == "critical"


class _HandoverList(django_filters.FilterSet):
    """The Handovers list's state filter and the hook's filters."""

    state = django_filters.MultipleChoiceFilter(choices=Handover.State.choices)
    locals().update(handover_list_filters())

    class Meta:
        model = Handover
        fields = []


def test_every_hr_figure_is_the_count_of_the_list_it_links_to(
    world, dashboard_world, monkeypatch
):
    monkeypatch.setattr(list_filters_module, "_today", lambda: TODAY)
    hr = dashboard_for(world.users["hr"], today=TODAY)[0]

    for group in hr.groups:
        for figure in group.figures:
            query = QueryDict(urlsplit(figure.url).query)
            listed = _HandoverList(query, queryset=Handover.objects.all())
            assert listed.is_valid(), (figure.key, listed.errors)
            assert listed.qs.count() == figure.value, figure.key


def test_manager_dashboard(world):
    """lead's chain: teamlead (completed) and worker (open, 2 days late).
    lead is the manager participant of worker's handover (one submitted item
    to confirm, one pending) and of peer_report's handover in review (an
    approval, though peer_report is not in lead's chain)."""
    u = world.users
    worker = make_handover(
        world,
        world.employees["worker"],
        last_working_day=TODAY - timedelta(days=2),
        started_at=utc(2026, 3, 1),
    )
    make_handover(
        world,
        world.employees["teamlead"],
        state=Handover.State.COMPLETED,
        last_working_day=TODAY - timedelta(days=20),
        started_at=utc(2026, 2, 1),
    )
    outsider = make_handover(
        world,
        world.employees["peer_report"],
        state=Handover.State.IN_REVIEW,
        last_working_day=TODAY,
        started_at=utc(2026, 3, 1),
    )
    add_participant(worker, u["lead"], MANAGER)
    add_participant(outsider, u["lead"], MANAGER)
    add_item(worker, "a", confirmed_by_role=MANAGER, state=Item.State.SUBMITTED)
    add_item(worker, "b", confirmed_by_role=MANAGER)
    add_item(outsider, "c", confirmed_by_role=MANAGER, state=Item.State.ACCEPTED)

    panels = dashboard_for(u["lead"], today=TODAY)

    assert _figures(panels) == {
        "manager": {
            "team_open": 1,
            "team_overdue": 1,
            "items_to_confirm": 1,
            "approvals": 1,
        }
    }
    links = [figure.url for group in panels[0].groups for figure in group.figures]
    assert links[2] == links[3] == "/en/handovers/"
