"""The player: a :class:`~.plans.HandoverPlan` played the way ``cms.services``
would play it — ``handover_start``, then each planned action through its
stand-in (:mod:`.item_actions`, and ``handover_declare``, ``handover_advance``,
``handover_approve`` and ``handover_cancel`` here) — writing rows to
:class:`~.bulk.Rows` instead of the database. ``tests/test_seed_scale.py``
plays the same plans through the services and compares the rows."""

from __future__ import annotations

from collections import defaultdict

from cms.models import (
    Employee,
    Handover,
    HandoverUserObjectPermission,
    Item,
    Participant,
    ParticipantRole,
    Signature,
)
from cms.permissions import ROLE_PERMISSIONS
from cms.services.approval import handover_approve_check
from cms.services.common import FILLABLE_STATES
from cms.services.review import handover_cancel_check, handover_declare_check
from cms.services.roles import missing_roles
from cms.services.visibility import field_answers, item_is_visible

from .bulk import Rows
from .connector_data import ConnectorFill
from .item_actions import ItemActions
from .memory import SimItem
from .plans import HandoverPlan
from .replica import HANDOVER

__all__ = ["Player"]


class Player(ConnectorFill, ItemActions):
    """Plays plans one handover after another into the same ``rows``."""

    def __init__(
        self,
        *,
        ids: dict,
        users: dict,
        hr_admins: set,
        permissions: dict,
        templates: dict,
        rows: Rows,
        connectors: dict,
    ):
        super().__init__(ids=ids, users=users, rows=rows)
        self.hr_admins = hr_admins
        self.permissions = permissions  # codename -> Permission pk
        self.templates = templates
        self.connectors = connectors  # slug -> (pk, name)

    # handover_start --------------------------------------------------------------

    def play(self, plan: HandoverPlan) -> dict:
        info = self.templates[plan.template]
        self.clock = plan.started_at
        self.step = plan.step
        pk = self.ids[Handover].take()
        self.begin(
            {
                "id": pk,
                "number": f"HO-{self.clock:%Y}-{pk:05d}",
                "employee_id": plan.employee_id,
                "template_id": info.page.pk,
                "template_revision_id": info.revision_id,
                "language": info.page.locale.language_code,
                "state": Handover.State.DRAFT
                if plan.draft
                else Handover.State.IN_PROGRESS,
                "resignation_date": plan.resignation_date,
                "last_working_day": plan.last_working_day,
                "created_by_id": plan.hr_id,
                "created_at": self.clock,
                "started_at": None if plan.draft else self.clock,
                "review_started_at": None,
                "completed_at": None,
                "cancelled_at": None,
                "cancel_reason": "",
                "updated_at": self.clock,
            },
            leaver_id=plan.leaver_id,
        )
        self.plan = plan
        self.declared = False
        self.open_questions = 0
        self.employee_status_change = None
        people = plan.people()
        self._participants(people)
        single = plan.successor_ids[0] if len(plan.successor_ids) == 1 else None
        self.items = {}
        for proto in info.items:
            item = SimItem(
                self.ids[Item].take(),
                proto,
                handover=self.handover_ref,
                lwd=plan.last_working_day,
                assignee_id=single
                if proto.confirmed_by_role == ParticipantRole.SUCCESSOR
                else None,
                now=self.clock,
            )
            self.items[item.block_id] = item
        self._audit(
            actor=plan.hr_id,
            role=ParticipantRole.HR,
            action="handover.drafted" if plan.draft else "handover.started",
            object_type=HANDOVER,
            object_id=pk,
            after={
                "template": info.page.pk,
                "revision": info.revision_id,
                "items": [item.block_id for item in self.items.values()],
                "participants": sorted([user, role] for user, role in people),
            },
        )
        if not plan.draft:
            self._connector_fill(info, plan)
        for action, block_id, who, payload in plan.actions:
            self._tick()
            getattr(self, f"_do_{action}")(block_id, who, payload)
        if plan.state:
            ended = self.handover["state"]
            self.expect("the plan", ended == plan.state, f"it ends {ended}")
        self._flush()
        return self.handover

    def _participants(self, people):
        """Participants and their object permissions (``grant_roles``)."""
        pk = self.handover["id"]
        self.roles = defaultdict(set)
        self.by_role = defaultdict(list)
        granted = set()
        seen = set()
        for user, role in people:
            if (user, role) in seen:
                continue
            seen.add((user, role))
            self.rows.add(
                Participant,
                {
                    "id": self.ids[Participant].take(),
                    "handover_id": pk,
                    "user_id": user,
                    "role": role,
                    "added_at": self.clock,
                },
            )
            self.roles[user].add(role)
            self.by_role[role].append(user)
            for codename in ROLE_PERMISSIONS[role]:
                if (user, codename) in granted:
                    continue
                granted.add((user, codename))
                self.rows.add(
                    HandoverUserObjectPermission,
                    {
                        "id": self.ids[HandoverUserObjectPermission].take(),
                        "permission_id": self.permissions[codename],
                        "user_id": user,
                        "content_object_id": pk,
                    },
                )
        # HR admins act as HR on every handover they take part in.
        for user in self.hr_admins & set(self.roles):
            self.roles[user].add(ParticipantRole.HR)

    def _tick(self):
        self.clock = self.clock + self.step

    def _flush(self):
        for item in self.items.values():
            self.rows.add(
                Item,
                {
                    "id": item.pk,
                    "handover_id": self.handover["id"],
                    "block_id": item.block_id,
                    "section_block_id": item.section_block_id,
                    "section_title": item.section_title,
                    "position": item.position,
                    "kind": item.kind,
                    "label": item.label,
                    "definition": item.definition,
                    "data": item.data,
                    "provenance": item.provenance,
                    "state": item.state,
                    "required": item.required,
                    "filled_by_role": item.filled_by_role,
                    "confirmed_by_role": item.confirmed_by_role,
                    "evidence": item.evidence,
                    "assignee_id": item.assignee_id,
                    "due_date": item.due_date,
                    "not_applicable_reason": item.not_applicable_reason,
                    "version": item.version,
                    "updated_at": item.updated_at,
                },
            )
        self.rows.add(Handover, self.handover)

    # Who acts ----------------------------------------------------------------------

    def _filler(self, item: SimItem) -> int:
        return self.by_role[item.filled_by_role][0]

    def _confirmer(self, item: SimItem) -> int:
        if item.confirmed_by_role == ParticipantRole.SUCCESSOR and item.assignee_id:
            return item.assignee_id
        return self.by_role[item.confirmed_by_role][0]

    def _first_role(self, user) -> str:
        return sorted(self.roles[user])[0]

    # The handover ------------------------------------------------------------------

    def _signed(self, *, signer, role, decision, remarks) -> dict:
        """A signature over the whole handover, as ``handover_content`` shows it."""
        return self._sign(
            signer=signer,
            role=role,
            decision=decision,
            remarks=remarks,
            content=self._handover_content(self.items.values()),
        )

    def _do_declare(self, block_id, who, payload):
        items = list(self.items.values())
        answers = field_answers(items)
        unfinished = [
            item
            for item in items
            if item.filled_by_role == ParticipantRole.LEAVER
            and item_is_visible(item, answers)
            and item.state in FILLABLE_STATES
            and item.required
        ]
        actor = self.plan.leaver_id
        self.refuse(
            "declare",
            handover_declare_check(
                actor=self.actor(actor),
                handover=self.handover_ref,
                roles=self.roles[actor],
                declared=self.declared,
            ),
        )
        self.expect("declare", not unfinished, f"{len(unfinished)} items to submit")
        signature = self._signed(
            signer=actor,
            role=ParticipantRole.LEAVER,
            decision=Signature.Decision.DECLARE,
            remarks=payload["statement"],
        )
        self.declared = True
        self._audit(
            actor=actor,
            role=ParticipantRole.LEAVER,
            action="handover.declared",
            object_type=HANDOVER,
            object_id=self.handover["id"],
            details={
                "signature": signature["id"],
                "content_hash": signature["content_hash"],
            },
        )
        self._advance()

    def _blocked(self) -> bool:
        """Whether ``handover_blockers`` would name anything (connector blocks
        of the generated templates are never required: no app adds one).
        Asked after every acceptance: the cheap questions first, and the first
        item that blocks ends the search."""
        if self.open_questions > 0 or not self.declared:
            return True
        items = self.items.values()
        answers = field_answers(items)
        visible = []
        for item in items:
            if not item_is_visible(item, answers):
                continue
            visible.append(item)
            if item.is_done:
                continue
            if item.required:
                return True
            if (
                item.confirmed_by_role == ParticipantRole.SUCCESSOR
                and not item.assignee_id
            ):
                return True
        return bool(missing_roles(visible, set(self.by_role)))

    def _advance(self):
        if self.handover["state"] != Handover.State.IN_PROGRESS or self._blocked():
            return
        self.handover["state"] = Handover.State.IN_REVIEW
        self.handover["review_started_at"] = self.clock
        self.handover["updated_at"] = self.clock
        self._audit(
            actor=None,
            role="",
            action="handover.in_review",
            object_type=HANDOVER,
            object_id=self.handover["id"],
        )

    def _do_approve(self, block_id, who, payload):
        actor = self.plan.manager_id
        self.refuse(
            "approve",
            handover_approve_check(
                actor=self.actor(actor),
                handover=self.handover_ref,
                roles=self.roles[actor],
            ),
        )
        self.expect("approve", not self._blocked(), "something still blocks it")
        signature = self._signed(
            signer=actor,
            role=ParticipantRole.MANAGER,
            decision=Signature.Decision.APPROVE,
            remarks=payload["remarks"],
        )
        self.handover["state"] = Handover.State.COMPLETED
        self.handover["completed_at"] = self.clock
        self.handover["updated_at"] = self.clock
        self.employee_status_change = Employee.Status.LEAVING
        self._audit(
            actor=actor,
            role=ParticipantRole.MANAGER,
            action="handover.completed",
            object_type=HANDOVER,
            object_id=self.handover["id"],
            details={
                "signature": signature["id"],
                "content_hash": signature["content_hash"],
            },
        )

    def _do_cancel(self, block_id, who, payload):
        hr = self.plan.hr_id
        self.refuse(
            "cancel",
            handover_cancel_check(
                actor=self.actor(hr), handover=self.handover_ref, roles=self.roles[hr]
            ),
        )
        reason = payload["reason"]
        self.handover["state"] = Handover.State.CANCELLED
        self.handover["cancelled_at"] = self.clock
        self.handover["cancel_reason"] = reason
        self.handover["updated_at"] = self.clock
        self._audit(
            actor=hr,
            role=ParticipantRole.HR,
            action="handover.cancelled",
            object_type=HANDOVER,
            object_id=self.handover["id"],
            details={"reason": reason},
        )
