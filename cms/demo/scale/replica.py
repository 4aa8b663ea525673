"""What the player writes, built by the services' own helpers.

The player stands for ``cms.services`` without a database round trip per
call. Whatever the services compute from an item or a handover comes from
them here too: what a signer is shown (``item_content``), the audit snapshot
(``items._snapshot``), the chain hash of an event (``event_hash``), the record
the server signs (``signature_payload``, ``server_sign``) and the intent
statements. What remains here is which rows a service call writes.

Before writing, the player asks the services' checks (``open_refusal``,
``handover_declare_check``…) and state sets (``FILLABLE_STATES``) whether the
service would allow the step (:meth:`Recorder.refuse`): a plan the services
would refuse stops the seed with :class:`PlanRefused` instead of writing rows
the services never write."""

from __future__ import annotations

from types import SimpleNamespace

from cms.models import AuditEvent, Handover, Item, ItemVersion, Signature
from cms.services.audit import GENESIS_HASH, content_hash, event_hash
from cms.services.confirming import INTENT
from cms.services.items import _snapshot, item_content
from cms.services.review import APPROVAL_INTENT, DECLARATION_INTENT
from cms.services.signing import (
    PasswordReauthentication,
    server_sign,
    signature_payload,
)

from .bulk import Rows
from .memory import SimHandover, SimItem, SimUser

__all__ = ["HANDOVER", "ITEM", "PlanRefused", "Recorder", "object_type"]


class PlanRefused(Exception):
    """A plan asked for something the services refuse: the plan, not the
    data, must change."""


def object_type(model) -> str:
    """An audit event's ``object_type`` for ``model``, as ``audit_record``
    names it (the class of the object it is given)."""
    return model.__name__.lower()


HANDOVER = object_type(Handover)
ITEM = object_type(Item)


class Recorder:
    """The steps every service shares: versions, the audit chain and
    signatures, written to :class:`~.bulk.Rows`. ``self.handover`` is the
    handover's row being played; ``self.clock`` the moment of the step."""

    # How signers authenticated (the benchmarks' users have a password).
    auth_method = PasswordReauthentication.method

    def __init__(self, *, ids: dict, users: dict, rows: Rows):
        self.ids = ids
        self.users = users  # pk -> username
        self.rows = rows
        self.intents = {
            decision: str(intent) for decision, intent in INTENT.items()
        } | {
            Signature.Decision.DECLARE: str(DECLARATION_INTENT),
            Signature.Decision.APPROVE: str(APPROVAL_INTENT),
        }

    def begin(self, handover: dict, *, leaver_id: int):
        """Start recording ``handover`` (its row) with an empty chain."""
        self.handover = handover
        # The handover as its items and the services' checks read it.
        self.handover_ref = SimHandover(handover, leaver_id=leaver_id)
        self.sequence = 0
        self.last_hash = GENESIS_HASH

    def actor(self, pk: int) -> SimUser:
        return SimUser(pk)

    def refuse(self, action: str, refusal):
        """Stop at what a service check refused (a ``Refusal``, or None)."""
        if refusal is not None:
            self._refused(action, refusal.message)

    def expect(self, action: str, allowed: bool, why: str):
        """Stop where a service would refuse for a reason its check leaves to
        the service itself (what still blocks a handover, an open question)."""
        if not allowed:
            self._refused(action, why)

    def _refused(self, action, why):
        raise PlanRefused(f"{self.handover['number']}: {action} refused: {why}")

    def _bump(self, item: SimItem, *, actor, action, changes):
        item.version += 1
        item.updated_at = self.clock
        self.rows.add(
            ItemVersion,
            {
                "id": self.ids[ItemVersion].take(),
                "item_id": item.pk,
                "number": item.version,
                "actor_id": actor,
                "action": action,
                "changes": changes,
                "state": item.state,
                "created_at": self.clock,
            },
        )

    def _audit(
        self,
        *,
        actor,
        role,
        action,
        object_type,
        object_id,
        before=None,
        after=None,
        details=None,
    ):
        self.sequence += 1
        event = {
            "id": self.ids[AuditEvent].take(),
            "handover_id": self.handover["id"],
            "sequence": self.sequence,
            "actor_id": actor,
            "actor_name": self.users[actor] if actor is not None else "",
            "role": role or "",
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "before_hash": content_hash(before) if before is not None else "",
            "after_hash": content_hash(after) if after is not None else "",
            "details": details or {},
            "ip_address": None,
            "created_at": self.clock,
            "previous_hash": self.last_hash,
        }
        event["hash"] = event_hash(SimpleNamespace(**event))
        self.last_hash = event["hash"]
        self.rows.add(AuditEvent, event)

    def _audit_item(self, item, *, actor, role, action, before, details=None):
        self._audit(
            actor=actor,
            role=role,
            action=action,
            object_type=ITEM,
            object_id=item.pk,
            before=before,
            after=_snapshot(item),
            details={"block_id": item.block_id, **(details or {})},
        )

    def _sign(
        self, *, signer, role, decision, remarks, content, item=None, section=""
    ) -> dict:
        signature = {
            "id": self.ids[Signature].take(),
            "handover_id": self.handover["id"],
            "item_id": item.pk if item is not None else None,
            "item_version": item.version if item is not None else None,
            "section_block_id": section,
            "signer_id": signer,
            "role": role,
            "decision": decision,
            "remarks": remarks,
            "signed_at": self.clock,
            "content_hash": content_hash(content),
            "intent_statement": self.intents[decision],
            "auth_method": self.auth_method,
            "ip_address": None,
            "user_agent": "",
        }
        record = signature_payload(
            SimpleNamespace(**signature, handover=self.handover_ref, item=item)
        )
        signature["server_signature"], signature["key_id"] = server_sign(record)
        self.rows.add(Signature, signature)
        return signature

    def _handover_content(self, items) -> dict:
        """What ``handover_content`` gives a declaration or an approval to sign:
        every item's content and state, in the items' order."""
        ordered = sorted(items, key=lambda item: (item.position, item.pk))
        return {
            "handover": self.handover["number"],
            "revision": self.handover["template_revision_id"],
            "section": "",
            "items": [
                {
                    **item_content(item),
                    "state": item.state,
                    "assignee": item.assignee_id,
                }
                for item in ordered
            ],
        }
