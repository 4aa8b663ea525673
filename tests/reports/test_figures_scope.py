"""Who sees which figures: HR everything, IT access and connectors, a manager
their reporting chain (every level below them, not a peer's team), anyone
else nothing."""

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser

from cms.models import Employee, Handover
from reports.figures import (
    REPORTS,
    ReportFilters,
    build_report,
    dashboard_for,
    reports_for,
    scope_for,
)
from reports.figures import scope as scope_module

from .builders import issue_certificate, make_handover, utc

PERIOD = ReportFilters(start=date(2026, 1, 1), end=date(2026, 1, 31))
MANAGER_REPORTS = ["cycle-time", "acceptance", "questions", "access", "workload"]


def _keys(definitions):
    return [definition.key for definition in definitions]


@pytest.fixture
def handovers(world):
    """A certified handover in January for each of these employees."""
    made = {}
    for key in ("worker", "teamlead", "lead", "peer", "peer_report", "member"):
        made[key] = make_handover(
            world,
            world.employees[key],
            state=Handover.State.COMPLETED,
            last_working_day=date(2026, 1, 10),
            started_at=utc(2026, 1, 5, 1),
        )
        issue_certificate(made[key], utc(2026, 1, 9, 1))
    return made


def test_hr_sees_everything(world, handovers):
    scope = scope_for(world.users["hr"])

    assert scope.kind == "hr"
    assert scope.employee_ids is None
    assert set(scope.handovers()) == set(handovers.values())
    assert _keys(reports_for(scope)) == list(REPORTS)
    assert all(scope.can_see(key) for key in REPORTS)
    assert build_report(scope, "cycle-time", PERIOD).summary[0][1] == 6
    assert [panel.key for panel in dashboard_for(world.users["hr"])] == ["hr", "it"]


def test_a_manager_sees_their_chain_two_levels_deep(world, handovers):
    scope = scope_for(world.users["lead"])
    employees = world.employees

    assert scope.kind == "manager"
    assert scope.employee_ids == {employees["teamlead"].pk, employees["worker"].pk}
    assert set(scope.handovers()) == {handovers["teamlead"], handovers["worker"]}
    assert build_report(scope, "cycle-time", PERIOD).summary[0][1] == 2
    assert [panel.key for panel in dashboard_for(world.users["lead"])] == ["manager"]


def test_a_manager_does_not_see_a_peers_team(world, handovers):
    scope = scope_for(world.users["peer"])

    assert set(scope.handovers()) == {handovers["peer_report"]}
    assert build_report(scope, "cycle-time", PERIOD).summary[0][1] == 1


def test_the_top_manager_sees_every_level_below(world, handovers):
    scope = scope_for(world.users["boss"])

    assert set(scope.handovers()) == {
        handovers[key] for key in ("worker", "teamlead", "lead", "peer", "peer_report")
    }


def test_managers_read_their_reports_but_not_connectors(world):
    scope = scope_for(world.users["lead"])

    assert _keys(reports_for(scope)) == MANAGER_REPORTS
    assert not scope.can_see("connectors")
    with pytest.raises(KeyError):
        build_report(scope, "connectors", PERIOD)


def test_a_member_of_managers_with_nobody_reporting_is_a_manager_of_no_one(world):
    scope = scope_for(world.users["named_manager"])

    assert scope.kind == "manager"
    assert scope.employee_ids == frozenset()
    assert list(scope.handovers()) == []
    assert build_report(scope, "workload", PERIOD).rows == []


def test_it_sees_only_access_and_connectors(world, handovers):
    scope = scope_for(world.users["it"])

    assert scope.kind == "it"
    assert _keys(reports_for(scope)) == ["access", "connectors"]
    assert scope.can_see("access") and scope.can_see("connectors")
    for key in ("cycle-time", "acceptance", "questions", "workload"):
        assert not scope.can_see(key)
        with pytest.raises(KeyError):
            build_report(scope, key, PERIOD)
    assert build_report(scope, "access", PERIOD).summary[0][1] == 6
    assert [panel.key for panel in dashboard_for(world.users["it"])] == ["it"]


def test_an_employee_sees_nothing(world, handovers):
    member = world.users["member"]

    assert scope_for(member) is None
    assert reports_for(scope_for(member)) == []
    assert dashboard_for(member) == []


def test_an_inactive_manager_sees_nothing(world):
    gone = world.users["gone"]

    assert Employee.objects.filter(manager=world.employees["gone"]).exists()
    assert scope_for(gone) is None
    assert dashboard_for(gone) == []


def test_nobody_signed_in_sees_nothing(db):
    assert scope_for(AnonymousUser()) is None
    assert scope_for(None) is None


def test_an_unknown_report_is_a_key_error(world):
    with pytest.raises(KeyError):
        build_report(scope_for(world.users["hr"]), "salaries", PERIOD)
    assert not scope_for(world.users["hr"]).can_see("salaries")


def test_a_loop_in_the_org_chart_ends(world):
    # Employee.clean refuses loops; imported data may still hold one.
    employees = world.employees
    Employee.objects.filter(pk=employees["lead"].pk).update(manager=employees["worker"])

    scope = scope_for(world.users["lead"])

    assert scope.employee_ids == {employees["teamlead"].pk, employees["worker"].pk}


def test_a_large_chain_reads_the_same_handovers(world, handovers, monkeypatch):
    # A director of thousands is filtered by one array parameter, not a list.
    monkeypatch.setattr(scope_module, "CHAIN_IDS_INLINE", 0)
    scope = scope_for(world.users["boss"])

    assert set(scope.handovers()) == {
        handovers[key] for key in ("worker", "teamlead", "lead", "peer", "peer_report")
    }
    assert build_report(scope, "cycle-time", PERIOD).summary[0][1] == 5
