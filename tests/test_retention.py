"""Data retention (issue 20): policies per data class within the legal
minimums, legal holds, the nightly purge run and its dry-run report, and the
"Data retention" admin of HR admins."""

import datetime
from html import unescape

import pytest
from django.utils import timezone
from wagtail.users.models import UserProfile

from cms.errors import InvalidInput, PermissionDenied
from cms.models import (
    AuditEvent,
    Handover,
    Item,
    LegalHold,
    RetentionErasure,
    RetentionPolicy,
    RetentionRun,
)
from cms.services import retention
from cms.services.audit import audit_verify
from cms.services.retention import run as run_module
from cms.tasks import run_retention
from tests.fixtures.handovers import PASSWORD, complete_handover

pytestmark = pytest.mark.django_db

ENDED = datetime.date(2022, 3, 31)
CLASSES = (
    "handover_content",
    "attachments",
    "comments",
    "connector_snapshots",
    "signature_metadata",
    "audit_events",
    "certificates",
    "notification_logs",
)


def _finish(handover, *, ended=ENDED):
    """The handover as if completed on its last working day, long ago."""
    completed = timezone.make_aware(datetime.datetime.combine(ended, datetime.time(12)))
    Handover.objects.filter(pk=handover.pk).update(
        state=Handover.State.COMPLETED, completed_at=completed, last_working_day=ended
    )
    handover.refresh_from_db()
    return handover


class FakeErase:
    """Stands for ``cms.services.erasure.erase``: changes each handover's rows
    once (as many as it has items), nothing the second time."""

    def __init__(self):
        self.calls = []
        self.done = set()

    def __call__(self, data_class, handover_ids, *, actor=None, policy=""):
        self.calls.append((str(data_class), list(handover_ids), policy))
        rows = 0
        for pk in handover_ids:
            if (str(data_class), pk) not in self.done:
                self.done.add((str(data_class), pk))
                rows += Item.objects.filter(handover_id=pk).count()
        return rows


@pytest.fixture
def fake_erase(monkeypatch):
    erase = FakeErase()
    monkeypatch.setattr(run_module, "_erasure", lambda: (erase, LookupError))
    return erase


@pytest.fixture
def two_finished(sales_handover, hr_leaver_handover):
    return [_finish(sales_handover), _finish(hr_leaver_handover)]


def _login(client, people, username, language=""):
    profile = UserProfile.get_for_user(people[username])
    profile.preferred_language = language
    profile.save()
    assert client.login(username=username, password=PASSWORD)
    return client


def _text(response) -> str:
    return unescape(response.content.decode())


# Policies and the legal minimum


def test_every_class_has_a_seeded_policy_with_its_legal_basis(demo):
    policies = {policy.data_class: policy for policy in RetentionPolicy.objects.all()}

    assert set(policies) == set(CLASSES)
    assert all(policy.legal_basis and policy.enabled for policy in policies.values())
    content = policies["handover_content"]
    assert content.period_months >= 24
    assert content.counted_from == "employment_ended"
    assert "Labour Contract Law Art. 50" in content.legal_basis


def test_a_policy_shorter_than_the_legal_minimum_is_refused_naming_the_law(people):
    policy = RetentionPolicy.objects.get(data_class="handover_content")

    with pytest.raises(InvalidInput) as refused:
        retention.policy_update(
            actor=people["hr"],
            policy=policy,
            period_months=12,
            counted_from="employment_ended",
            action="purge",
            legal_basis="",
            enabled=True,
        )

    assert "Labour Contract Law of the PRC, Art. 50" in str(refused.value.message)
    assert "24 months" in str(refused.value.message)
    policy.refresh_from_db()
    assert policy.period_months == 36


def test_the_admin_form_refuses_a_short_period_and_saves_a_long_one(people, client):
    policy = RetentionPolicy.objects.get(data_class="audit_events")
    url = f"/admin/retention/policies/{policy.pk}/"
    hr = _login(client, people, "hr")
    form = {
        "counted_from": "handover_completed",
        "action": "anonymise",
        "legal_basis": "Kept as the handover record.",
        "enabled": "on",
    }

    short = hr.post(url, {**form, "period_months": "3"})
    long = hr.post(url, {**form, "period_months": "48"})

    assert short.status_code == 400
    assert "Cybersecurity Law of the PRC, Art. 21(3)" in _text(short)
    assert long.status_code == 302
    policy.refresh_from_db()
    assert policy.period_months == 48
    assert policy.updated_by == people["hr"]


