"""``manage.py seed_scale`` writes the rows Baton's services write.

The generator plans each handover (who does what), plays the plan in memory and
copies the rows in bulk. Here the same plans are also played through the real
services, on the same primary keys, and both results must be the same rows:
items, versions, signatures (their content hashes), questions, object
permissions, audit events (their content hashes) and connector sync state. Only
times and what hashes them (event chain hashes, server signatures) differ; both
chains and all server signatures must verify."""

import dataclasses
import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone, translation

from cms import services
from cms.demo import scale
from cms.models import (
    AuditEvent,
    Certificate,
    Comment,
    Employee,
    Handover,
    HandoverUserObjectPermission,
    Item,
    ItemVersion,
    Participant,
    Signature,
)
from cms.services.audit import chain_verify
from cms.services.signing import signature_verify
from connectors.models import BlockSync, SyncRun

# seed_scale loads with COPY under table locks: PostgreSQL's, like the
# benchmarks it seeds (it refuses another database in words).
pytestmark = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="seed_scale needs PostgreSQL (COPY)."
)

SPEC = scale.ScaleSpec(
    seed=7, employees=200, handovers=40, items=14, today=datetime.date(2026, 11, 27)
)
ACTIONS = {
    "assign",
    "update",
    "submit",
    "not_applicable",
    "return",
    "answer",
    "resolve",
    "accept",
    "comment",
    "declare",
    "approve",
    "cancel",
}


@pytest.fixture
def prepared(db):
    with translation.override("en"):
        return scale.prepare(SPEC)


def _covering(plans):
    """A few plans that between them use every kind of action, and a draft."""
    chosen, seen = [], set()
    for plan in sorted(plans, key=lambda plan: -len({a[0] for a in plan.actions})):
        kinds = {action[0] for action in plan.actions}
        if plan.template in ("small", "medium", "large") and kinds - seen:
            chosen.append(plan)
            seen |= kinds
    chosen.append(next(plan for plan in plans if plan.draft))
    assert seen == ACTIONS, f"the seed's plans never {sorted(ACTIONS - seen)}"
    return chosen


def _without_times(value):
    if isinstance(value, dict):
        return {
            key: "<time>" if key == "at" else _without_times(entry)
            for key, entry in value.items()
        }
    return value


def _rows(handover_id) -> dict:
    handover = Handover.objects.select_related("employee").get(pk=handover_id)
    times = ("started_at", "review_started_at", "completed_at", "cancelled_at")
    return {
        "handover": {
            **{
                name: getattr(handover, name)
                for name in (
                    "id",
                    "number",
                    "employee_id",
                    "template_id",
                    "template_revision_id",
                    "language",
                    "state",
                    "resignation_date",
                    "last_working_day",
                    "created_by_id",
                    "cancel_reason",
                )
            },
            **{name: getattr(handover, name) is not None for name in times},
            "employee_status": handover.employee.status,
        },
        "participants": sorted(
            Participant.objects.filter(handover=handover).values_list(
                "id", "user_id", "role"
            )
        ),
        "permissions": sorted(
            HandoverUserObjectPermission.objects.filter(
                content_object=handover
            ).values_list("id", "user_id", "permission__codename")
        ),
        "items": [
            {**row, "provenance": _without_times(row["provenance"]), "updated_at": 0}
            for row in Item.objects.filter(handover=handover)
            .order_by("position", "pk")
            .values()
        ],
        "versions": list(
            ItemVersion.objects.filter(item__handover=handover)
            .order_by("pk")
            .values("id", "item_id", "number", "actor_id", "action", "changes", "state")
        ),
        "signatures": list(
            Signature.objects.filter(handover=handover)
            .order_by("pk")
            .values(
                "id",
                "item_id",
                "item_version",
                "section_block_id",
                "signer_id",
                "role",
                "decision",
                "remarks",
                "content_hash",
                "intent_statement",
                "auth_method",
                "ip_address",
                "user_agent",
                "key_id",
            )
        ),
        "comments": [
            {**row, "resolved_at": row["resolved_at"] is not None}
            for row in Comment.objects.filter(item__handover=handover)
            .order_by("pk")
            .values(
                "id",
                "item_id",
                "author_id",
                "question_id",
                "body",
                "is_question",
                "resolved_at",
                "resolved_by_id",
            )
        ],
        "audit": list(
            AuditEvent.objects.filter(handover=handover)
            .order_by("sequence")
            .values(
                "id",
                "sequence",
                "actor_id",
                "actor_name",
                "role",
                "action",
                "object_type",
                "object_id",
                "before_hash",
                "after_hash",
                "details",
                "ip_address",
            )
        ),
        "block_syncs": list(
            BlockSync.objects.filter(handover=handover).values(
                "block_id",
                "label",
                "connector_id",
                "connector_slug",
                "record_kind",
                "state",
                "error",
                "attempt",
                "generation",
            )
        ),
        "sync_runs": list(
            SyncRun.objects.filter(handover=handover).values(
                "connector_id",
                "block_id",
                "trigger",
                "state",
                "seen",
                "created",
                "errors",
                "actor_id",
            )
        ),
    }


