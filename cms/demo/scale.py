"""A company at enterprise scale, for benchmarks: ``manage.py seed_scale``.

The data is what Baton's services write when people use it — handovers started
from published templates, their participants and object permissions, items,
item versions, questions, signatures, the hash-chained audit trail and the
connector sync state — for a company of ``employees`` people with ``handovers``
handovers in mixed states.

Running 600,000 items through the services one call at a time would take hours,
so each handover is first *planned* (who does what, in which order), then the
plan is *played* by :class:`Player`, an in-memory replica of the write path
(``cms.services``), and the rows are copied into PostgreSQL in bulk (``COPY``).
``tests/test_seed_scale.py`` plays the same plans through the real services and
checks that both write the same rows, hashes included, and that every audit
chain and server signature verifies.

Everything is derived from the seed: a second run with the same seed and sizes
finds its marker (the root department) and does nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import translation
from psycopg.types.json import Jsonb

from checklist_blocks.blocks import previews
from checklist_blocks.registry import get_kind, item_data, iter_items
from cms.models import (
    AuditEvent,
    ChecklistTemplatePage,
    Comment,
    Department,
    Employee,
    Handover,
    HandoverUserObjectPermission,
    Item,
    ItemVersion,
    Participant,
    ParticipantRole,
    Role,
    Signature,
    TemplateIndexPage,
)
from cms.permissions import ROLE_PERMISSIONS
from cms.services.audit import (
    GENESIS_HASH,
    canonical_json,
    chain_checkpoints_backfill,
    content_hash,
)
from cms.services.confirming import INTENT
from cms.services.review import (
    APPROVAL_INTENT,
    DECLARATION_INTENT,
    field_answers,
    item_is_visible,
)
from cms.services.signing import server_key

__all__ = [
    "BENCH_PASSWORD",
    "HandoverPlan",
    "Player",
    "ScaleSpec",
    "find_scale",
    "seed_scale",
]

# Every generated user signs in with this password (benchmarks, never production).
BENCH_PASSWORD = "baton-bench"  # noqa: S105
_ID_NAMESPACE = uuid.UUID("0f3c2d6e-51b4-4c1e-9d0a-7e2b8c4f1a63")
UTC = dt.UTC

# Handover states in the generated company (fractions of all handovers): years
# of completed ones for the auditors, and the open ones of the last weeks.
STATE_MIX = (
    (Handover.State.COMPLETED, 0.60),
    (Handover.State.CANCELLED, 0.05),
    (Handover.State.IN_REVIEW, 0.05),
    (Handover.State.IN_PROGRESS, 0.25),
    (Handover.State.DRAFT, 0.05),
)
# Handovers the bench successor takes over ("my handovers" benchmark).
BENCH_SUCCESSOR_HANDOVERS = 20
BULK_RECORDS = 2_000
LOCMEM_EMAIL = "django.core.mail.backends.locmem.EmailBackend"
HR_STAFF = 20
IT_STAFF = 20
FAN_OUT = 8


@dataclass(frozen=True)
class ScaleSpec:
    seed: int = 1
    employees: int = 20_000
    handovers: int = 5_000
    items: int = 120
    today: dt.date | None = None

    @property
    def marker(self) -> str:
        """The root department's code: seed and sizes, so a different size
        with the same seed is noticed."""
        return f"scale-s{self.seed}-e{self.employees}-h{self.handovers}-i{self.items}"

    @property
    def prefix(self) -> str:
        return f"s{self.seed}"

    def validate(self):
        if self.employees < 200:
            raise ValueError("Generate at least 200 employees.")
        if self.handovers < 30:
            raise ValueError("Generate at least 30 handovers.")
        if self.handovers > self.employees // 2:
            raise ValueError("At most one handover for every two employees.")
        if not 10 <= self.items <= 250:
            raise ValueError("The average item count must be between 10 and 250.")


@dataclass
class ScaleInfo:
    """What benchmarks need to find in a seeded database."""

    spec: ScaleSpec
    today: dt.date
    now: dt.datetime
    hr_username: str
    successor_username: str
    template_slugs: dict
    bulk_connector_slug: str
    directory_connector_slug: str


def _info(spec: ScaleSpec, today: dt.date) -> ScaleInfo:
    prefix = spec.prefix
    return ScaleInfo(
        spec=spec,
        today=today,
        now=_anchor(today),
        hr_username=f"{prefix}.hr",
        successor_username=f"{prefix}.successor",
        template_slugs={
            name: f"scale-{prefix}-{name}"
            for name in ("small", "medium", "large", "blocks-300", "items-500", "fill")
        },
        bulk_connector_slug=f"scale-{prefix}-bulk",
        directory_connector_slug=f"scale-{prefix}-directory",
    )


def _anchor(today: dt.date) -> dt.datetime:
    """ "Now" in the generated company: 08:00 UTC on ``today``."""
    return dt.datetime.combine(today, dt.time(8, 0), tzinfo=UTC)


def find_scale(seed: int = 1) -> ScaleInfo | None:
    """The seeded company of ``seed`` in this database, or None."""
    root = Department.objects.filter(
        code__startswith=f"scale-s{seed}-e", parent__isnull=True
    ).first()
    if root is None:
        return None
    parts = {part[0]: part[1:] for part in root.code.removeprefix("scale-").split("-")}
    today = dt.date.fromisoformat(root.name.rsplit(" ", 1)[-1].strip("()"))
    spec = ScaleSpec(
        seed=int(parts["s"]),
        employees=int(parts["e"]),
        handovers=int(parts["h"]),
        items=int(parts["i"]),
        today=today,
    )
    return _info(spec, today)


# Names -------------------------------------------------------------------------------

SURNAMES = [
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Huang",
    "Zhao",
    "Wu",
    "Zhou",
    "Xu",
    "Sun",
    "Ma",
    "Zhu",
    "Hu",
    "Guo",
    "He",
    "Lin",
    "Gao",
    "Luo",
    "Zheng",
    "Liang",
    "Xie",
    "Song",
    "Tang",
    "Han",
    "Feng",
    "Deng",
    "Cao",
    "Peng",
    "Zeng",
    "Xiao",
    "Tian",
    "Dong",
    "Pan",
    "Yuan",
    "Cai",
    "Jiang",
    "Yu",
    "Du",
    "Ye",
    "Cheng",
    "Wei",
    "Su",
    "Lü",
    "Ding",
    "Ren",
    "Shen",
    "Yao",
    "Lu",
]
GIVEN = [
    "Wei",
    "Fang",
    "Na",
    "Min",
    "Jing",
    "Li",
    "Qiang",
    "Lei",
    "Jun",
    "Yang",
    "Yong",
    "Yan",
    "Jie",
    "Juan",
    "Tao",
    "Ming",
    "Chao",
    "Xiu",
    "Xia",
    "Ping",
    "Gang",
    "Hui",
    "Hong",
    "Bo",
    "Lan",
    "Yu",
    "Hao",
    "Kai",
    "Ning",
    "Xin",
    "Rui",
    "Yi",
    "Chen",
    "Lin",
    "Feng",
    "Dan",
    "Ting",
    "Qian",
    "Bin",
    "Hua",
    "Long",
    "Mei",
    "Shan",
    "Yun",
    "Zhen",
]
POSITIONS = (
    "Account manager",
    "Sales representative",
    "Software engineer",
    "Senior engineer",
    "Product manager",
    "Accountant",
    "Buyer",
    "Project manager",
    "Support engineer",
    "Analyst",
)
COMPANIES = (
    "Huaxin Logistics",
    "Minghe Foods",
    "Qingyun Textiles",
    "Donghai Shipping",
    "Jinlong Machinery",
    "Baiyun Pharma",
    "Tianfu Telecom",
    "Hengda Steel",
    "Lianhua Retail",
    "Xinghe Energy",
)
SECTION_TITLES = (
    "Clients and deals",
    "Projects",
    "Unfinished work",
    "Accounts and permissions",
    "Assets",
    "Documents",
    "Approvals and expenses",
    "Knowledge",
    "Systems",
    "Suppliers",
    "Reports",
    "Team",
)
KIND_CYCLE = (
    "client",
    "task",
    "project",
    "document",
    "account",
    "task",
    "asset",
    "approval",
    "expense",
    "knowledge",
    "document",
    "field",
)
# Who fills and who confirms each kind (HR writes templates this way).
ROLES_BY_KIND = {
    "client": ("leaver", "successor"),
    "task": ("leaver", "successor"),
    "project": ("leaver", "successor"),
    "document": ("leaver", "successor"),
    "knowledge": ("leaver", "successor"),
    "account": ("it", "manager"),
    "asset": ("leaver", "it"),
    "approval": ("leaver", "manager"),
    "expense": ("leaver", "manager"),
    "field": ("leaver", "hr"),
}


def _person_name(number: int) -> tuple[str, str]:
    surname = SURNAMES[number % len(SURNAMES)]
    given = GIVEN[(number // len(SURNAMES)) % len(GIVEN)]
    second = GIVEN[(number * 7 + 3) % len(GIVEN)].lower()
    return given + second, surname


def _block_id(spec: ScaleSpec, template: str, path: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"{spec.seed}/{template}/{path}"))


# Templates ---------------------------------------------------------------------------


def _common_settings(label, filled_by, confirmed_by) -> dict:
    return {
        "label": label,
        "help_text": "",
        "required": True,
        "filled_by": filled_by,
        "confirmed_by": confirmed_by,
        "evidence": "none",
        "due_offset_days": 0,
        "condition": {"field_key": "", "operator": "", "value": ""},
    }


def _item_value(kind: str, number: int, *, section: int) -> dict:
    """A block value of ``kind``: the common settings and a prefilled value or
    two, as an HR author would write it."""
    filled_by, confirmed_by = ROLES_BY_KIND[kind]
    company = COMPANIES[number % len(COMPANIES)]
    labels = {
        "client": f"Client: {company}",
        "task": f"Unfinished task {number}",
        "project": f"Project {company} #{number}",
        "document": f"Documents, folder {number}",
        "account": f"System account {number}",
        "asset": f"Equipment item {number}",
        "approval": f"Pending approval {number}",
        "expense": f"Unreimbursed expense {number}",
        "knowledge": f"Know-how {number}",
        "field": f"Question {number}",
    }
    value = {
        "label": labels[kind],
        "help_text": "Say where it is and what the successor must do next."
        if number % 3 == 0
        else "",
        "required": number % 10 != 7,
        "filled_by": filled_by,
        "confirmed_by": confirmed_by,
        "evidence": "optional" if number % 4 == 0 else "none",
        "due_offset_days": -(number % 6),
        "condition": {"field_key": "", "operator": "", "value": ""},
    }
    prefill = {
        "client": {"customer": company},
        "account": {"system": "OA", "action": "transfer"},
        "asset": {"asset_type": "laptop", "return_to_role": "it"},
        "approval": {"system": "OA", "direction": "raised_by_me"},
        "expense": {"currency": "CNY", "status": "not_submitted"},
        "document": {"medium": "electronic"},
        "task": {"status": "in_progress"},
    }
    value.update(prefill.get(kind, {}))
    if kind == "field":
        value.update(
            key=f"answer_s{section}_{number}",
            field_type="text",
            choices=[],
            placeholder="",
            min_value=None,
            max_value=None,
        )
    return value


def template_body(spec: ScaleSpec, name: str, items: int, *, connector=None):
    """Sections of about ten items; the first asks about a laptop and shows
    the laptop item only when the answer is yes; ``connector`` adds a block
    filled by that connector (``(slug, record_kind, mapping)``)."""
    body = []
    number = 0
    section_index = 0
    while number < items:
        section_items = []
        if section_index == 0:
            section_items.append(
                (
                    "field",
                    {
                        **_item_value("field", 0, section=0),
                        "label": "Do you have a company laptop?",
                        "key": "has_laptop",
                        "field_type": "yes_no",
                        "required": True,
                    },
                )
            )
            section_items.append(
                (
                    "asset",
                    {
                        **_item_value("asset", 1, section=0),
                        "label": "Return the laptop",
                        "condition": {
                            "field_key": "has_laptop",
                            "operator": "is_yes",
                            "value": "",
                        },
                    },
                )
            )
            number = 2
        while len(section_items) < 10 and number < items:
            kind = KIND_CYCLE[number % len(KIND_CYCLE)]
            section_items.append(
                (kind, _item_value(kind, number, section=section_index))
            )
            number += 1
        if section_index == 0 and connector is not None:
            slug, record_kind, mapping = connector
            section_items.append(
                (
                    "connector_list",
                    {
                        **_common_settings(
                            "From the company directory", "leaver", "successor"
                        ),
                        "required": False,
                        "due_offset_days": -3,
                        "connector": slug,
                        "record_kind": record_kind,
                        "filter": [],
                        "field_mapping": [
                            {"source": source, "target": target}
                            for target, source in mapping
                        ],
                    },
                )
            )
        section_path = f"{section_index}"
        body.append(
            {
                "type": "section",
                "id": _block_id(spec, name, section_path),
                "value": {
                    "title": SECTION_TITLES[section_index % len(SECTION_TITLES)],
                    "description": "",
                    "items": [
                        {
                            "type": kind,
                            "id": _block_id(spec, name, f"{section_path}/{index}"),
                            "value": value,
                        }
                        for index, (kind, value) in enumerate(section_items)
                    ],
                },
            }
        )
        section_index += 1
    return body


@dataclass
class ItemProto:
    """An item as ``handover_start`` materialises it from a template block."""

    block_id: str
    section_block_id: str
    section_title: str
    position: int
    kind: str
    label: str
    definition: dict
    data: dict
    required: bool
    filled_by_role: str
    confirmed_by_role: str
    evidence: str
    due_offset: int | None

    @property
    def condition(self):
        condition = self.definition.get("condition") or {}
        return condition if condition.get("field_key") else None


@dataclass
class TemplateInfo:
    name: str
    page: ChecklistTemplatePage
    revision_id: int
    items: list
    connector_blocks: list  # (block_id, slug, record_kind, label)


def template_items(revision) -> tuple[list[ItemProto], list]:
    """What ``cms.services.handovers._materialise_items`` makes of a revision."""
    body = revision.as_object().body
    section_titles = {
        block.id: block.value["title"]
        for block in body
        if block.block_type == "section"
    }
    protos, connector_blocks = [], []
    for position, (section_id, block_id, kind, value) in enumerate(iter_items(body)):
        if kind == "connector_list":
            connector_blocks.append(
                (block_id, value.get("connector"), value.get("record_kind"), value)
            )
            continue
        protos.append(
            ItemProto(
                block_id=block_id,
                section_block_id=section_id or "",
                section_title=section_titles.get(section_id, ""),
                position=position,
                kind=kind,
                label=value["label"],
                definition=get_kind(kind).block.get_prep_value(value),
                data=item_data(kind, value),
                required=bool(value.get("required", True)),
                filled_by_role=value.get("filled_by") or ParticipantRole.LEAVER,
                confirmed_by_role=value.get("confirmed_by")
                or ParticipantRole.SUCCESSOR,
                evidence=value.get("evidence") or "none",
                due_offset=value.get("due_offset_days"),
            )
        )
    return protos, connector_blocks


def _publish_template(index, *, slug, title, body, author):
    page = ChecklistTemplatePage.objects.filter(slug=slug, locale=index.locale).first()
    if page is None:
        page = ChecklistTemplatePage(
            title=title,
            slug=slug,
            description="Generated for benchmarks (manage.py seed_scale).",
            body=body,
            owner=author,
        )
        index.add_child(instance=page)
        page.full_clean()
        page.save_revision(user=author).publish()
    return ChecklistTemplatePage.objects.get(pk=page.pk)


# Filled-in values --------------------------------------------------------------------


def _filled_data(kind: str, proto_data: dict, number: int) -> dict:
    """What the person filling an item types: realistic values for the kind."""
    if kind == "field":
        return {"value": f"Answer {number}"}
    sample = item_data(kind, getattr(previews, kind)())
    changes = {
        key: value
        for key, value in sample.items()
        if value not in (None, "", [], {}) and proto_data.get(key) != value
    }
    for key in ("description", "next_step", "notes", "relationship_notes"):
        if isinstance(changes.get(key), str):
            changes[key] = f"{changes[key]} (ref. {number})"
    return changes


# Plans -------------------------------------------------------------------------------


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
        self.now = _anchor(spec.today)

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
            tzinfo=UTC,
        ) + dt.timedelta(microseconds=rng.randint(0, 999_999))
        if state in Handover.OPEN_STATES:
            start = min(start, self.now - dt.timedelta(days=rng.randint(2, 6)))
            end = self.now - dt.timedelta(minutes=rng.randint(10, 600))
        elif state == Handover.State.CANCELLED:
            end = start + dt.timedelta(days=rng.randint(1, 10))
        else:
            end = dt.datetime.combine(lwd, dt.time(9, 0), tzinfo=UTC) + dt.timedelta(
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
        )
        if state != Handover.State.DRAFT:
            plan.actions = self._actions(state, info.items, len(plan.successor_ids))
        count = max(len(plan.actions), 1)
        plan.step = (end - start) / (count + 1)
        return plan

    def _actions(self, state, items, successors: int) -> list:
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
                value = answers.get(key, f"Answer {number}")
                answers[key] = value
                fills.append(("update", proto.block_id, "fill", {"value": value}))
                stage = "accepted" if done or rng.random() < progress else "submitted"
            elif not item_is_visible(proto, answers):
                continue  # hidden: nobody needs to hand it over
            else:
                point = rng.random()
                if done or point < progress * 0.75:
                    stage = "accepted"
                elif point < progress:
                    stage = "submitted"
                elif point < progress + 0.04:
                    stage = "returned"
                elif point < progress + 0.12:
                    stage = "filled"
                else:
                    stage = "pending"
            not_applicable = proto.kind != "field" and rng.random() < 0.04
            if stage in ("pending", "filled", "returned") and (
                proto.filled_by_role == ParticipantRole.LEAVER and proto.required
            ):
                leaver_open = True
            if stage == "pending":
                continue
            if proto.kind != "field" and not (not_applicable and stage != "filled"):
                fills.append(
                    (
                        "update",
                        proto.block_id,
                        "fill",
                        _filled_data(proto.kind, proto.data, number),
                    )
                )
            if stage == "filled":
                continue
            if not_applicable:
                submits.append(
                    (
                        "not_applicable",
                        proto.block_id,
                        "fill",
                        {"reason": "Not part of my work any more."},
                    )
                )
            else:
                submits.append(("submit", proto.block_id, "fill", {}))
            if stage == "returned":
                cycles.append(
                    ("return", proto.block_id, "confirm", {"reason": "Which contact?"})
                )
            elif stage == "accepted" and rng.random() < 0.03:
                cycles += [
                    ("return", proto.block_id, "confirm", {"reason": "Which contact?"}),
                    (
                        "answer",
                        proto.block_id,
                        "fill",
                        {"body": "The purchasing manager, see the notes."},
                    ),
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


# Playing plans in memory -------------------------------------------------------------


class Ids:
    """Primary keys handed out in order, past what the tables hold."""

    def __init__(self, start: int):
        self.next = start

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value


class SimItem:
    __slots__ = (
        "assignee_id",
        "block_id",
        "confirmed_by_role",
        "data",
        "definition",
        "due_date",
        "evidence",
        "filled_by_role",
        "kind",
        "label",
        "not_applicable_reason",
        "open_question",
        "pk",
        "position",
        "proto",
        "provenance",
        "required",
        "section_block_id",
        "section_title",
        "state",
        "updated_at",
        "version",
    )

    DONE = frozenset({Item.State.ACCEPTED, Item.State.NOT_APPLICABLE})

    def __init__(self, pk, proto: ItemProto, *, lwd, assignee_id, now):
        self.pk = pk
        self.proto = proto
        self.block_id = proto.block_id
        self.section_block_id = proto.section_block_id
        self.section_title = proto.section_title
        self.position = proto.position
        self.kind = proto.kind
        self.label = proto.label
        self.definition = proto.definition
        self.data = dict(proto.data)
        self.provenance = {}
        self.state = Item.State.PENDING
        self.required = proto.required
        self.filled_by_role = proto.filled_by_role
        self.confirmed_by_role = proto.confirmed_by_role
        self.evidence = proto.evidence
        self.assignee_id = assignee_id
        self.due_date = (
            lwd + dt.timedelta(days=proto.due_offset)
            if proto.due_offset is not None
            else None
        )
        self.not_applicable_reason = ""
        self.version = 1
        self.updated_at = now
        self.open_question = None

    @property
    def condition(self):
        return self.proto.condition

    @property
    def is_done(self):
        return self.state in self.DONE


@dataclass
class Rows:
    """Rows waiting to be copied, per model."""

    tables: dict = field(default_factory=lambda: defaultdict(list))

    def add(self, model, values: dict):
        self.tables[model].append(values)

    def __len__(self):
        return sum(len(rows) for rows in self.tables.values())


class Player:
    """Plays a :class:`HandoverPlan` the way ``cms.services`` would, writing rows
    to a :class:`Rows` instead of the database."""

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
        self.ids = ids
        self.users = users  # pk -> username
        self.hr_admins = hr_admins
        self.permissions = permissions  # codename -> Permission pk
        self.templates = templates
        self.rows = rows
        self.connectors = connectors  # slug -> (pk, name)
        self.key, self.key_id = server_key()
        self.intents = {
            decision: str(intent) for decision, intent in INTENT.items()
        } | {
            Signature.Decision.DECLARE: str(DECLARATION_INTENT),
            Signature.Decision.APPROVE: str(APPROVAL_INTENT),
        }

    # The handover --------------------------------------------------------------

    def play(self, plan: HandoverPlan) -> dict:
        info = self.templates[plan.template]
        self.clock = plan.started_at
        self.step = plan.step
        pk = self.ids[Handover].take()
        number = f"HO-{self.clock:%Y}-{pk:05d}"
        self.handover = {
            "id": pk,
            "number": number,
            "employee_id": plan.employee_id,
            "template_id": info.page.pk,
            "template_revision_id": info.revision_id,
            "language": info.page.locale.language_code,
            "state": Handover.State.DRAFT if plan.draft else Handover.State.IN_PROGRESS,
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
        }
        self.sequence = 0
        self.last_hash = GENESIS_HASH
        self.signatures_declared = False
        self.open_questions = 0
        self.employee_status_change = None

        people = plan.people()
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
        for user in self.hr_admins & set(self.roles):
            self.roles[user].add(ParticipantRole.HR)

        single = plan.successor_ids[0] if len(plan.successor_ids) == 1 else None
        self.items = {}
        for proto in info.items:
            item = SimItem(
                self.ids[Item].take(),
                proto,
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
            object_type="handover",
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
        self.plan = plan
        for action, block_id, who, payload in plan.actions:
            self._tick()
            getattr(self, f"_do_{action}")(block_id, who, payload)
        self._flush()
        return self.handover

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

    # Who acts --------------------------------------------------------------------

    def _filler(self, item: SimItem) -> int:
        return self.by_role[item.filled_by_role][0]

    def _confirmer(self, item: SimItem) -> int:
        if item.confirmed_by_role == ParticipantRole.SUCCESSOR and item.assignee_id:
            return item.assignee_id
        return self.by_role[item.confirmed_by_role][0]

    # Shared steps (cms.services.items / audit / signing) -----------------------------

    def _content(self, item: SimItem) -> dict:
        return {
            "handover": self.handover["number"],
            "block_id": item.block_id,
            "kind": item.kind,
            "label": item.label,
            "data": item.data,
            "not_applicable_reason": item.not_applicable_reason,
            "attachments": [],
        }

    def _snapshot(self, item: SimItem) -> dict:
        return {**self._content(item), "state": item.state, "version": item.version}

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
        payload = {
            "handover": event["handover_id"],
            "sequence": event["sequence"],
            "actor_id": event["actor_id"],
            "actor_name": event["actor_name"],
            "role": event["role"],
            "action": event["action"],
            "object_type": event["object_type"],
            "object_id": event["object_id"],
            "before_hash": event["before_hash"],
            "after_hash": event["after_hash"],
            "details": event["details"],
            "ip_address": None,
            "created_at": self.clock.isoformat(),
        }
        event["hash"] = hashlib.sha256(
            (self.last_hash + canonical_json(payload)).encode()
        ).hexdigest()
        self.last_hash = event["hash"]
        self.rows.add(AuditEvent, event)

    def _audit_item(self, item, *, actor, role, action, before, details=None):
        self._audit(
            actor=actor,
            role=role,
            action=action,
            object_type="item",
            object_id=item.pk,
            before=before,
            after=self._snapshot(item),
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
            "auth_method": "password",
            "ip_address": None,
            "user_agent": "",
        }
        record = {
            "handover": self.handover["number"],
            "item": item.block_id if item is not None else "",
            "item_version": signature["item_version"],
            "section": section,
            "signer": signer,
            "role": role,
            "decision": decision,
            "remarks": remarks,
            "signed_at": self.clock.isoformat(),
            "content_hash": signature["content_hash"],
            "intent_statement": signature["intent_statement"],
            "auth_method": "password",
        }
        import base64

        signature["server_signature"] = base64.b64encode(
            self.key.sign(canonical_json(record).encode())
        ).decode()
        signature["key_id"] = self.key_id
        self.rows.add(Signature, signature)
        return signature

    def _first_role(self, user) -> str:
        return sorted(self.roles[user])[0]

    # Actions ---------------------------------------------------------------------

    def _do_update(self, block_id, who, payload):
        item = self.items[block_id]
        actor = self._filler(item)
        merged = {**item.data, **payload}
        changes = {
            key: [item.data.get(key), value]
            for key, value in merged.items()
            if item.data.get(key) != value
        }
        if not changes:
            return
        before = self._snapshot(item)
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
        successor = self.plan.successor_ids[payload["successor"]]
        before = self._snapshot(item)
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
        actor = self._filler(item)
        before = self._snapshot(item)
        resubmitted = item.state == Item.State.RETURNED
        item.state = Item.State.SUBMITTED
        item.not_applicable_reason = ""
        self._bump(
            item,
            actor=actor,
            action="submit",
            changes={"state": [before["state"], "submitted"]},
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
        actor = self._filler(item)
        reason = payload["reason"]
        before = self._snapshot(item)
        item.state = Item.State.SUBMITTED
        item.not_applicable_reason = reason
        self._bump(
            item,
            actor=actor,
            action="not_applicable",
            changes={
                "state": [before["state"], "submitted"],
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

    def _do_return(self, block_id, who, payload):
        item = self.items[block_id]
        actor = self._confirmer(item)
        reason = payload["reason"]
        before = self._snapshot(item)
        signature = self._sign(
            signer=actor,
            role=item.confirmed_by_role,
            decision=Signature.Decision.RETURN,
            remarks=reason,
            content=self._content(item),
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
            changes={"state": [before["state"], "returned"]},
        )
        self._audit_item(
            item,
            actor=actor,
            role=item.confirmed_by_role,
            action="item.returned",
            before=before,
            details={"signature": signature["id"]},
        )

    def _comment(self, item, actor, body, question=None):
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
            object_type="comment",
            object_id=comment["id"],
            after={"body": body, "item": item.block_id},
        )

    def _do_answer(self, block_id, who, payload):
        item = self.items[block_id]
        self._comment(item, self._filler(item), payload["body"], item.open_question)

    def _do_comment(self, block_id, who, payload):
        item = self.items[block_id]
        if self.handover["state"] not in (
            Handover.State.IN_PROGRESS,
            Handover.State.IN_REVIEW,
        ):
            return
        self._comment(item, self._confirmer(item), payload["body"])

    def _do_resolve(self, block_id, who, payload):
        item = self.items[block_id]
        question = item.open_question
        actor = question["author_id"]
        question["resolved_at"] = self.clock
        question["resolved_by_id"] = actor
        item.open_question = None
        self.open_questions -= 1
        self._audit(
            actor=actor,
            role=self._first_role(actor),
            action="question.resolved",
            object_type="comment",
            object_id=question["id"],
        )

    def _do_accept(self, block_id, who, payload):
        item = self.items[block_id]
        actor = self._confirmer(item)
        remarks = payload["remarks"]
        decision = (
            Signature.Decision.ACCEPT_WITH_REMARKS
            if remarks
            else Signature.Decision.ACCEPT
        )
        before = self._snapshot(item)
        signature = self._sign(
            signer=actor,
            role=item.confirmed_by_role,
            decision=decision,
            remarks=remarks,
            content=self._content(item),
            item=item,
        )
        item.state = (
            Item.State.NOT_APPLICABLE
            if item.not_applicable_reason
            else Item.State.ACCEPTED
        )
        self._bump(
            item,
            actor=actor,
            action="accept",
            changes={"state": [before["state"], item.state]},
        )
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

    def _handover_content(self) -> dict:
        ordered = sorted(self.items.values(), key=lambda item: (item.position, item.pk))
        return {
            "handover": self.handover["number"],
            "revision": self.handover["template_revision_id"],
            "section": "",
            "items": [
                {
                    **self._content(item),
                    "state": item.state,
                    "assignee": item.assignee_id,
                }
                for item in ordered
            ],
        }

    def _do_declare(self, block_id, who, payload):
        actor = self.plan.leaver_id
        signature = self._sign(
            signer=actor,
            role=ParticipantRole.LEAVER,
            decision=Signature.Decision.DECLARE,
            remarks=payload["statement"],
            content=self._handover_content(),
        )
        self.signatures_declared = True
        self._audit(
            actor=actor,
            role=ParticipantRole.LEAVER,
            action="handover.declared",
            object_type="handover",
            object_id=self.handover["id"],
            details={
                "signature": signature["id"],
                "content_hash": signature["content_hash"],
            },
        )
        self._advance()

    def _blocked(self) -> bool:
        items = list(self.items.values())
        answers = field_answers(items)
        for item in items:
            if not item_is_visible(item, answers) or item.is_done:
                continue
            if item.required:
                return True
            if (
                item.confirmed_by_role == ParticipantRole.SUCCESSOR
                and not item.assignee_id
            ):
                return True
        return self.open_questions > 0 or not self.signatures_declared

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
            object_type="handover",
            object_id=self.handover["id"],
        )

    def _do_approve(self, block_id, who, payload):
        actor = self.plan.manager_id
        signature = self._sign(
            signer=actor,
            role=ParticipantRole.MANAGER,
            decision=Signature.Decision.APPROVE,
            remarks=payload["remarks"],
            content=self._handover_content(),
        )
        self.handover["state"] = Handover.State.COMPLETED
        self.handover["completed_at"] = self.clock
        self.handover["updated_at"] = self.clock
        self.employee_status_change = Employee.Status.LEAVING
        self._audit(
            actor=actor,
            role=ParticipantRole.MANAGER,
            action="handover.completed",
            object_type="handover",
            object_id=self.handover["id"],
            details={
                "signature": signature["id"],
                "content_hash": signature["content_hash"],
            },
        )

    def _do_cancel(self, block_id, who, payload):
        reason = payload["reason"]
        self.handover["state"] = Handover.State.CANCELLED
        self.handover["cancelled_at"] = self.clock
        self.handover["cancel_reason"] = reason
        self.handover["updated_at"] = self.clock
        self._audit(
            actor=self.plan.hr_id,
            role=ParticipantRole.HR,
            action="handover.cancelled",
            object_type="handover",
            object_id=self.handover["id"],
            details={"reason": reason},
        )

    # Background fill (connectors) ----------------------------------------------------

    def _connector_fill(self, info: TemplateInfo, plan: HandoverPlan):
        """What the start's background fill leaves behind for a connector whose
        upstream has nothing for this employee: a block status and one run."""
        from connectors.models import BlockSync, SyncRun

        for block_id, slug, record_kind, value in info.connector_blocks:
            connector_id, _name = self.connectors[slug]
            status = {
                "id": self.ids[BlockSync].take(),
                "handover_id": self.handover["id"],
                "block_id": block_id,
                "label": (value.get("label") or "")[:255],
                "connector_id": connector_id,
                "connector_slug": slug,
                "record_kind": record_kind,
                "state": BlockSync.State.QUEUED,
                "error": "",
                "request_id": "",
                "attempt": 0,
                "retry_at": None,
                "queued_at": self.clock,
                "last_started_at": None,
                "last_success_at": None,
                "last_finished_at": None,
                "generation": 1,
            }
            if not plan.fill_queued:
                started = self.clock + dt.timedelta(seconds=2)
                finished = started + dt.timedelta(milliseconds=180)
                self.rows.add(
                    SyncRun,
                    {
                        "id": self.ids[SyncRun].take(),
                        "connector_id": connector_id,
                        "handover_id": self.handover["id"],
                        "block_id": block_id,
                        "trigger": SyncRun.Trigger.START,
                        "state": SyncRun.State.OK,
                        "attempt": 0,
                        "started_at": started,
                        "finished_at": finished,
                        "errors": [],
                        "request_id": "",
                        "actor_id": None,
                        "worker": "",
                    },
                )
                status.update(
                    state=BlockSync.State.OK,
                    last_started_at=started,
                    last_success_at=finished,
                    last_finished_at=finished,
                )
            self.rows.add(BlockSync, status)


# Writing -----------------------------------------------------------------------------


class Copier:
    """COPY rows into their tables, filling unset columns with model defaults."""

    def __init__(self, cursor):
        self.cursor = cursor
        self.layouts = {}
        self.counts = defaultdict(int)

    def _layout(self, model):
        if model not in self.layouts:
            columns = []
            for model_field in model._meta.concrete_fields:
                if model_field.has_default():
                    default = model_field.get_default
                elif model_field.null:
                    default = lambda: None  # noqa: E731
                else:
                    default = None
                columns.append(
                    (
                        model_field.attname,
                        model_field.column,
                        model_field.get_internal_type() == "JSONField",
                        default,
                    )
                )
            self.layouts[model] = columns
        return self.layouts[model]

    def copy(self, model, rows):
        if not rows:
            return
        layout = self._layout(model)
        names = ", ".join(f'"{column}"' for _attname, column, _json, _default in layout)
        statement = f'COPY "{model._meta.db_table}" ({names}) FROM STDIN'
        with self.cursor.copy(statement) as copy:
            for values in rows:
                row = []
                for attname, _column, is_json, default in layout:
                    if attname in values:
                        value = values[attname]
                    elif default is not None:
                        value = default()
                    else:
                        raise KeyError(f"{model.__name__}.{attname} has no value")
                    row.append(Jsonb(value) if is_json and value is not None else value)
                copy.write_row(row)
        self.counts[model] += len(rows)

    def flush(self, rows: Rows, order):
        for model in order:
            self.copy(model, rows.tables.pop(model, []))
        for model in list(rows.tables):
            self.copy(model, rows.tables.pop(model))


def _table_ids(models) -> dict:
    """Lock the tables we write and hand out ids past their current maximum."""
    ids = {}
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608
            ids[model] = Ids(cursor.fetchone()[0] + 1)
    return ids


def _reset_sequences(models):
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
            )


# The company -------------------------------------------------------------------------


@dataclass
class People:
    user_ids: list  # employee number (1-based) -> user pk
    employee_ids: list
    usernames: dict
    manager_of: dict  # employee number -> manager employee number
    hr: list  # employee numbers
    it: list
    successor: int  # employee number of the bench successor


def _company(spec: ScaleSpec, ids, copier: Copier, rng: random.Random, say):
    """Departments, users, employees (with the org chart) and staff groups."""
    User = get_user_model()
    prefix = spec.prefix
    root = Department.objects.create(
        code=spec.marker, name=f"Scale Co. (seed {spec.seed}, {spec.today})"
    )
    roles = {role.code: role for role in Role.objects.all()}
    if not roles:
        roles = {
            "general": Role.objects.create(code="general", name="General"),
        }
    role_ids = [role.pk for role in roles.values()]
    divisions = [
        Department.objects.create(
            code=f"scale-s{spec.seed}-division-{number + 1}",
            name=f"Division {number + 1}",
            parent=root,
        )
        for number in range(FAN_OUT)
    ]
    departments = [
        Department.objects.create(
            code=f"scale-s{spec.seed}-team-{number + 1}",
            name=f"Team {number + 1}",
            parent=divisions[number % FAN_OUT],
        )
        for number in range(FAN_OUT * FAN_OUT)
    ]

    password = make_password(BENCH_PASSWORD)
    joined = _anchor(spec.today) - dt.timedelta(days=6 * 365)
    count = spec.employees
    user_ids = [None] + [ids[User].take() for _ in range(count)]
    employee_ids = [None] + [ids[Employee].take() for _ in range(count)]
    hr = list(range(2, 2 + HR_STAFF))
    it = list(range(2 + HR_STAFF, 2 + HR_STAFF + IT_STAFF))
    successor = count  # a leaf of the org chart: no reports
    usernames = {}
    manager_of = {}
    users, employees = [], []
    for number in range(1, count + 1):
        first, last = _person_name(number)
        if number == successor:
            username = f"{prefix}.successor"
        elif number == hr[0]:
            username = f"{prefix}.hr"
        else:
            username = f"{prefix}.u{number:06d}"
        usernames[user_ids[number]] = username
        users.append(
            {
                "id": user_ids[number],
                "password": password,
                "last_login": None,
                "is_superuser": False,
                "username": username,
                "first_name": first,
                "last_name": last,
                "email": f"{username}@scale.example",
                "is_staff": False,
                "is_active": True,
                "date_joined": joined + dt.timedelta(minutes=number),
            }
        )
        manager = (number - 2) // FAN_OUT + 1 if number > 1 else None
        manager_of[number] = manager
        # The department: the second-level ancestor's team.
        ancestor = number
        while ancestor > 1 + FAN_OUT + FAN_OUT * FAN_OUT:
            ancestor = (ancestor - 2) // FAN_OUT + 1
        department = (
            root
            if ancestor == 1
            else divisions[(ancestor - 2) % FAN_OUT]
            if ancestor <= 1 + FAN_OUT
            else departments[(ancestor - 2 - FAN_OUT) % len(departments)]
        )
        if number in hr:
            position = "HR business partner"
        elif number in it:
            position = "IT administrator"
        else:
            position = POSITIONS[number % len(POSITIONS)]
        employees.append(
            {
                "id": employee_ids[number],
                "employee_number": f"S{spec.seed}-{number:06d}",
                "name": f"{first} {last}",
                "department_id": department.pk,
                "position": position,
                "role_id": role_ids[number % len(role_ids)],
                "hire_date": spec.today - dt.timedelta(days=30 + rng.randint(0, 4000)),
                "manager_id": employee_ids[manager] if manager else None,
                "work_email": f"{username}@scale.example",
                "work_phone": f"+86 21 5{number:07d}",
                "status": Employee.Status.ACTIVE,
                "directory_id": f"uid={username}",
                "user_id": user_ids[number],
            }
        )
    copier.copy(User, users)
    copier.copy(Employee, employees)
    groups = {group.name: group.pk for group in Group.objects.all()}
    membership = []
    for number in range(1, count + 1):
        names = ["Employees"]
        if number in hr:
            names.append("HR")
        if number in it:
            names.append("IT")
        if number <= 1 + FAN_OUT + FAN_OUT * FAN_OUT:
            names.append("Managers")
        membership += [
            {
                "id": ids[User.groups.through].take(),
                "user_id": user_ids[number],
                "group_id": groups[name],
            }
            for name in names
            if name in groups
        ]
    copier.copy(User.groups.through, membership)
    say(f"  {count} users and employees, {len(departments)} teams")
    return People(
        user_ids=user_ids,
        employee_ids=employee_ids,
        usernames=usernames,
        manager_of=manager_of,
        hr=hr,
        it=it,
        successor=successor,
    )


def _connectors(spec: ScaleSpec, info: ScaleInfo, people: People):
    """A directory connector every template uses (nothing upstream for most
    people), and a bulk source with 2,000 task records for one employee."""
    from connectors.models import ConnectorConfig

    directory, _created = ConnectorConfig.objects.get_or_create(
        slug=info.directory_connector_slug,
        defaults={
            "type": "sample",
            "name": f"Company directory (scale {spec.seed})",
            "settings": {"records": {}},
            "sync_interval_minutes": 60,
        },
    )
    leaver = _bulk_leaver(spec)
    email = f"{spec.prefix}.u{leaver:06d}@scale.example"
    records = [
        {
            "id": f"T-{number:05d}",
            "title": f"Ticket {number}: {COMPANIES[number % len(COMPANIES)]} rollout",
            "fields": {
                "summary": f"Rollout step {number} for "
                f"{COMPANIES[number % len(COMPANIES)]}",
                "state": ("not_started", "in_progress", "blocked")[number % 3],
                "done": number % 101,
                "next": f"Call the site lead about step {number}.",
                "url": f"https://tickets.scale.example/T-{number:05d}",
            },
        }
        for number in range(1, BULK_RECORDS + 1)
    ]
    bulk, _created = ConnectorConfig.objects.get_or_create(
        slug=info.bulk_connector_slug,
        defaults={
            "type": "sample",
            "name": f"Ticket system (scale {spec.seed})",
            "settings": {
                "records": {email: {"task": records}},
                "mappings": {
                    "task": {
                        "description": "summary",
                        "status": "state",
                        "progress_percent": "done",
                        "next_step": "next",
                        "location": "url",
                    }
                },
            },
            "sync_interval_minutes": 0,
        },
    )
    return {
        directory.slug: (directory.pk, directory.name),
        bulk.slug: (bulk.pk, bulk.name),
    }


def _bulk_leaver(spec: ScaleSpec) -> int:
    return spec.employees - 1


def _templates(spec: ScaleSpec, info: ScaleInfo, author) -> dict:
    index = TemplateIndexPage.objects.get(locale__language_code="en")
    directory = (info.directory_connector_slug, "account", ())
    sizes = {
        "small": max(spec.items // 2, 5),
        "medium": spec.items,
        "large": spec.items + (spec.items - max(spec.items // 2, 5)),
        "blocks-300": 300,
        "items-500": 500,
    }
    titles = {
        "small": "Scale: short checklist",
        "medium": "Scale: standard checklist",
        "large": "Scale: long checklist",
        "blocks-300": "Scale: 300 blocks",
        "items-500": "Scale: 500 items",
    }
    templates = {}
    for name, size in sizes.items():
        slug = info.template_slugs[name]
        body = template_body(spec, name, size, connector=directory)
        page = _publish_template(
            index, slug=slug, title=titles[name], body=body, author=author
        )
        templates[name] = page
    fill_body = template_body(
        spec,
        "fill",
        10,
        connector=(info.bulk_connector_slug, "task", ()),
    )
    templates["fill"] = _publish_template(
        index,
        slug=info.template_slugs["fill"],
        title="Scale: ticket import",
        body=fill_body,
        author=author,
    )
    result = {}
    for name, page in templates.items():
        revision = page.live_revision
        protos, connector_blocks = template_items(revision)
        result[name] = TemplateInfo(
            name=name,
            page=page,
            revision_id=revision.pk,
            items=protos,
            connector_blocks=connector_blocks,
        )
    return result


def _plans(spec: ScaleSpec, people: People, templates: dict, rng: random.Random):
    """Who leaves, with which template, and what happened since."""
    planner = Planner(spec, templates, rng)
    count = spec.employees
    staff = set(people.hr) | set(people.it) | {1, people.successor}
    special = {_bulk_leaver(spec)}
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

    weights = ("small", "medium", "large")
    plans = []
    bench_successor_left = BENCH_SUCCESSOR_HANDOVERS
    spacing = max(len(leavers) // BENCH_SUCCESSOR_HANDOVERS, 1)
    for index, number in enumerate(leavers):
        state = planner.state_for(index)
        successors = successors_for(number)
        if bench_successor_left and index % spacing == spacing // 2:
            successors = [people.successor]
            bench_successor_left -= 1
        plans.append(
            planner.plan(
                state=state,
                template=weights[index % 3],
                employee_id=people.employee_ids[number],
                leaver_id=user[number],
                hr_id=user[people.hr[index % len(people.hr)]],
                successors=[user[s] for s in successors],
                manager_id=user[people.manager_of[number]],
                it_ids=[user[people.it[index % len(people.it)]]],
            )
        )
    # The handovers benchmarks look at.
    extra = [
        (
            "items-500",
            Handover.State.IN_PROGRESS,
            rng.choice([c for c in candidates if c not in leavers]),
        ),
        ("blocks-300", Handover.State.COMPLETED, None),
        ("fill", None, _bulk_leaver(spec)),
    ]
    taken = set(leavers)
    for template, state, number in extra:
        if number is None or number in taken:
            number = rng.choice([c for c in candidates if c not in taken])
        taken.add(number)
        successors = successors_for(number)[:1]
        if template == "fill":
            plan = planner.plan(
                state=Handover.State.DRAFT,
                template=template,
                employee_id=people.employee_ids[number],
                leaver_id=user[number],
                hr_id=user[people.hr[0]],
                successors=[user[s] for s in successors],
                manager_id=user[people.manager_of[number]],
                it_ids=[user[people.it[0]]],
            )
            plan.draft = False
            plan.fill_queued = True  # started; a benchmark runs its fill
        else:
            plan = planner.plan(
                state=state,
                template=template,
                employee_id=people.employee_ids[number],
                leaver_id=user[number],
                hr_id=user[people.hr[0]],
                successors=[user[s] for s in successors],
                manager_id=user[people.manager_of[number]],
                it_ids=[user[people.it[0]]],
            )
        plans.append(plan)
    return plans


COPY_ORDER = (
    Handover,
    Participant,
    HandoverUserObjectPermission,
    Item,
    ItemVersion,
    Signature,
    Comment,
    AuditEvent,
)


def _written_models():
    from connectors.models import BlockSync, SyncRun

    User = get_user_model()
    return [User, Employee, User.groups.through, *COPY_ORDER, SyncRun, BlockSync]


@dataclass
class Prepared:
    """The company, its templates and the plans, ready to be played."""

    spec: ScaleSpec
    info: ScaleInfo
    people: People
    connectors: dict
    templates: dict
    plans: list
    permissions: dict

    def player(self, rows: Rows, ids: dict | None = None) -> Player:
        return Player(
            ids=ids or _table_ids(_written_models()),
            users=self.people.usernames,
            hr_admins={self.people.user_ids[number] for number in self.people.hr},
            permissions=self.permissions,
            templates=self.templates,
            rows=rows,
            connectors=self.connectors,
        )


def prepare(spec: ScaleSpec, *, say=lambda message: None) -> Prepared:
    """Everything but the handovers: the demo basics (groups, locales, the
    template library), the company, connectors, templates and the plans.
    Call inside a transaction."""
    from cms.demo.seed import seed as seed_demo

    User = get_user_model()
    info = _info(spec, spec.today)
    rng = random.Random(spec.seed)  # noqa: S311
    seed_demo()
    ids = _table_ids([User, Employee, User.groups.through])
    with connection.cursor() as cursor:
        people = _company(spec, ids, Copier(cursor.cursor), rng, say)
    _reset_sequences([User, Employee, User.groups.through])
    connectors = _connectors(spec, info, people)
    author = User.objects.get(pk=people.user_ids[people.hr[0]])
    templates = _templates(spec, info, author)
    say(f"  {len(templates)} templates published")
    return Prepared(
        spec=spec,
        info=info,
        people=people,
        connectors=connectors,
        templates=templates,
        plans=_plans(spec, people, templates, rng),
        permissions=dict(
            Permission.objects.filter(
                content_type__app_label="cms", content_type__model="handover"
            ).values_list("codename", "pk")
        ),
    )


def play(prepared: Prepared, plans, *, say=lambda message: None) -> dict:
    """Play ``plans`` and copy their rows in; returns rows written per model."""
    began = time.perf_counter()
    rows = Rows()
    player = prepared.player(rows)
    leaving = []
    with connection.cursor() as cursor:
        copier = Copier(cursor.cursor)
        for count, plan in enumerate(plans, start=1):
            player.play(plan)
            if player.employee_status_change:
                leaving.append(plan.employee_id)
            if len(rows) > 200_000:
                copier.flush(rows, COPY_ORDER)
            if count % 500 == 0:
                say(f"  {count} handovers ({time.perf_counter() - began:.0f} s)")
        copier.flush(rows, COPY_ORDER)
    _reset_sequences(_written_models())
    Employee.objects.filter(pk__in=leaving, status=Employee.Status.ACTIVE).update(
        status=Employee.Status.LEAVING
    )
    return {model._meta.label: number for model, number in copier.counts.items()}


def seed_scale(spec: ScaleSpec, *, stdout=None) -> dict:
    """Generate the company of ``spec`` unless this database already holds it.
    Returns ``{"created": bool, "seconds": float, "rows": {...}, "info": ...}``."""

    def say(message):
        if stdout is not None:
            stdout.write(message)

    began = time.perf_counter()
    spec.validate()
    found = Department.objects.filter(
        code__startswith=f"scale-s{spec.seed}-e", parent__isnull=True
    ).first()
    if found is not None:
        if found.code != spec.marker:
            raise ValueError(
                f"This database holds seed {spec.seed} at another size "
                f"({found.code}); use another database or another --seed."
            )
        return {
            "created": False,
            "seconds": time.perf_counter() - began,
            "info": find_scale(spec.seed),
        }
    # The demo basics first, in a transaction of their own: the emails about
    # the demo handover go nowhere.
    from cms.demo.seed import seed as seed_demo

    with override_settings(EMAIL_BACKEND=LOCMEM_EMAIL):
        seed_demo()
    with transaction.atomic(), translation.override("en"):
        prepared = prepare(spec, say=say)
        counts = play(prepared, prepared.plans, say=say)
        # The chains were copied in bulk: the server signs their checkpoints
        # as audit_record would have, one by one.
        chain_checkpoints_backfill()
        _search_index(prepared.people)
    # What autovacuum would do soon after a bulk load, done now: planner
    # statistics and the visibility map (index-only scans) for the new rows.
    say(f"  copied in {time.perf_counter() - began:.0f} s; VACUUM ANALYZE")
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for model in _written_models():
            cursor.execute(f'{command} "{model._meta.db_table}"')
    seconds = time.perf_counter() - began
    say(
        f"Seeded in {seconds:.1f} s: "
        + ", ".join(f"{label} {number}" for label, number in counts.items())
    )
    return {"created": True, "seconds": seconds, "rows": counts, "info": prepared.info}


def _search_index(people: People):
    """Index the employees the way saving them in the admin does."""
    from wagtail.search.backends import get_search_backend

    backend = get_search_backend()
    ids = people.employee_ids[1:]
    for start in range(0, len(ids), 2_000):
        batch = list(Employee.objects.filter(pk__in=ids[start : start + 2_000]))
        backend.add_bulk(Employee, batch)