def test_a_class_without_legal_minimum_may_be_kept_briefly(people):
    policy = RetentionPolicy.objects.get(data_class="comments")

    retention.policy_update(
        actor=people["hr"],
        policy=policy,
        period_months=1,
        counted_from="handover_completed",
        action="purge",
        legal_basis="Not needed after the handover.",
        enabled=True,
    )

    assert RetentionPolicy.objects.get(pk=policy.pk).period_months == 1


def test_only_hr_admins_edit_policies(people):
    policy = RetentionPolicy.objects.get(data_class="comments")

    with pytest.raises(PermissionDenied):
        retention.policy_update(
            actor=people["manager"],
            policy=policy,
            period_months=60,
            counted_from="handover_completed",
            action="purge",
            legal_basis="",
            enabled=True,
        )


# What is due


def test_finished_handovers_past_their_period_are_due_and_open_ones_never(
    sales_handover, hr_leaver_handover
):
    finished = _finish(sales_handover)

    due = retention.retention_due()

    assert set(due) == set(CLASSES)
    assert all(ids == [finished.pk] for ids in due.values())
    assert hr_leaver_handover.is_open


def test_nothing_is_due_before_the_legal_minimum_even_when_counted_from_elsewhere(
    people, sales_handover
):
    """Counted from completion, a period may pass long before employment ended:
    the law's own event still holds the content back."""
    _finish(sales_handover, ended=timezone.localdate() - datetime.timedelta(days=30))
    policy = RetentionPolicy.objects.get(data_class="handover_content")
    retention.policy_update(
        actor=people["hr"],
        policy=policy,
        period_months=24,
        counted_from="handover_completed",
        action="purge",
        legal_basis="",
        enabled=True,
    )
    # Completed three years ago, employment ended a month ago.
    Handover.objects.filter(pk=sales_handover.pk).update(
        completed_at=timezone.now() - datetime.timedelta(days=3 * 365)
    )

    due = retention.retention_due()

    assert sales_handover.pk not in due.get("handover_content", [])
    assert sales_handover.pk in due["comments"]


def test_a_disabled_policy_purges_nothing(people, sales_handover):
    _finish(sales_handover)
    RetentionPolicy.objects.filter(data_class="comments").update(enabled=False)

    assert "comments" not in retention.retention_due()


# Legal hold


def test_a_hold_on_the_employee_stops_the_purge_until_released(
    people, two_finished, fake_erase
):
    sales, hr_leaver = two_finished
    hold = retention.hold_place(
        actor=people["hrhead"], employee=sales.employee, reason="Labour arbitration"
    )

    held = (retention.is_held(sales), retention.is_held(hr_leaver))
    held_due = retention.retention_due()
    held_run = retention.retention_run(dry_run=False, actor=people["hrhead"])
    retention.hold_release(actor=people["hrhead"], hold=hold, reason="Case closed")
    released_due = retention.retention_due()

    assert held == (True, False) and not retention.is_held(sales)
    assert all(ids == [hr_leaver.pk] for ids in held_due.values())
    assert all(sales.pk not in ids for _, ids, _ in fake_erase.calls)
    assert held_run.counts["handover_content"]["handovers"] == 1
    assert all(ids == [sales.pk] for ids in released_due.values())


def test_a_hold_on_one_handover_keeps_only_that_handover(
    people, two_finished, fake_erase
):
    sales, hr_leaver = two_finished

    retention.hold_place(actor=people["hr"], handover=hr_leaver, reason="Audit")
    retention.retention_run(dry_run=False, actor=people["hr"])

    erased = {pk for _, ids, _ in fake_erase.calls for pk in ids}
    assert erased == {sales.pk}
    assert not RetentionErasure.objects.filter(handover=hr_leaver).exists()


