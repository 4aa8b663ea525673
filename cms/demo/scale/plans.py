"""Plans: what happened to each handover, decided from the seed before anything
is written. A plan names the state the handover is to end in and the actions
(the service calls) that take it there; the player holds each action to the
rules of the service it stands for."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from cms.models import Handover, Item, ParticipantRole
from cms.services.common import FILLABLE_STATES
from cms.services.visibility import item_is_visible

from .company import FAN_OUT
from .spec import BENCH_SUCCESSOR_HANDOVERS, ScaleSpec, anchor, bulk_leaver
from .templates import filled_data

__all__ = ["STAGES", "HandoverPlan", "Planner", "company_plans"]

# Handover states in the generated company (fractions of all handovers): years
# of completed ones for the auditors, and the open ones of the last weeks.
STATE_MIX = (
    (Handover.State.COMPLETED, 0.60),
    (Handover.State.CANCELLED, 0.05),
    (Handover.State.IN_REVIEW, 0.05),
    (Handover.State.IN_PROGRESS, 0.25),
    (Handover.State.DRAFT, 0.05),
)
# How far an item got, and the state that leaves it in: "filled" is typed
# into but not submitted yet.
STAGES = {
    "pending": Item.State.PENDING,
    "filled": Item.State.PENDING,
    "returned": Item.State.RETURNED,
    "submitted": Item.State.SUBMITTED,
    "accepted": Item.State.ACCEPTED,
}
QUESTION = "Which contact?"
ANSWER = "The purchasing manager, see the notes."


@dataclass
class HandoverPlan:
    """One handover's story: who starts it, and who does what after."""

    employee_id: int
    leaver_id: int
    template: str
    hr_id: int
    successor_ids: list
    manager_id: int
    it_ids: list
    last_working_day: dt.date
    resignation_date: dt.date | None
    draft: bool
    started_at: dt.datetime
    step: dt.timedelta
    # (action, block_id or "", actor_role, payload)
    actions: list = field(default_factory=list)
    # The start's background fill is still queued (nobody ran it yet).
    fill_queued: bool = False
    # The state the actions leave the handover in (the player checks it).
    state: str = ""

    def people(self) -> list:
        """``(user id, role)`` in the order ``handover_start`` adds them."""
        people = [(self.leaver_id, ParticipantRole.LEAVER)]
        people += [(user, ParticipantRole.SUCCESSOR) for user in self.successor_ids]
        if self.manager_id is not None:
            people.append((self.manager_id, ParticipantRole.MANAGER))
        people += [(user, ParticipantRole.IT) for user in self.it_ids]
        people.append((self.hr_id, ParticipantRole.HR))
        return people

    def first_with_role(self) -> dict:
        """Role -> the user who acts in it (the first participant with it)."""
        found = {}
        for user, role in self.people():
            found.setdefault(role, user)
        return found


