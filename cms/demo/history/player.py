"""One story, played: started by HR, filled by the leaver and IT, questioned,
accepted and signed by the successor, IT, HR and the manager, approved.

Up to the approval the story is played by ``cms.demo.scale``'s ``Player``
(an in-memory replica of ``cms.services``; ``tests/test_seed_scale.py`` holds
it to writing exactly the rows the services write), each step at its own
moment, and its rows are inserted at once: playing the same steps through
the services one call at a time takes minutes on SQLite. What follows the
approval goes through the real code on the history clock: the certificate
(the real issuing task), access changes run, residual access checks, a
successor removed, access recorded by hand."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.models import Permission
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max

from cms import services
from cms.models import (
    AuditChainCheckpoint,
    ChecklistTemplatePage,
    Employee,
    Handover,
    ParticipantRole,
)
from cms.permissions import hr_admin_users
from cms.services.audit.chain import chain_checkpoint_sign
from cms.services.common import announce
from cms.services.visibility import item_is_visible

from ..scale import COPY_ORDER, HandoverPlan, Ids, Rows, TemplateInfo, template_items
from . import connector_rows
from .clock import HistoryClock, local, spread
from .replica import HistoryPlayer, insert, utc
from .stories import QUESTIONS, Story

__all__ = ["Cast", "cast_for", "play"]

COMPANIES = (
    "Huaxin Logistics",
    "Minghe Foods",
    "Qingyun Textiles",
    "Donghai Shipping",
    "Jinlong Machinery",
    "Baiyun Pharma",
)
QUESTION = "Which contact takes this over, and do they know?"
ANSWER = "Zhou Lan in purchasing; I introduced the successor last week."
CANCEL_REASON = "The employee decided to stay."


@dataclass
class Cast:
    """What every story shares: the HR and IT people, the day, and what the
    player needs to know about users, permissions, connectors, templates."""

    hr: object
    it: object
    today: date
    now: datetime
    users: dict  # user pk -> username
    hr_admins: set
    permissions: dict  # codename -> Permission pk
    connectors: dict  # slug -> (pk, name, type)
    templates: dict = field(default_factory=dict)  # slug -> TemplateInfo

    def template(self, slug: str) -> TemplateInfo:
        if slug not in self.templates:
            page = ChecklistTemplatePage.objects.live().get(
                slug=slug, locale__language_code="en"
            )
            revision = page.live_revision
            items, connector_blocks = template_items(revision)
            self.templates[slug] = TemplateInfo(
                name=slug,
                page=page,
                revision_id=revision.pk,
                items=items,
                connector_blocks=connector_blocks,
            )
        return self.templates[slug]


def cast_for(*, hr, it, today, now, users) -> Cast:
    from connectors.models import ConnectorConfig

    return Cast(
        hr=hr,
        it=it,
        today=today,
        now=now,
        users={user.pk: user.get_username() for user in users},
        hr_admins=set(hr_admin_users().values_list("pk", flat=True)),
        permissions=dict(
            Permission.objects.filter(
                content_type__app_label="cms", content_type__model="handover"
            ).values_list("codename", "pk")
        ),
        connectors={
            slug: (pk, name, kind)
            for pk, slug, name, kind in ConnectorConfig.objects.values_list(
                "pk", "slug", "name", "type"
            )
        },
    )


def _filled(kind: str, number: int, username: str) -> dict:
    """What the person filling an item of ``kind`` types."""
    company = COMPANIES[number % len(COMPANIES)]
    return {
        "client": {
            "customer": company,
            "relationship_notes": f"Quarterly review with {company}; call Zhou Lan.",
        },
        "task": {
            "description": f"Rollout for {company}",
            "status": "in_progress",
            "progress_percent": 60,
            "next_step": "Send the signed plan to the site lead.",
        },
        "project": {
            "project_name": f"{company} upgrade",
            "stage": "in_progress",
            "progress_percent": 70,
            "next_step": "Acceptance test with the customer.",
        },
        "document": {"custodian": "Team assistant", "notes": "Indexed by customer."},
        "knowledge": {"topic": "Who to call", "content": "See the contact sheet."},
        "account": {"account_id": username},
        "asset": {"asset_tag": f"IT-2024-{number:04d}", "description": "ThinkPad T14"},
        "approval": {"reference": f"OA-2026-{number:04d}", "status": "pending"},
        "expense": {
            "description": f"Client visit, {company}",
            "amount": "860.00",
            "status": "submitted",
        },
    }.get(kind, {})


class _Story:
    def __init__(self, story: Story, cast: Cast, employee: Employee, spec):
        self.story = story
        self.cast = cast
        self.employee = employee
        self.template_slug, self.successor = spec
        self.timeline = []  # (moment, player action)
        self.after = []  # (moment, step, args, kwargs): real code, after insert
        self.handover = None

    @property
    def last_working_day(self) -> date:
        return self.cast.today + timedelta(days=self.story.last_working_day)

    def later(self, moment, step, *args, **kwargs):
        self.after.append((moment, step, args, kwargs))

    def manager(self):
        for boss in self.employee.reporting_chain():
            if boss.user_id:
                return boss.user
        return None

    def plan(self):
        story, cast = self.story, self.cast
        lwd = self.last_working_day
        if story.outcome == "draft":
            self.started = cast.now - timedelta(days=1)
        else:
            started = local(lwd - timedelta(days=story.lead_days), 9, 30)
            self.started = min(started, cast.now - timedelta(hours=6))
        info = cast.template(self.template_slug)
        if story.outcome == "draft":
            self.end = self.started
            return
        answers = {
            proto.definition.get("key"): proto.definition.get("key") == "has_laptop"
            for proto in info.items
            if proto.kind == "field"
        }
        fields = [proto for proto in info.items if proto.kind == "field"]
        visible = [
            proto
            for proto in info.items
            if proto.kind != "field" and item_is_visible(proto, answers)
        ]
        ordered = fields + visible
        if story.outcome == "completed":
            approve = local(lwd + timedelta(days=story.approve_delay), 11)
            self.end = min(approve, cast.now - timedelta(hours=2))
            declare = self.end - timedelta(days=1)
        elif story.outcome == "in_review":
            self.end = min(local(lwd, 12), cast.now - timedelta(hours=3))
            declare = self.end - timedelta(hours=20)
        elif story.outcome == "cancelled":
            self.end = local(lwd - timedelta(days=2), 16)
            declare = None
        else:
            self.end = cast.now - timedelta(days=story.idle_days, hours=2)
            declare = None
        first = self.started + timedelta(hours=1)
        # Filling (and questions) first, then accepting: before the
        # declaration, or over the first 60 % of an open handover's time.
        split = declare or first + (self.end - first) * 0.6
        done = len(ordered)
        if story.outcome in ("in_progress", "cancelled"):
            done = round(len(ordered) * story.progress)
        accepted, submitted = ordered[:done], ordered[done : done + 2]
        username = self.employee.user.username
        filling = []
        for number, proto in enumerate(accepted + submitted):
            if proto.kind == "field":
                data = {"value": answers[proto.definition.get("key")]}
            else:
                data = _filled(proto.kind, number, username)
            if data:
                filling.append(("update", proto.block_id, "fill", data))
            filling.append(("submit", proto.block_id, "fill", {}))
        asked = [
            proto
            for proto in accepted
            if proto.label in QUESTIONS.get(self.template_slug, ())
        ][: story.questions]
        for proto in asked:
            filling += [
                ("return", proto.block_id, "confirm", {"reason": QUESTION}),
                ("answer", proto.block_id, "fill", {"body": ANSWER}),
                ("resolve", proto.block_id, "confirm", {}),
                ("submit", proto.block_id, "fill", {}),
            ]
        if story.open_question and submitted:
            filling.append(
                ("return", submitted[0].block_id, "confirm", {"reason": QUESTION})
            )
        moments = spread(first, split - timedelta(hours=1), len(filling))
        self.timeline += zip(moments, filling, strict=True)
        if declare is not None:
            self.timeline.append(
                (declare, ("declare", "", "leaver", {"statement": ""}))
            )
        accepts = [
            ("accept", proto.block_id, "confirm", {"remarks": ""}) for proto in accepted
        ]
        moments = spread(
            split + timedelta(minutes=20),
            self.end - timedelta(minutes=30),
            len(accepts),
        )
        self.timeline += zip(moments, accepts, strict=True)
        if story.outcome == "completed":
            self.timeline.append(
                (self.end, ("approve", "", "manager", {"remarks": ""}))
            )
            self.later(self.end + timedelta(minutes=2), self.certify)
        elif story.outcome == "cancelled":
            self.timeline.append(
                (self.end, ("cancel", "", "hr", {"reason": CANCEL_REASON}))
            )
        if story.successor_left:
            self.later(self.end + timedelta(minutes=5), self.remove_successor)
        connector_rows.plan(self, first=first, end=self.end)

    # After the player ------------------------------------------------------------

    def certify(self):
        """The manager's approval is announced: the real task issues the
        certificate now (``reports``' receiver)."""
        handover = Handover.objects.get(pk=self.handover["id"])
        announce(handover, "handover.completed", actor=self.manager())

    def remove_successor(self):
        services.participant_remove(
            actor=self.cast.hr,
            handover=Handover.objects.get(pk=self.handover["id"]),
            user=self.successor,
            role=ParticipantRole.SUCCESSOR,
        )

    # Playing -----------------------------------------------------------------------

    def play(self, clock: HistoryClock):
        from connectors.models import AccessAction, AccessGrant, BlockSync, SyncRun

        models = [*COPY_ORDER, BlockSync, SyncRun, AccessGrant, AccessAction]
        ids = {
            model: Ids((model.objects.aggregate(last=Max("pk"))["last"] or 0) + 1)
            for model in models
        }
        rows = Rows()
        cast = self.cast
        player = HistoryPlayer(
            ids=ids,
            users=cast.users,
            hr_admins=cast.hr_admins,
            permissions=cast.permissions,
            templates=cast.templates,
            rows=rows,
            connectors={
                slug: (pk, name) for slug, (pk, name, _type) in cast.connectors.items()
            },
        )
        manager = self.manager()
        timeline = sorted(self.timeline, key=lambda entry: entry[0])
        plan = HandoverPlan(
            employee_id=self.employee.pk,
            leaver_id=self.employee.user_id,
            template=self.template_slug,
            hr_id=cast.hr.pk,
            successor_ids=[self.successor.pk],
            manager_id=manager.pk if manager else None,
            it_ids=[cast.it.pk],
            last_working_day=self.last_working_day,
            resignation_date=self.last_working_day - timedelta(days=30),
            draft=self.story.outcome == "draft",
            started_at=utc(self.started),
            step=timedelta(0),
            actions=[action for _moment, action in timeline],
            state=self.story.outcome,
        )
        spreadsheets = {
            slug
            for slug, (_pk, _name, kind) in cast.connectors.items()
            if kind == "spreadsheet"
        }
        self.handover = player.play_at(
            plan,
            [utc(moment) for moment, _action in timeline],
            spreadsheets=spreadsheets,
        )
        insert(rows, models)
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
        # The chain's signed checkpoint, as audit_record leaves it after the
        # last event (its time is the handover's last activity).
        last = timeline[-1][0] if timeline else self.started
        clock.moment = last
        AuditChainCheckpoint.objects.create(
            handover_id=self.handover["id"],
            **chain_checkpoint_sign(
                handover_id=self.handover["id"],
                length=player.sequence,
                head_hash=player.last_hash,
            ),
        )
        if player.employee_status_change:
            Employee.objects.filter(
                pk=self.employee.pk, status=Employee.Status.ACTIVE
            ).update(status=Employee.Status.LEAVING)
        for moment, step, args, kwargs in sorted(
            self.after, key=lambda entry: entry[0]
        ):
            clock.do(moment, step, *args, **kwargs)


def play(story: Story, cast: Cast, employee: Employee, spec, clock: HistoryClock):
    """Play ``story`` for ``employee``; returns its handover's id."""
    played = _Story(story, cast, employee, spec)
    played.plan()
    played.play(clock)
    return played.handover["id"]