def test_placing_and_releasing_a_hold_are_audited_and_the_chain_stays_intact(
    people, sales_handover
):
    hold = retention.hold_place(
        actor=people["hr"], employee=sales_handover.employee, reason="Dispute"
    )
    retention.hold_release(actor=people["hrhead"], hold=hold)

    events = list(
        AuditEvent.objects.filter(
            handover=sales_handover, action__startswith="retention.hold"
        ).order_by("sequence")
    )
    assert [(event.action, event.actor_id) for event in events] == [
        ("retention.hold_placed", people["hr"].pk),
        ("retention.hold_released", people["hrhead"].pk),
    ]
    assert events[0].details == {"hold": hold.pk}
    assert audit_verify(handover_id=sales_handover.pk).intact


def test_holds_are_refused_to_anyone_but_hr_admins(people, sales_handover):
    with pytest.raises(PermissionDenied) as refused:
        retention.hold_place(
            actor=people["manager"], handover=sales_handover, reason="Mine"
        )
    hold = retention.hold_place(actor=people["hr"], handover=sales_handover, reason="x")
    with pytest.raises(PermissionDenied):
        retention.hold_release(actor=people["successor"], hold=hold)

    assert refused.value.status == 403
    assert LegalHold.objects.active().count() == 1


def test_a_hold_needs_a_reason_and_one_subject(people, sales_handover):
    with pytest.raises(InvalidInput) as refused:
        retention.hold_place(
            actor=people["hr"],
            employee=sales_handover.employee,
            handover=sales_handover,
            reason=" ",
        )

    assert set(refused.value.fields) == {"__all__", "reason"}
    assert not LegalHold.objects.exists()


def test_the_hold_screens_are_404_for_non_hr(people, sales_handover, client):
    hold = retention.hold_place(actor=people["hr"], handover=sales_handover, reason="x")
    it_admin = _login(client, people, "it")

    menu = _text(it_admin.get("/admin/"))
    listing = it_admin.get("/admin/retention/holds/")
    place = it_admin.post(
        "/admin/retention/holds/place/",
        {"handover_number": sales_handover.number, "reason": "Mine"},
    )
    release = it_admin.post(f"/admin/retention/holds/{hold.pk}/release/", {})

    assert [listing.status_code, place.status_code, release.status_code] == [
        404,
        404,
        404,
    ]
    assert "Data retention" not in menu
    assert LegalHold.objects.active().count() == 1


def test_hr_places_lists_and_releases_a_hold_in_the_admin(
    people, sales_handover, client, django_capture_on_commit_callbacks
):
    hr = _login(client, people, "hr")

    menu = _text(hr.get("/admin/"))
    placed = hr.post(
        "/admin/retention/holds/place/",
        {"employee_number": sales_handover.employee.employee_number, "reason": "Suit"},
    )
    hold = LegalHold.objects.get()
    listing = _text(hr.get("/admin/retention/holds/"))
    released = hr.post(
        f"/admin/retention/holds/{hold.pk}/release/", {"reason": "Settled"}
    )

    assert "Data retention" in menu and "Legal holds" in menu
    assert placed.status_code == 302 and released.status_code == 302
    assert sales_handover.employee.name in listing and "Suit" in listing
    hold.refresh_from_db()
    assert hold.released_by == people["hr"] and hold.release_reason == "Settled"


# The run


def test_a_dry_run_changes_nothing_and_reports_counts(two_finished, monkeypatch):
    def must_not_erase():
        raise AssertionError("a dry run erased")

    monkeypatch.setattr(run_module, "_erasure", must_not_erase)
    before = list(Item.objects.order_by("pk").values_list("pk", "data", "label"))
    events = AuditEvent.objects.count()

    run = retention.retention_run(dry_run=True)

    items = Item.objects.filter(handover__in=two_finished).count()
    content = run.counts["handover_content"]
    assert run.dry_run and run.status == RetentionRun.Status.FINISHED
    assert (content["handovers"], content["rows"]) == (2, items)
    assert content["oldest"] == ENDED.isoformat()
    assert "policy #" in content["policy"]
    assert (
        run.counts["audit_events"]["rows"]
        == AuditEvent.objects.filter(handover__in=two_finished).count()
    )
    assert list(Item.objects.order_by("pk").values_list("pk", "data", "label")) == (
        before
    )
    assert AuditEvent.objects.count() == events
    assert not RetentionErasure.objects.exists()