class Planner:
    """Decides, from the seed, what happened to each handover."""

    def __init__(self, spec: ScaleSpec, templates: dict, rng: random.Random):
        self.spec = spec
        self.templates = templates
        self.rng = rng
        self.now = anchor(spec.today)

    def state_for(self, index: int) -> str:
        point = (index * 0.6180339887) % 1.0
        total = 0.0
        for state, share in STATE_MIX:
            total += share
            if point < total:
                return state
        return Handover.State.COMPLETED

    def dates(self, state: str):
        rng, today = self.rng, self.spec.today
        if state == Handover.State.COMPLETED:
            lwd = today - dt.timedelta(days=rng.randint(10, 3 * 365))
        elif state == Handover.State.CANCELLED:
            lwd = today - dt.timedelta(days=rng.randint(-20, 2 * 365))
        elif state == Handover.State.IN_REVIEW:
            lwd = today + dt.timedelta(days=rng.randint(-10, 5))
        elif state == Handover.State.IN_PROGRESS:
            lwd = today + dt.timedelta(days=rng.randint(-10, 30))
        else:
            lwd = today + dt.timedelta(days=rng.randint(10, 45))
        resignation = lwd - dt.timedelta(days=rng.choice((30, 30, 30, 14, 60)))
        start = dt.datetime.combine(
            resignation + dt.timedelta(days=rng.randint(1, 5)),
            dt.time(1 + rng.randint(0, 8), rng.randint(0, 59), rng.randint(0, 59)),
            tzinfo=dt.UTC,
        ) + dt.timedelta(microseconds=rng.randint(0, 999_999))
        if state in Handover.OPEN_STATES:
            start = min(start, self.now - dt.timedelta(days=rng.randint(2, 6)))
            end = self.now - dt.timedelta(minutes=rng.randint(10, 600))
        elif state == Handover.State.CANCELLED:
            end = start + dt.timedelta(days=rng.randint(1, 10))
        else:
            end = dt.datetime.combine(lwd, dt.time(9, 0), tzinfo=dt.UTC) + dt.timedelta(
                days=rng.randint(0, 5)
            )
        return lwd, resignation, start, max(end, start + dt.timedelta(hours=1))

    def plan(
        self,
        *,
        state,
        template,
        employee_id,
        leaver_id,
        hr_id,
        successors,
        manager_id,
        it_ids,
    ) -> HandoverPlan:
        lwd, resignation, start, end = self.dates(state)
        info = self.templates[template]
        plan = HandoverPlan(
            employee_id=employee_id,
            leaver_id=leaver_id,
            template=template,
            hr_id=hr_id,
            successor_ids=list(successors),
            manager_id=manager_id,
            it_ids=list(it_ids),
            last_working_day=lwd,
            resignation_date=resignation,
            draft=state == Handover.State.DRAFT,
            started_at=start,
            step=dt.timedelta(0),
            state=state,
        )
        if state != Handover.State.DRAFT:
            plan.actions = self._actions(state, info.items, len(plan.successor_ids))
        count = max(len(plan.actions), 1)
        plan.step = (end - start) / (count + 1)
        return plan

    def _stage(self, proto, *, done, progress, answers) -> str | None:
        """How far the item got (a key of ``STAGES``); None when it is hidden."""
        rng = self.rng
        if proto.kind == "field":
            return "accepted" if done or rng.random() < progress else "submitted"
        if not item_is_visible(proto, answers):
            return None  # hidden: nobody needs to hand it over
        point = rng.random()
        if done or point < progress * 0.75:
            return "accepted"
        if point < progress:
            return "submitted"
        if point < progress + 0.04:
            return "returned"
        if point < progress + 0.12:
            return "filled"
        return "pending"

    def _actions(self, state, items, successors: int) -> list:
        """The actions that take a started handover to ``state``."""
        rng = self.rng
        done = state in (Handover.State.COMPLETED, Handover.State.IN_REVIEW)
        if done:
            progress = 1.0
        elif state == Handover.State.CANCELLED:
            progress = rng.uniform(0.0, 0.6)
        else:
            progress = rng.uniform(0.05, 0.9)
        answers = {"has_laptop": rng.random() < 0.8}
        assigns, fills, submits, cycles, comments, accepts = [], [], [], [], [], []
        leaver_open = False
        for number, proto in enumerate(items):
            if successors > 1 and proto.confirmed_by_role == ParticipantRole.SUCCESSOR:
                assigns.append(
                    ("assign", proto.block_id, "hr", {"successor": number % successors})
                )
            if proto.kind == "field":
                key = proto.definition.get("key")
                value = answers.setdefault(key, f"Answer {number}")
                fills.append(("update", proto.block_id, "fill", {"value": value}))
            stage = self._stage(proto, done=done, progress=progress, answers=answers)
            if stage is None:
                continue
            not_applicable = proto.kind != "field" and rng.random() < 0.04
            if STAGES[stage] in FILLABLE_STATES and (
                proto.filled_by_role == ParticipantRole.LEAVER and proto.required
            ):
                # The leaver cannot declare before submitting it.
                leaver_open = True
            if stage == "pending":
                continue
            if proto.kind != "field" and not (not_applicable and stage != "filled"):
                data = filled_data(proto.kind, proto.data, number)
                fills.append(("update", proto.block_id, "fill", data))
            if stage == "filled":
                continue
            if not_applicable:
                reason = {"reason": "Not part of my work any more."}
                submits.append(("not_applicable", proto.block_id, "fill", reason))
            else:
                submits.append(("submit", proto.block_id, "fill", {}))
            if stage == "returned":
                question = {"reason": QUESTION}
                cycles.append(("return", proto.block_id, "confirm", question))
            elif stage == "accepted" and rng.random() < 0.03:
                cycles += [
                    ("return", proto.block_id, "confirm", {"reason": QUESTION}),
                    ("answer", proto.block_id, "fill", {"body": ANSWER}),
                    ("resolve", proto.block_id, "confirm", {}),
                    ("submit", proto.block_id, "fill", {}),
                ]
            if stage == "accepted":
                remarks = "Checked with the customer." if rng.random() < 0.05 else ""
                accepts.append(
                    ("accept", proto.block_id, "confirm", {"remarks": remarks})
                )
            if rng.random() < 0.02:
                comments.append(
                    ("comment", proto.block_id, "confirm", {"body": "Thanks, clear."})
                )
        actions = [*assigns, *fills, *submits, *cycles, *comments]
        declares = done or (
            state == Handover.State.IN_PROGRESS
            and not leaver_open
            and rng.random() < 0.5
        )
        if declares:
            actions.append(("declare", "", "leaver", {"statement": ""}))
        actions += accepts
        if state == Handover.State.COMPLETED:
            actions.append(("approve", "", "manager", {"remarks": ""}))
        if state == Handover.State.CANCELLED:
            actions.append(
                ("cancel", "", "hr", {"reason": "The employee decided to stay."})
            )
        return actions