def _intact(handover_id):
    assert chain_verify(handover_id) is None
    signatures = Signature.objects.filter(handover_id=handover_id).select_related(
        "handover", "item"
    )
    assert all(signature_verify(signature) for signature in signatures)


def _align_sequences():
    """The next id of every table is one past its largest, as the generator
    assumes."""
    with connection.cursor() as cursor:
        for model in scale.written_models():
            table = model._meta.db_table
            largest = f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"'  # noqa: S608
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f"({largest}), false)"
            )


def _played(prepared, plan) -> dict:
    """The generator's rows for ``plan``, then undone."""
    savepoint = transaction.savepoint()
    handover_id = scale.play(prepared, [plan]) and Handover.objects.latest("pk").pk
    rows = _rows(handover_id)
    _intact(handover_id)
    transaction.savepoint_rollback(savepoint)
    return rows


def _through_services(prepared, plan, on_commit) -> int:
    users = {user.pk: user for user in get_user_model().objects.all()}
    hr = users[plan.hr_id]
    first = plan.first_with_role()

    def item(block_id):
        return Item.objects.select_related("handover").get(
            handover=handover, block_id=block_id
        )

    def filler(it):
        return users[first[it.filled_by_role]]

    def confirmer(it):
        if it.confirmed_by_role == "successor" and it.assignee_id:
            return users[it.assignee_id]
        return users[first[it.confirmed_by_role]]

    def open_question(it):
        return it.comments.get(is_question=True, resolved_at__isnull=True)

    password = scale.BENCH_PASSWORD
    with on_commit(execute=True):
        handover = services.handover_start(
            actor=hr,
            employee=Employee.objects.get(pk=plan.employee_id),
            template=prepared.templates[plan.template].page,
            last_working_day=plan.last_working_day,
            resignation_date=plan.resignation_date,
            successors=[users[pk] for pk in plan.successor_ids],
            manager=users[plan.manager_id],
            it_users=[users[pk] for pk in plan.it_ids],
            draft=plan.draft,
        )
    for action, block_id, _who, payload in plan.actions:
        it = item(block_id) if block_id else None
        if action == "assign":
            successor = users[plan.successor_ids[payload["successor"]]]
            services.item_assign(actor=hr, item=it, successor=successor)
        elif action == "update":
            services.item_update(
                actor=filler(it), item=it, version=it.version, data=payload
            )
        elif action == "submit":
            services.item_submit(actor=filler(it), item=it, version=it.version)
        elif action == "not_applicable":
            services.item_mark_not_applicable(
                actor=filler(it), item=it, version=it.version, reason=payload["reason"]
            )
        elif action == "return":
            services.item_return(
                actor=confirmer(it),
                item=it,
                version=it.version,
                reason=payload["reason"],
                password=password,
            )
        elif action == "answer":
            services.comment_add(
                actor=filler(it),
                item=it,
                body=payload["body"],
                question=open_question(it),
            )
        elif action == "resolve":
            question = open_question(it)
            services.comment_resolve(actor=question.author, comment=question)
        elif action == "accept":
            services.item_accept(
                actor=confirmer(it),
                item=it,
                version=it.version,
                password=password,
                remarks=payload["remarks"],
            )
        elif action == "comment":
            services.comment_add(actor=confirmer(it), item=it, body=payload["body"])
        elif action == "declare":
            services.handover_declare(
                actor=users[plan.leaver_id],
                handover=handover,
                password=password,
                statement=payload["statement"],
            )
        elif action == "approve":
            services.handover_approve(
                actor=users[plan.manager_id],
                handover=handover,
                password=password,
                remarks=payload["remarks"],
            )
        elif action == "cancel":
            services.handover_cancel(
                actor=hr, handover=handover, reason=payload["reason"]
            )
        else:  # pragma: no cover
            raise AssertionError(action)
    return handover.pk