def test_a_real_run_works_in_batches_and_is_idempotent(
    people, two_finished, fake_erase
):
    first = retention.retention_run(dry_run=False, actor=people["hr"], batch_size=1)
    calls_after_first = len(fake_erase.calls)
    second = retention.retention_run(dry_run=False, actor=people["hr"], batch_size=1)

    content = first.counts["handover_content"]
    assert content["batches"] == 2 and content["handovers"] == 2
    assert content["rows"] == Item.objects.filter(handover__in=two_finished).count()
    assert {len(ids) for _, ids, _ in fake_erase.calls} == {1}
    assert calls_after_first == 2 * len(CLASSES)
    assert RetentionErasure.objects.count() == 2 * len(CLASSES)
    assert second.counts == {} and len(fake_erase.calls) == calls_after_first
    assert second.status == RetentionRun.Status.FINISHED


def test_a_failing_batch_is_reported_and_the_others_go_on(
    people, two_finished, monkeypatch
):
    sales, hr_leaver = two_finished
    erase = FakeErase()

    def erase_but_refuse_sales(data_class, ids, **kwargs):
        if sales.pk in ids:
            raise LookupError("refused")
        return erase(data_class, ids, **kwargs)

    monkeypatch.setattr(
        run_module, "_erasure", lambda: (erase_but_refuse_sales, LookupError)
    )

    run = retention.retention_run(dry_run=False, batch_size=1)
    again = retention.retention_run(dry_run=False, batch_size=1)

    assert run.status == RetentionRun.Status.FINISHED_WITH_ERRORS
    assert {error["first_handover"] for error in run.errors} == {sales.pk}
    assert len(run.errors) == len(CLASSES)
    assert not RetentionErasure.objects.filter(handover=sales).exists()
    assert RetentionErasure.objects.filter(handover=hr_leaver).count() == len(CLASSES)
    # The next run tries again what failed, and only that.
    assert again.counts["comments"]["handovers"] == 1


def test_a_handover_reopened_after_listing_is_not_erased(
    people, two_finished, monkeypatch
):
    sales, hr_leaver = two_finished
    erase = FakeErase()
    monkeypatch.setattr(run_module, "_erasure", lambda: (erase, LookupError))
    listed = run_module.due_queryset

    def reopen_after_listing(policy, *, today):
        queryset = listed(policy, today=today)
        Handover.objects.filter(pk=sales.pk).update(state=Handover.State.IN_PROGRESS)
        return queryset

    monkeypatch.setattr(run_module, "due_queryset", reopen_after_listing)

    retention.retention_run(dry_run=False, batch_size=10)

    erased = {pk for _, ids, _ in erase.calls for pk in ids}
    assert erased == {hr_leaver.pk}


def test_the_nightly_run_is_a_dry_run_until_hr_started_a_real_one(
    people, two_finished, fake_erase
):
    first_night = RetentionRun.objects.get(pk=run_retention.call_local())
    retention.retention_run(dry_run=False, actor=people["hr"])
    RetentionErasure.objects.all().delete()
    second_night = RetentionRun.objects.get(pk=run_retention.call_local())

    assert first_night.dry_run and first_night.started_by is None
    assert not second_night.dry_run
    assert second_night.counts["comments"]["handovers"] == 2


# The admin


