"""What the participant pages show: a handover, its sections and items, shaped
for the templates. Reads only; every permission comes from the selectors and
``cms.permissions``."""

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.module_loading import import_string

from checklist_blocks.blocks.common import describe_condition
from checklist_blocks.registry import UnknownKind, get_kind
from cms import selectors
from cms.models import (
    Comment,
    Employee,
    Handover,
    Item,
    ItemVersion,
    ParticipantRole,
    Signature,
)
from cms.permissions import can_confirm, can_fill, roles_of
from cms.services.confirming import INTENT
from cms.services.review import (
    APPROVAL_INTENT,
    DECLARATION_INTENT,
    SECTION_APPROVAL_INTENT,
    field_answers,
    handover_blockers,
    item_is_visible,
)

from .content import (
    item_entries,
    item_history,
    person_name,
    split_empty,
    upstream_rows,
)
from .item_forms import item_controls
from .live import handover_etag

__all__ = ["Failure", "handover_page"]

FILLABLE_STATES = (Item.State.PENDING, Item.State.RETURNED)
# Who may split the work between successors, and while the handover allows it
# (the services' rules, mirrored so the page offers only what would succeed).
ASSIGNING_ROLES = frozenset({ParticipantRole.HR, ParticipantRole.MANAGER})
ASSIGNABLE_STATES = (Handover.State.DRAFT, Handover.State.IN_PROGRESS)


@dataclass
class Failure:
    """A refused action, shown next to the form it came from."""

    form: str
    message: str
    fields: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    item_id: int | None = None
    section: str = ""
    data: dict | None = None
    conflict: bool = False


# The detail page ------------------------------------------------------------------


@dataclass
class Thread:
    question: Comment
    answers: list
    can_resolve: bool


@dataclass
class ItemCard:
    item: Item
    visible: bool
    stamp: str
    entries: list
    empty_labels: list
    condition_text: str
    can_fill: bool
    can_confirm: bool
    can_discuss: bool
    threads: list
    notes: list
    attachments: list
    signatures: list
    history: list
    failure: Failure | None = None
    controls: list = field(default_factory=list)
    form_errors: list = field(default_factory=list)
    conflict_entries: list = field(default_factory=list)
    conflict_empty_labels: list = field(default_factory=list)
    form_version: Any = None
    intents: dict = field(default_factory=dict)
    failure_elsewhere: bool = False
    can_assign: bool = False
    assign_value: str = ""
    upstream: list = field(default_factory=list)
    # Notes other apps add (e.g. what accepting will change upstream).
    extra_notes: list = field(default_factory=list)

    @property
    def resolved_upstream(self):
        return bool((self.item.provenance or {}).get("resolved_upstream"))

    @property
    def kind_label(self):
        try:
            return get_kind(self.item.kind).label
        except UnknownKind:
            return self.item.kind

    @property
    def assignee_name(self):
        return person_name(self.item.assignee) if self.item.assignee_id else ""

    @property
    def unassigned(self):
        """Waiting for HR or the manager to name the successor who confirms it."""
        item = self.item
        return (
            item.confirmed_by_role == ParticipantRole.SUCCESSOR
            and not item.assignee_id
            and not item.is_done
        )

    @property
    def overdue(self):
        due = self.item.due_date
        return bool(due and due < timezone.localdate() and not self.item.is_done)

    @property
    def is_conflict(self):
        return bool(self.failure and self.failure.conflict)


@dataclass
class Section:
    block_id: str
    title: str
    cards: list
    approvals: list
    stamp: str
    failure: Failure | None = None

    @property
    def visible_count(self):
        return sum(1 for card in self.cards if card.visible)


def _signature_rows(signatures) -> list[dict]:
    return [
        {
            "signature": signature,
            "signer": person_name(signature.signer),
            "stale": selectors.signature_is_stale(signature),
        }
        for signature in signatures
    ]


def _threads(item: Item, user, filler: bool) -> tuple[list, list]:
    comments = list(item.comment_list)
    answers = {}
    for comment in comments:
        if comment.question_id:
            answers.setdefault(comment.question_id, []).append(comment)
    threads = [
        Thread(
            question=comment,
            answers=answers.get(comment.pk, []),
            can_resolve=comment.resolved_at is None
            and (comment.author_id == user.pk or filler),
        )
        for comment in comments
        if comment.is_question
    ]
    notes = [c for c in comments if not c.is_question and not c.question_id]
    return threads, notes


