"""The access history: what ``connectors.access`` writes for a handover —
the inventory found at its start, the changes planned when the manager confirms
the decisions, run at the end of the last working day and read back, manual
ones closed by IT, and the residual checks at +1 and +30 days."""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.conf import settings

from cms.demo.scale import ScaleInfo
from cms.models import Handover, ParticipantRole

from .common import local, rng_for

__all__ = ["access_history"]

# Shares of the generated history.
WITH_ACCESS = 0.92  # contractors and interns hold nothing worth an inventory
BY_HAND = 0.2  # handovers with one system that has no connector
TRANSFERRED = 0.25  # group memberships handed to the successor
KEPT = 0.03  # memberships kept for a while (with a reason)
FAILED = 0.03  # changes the other system refused or did not apply
DELETED = 0.04  # suspended accounts an admin later deleted for good
LATE = 0.005  # access decisions confirmed only after the last working day
# The company directory's groups a leaver may be in.
GROUPS = (
    "sales-east",
    "sales-north",
    "engineering",
    "finance",
    "vpn-users",
    "wiki-editors",
    "crm-users",
    "oa-approvers",
    "project-leads",
    "support",
)
SYSTEMS_BY_HAND = ("Finance ERP", "Door access", "Legacy CRM", "Payroll")
ERRORS = (
    "The directory answered 503 Service Unavailable.",
    "Reading the account back shows it is still active.",
    "The directory refused the change: insufficient rights.",
)
DIRECTORY = "Company directory"


def access_history(info: ScaleInfo, handovers, people, ids, directory_id):
    """Grants, their changes and residual checks of handovers with no grants yet.
    (The grants stand alone: the templates' own account items are checklist
    items, not this inventory.)"""
    # Through the app registry: its models are all the history needs of connectors.
    Grant = apps.get_model("connectors", "AccessGrant")
    inventoried = set(
        Grant.objects.filter(handover_id__in=[h["id"] for h in handovers]).values_list(
            "handover_id", flat=True
        )
    )
    history = _AccessHistory(info, ids, directory_id)
    for handover in handovers:
        rng = rng_for(info, "access", handover["id"])
        if handover["id"] not in inventoried and rng.random() < WITH_ACCESS:
            history.handover(rng, handover, people[handover["id"]])
    return history.grants, history.actions, history.residual