def company_plans(spec: ScaleSpec, people, templates: dict, rng: random.Random):
    """Who leaves, with which template, and what happened since."""
    planner = Planner(spec, templates, rng)
    count = spec.employees
    staff = set(people.hr) | set(people.it) | {1, people.successor}
    special = {bulk_leaver(spec)}
    candidates = [
        number
        for number in range(FAN_OUT + 2, count + 1)
        if number not in staff and number not in special
    ]
    leavers = rng.sample(candidates, spec.handovers - 3)
    user = people.user_ids

    def successors_for(number):
        manager = people.manager_of[number]
        peers = [
            peer
            for peer in range(
                (manager - 1) * FAN_OUT + 2, min(manager * FAN_OUT + 1, count) + 1
            )
            if peer != number and peer != people.successor and peer not in staff
        ]
        chosen = [rng.choice(peers) if peers else manager]
        if peers and len(peers) > 1 and rng.random() < 0.1:
            chosen.append(rng.choice([peer for peer in peers if peer != chosen[0]]))
        return chosen

    def plan(number, state, template, successors, staff_index):
        return planner.plan(
            state=state,
            template=template,
            employee_id=people.employee_ids[number],
            leaver_id=user[number],
            hr_id=user[people.hr[staff_index % len(people.hr)]],
            successors=[user[s] for s in successors],
            manager_id=user[people.manager_of[number]],
            it_ids=[user[people.it[staff_index % len(people.it)]]],
        )

    sizes = ("small", "medium", "large")
    plans = []
    bench_successor_left = BENCH_SUCCESSOR_HANDOVERS
    spacing = max(len(leavers) // BENCH_SUCCESSOR_HANDOVERS, 1)
    for index, number in enumerate(leavers):
        state = planner.state_for(index)
        successors = successors_for(number)
        if bench_successor_left and index % spacing == spacing // 2:
            successors = [people.successor]
            bench_successor_left -= 1
        plans.append(plan(number, state, sizes[index % 3], successors, index))
    # The handovers benchmarks look at.
    extra = [
        (
            "items-500",
            Handover.State.IN_PROGRESS,
            rng.choice([c for c in candidates if c not in leavers]),
        ),
        ("blocks-300", Handover.State.COMPLETED, None),
        ("fill", Handover.State.DRAFT, bulk_leaver(spec)),
    ]
    taken = set(leavers)
    for template, state, number in extra:
        if number is None or number in taken:
            number = rng.choice([c for c in candidates if c not in taken])
        taken.add(number)
        extra_plan = plan(number, state, template, successors_for(number)[:1], 0)
        if template == "fill":
            # Started, and its fill still queued: a benchmark runs it.
            extra_plan.draft = False
            extra_plan.fill_queued = True
            extra_plan.state = Handover.State.IN_PROGRESS
        plans.append(extra_plan)
    return plans