def _card(
    item, *, handover, user, answers, versions, users, failure, assigner, team
) -> ItemCard:
    item.handover = handover  # shares the permission cache and saves a query
    visible = item_is_visible(item, answers)
    comments = list(item.comment_list)
    resolved = sum(1 for comment in comments if comment.resolved_at)
    filler = can_fill(user, item)
    open_for_work = handover.state == Handover.State.IN_PROGRESS
    fill_now = filler and open_for_work and item.state in FILLABLE_STATES
    confirm_now = (
        can_confirm(user, item) and open_for_work and item.state == Item.State.SUBMITTED
    )
    for signature in item.signature_list:
        signature.item = item
    threads, notes = _threads(item, user, filler)
    entries, empty_labels = split_empty(item_entries(item))
    upstream = upstream_rows(item)
    card = ItemCard(
        item=item,
        visible=visible,
        # The assignee and the team are in it: removing a successor unassigns
        # items without a new version, and changes who may confirm or be chosen.
        stamp=f"{item.version}.{len(comments)}.{resolved}.{int(visible)}."
        f"{handover.state}.{item.assignee_id or 0}.{team}.{len(upstream)}",
        entries=entries,
        empty_labels=empty_labels,
        condition_text=describe_condition(item.condition),
        can_fill=fill_now,
        can_confirm=confirm_now,
        can_discuss=handover.state
        in (Handover.State.IN_PROGRESS, Handover.State.IN_REVIEW),
        threads=threads,
        notes=notes,
        attachments=list(item.attachment_list),
        signatures=_signature_rows(item.signature_list),
        history=item_history(item, versions.get(item.pk, []), users),
        form_version=item.version,
        intents={decision: str(text) for decision, text in INTENT.items()},
        can_assign=assigner
        and handover.state in ASSIGNABLE_STATES
        and item.confirmed_by_role == ParticipantRole.SUCCESSOR
        and not item.is_done,
        assign_value=str(item.assignee_id or ""),
        upstream=upstream,
    )
    if failure is not None and failure.item_id == item.pk:
        card.failure = failure
        card.failure_elsewhere = not _form_shown(card, failure.form)
        if failure.form == "assign":
            card.assign_value = failure.values.get("successor", "")
    if fill_now or (card.failure and card.failure.data is not None):
        data = None
        errors = None
        if card.failure and card.failure.data is not None:
            data = card.failure.data
            errors = card.failure.fields
            if card.failure.conflict:
                card.conflict_entries = card.entries
                card.conflict_empty_labels = card.empty_labels
            else:
                # Keep the version the person started from: only a conflict page
                # has shown them what changed since.
                card.form_version = card.failure.values.get("version", item.version)
        card.controls, card.form_errors = item_controls(item, data, errors)
    return card


def _form_shown(card: ItemCard, form: str) -> bool:
    """Whether the card renders the form a failure belongs to (else the message
    goes to the top of the item, so it is never lost)."""
    if form == "data":
        return card.failure.data is not None or card.can_fill
    if form in ("not_applicable", "attach"):
        return card.can_fill
    if form == "assign":
        return card.can_assign
    if form.startswith("decide-"):
        return card.can_confirm
    if form == "ask":
        return card.can_discuss
    kind, _sep, comment_id = form.partition("-")
    for thread in card.threads:
        if str(thread.question.pk) == comment_id and not thread.question.resolved_at:
            return card.can_discuss and (kind == "answer" or thread.can_resolve)
    return False


def _versions_by_item(handover) -> tuple[dict, dict]:
    versions = {}
    assignees = set()
    for version in (
        ItemVersion.objects.filter(item__handover=handover)
        .select_related("actor")
        .order_by("item_id", "-number")
    ):
        versions.setdefault(version.item_id, []).append(version)
        if "assignee" in (version.changes or {}):
            assignees.update(v for v in version.changes["assignee"] if v)
    users = {
        user.pk: person_name(user)
        for user in get_user_model().objects.filter(pk__in=assignees)
    }
    return versions, users