def test_run_now_appears_after_a_dry_run_and_the_report_shows_the_counts(
    people, two_finished, client, fake_erase
):
    hr = _login(client, people, "hr")

    before = _text(hr.get("/admin/retention/runs/"))
    started = hr.post("/admin/retention/runs/", {"intent": "dry_run"})
    run = RetentionRun.objects.get()
    after = _text(hr.get("/admin/retention/runs/"))
    report = _text(hr.get(f"/admin/retention/runs/{run.pk}/"))

    assert started.status_code == 302
    assert "Run now" not in before and "Run now" in after
    assert run.dry_run and run.started_by == people["hr"]
    assert "Dry-run report" in report
    assert "Handover content" in report and ENDED.isoformat() in report
    assert not fake_erase.calls


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Data retention", "Retention policies", "Legal minimum"]),
        ("zh-hans", ["数据保留", "保留策略", "法定最短期限"]),
    ],
)
def test_the_retention_pages_render_in_english_and_chinese(
    people, sales_handover, client, language, expected
):
    retention.hold_place(actor=people["hr"], handover=sales_handover, reason="x")
    run = retention.retention_run(dry_run=True)
    hr = _login(client, people, "hr", language=language)
    policy = RetentionPolicy.objects.first()

    pages = [
        hr.get(url)
        for url in (
            "/admin/retention/",
            f"/admin/retention/policies/{policy.pk}/",
            "/admin/retention/holds/",
            "/admin/retention/holds/place/",
            "/admin/retention/runs/",
            f"/admin/retention/runs/{run.pk}/",
        )
    ]

    assert [page.status_code for page in pages] == [200] * len(pages)
    policies = _text(pages[0])
    assert f'<html lang="{language}"' in policies
    for text in expected:
        assert text in policies


def test_the_real_purge_keeps_the_audit_trail_and_certificate_verifiable(
    people, sales_handover, client, django_capture_on_commit_callbacks
):
    """With the erasure service itself: a completed handover, past its
    periods, purged; the second night changes nothing."""
    from cms.backup.checks import certificate_problems
    from cms.models import Certificate
    from cms.services.erasure import ERASED_ACTION

    with django_capture_on_commit_callbacks(execute=True):
        complete_handover(sales_handover, people)
    _finish(sales_handover)
    content_before = Item.objects.filter(handover=sales_handover).count()

    first = retention.retention_run(dry_run=False, actor=people["hr"])
    second = retention.retention_run(dry_run=False, actor=people["hr"])

    assert first.status == RetentionRun.Status.FINISHED, first.errors
    assert first.counts["handover_content"]["rows"] > 0
    assert second.counts == {}
    erased = AuditEvent.objects.filter(handover=sales_handover, action=ERASED_ACTION)
    assert {event.details["class"] for event in erased} <= set(CLASSES)
    assert erased.exists()
    assert audit_verify(handover_id=sales_handover.pk).intact
    assert Item.objects.filter(handover=sales_handover).count() == content_before
    certificate = Certificate.objects.get(handover=sales_handover)
    assert certificate.pdf_erased_at is not None
    assert certificate_problems(certificate) == []
    assert client.get(f"/verify/{certificate.code}/").status_code == 200


# For the review of an erasure request


def test_kept_reasons_name_the_law_and_the_date_only_while_the_floor_holds(
    people, sales_handover, hr_leaver_handover
):
    recent = timezone.localdate() - datetime.timedelta(days=30)
    _finish(sales_handover, ended=recent)
    _finish(hr_leaver_handover)

    recent_reasons = retention.kept_reasons(sales_handover.employee)
    old_reasons = retention.kept_reasons(hr_leaver_handover.employee)
    retention.hold_place(
        actor=people["hrhead"], employee=hr_leaver_handover.employee, reason="Suit"
    )
    held_reasons = retention.kept_reasons(hr_leaver_handover.employee)

    assert set(recent_reasons) == {
        "handover_content",
        "attachments",
        "certificates",
        "audit_events",
    }
    content = recent_reasons["handover_content"]
    assert "Labour Contract Law of the PRC, Art. 50" in content
    assert str(recent.year + 2) in content
    assert old_reasons == {}
    assert set(held_reasons) == set(CLASSES)
    assert all("legal hold" in reason for reason in held_reasons.values())


def test_an_open_handover_keeps_everything_of_its_employee(sales_handover):
    reasons = retention.kept_reasons(sales_handover.employee)

    assert set(reasons) == set(CLASSES)
    assert all("still open" in reason for reason in reasons.values())