class _AccessHistory:
    """The rows ``connectors.access`` writes, one handover at a time."""

    def __init__(self, info: ScaleInfo, ids, directory_id):
        self.info, self.ids, self.directory_id = info, ids, directory_id
        self.now = info.now
        self.grants, self.actions, self.residual = [], [], []
        self.Grant = apps.get_model("connectors", "AccessGrant")
        self.Action = apps.get_model("connectors", "AccessAction")
        self.Residual = apps.get_model("connectors", "ResidualAccess")
        hour, minute = settings.BATON_ACCESS_REVOKE_AT.split(":")
        self.revoke_at = dt.time(int(hour), int(minute))

    def handover(self, rng, handover, people):
        inventory = [("account", DIRECTORY, "")]
        for group in rng.sample(GROUPS, rng.randint(1, 4)):
            inventory.append(("membership", DIRECTORY, group))
        if rng.random() < BY_HAND:
            inventory.append(("account", rng.choice(SYSTEMS_BY_HAND), ""))
        decided = self._decided(rng, handover)
        found = handover["started_at"] + dt.timedelta(seconds=rng.randint(3, 90))
        for kind, system, group in inventory:
            grant = self._grant(rng, handover, people, kind, system, group, found)
            revoked = None
            if decided is not None:
                when = decided + dt.timedelta(seconds=rng.randint(0, 300))
                revoked = self._changes(rng, handover, people, grant, when)
            else:  # the decision waits for the manager
                grant.update(decision="", keep_reason="", keep_until=None)
            self._checks(rng, handover, grant, revoked)

    def _decided(self, rng, handover) -> dt.datetime | None:
        """When the manager confirmed the access decisions (None: not yet)."""
        start = handover["started_at"]
        revoke = local(handover["last_working_day"], self.revoke_at)
        if rng.random() < LATE:
            moment = revoke + dt.timedelta(hours=rng.uniform(1, 72))
        else:
            moment = start + (revoke - start) * rng.uniform(0.5, 0.97)
        if handover["review_started_at"] is not None:
            moment = min(moment, handover["review_started_at"])
        cancelled = handover["cancelled_at"]
        if moment > self.now or (cancelled is not None and moment > cancelled):
            return None
        return moment

    def _grant(self, rng, handover, people, kind, system, group, found) -> dict:
        Grant = self.Grant
        username = people[ParticipantRole.LEAVER][0][1]
        by_hand = system != DIRECTORY
        decision = Grant.Decision.REVOKE
        if group and rng.random() < TRANSFERRED:
            decision = Grant.Decision.TRANSFER
        elif group and rng.random() < KEPT:
            decision = Grant.Decision.KEEP
        keep_until = None
        if decision == Grant.Decision.KEEP:
            keep_until = handover["last_working_day"] + dt.timedelta(
                days=settings.BATON_ACCESS_KEEP_DAYS
            )
        grant = {
            "id": self.ids[Grant].take(),
            "handover_id": handover["id"],
            "connector_id": None if by_hand else self.directory_id,
            "item_id": None,
            "system": system,
            "kind": kind,
            "account_id": username if by_hand else f"uid={username}",
            "account_label": username,
            "group_id": f"cn={group},ou=groups" if group else "",
            "group_label": group,
            "sole_owner": bool(group) and rng.random() < 0.05,
            "decision": decision,
            "keep_reason": "Needed for the year-end close." if keep_until else "",
            "keep_until": keep_until,
            "state": Grant.State.ACTIVE,
            "instructions": f"{system}: Admin > Users > {username} > Disable."
            if by_hand
            else "",
            "discovered_at": found,
            "refreshed_at": found,
            "suspended_at": None,
        }
        self.grants.append(grant)
        return grant

    def _changes(self, rng, handover, people, grant, decided) -> dt.datetime | None:
        """The changes a confirmed decision plans, as far as they ran; returns
        when the leaver's access ended (None: not yet)."""
        Grant, Op, State = self.Grant, self.Action.Operation, self.Action.State
        revoke = local(handover["last_working_day"], self.revoke_at)
        if grant["keep_until"]:
            revoke = local(grant["keep_until"], dt.time(23, 59))
        if grant["connector_id"] is None:
            operations = [(Op.MANUAL, revoke, None)]
        elif grant["kind"] == "account":
            operations = [(Op.SUSPEND, revoke, None)]
        else:
            operations = [(Op.REMOVE_MEMBER, revoke, None)]
            if grant["decision"] == Grant.Decision.TRANSFER:
                successor = people[ParticipantRole.SUCCESSOR][0][0]
                operations.insert(0, (Op.ADD_MEMBER, decided, successor))
        manager = people[ParticipantRole.MANAGER][0][0]
        revoked = None
        for operation, scheduled, target in operations:
            action = self._action(
                rng, handover, people, grant, operation, scheduled, decided
            )
            action.update(requested_by_id=manager, target_user_id=target)
            if action["state"] == State.VERIFIED and operation != Op.ADD_MEMBER:
                revoked = self._applied(grant, operation, action["finished_at"])
            elif action["state"] == State.FAILED and rng.random() < 0.9:
                # IT fixed it by hand in the other system, unseen by Baton:
                # mostly the same day, sometimes after a ticket or two.
                hours = rng.uniform(0.2, 8)
                if rng.random() < 0.25:
                    hours = 24 * rng.uniform(2, 20)
                revoked = action["finished_at"] + dt.timedelta(hours=hours)
        if grant["state"] == Grant.State.SUSPENDED and rng.random() < DELETED:
            # An admin deletes the account for good after the buffer.
            asked = local(
                handover["last_working_day"]
                + dt.timedelta(days=settings.BATON_ACCESS_BUFFER_DAYS)
                + dt.timedelta(days=rng.randint(1, 60)),
                dt.time(10, rng.randint(0, 59)),
            )
            if asked < self.now - dt.timedelta(hours=2):
                action = self._action(
                    rng, handover, people, grant, Op.DELETE, asked, asked
                )
                action["requested_by_id"] = people[ParticipantRole.IT][0][0]
                if action["state"] == State.VERIFIED:
                    self._applied(grant, Op.DELETE, action["finished_at"])
        return revoked

    def _action(self, rng, handover, people, grant, operation, scheduled, decided):
        Op, State = self.Action.Operation, self.Action.State
        by_hand = operation == Op.MANUAL
        ran = max(scheduled, decided)
        if by_hand:
            ran += dt.timedelta(hours=rng.uniform(0.5, 30))
        elif rng.random() < 0.97:
            ran += dt.timedelta(minutes=rng.uniform(0.5, 15))  # the periodic job
        else:
            ran += dt.timedelta(hours=rng.uniform(1, 6))  # the directory was down
        state = State.VERIFIED
        if ran > self.now:
            state = State.PLANNED
        elif by_hand and handover["state"] in Handover.OPEN_STATES:
            if rng.random() < 0.3:
                state = State.PLANNED  # IT has not got to it yet
        elif not by_hand and operation != Op.ADD_MEMBER and rng.random() < FAILED:
            state = State.FAILED
        cancelled = handover["cancelled_at"]
        if cancelled is not None and scheduled > cancelled:
            state = State.CANCELLED  # the employee stays
        finished = ran if state in (State.VERIFIED, State.FAILED) else None
        system, account, group = (
            grant["system"],
            grant["account_label"],
            grant["group_label"],
        )
        descriptions = {
            Op.SUSPEND: f"{system}: suspend the account {account}.",
            Op.DELETE: f"{system}: delete the account {account} for good.",
            Op.REMOVE_MEMBER: f"{system}: remove {account} from {group}.",
            Op.ADD_MEMBER: f"{system}: add the successor to {group}.",
            Op.MANUAL: f"{system} (by hand): revoke {account}.",
        }
        response = {}
        if by_hand and finished:
            response = {"note": "Done.", "signed_with": "password"}
        elif state == State.VERIFIED:
            response = {"status": "ok"}
        action = {
            "id": self.ids[self.Action].take(),
            "grant_id": grant["id"],
            "handover_id": handover["id"],
            "connector_id": grant["connector_id"],
            "operation": operation,
            "description": descriptions[operation],
            "target_user_id": None,
            "scheduled_for": scheduled,
            "state": state,
            "requested_by_id": None,
            "done_by_id": people[ParticipantRole.IT][0][0]
            if by_hand and finished
            else None,
            "created_at": decided,
            "attempts": 0 if finished is None else rng.choice((1, 1, 1, 2)),
            "error": rng.choice(ERRORS) if state == State.FAILED else "",
            "request_id": f"req-{rng.getrandbits(48):012x}" if finished else "",
            "response": response,
            "finished_at": finished,
        }
        self.actions.append(action)
        return action

    def _applied(self, grant, operation, finished) -> dt.datetime:
        """The grant after a verified change; returns when access ended."""
        Op, State = self.Action.Operation, self.Grant.State
        grant["state"] = {
            Op.SUSPEND: State.SUSPENDED,
            Op.DELETE: State.DELETED,
        }.get(operation, State.REMOVED)
        if operation == Op.SUSPEND:
            grant["suspended_at"] = finished
        return finished

    def _checks(self, rng, handover, grant, revoked):
        """The +1 / +30 day checks of a directory account."""
        if (
            grant["kind"] != "account"
            or grant["connector_id"] is None
            or handover["state"] == Handover.State.CANCELLED
        ):
            return
        for days in settings.BATON_ACCESS_RESIDUAL_DAYS:
            day = handover["last_working_day"] + dt.timedelta(days=days)
            checked = local(day, dt.time(3, rng.randint(0, 59), rng.randint(0, 59)))
            if checked > self.now:
                continue
            active = revoked is None or revoked > checked
            fixed = checked + dt.timedelta(hours=rng.uniform(2, 120))
            self.residual.append(
                {
                    "id": self.ids[self.Residual].take(),
                    "grant_id": grant["id"],
                    "checked_at": checked,
                    "days_after": days,
                    "active": active,
                    "groups": [],
                    "resolved_at": fixed if active and fixed < self.now else None,
                }
            )