def test_the_generator_writes_the_rows_the_services_write(
    prepared, django_capture_on_commit_callbacks
):
    for plan in _covering(prepared.plans):
        # The handover number carries the year it started in.
        plan = dataclasses.replace(plan, started_at=timezone.now())
        with translation.override("en"):
            generated = _played(prepared, plan)
            _align_sequences()
            handover_id = _through_services(
                prepared, plan, django_capture_on_commit_callbacks
            )
        by_services = _rows(handover_id)
        _intact(handover_id)
        assert generated["handover"]["id"] == handover_id
        for table, rows in by_services.items():
            assert _difference(generated[table], rows) is None, table


def _difference(generated, expected):
    """Where two tables differ first, readably; None when they are the same."""
    if isinstance(generated, dict):
        generated, expected = [generated], [expected]
    if len(generated) != len(expected):
        return f"{len(generated)} rows generated, {len(expected)} by the services"
    for index, (mine, theirs) in enumerate(zip(generated, expected, strict=True)):
        if mine == theirs:
            continue
        if not isinstance(mine, dict):
            return f"row {index}: {mine!r} != {theirs!r}"
        for key in sorted(set(mine) | set(theirs)):
            if mine.get(key) != theirs.get(key):
                return f"row {index} {key}: {mine.get(key)!r} != {theirs.get(key)!r}"
    return None


def test_a_plan_the_services_would_refuse_stops_the_seed(prepared):
    # given a completed handover whose first acceptance comes before its item
    # was submitted
    plan = next(p for p in prepared.plans if p.state == Handover.State.COMPLETED)
    accept = next(action for action in plan.actions if action[0] == "accept")
    early = dataclasses.replace(plan, actions=[accept, *plan.actions])
    handovers = Handover.objects.count()

    # when it is played, then the seed stops, says why, and writes nothing
    with pytest.raises(scale.PlanRefused, match="accept refused: the item is pending"):
        scale.play(prepared, [early])
    assert Handover.objects.count() == handovers


def test_a_plan_that_ends_elsewhere_than_planned_stops_the_seed(prepared):
    # given a handover planned to reach review whose leaver never declares
    plan = next(p for p in prepared.plans if p.state == Handover.State.IN_REVIEW)
    actions = [action for action in plan.actions if action[0] != "declare"]

    # when it is played, then the seed stops: the services would not review it
    with pytest.raises(scale.PlanRefused, match="it ends in_progress"):
        scale.play(prepared, [dataclasses.replace(plan, actions=actions)])


def test_seed_scale_builds_a_company_in_mixed_states_and_runs_once(db):
    args = ["--seed", "3", "--employees", "200", "--handovers", "40", "--items", "14"]
    call_command("seed_scale", *args, "--today", "2026-11-27")
    counts = {
        "handovers": Handover.objects.count(),
        "items": Item.objects.count(),
        "audit": AuditEvent.objects.count(),
    }
    states = set(Handover.objects.values_list("state", flat=True))

    call_command("seed_scale", *args, "--today", "2026-11-27")

    assert counts == {
        "handovers": Handover.objects.count(),
        "items": Item.objects.count(),
        "audit": AuditEvent.objects.count(),
    }
    assert states == set(Handover.State.values)
    info = scale.find_scale(3)
    successor = get_user_model().objects.get(username=info.successor_username)
    assert (
        Participant.objects.filter(user=successor, role="successor").count()
        == scale.BENCH_SUCCESSOR_HANDOVERS
    )
    assert (
        Item.objects.filter(
            handover__template__slug=info.template_slugs["items-500"]
        ).count()
        == 500
    )
    for handover_id in Handover.objects.values_list("pk", flat=True):
        assert chain_verify(handover_id) is None


def test_another_size_for_the_same_seed_is_refused(db):
    from django.core.management.base import CommandError

    call_command(
        "seed_scale",
        "--seed",
        "4",
        "--employees",
        "200",
        "--handovers",
        "30",
        "--items",
        "10",
    )
    with pytest.raises(CommandError, match="another size"):
        call_command(
            "seed_scale",
            "--seed",
            "4",
            "--employees",
            "300",
            "--handovers",
            "30",
            "--items",
            "10",
        )


