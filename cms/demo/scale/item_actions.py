"""The item services, played in memory: ``item_update``, ``item_assign``,
``item_submit``, ``item_mark_not_applicable``, ``item_return``,
``item_accept``, ``comment_add`` and ``comment_resolve``. Each first asks what
its service asks (its check, or the state sets and refusals the check is made
of), then writes the rows its service writes."""

from __future__ import annotations

from cms.models import Comment, Item, ParticipantRole, Signature
from cms.services.assigning import item_assign_check
from cms.services.common import FILLABLE_STATES, open_refusal, state_refusal
from cms.services.discussion import comment_add_check
from cms.services.items import _snapshot, item_content
from cms.services.visibility import field_answers, item_is_visible

from .memory import SimItem
from .replica import Recorder, object_type

__all__ = ["ItemActions"]

COMMENT = object_type(Comment)
SUBMITTED = frozenset({Item.State.SUBMITTED})


class ItemActions(Recorder):
    """Needs ``self.items`` (block id -> SimItem), ``self.plan`` and who acts
    (``_filler``, ``_confirmer``, ``_first_role``) from the player."""

    # Refusals ----------------------------------------------------------------------

    def _refuse_item(self, action, item: SimItem, states=FILLABLE_STATES):
        """What the filling and confirming checks ask of the handover and the
        item: in progress (``open_refusal``), shown, in one of ``states``."""
        self.refuse(
            action,
            open_refusal(item.handover)
            or state_refusal(item, states, f"the item is {item.state}"),
        )
        if item.condition is not None:
            answers = field_answers(self.items.values())
            self.expect(action, item_is_visible(item, answers), "the item is hidden")

    # Filling -----------------------------------------------------------------------

    def _do_update(self, block_id, who, payload):
        item = self.items[block_id]
        self._refuse_item("update", item)
        actor = self._filler(item)
        merged = {**item.data, **payload}
        changes = {
            key: [item.data.get(key), value]
            for key, value in merged.items()
            if item.data.get(key) != value
        }
        if not changes:
            return
        before = _snapshot(item)
        now = self.clock.isoformat()
        item.data = merged
        provenance = dict(item.provenance)
        for key in changes:
            provenance[key] = {"source": "person", "user": actor, "at": now}
        item.provenance = provenance
        self._bump(item, actor=actor, action="update", changes=changes)
        self._audit_item(
            item,
            actor=actor,
            role=item.filled_by_role,
            action="item.updated",
            before=before,
            details={"fields": sorted(changes)},
        )

    def _do_assign(self, block_id, who, payload):
        item = self.items[block_id]
        actor = self.plan.hr_id
        self.refuse(
            "assign",
            item_assign_check(
                actor=self.actor(actor), item=item, roles=self.roles[actor]
            ),
        )
        successor = self.plan.successor_ids[payload["successor"]]
        before = _snapshot(item)
        previous = item.assignee_id
        item.assignee_id = successor
        self._bump(
            item,
            actor=actor,
            action="assign",
            changes={"assignee": [previous, successor]},
        )
        self._audit_item(
            item,
            actor=actor,
            role=ParticipantRole.HR,
            action="item.assigned",
            before=before,
            details={"assignee": successor},
        )

    def _do_submit(self, block_id, who, payload):
        item = self.items[block_id]
        self._refuse_item("submit", item)
        if item.kind == "field" and item.required:
            answered = item.data.get("value") not in (None, "")
            self.expect("submit", answered, "the question has no answer")
        actor = self._filler(item)
        before = _snapshot(item)
        resubmitted = item.state == Item.State.RETURNED
        item.state = Item.State.SUBMITTED
        item.not_applicable_reason = ""
        self._bump(
            item,
            actor=actor,
            action="submit",
            changes={"state": [before["state"], Item.State.SUBMITTED]},
        )
        self._audit_item(
            item,
            actor=actor,
            role=item.filled_by_role,
            action="item.resubmitted" if resubmitted else "item.submitted",
            before=before,
        )

    def _do_not_applicable(self, block_id, who, payload):
        item = self.items[block_id]
        self._refuse_item("not_applicable", item)
        actor = self._filler(item)
        reason = payload["reason"]
        before = _snapshot(item)
        item.state = Item.State.SUBMITTED
        item.not_applicable_reason = reason
        self._bump(
            item,
            actor=actor,
            action="not_applicable",
            changes={
                "state": [before["state"], Item.State.SUBMITTED],
                "not_applicable_reason": ["", reason],
            },
        )
        self._audit_item(
            item,
            actor=actor,
            role=item.filled_by_role,
            action="item.not_applicable_proposed",
            before=before,
        )

    # Confirming --------------------------------------------------------------------

    def _do_return(self, block_id, who, payload):
        item = self.items[block_id]
        self._refuse_item("return", item, SUBMITTED)
        actor = self._confirmer(item)
        reason = payload["reason"]
        before = _snapshot(item)
        signature = self._sign(
            signer=actor,
            role=item.confirmed_by_role,
            decision=Signature.Decision.RETURN,
            remarks=reason,
            content=item_content(item),
            item=item,
        )
        question = {
            "id": self.ids[Comment].take(),
            "item_id": item.pk,
            "author_id": actor,
            "question_id": None,
            "body": reason,
            "is_question": True,
            "resolved_at": None,
            "resolved_by_id": None,
            "created_at": self.clock,
        }
        self.rows.add(Comment, question)
        item.open_question = question
        self.open_questions += 1
        item.state = Item.State.RETURNED
        self._bump(
            item,
            actor=actor,
            action="return",
            changes={"state": [before["state"], Item.State.RETURNED]},
        )
        self._audit_item(
            item,
            actor=actor,
            role=item.confirmed_by_role,
            action="item.returned",
            before=before,
            details={"signature": signature["id"]},
        )

    def _do_accept(self, block_id, who, payload):
        item = self.items[block_id]
        self._refuse_item("accept", item, SUBMITTED)
        self.expect("accept", item.open_question is None, "a question is open")
        actor = self._confirmer(item)
        remarks = payload["remarks"]
        decision = (
            Signature.Decision.ACCEPT_WITH_REMARKS
            if remarks
            else Signature.Decision.ACCEPT
        )
        before = _snapshot(item)
        signature = self._sign(
            signer=actor,
            role=item.confirmed_by_role,
            decision=decision,
            remarks=remarks,
            content=item_content(item),
            item=item,
        )
        item.state = (
            Item.State.NOT_APPLICABLE
            if item.not_applicable_reason
            else Item.State.ACCEPTED
        )
        changes = {"state": [before["state"], item.state]}
        if (
            item.confirmed_by_role == ParticipantRole.SUCCESSOR
            and item.assignee_id is None
        ):
            # A successor item nobody was given is taken over by its signer.
            item.assignee_id = actor
            changes["assignee"] = [None, actor]
        self._bump(item, actor=actor, action="accept", changes=changes)
        self._audit_item(
            item,
            actor=actor,
            role=item.confirmed_by_role,
            action=f"item.{decision}",
            before=before,
            details={
                "signature": signature["id"],
                "content_hash": signature["content_hash"],
            },
        )
        self._advance()

    # Questions and comments ----------------------------------------------------------

    def _comment(self, item, actor, body, question=None):
        self.refuse("comment", comment_add_check(actor=self.actor(actor), item=item))
        comment = {
            "id": self.ids[Comment].take(),
            "item_id": item.pk,
            "author_id": actor,
            "question_id": question["id"] if question else None,
            "body": body,
            "is_question": False,
            "resolved_at": None,
            "resolved_by_id": None,
            "created_at": self.clock,
        }
        self.rows.add(Comment, comment)
        self._audit(
            actor=actor,
            role=self._first_role(actor),
            action="comment.added",
            object_type=COMMENT,
            object_id=comment["id"],
            after={"body": body, "item": item.block_id},
        )

    def _do_answer(self, block_id, who, payload):
        item = self.items[block_id]
        self._comment(item, self._filler(item), payload["body"], item.open_question)

    def _do_comment(self, block_id, who, payload):
        item = self.items[block_id]
        self._comment(item, self._confirmer(item), payload["body"])

    def _do_resolve(self, block_id, who, payload):
        item = self.items[block_id]
        question = item.open_question
        self.expect("resolve", question is not None, "no question is open")
        actor = question["author_id"]
        question["resolved_at"] = self.clock
        question["resolved_by_id"] = actor
        item.open_question = None
        self.open_questions -= 1
        self._audit(
            actor=actor,
            role=self._first_role(actor),
            action="question.resolved",
            object_type=COMMENT,
            object_id=question["id"],
        )
