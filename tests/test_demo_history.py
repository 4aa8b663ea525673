"""``seed_demo`` plays months of past handovers, so the first ``make run``
has a dashboard and charts that say something: every report has rows, the
dashboards have work waiting, the audit trail verifies, and a second run
adds nothing.

The history is seeded once for the module, inside a transaction rolled back
at its end (as ``test_api_fuzz`` does): seeding takes seconds."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from cms.demo.history import seed_history
from cms.demo.history.stories import LEAVERS, STORIES
from cms.demo.seed import seed
from cms.models import (
    AuditEvent,
    Certificate,
    Comment,
    Employee,
    Handover,
    Item,
    ItemVersion,
    Signature,
)
from cms.services.signing import signature_verify
from connectors.models import AccessAction, ResidualAccess, SyncRun
from reports.figures import (
    REPORTS,
    ReportFilters,
    build_report,
    dashboard_for,
    scope_for,
)

MODELS = [
    get_user_model(),
    Employee,
    Handover,
    Item,
    ItemVersion,
    Signature,
    Comment,
    AuditEvent,
    Certificate,
    AccessAction,
    ResidualAccess,
    SyncRun,
]


def _counts() -> dict:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_plain_seeding_and_no_history_leave_the_history_out(db, settings):
    """First in the module: before the module's history is seeded."""
    settings.DEBUG = True

    seed()
    call_command("seed_demo", "--no-history")

    assert not _history().exists()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo with its history, seeded twice: the counts after each run."""
    with django_db_blocker.unblock(), transaction.atomic():
        seed(history=True)
        first = _counts()
        seed(history=True)
        yield {"first": first, "second": _counts()}
        transaction.set_rollback(True)


def _history():
    return Handover.objects.filter(
        employee__employee_number__in=list(LEAVERS)
    ).select_related("employee")


def _figure(panel, key):
    return next(
        figure.value
        for group in panel.groups
        for figure in group.figures
        if figure.key == key
    )


def _figures(panel, prefix):
    return sum(
        figure.value
        for group in panel.groups
        for figure in group.figures
        if figure.key.startswith(prefix)
    )


@pytest.mark.django_db
def test_every_report_has_rows(seeded):
    hr = get_user_model().objects.get(username="hr")
    scope = scope_for(hr)

    for key in REPORTS:
        report = build_report(scope, key, ReportFilters.default())
        assert report.rows, key
        assert any(series.data for series in report.chart.series), key


@pytest.mark.django_db
def test_handovers_got_faster_over_the_months(seeded):
    """The seed article's claim, as the demo tells it: certificates came days
    after the last working day at first, on the day lately."""
    hr = get_user_model().objects.get(username="hr")

    report = build_report(scope_for(hr), "cycle-time", ReportFilters.default())
    months = [row for row in report.rows if row["handovers"]]

    assert len(months) >= 6
    assert months[0]["lwd_median"] >= 3
    assert months[-1]["lwd_median"] <= 1
    assert months[0]["start_median"] > months[-1]["start_median"]


@pytest.mark.django_db
def test_the_dashboards_have_work_waiting(seeded):
    users = get_user_model().objects

    (hr_panel, it_panel) = dashboard_for(users.get(username="hr"))
    (manager_panel,) = dashboard_for(users.get(username="manager"))
    (it_only,) = dashboard_for(users.get(username="it"))

    assert _figures(hr_panel, "late") > 0
    assert _figure(hr_panel, "stuck") > 0
    assert _figures(hr_panel, "blocker") > 0
    for kind in ("no_successor", "returned", "access_failed", "sync_failing"):
        assert _figure(hr_panel, f"blocker_{kind}") > 0, kind
    assert all(
        figure.value > 0 for group in it_only.groups for figure in group.figures
    ), it_only
    assert it_panel.key == "it"
    assert _figure(manager_panel, "team_overdue") > 0
    assert _figure(manager_panel, "approvals") == 2


@pytest.mark.django_db
def test_most_handovers_were_completed_some_late(seeded):
    handovers = list(_history().select_related("certificate"))
    completed = [h for h in handovers if h.state == Handover.State.COMPLETED]
    late = [
        h
        for h in completed
        if timezone.localdate(h.certificate.issued_at) > h.last_working_day
    ]
    states = {h.state for h in handovers}

    assert len(handovers) == len(STORIES) >= 30
    assert len(completed) > len(handovers) / 2
    assert 0 < len(late) < len(completed)
    assert states == set(Handover.State.values)
    for handover in completed:
        issued = handover.certificate.issued_at - handover.completed_at
        assert timedelta(0) <= issued < timedelta(minutes=10), handover
    today = timezone.localdate()
    assert min(h.started_at.date() for h in completed) < today - timedelta(days=180)


@pytest.mark.django_db
def test_the_audit_trail_and_every_signature_verify(seeded):
    call_command("verify_audit")

    signatures = Signature.objects.filter(handover__in=_history()).select_related(
        "handover", "item"
    )
    assert signatures.count() > 100
    assert all(signature_verify(signature) for signature in signatures)


@pytest.mark.django_db
def test_seeding_twice_adds_nothing(seeded):
    assert seeded["second"] == seeded["first"]
    assert seed_history() == 0


@pytest.mark.django_db
def test_leavers_cannot_sign_in(seeded):
    leavers = get_user_model().objects.filter(
        employee__employee_number__in=list(LEAVERS)
    )

    assert leavers.count() == len(LEAVERS)
    assert not any(user.has_usable_password() for user in leavers)
    assert all(user.groups.filter(name="Employees").exists() for user in leavers)