def _history():
    """The history rows, without ids (a second generation hands out others)."""
    from connectors.models import AccessAction, AccessGrant, ResidualAccess

    return {
        "certificates": sorted(
            Certificate.objects.values_list("handover_id", "code", "issued_at")
        ),
        "grants": sorted(
            AccessGrant.objects.values_list(
                "handover_id", "system", "group_id", "decision", "state"
            )
        ),
        "actions": sorted(
            AccessAction.objects.values_list(
                "handover_id",
                "grant__group_id",
                "operation",
                "state",
                "scheduled_for",
                "finished_at",
            ),
            key=str,
        ),
        "residual": sorted(
            ResidualAccess.objects.values_list(
                "grant__handover_id", "days_after", "active", "checked_at"
            )
        ),
        "answers": sorted(
            Comment.objects.filter(
                question__isnull=False, question__resolved_at=None
            ).values_list("question_id", "author_id", "created_at")
        ),
    }


def test_the_company_gets_a_history_consistent_with_its_handovers(db):
    from connectors.models import AccessAction, AccessGrant, ResidualAccess

    # given a company seeded with its history
    args = ["--seed", "5", "--employees", "200", "--handovers", "40", "--items", "14"]
    call_command("seed_scale", *args, "--today", "2026-11-27")
    info = scale.find_scale(5)
    history = _history()

    # then every completed handover, and only those, has one certificate,
    # issued within three days of completion
    completed = Handover.objects.filter(state=Handover.State.COMPLETED)
    assert set(Certificate.objects.values_list("handover_id", flat=True)) == set(
        completed.values_list("pk", flat=True)
    )
    for certificate in Certificate.objects.select_related("handover"):
        waited = certificate.issued_at - certificate.handover.completed_at
        assert datetime.timedelta(0) <= waited <= datetime.timedelta(days=3)
    # drafts have no access inventory; most started handovers have one
    assert not AccessGrant.objects.filter(handover__state=Handover.State.DRAFT)
    started = Handover.objects.exclude(state=Handover.State.DRAFT).count()
    assert AccessGrant.objects.values("handover").distinct().count() > started * 0.7
    # changes ran at or after their time, never after "now", and what ran
    # shows on the grant; by-hand changes are closed by IT
    for action in AccessAction.objects.select_related("grant", "handover"):
        if action.finished_at is not None:
            assert action.scheduled_for <= action.finished_at <= info.now
        if action.state == AccessAction.State.VERIFIED:
            if action.operation == AccessAction.Operation.SUSPEND:
                assert action.grant.state in ("suspended", "deleted")
            if action.operation == AccessAction.Operation.MANUAL:
                assert action.done_by_id is not None
        if action.state == AccessAction.State.PLANNED:
            assert action.handover.state != Handover.State.CANCELLED
    assert AccessAction.objects.filter(state=AccessAction.State.VERIFIED).exists()
    assert not AccessAction.objects.filter(
        handover__state=Handover.State.COMPLETED,
        operation=AccessAction.Operation.SUSPEND,
        state=AccessAction.State.PLANNED,
    )
    # residual checks only on days that have come, and rarely find anything
    for finding in ResidualAccess.objects.select_related("grant__handover"):
        day = finding.grant.handover.last_working_day + datetime.timedelta(
            days=finding.days_after
        )
        assert timezone.localdate(finding.checked_at) == day <= info.today
    findings = ResidualAccess.objects.count()
    assert findings and ResidualAccess.objects.filter(active=True).count() < (
        findings * 0.2
    )
    # answers only to questions still open on returned items of open handovers
    for answer in Comment.objects.filter(
        question__isnull=False, question__resolved_at=None
    ):
        assert answer.item.state == Item.State.RETURNED
        assert answer.item.handover.state in Handover.OPEN_STATES
        assert answer.created_at >= answer.question.created_at

    # when the history is asked for again, nothing is added
    call_command("seed_scale", *args, "--today", "2026-11-27")
    call_command("seed_scale", "--seed", "5", "--history-only")
    assert _history() == history

    # and a history written afresh is the same history
    ResidualAccess.objects.all().delete()
    AccessAction.objects.all().delete()
    AccessGrant.objects.all().delete()
    Certificate.objects.all().delete()
    Comment.objects.filter(question__isnull=False, question__resolved_at=None).delete()
    call_command("seed_scale", "--seed", "5", "--history-only")
    assert _history() == history