def handover_page(*, user, handover: Handover, failure: Failure | None = None) -> dict:
    """The template context of the detail page."""
    items = list(selectors.handover_items(handover=handover))
    answers = field_answers(items)
    versions, users = _versions_by_item(handover)
    roles = roles_of(user, handover)
    participants = list(handover.participants.select_related("user").order_by("pk"))
    team = "-".join(str(participant.pk) for participant in participants)
    assigner = bool(roles & ASSIGNING_ROLES)
    handover_signatures = list(
        handover.signatures.filter(item__isnull=True).select_related("signer")
    )
    section_approvals = {}
    for signature in handover_signatures:
        if signature.section_block_id:
            section_approvals.setdefault(signature.section_block_id, []).append(
                signature
            )
    sections = []
    by_id = {}
    for item in items:
        card = _card(
            item,
            handover=handover,
            user=user,
            answers=answers,
            versions=versions,
            users=users,
            failure=failure,
            assigner=assigner,
            team=team,
        )
        key = item.section_block_id
        if key not in by_id:
            approvals = _signature_rows(section_approvals.get(key, []))
            by_id[key] = Section(
                block_id=key,
                title=item.section_title,
                cards=[],
                approvals=approvals,
                stamp=f"{handover.state}.{len(approvals)}",
            )
            sections.append(by_id[key])
        by_id[key].cards.append(card)

    cards = {card.item.pk: card for section in sections for card in section.cards}
    for source in settings.BATON_ITEM_NOTES:
        for item_id, notes in import_string(source)(items=items, user=user).items():
            card = cards[item_id]
            card.extra_notes += notes
            digest = hashlib.sha256("\n".join(notes).encode()).hexdigest()[:8]
            card.stamp += f".{digest}"

    declarations = [s for s in handover_signatures if s.decision == "declare"]
    approvals = [
        s
        for s in handover_signatures
        if s.decision == Signature.Decision.APPROVE and not s.section_block_id
    ]
    manager = ParticipantRole.MANAGER in roles
    allowed = {
        "declare": ParticipantRole.LEAVER in roles
        and handover.state == Handover.State.IN_PROGRESS
        and not declarations,
        "approve_sections": manager
        and handover.state in (Handover.State.IN_PROGRESS, Handover.State.IN_REVIEW),
        "approve": manager and handover.state == Handover.State.IN_REVIEW,
        "reopen": manager and handover.state == Handover.State.IN_REVIEW,
        "participant_add": assigner and handover.is_open,
    }
    panel = _participant_panel(
        participants,
        items,
        removable=ParticipantRole.HR in roles and handover.is_open,
    )
    for person in panel["successors"]:
        allowed[person.remove_form] = person.removable
    page_failure = None
    if failure is not None and not failure.item_id:
        if failure.section and failure.section in by_id and allowed["approve_sections"]:
            by_id[failure.section].failure = failure
        else:
            page_failure = failure
    return {
        "handover": handover,
        "roles": sorted(ParticipantRole(role).label for role in roles),
        "participants": panel["groups"],
        "successors": panel["successors"],
        "can_add_successor": allowed["participant_add"],
        "successor_candidates": _successor_candidates(handover, panel["successors"])
        if allowed["participant_add"]
        else [],
        "progress": selectors.handover_progress(handover=handover, items=items),
        "blockers": handover_blockers(handover, items) if handover.is_open else [],
        "sections": sections,
        "declarations": _signature_rows(declarations),
        "approvals": _signature_rows(approvals),
        "can_declare": allowed["declare"],
        "can_approve_sections": allowed["approve_sections"],
        "can_approve": allowed["approve"],
        "can_reopen": allowed["reopen"],
        "declaration_intent": DECLARATION_INTENT,
        "approval_intent": APPROVAL_INTENT,
        "section_approval_intent": SECTION_APPROVAL_INTENT,
        "failure": page_failure,
        "participant_failure": page_failure is not None
        and page_failure.form.startswith("participant_"),
        "failure_elsewhere": page_failure is not None
        and not allowed.get(page_failure.form),
        "etag": handover_etag(handover),
    }


@dataclass
class Person:
    """One participant in one role, as the participants panel lists them."""

    user_id: int
    name: str
    role: str
    open_items: int = 0
    removable: bool = False

    @property
    def remove_form(self):
        return f"participant_remove-{self.user_id}"


def _participant_panel(participants, items, *, removable: bool) -> dict:
    """The participants by role (in the order of the roles), and the successors
    with how many unfinished items each holds."""
    open_items = {}
    for item in items:
        if item.assignee_id and not item.is_done:
            open_items[item.assignee_id] = open_items.get(item.assignee_id, 0) + 1
    order = list(ParticipantRole.values)
    groups = {}
    successors = []
    for participant in sorted(
        participants,
        key=lambda participant: (order.index(participant.role), participant.pk),
    ):
        person = Person(
            user_id=participant.user_id,
            name=person_name(participant.user),
            role=participant.role,
        )
        if participant.role == ParticipantRole.SUCCESSOR:
            person.open_items = open_items.get(participant.user_id, 0)
            person.removable = removable
            successors.append(person)
        groups.setdefault(participant.role, []).append(person)
    return {
        "groups": [
            {"role": role, "label": ParticipantRole(role).label, "people": people}
            for role, people in groups.items()
        ],
        "successors": sorted(successors, key=lambda person: person.name.casefold()),
    }


def _successor_candidates(handover, successors) -> list[dict]:
    """Who can be added as a successor: active people in the employee archive
    (which bounds the list), not the leaver, not a successor already; by the
    name the page shows for them."""
    employees = (
        Employee.objects.filter(user__is_active=True)
        .exclude(status=Employee.Status.LEFT)
        .exclude(user_id__in=[person.user_id for person in successors])
        .select_related("user")
    )
    if handover.employee.user_id:
        employees = employees.exclude(user_id=handover.employee.user_id)
    candidates = []
    for employee in employees:
        name = person_name(employee.user)
        candidates.append(
            {
                "value": str(employee.user_id),
                "name": name,
                "label": f"{name} · {employee.position}" if employee.position else name,
            }
        )
    return sorted(
        candidates,
        key=lambda candidate: (candidate["name"].casefold(), int(candidate["value"])),
    )
