"""What the participant pages show: a handover, its sections and items, shaped
for the templates. Reads only; every permission comes from the selectors and
``cms.permissions``."""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Sum
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from checklist_blocks.blocks.common import describe_condition
from checklist_blocks.blocks.connector import RECORD_KIND_TARGETS
from checklist_blocks.registry import UnknownKind, get_kind
from cms import selectors
from cms.models import (
    Comment,
    Handover,
    Item,
    ItemVersion,
    Participant,
    ParticipantRole,
    Signature,
)
from cms.permissions import can_confirm, can_fill, roles_of
from cms.services.handovers import (
    APPROVAL_INTENT,
    DECLARATION_INTENT,
    SECTION_APPROVAL_INTENT,
    field_answers,
    handover_blockers,
    item_is_visible,
)
from cms.services.items import INTENT

from .forms import item_controls

__all__ = ["Failure", "handover_etag", "handover_page", "item_entries"]

FILLABLE_STATES = (Item.State.PENDING, Item.State.RETURNED)
HISTORY_ACTIONS = {
    "update": _("Changed"),
    "submit": _("Submitted"),
    "not_applicable": _("Proposed as not applicable"),
    "accept": _("Accepted"),
    "return": _("Returned"),
    "attach": _("Attachment added"),
    "assign": _("Assigned"),
}
HISTORY_FIELDS = {
    "state": _("State"),
    "not_applicable_reason": _("Reason it does not apply"),
    "attachments": _("Attachments"),
    "assignee": _("Successor"),
}
VALUE_PREVIEW_LENGTH = 160


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


# Live updates ---------------------------------------------------------------------


def handover_etag(handover: Handover) -> str:
    """A short fingerprint of everything the detail page shows that others can
    change: item versions, questions and answers, signatures, participants, state."""
    items = Item.objects.filter(handover=handover).aggregate(
        count=Count("pk"), versions=Sum("version"), updated=Max("updated_at")
    )
    comments = Comment.objects.filter(item__handover=handover).aggregate(
        count=Count("pk"), resolved=Count("resolved_at")
    )
    signatures = Signature.objects.filter(handover=handover).count()
    participants = Participant.objects.filter(handover=handover).aggregate(
        count=Count("pk"), last=Max("pk")
    )
    fingerprint = json.dumps(
        [
            handover.state,
            handover.updated_at.isoformat(),
            items["count"],
            items["versions"],
            items["updated"].isoformat() if items["updated"] else "",
            comments["count"],
            comments["resolved"],
            signatures,
            participants["count"],
            participants["last"],
        ]
    )
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:20]


# Read-only item content ------------------------------------------------------------


def _answer_text(value) -> str:
    if value is True:
        return gettext("Yes")
    if value is False:
        return gettext("No")
    return "" if value is None else str(value)


def item_entries(item: Item, data=None) -> list[dict]:
    """The read-only entries checklist_blocks' templates render for ``data``
    (the item's own by default)."""
    data = item.data if data is None else data
    if item.kind == "field":
        value = data.get("value")
        if isinstance(value, dict):
            value = value.get("filename") or ""
        return [
            {
                "name": "value",
                "label": gettext("Answer"),
                "widget": "textarea"
                if item.definition.get("field_type") == "long_text"
                else "input",
                "input_type": "text",
                "value": _answer_text(value),
            }
        ]
    kind = item.kind
    if kind == "connector_list":
        kind = RECORD_KIND_TARGETS.get(data.get("record_kind"), "")
        data = data.get("data") or {}
    try:
        fields = get_kind(kind).block_class.domain_fields
    except UnknownKind:
        return [
            {
                "name": key,
                "label": key,
                "widget": "input",
                "input_type": "text",
                "value": _preview(value),
            }
            for key, value in data.items()
        ]
    return [spec.entry(data.get(spec.name)) for spec in fields]


def _preview(value) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return _answer_text(value)
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    if len(text) > VALUE_PREVIEW_LENGTH:
        return text[: VALUE_PREVIEW_LENGTH - 1] + "…"
    return text


def _field_labels(item: Item) -> dict:
    labels = {key: str(label) for key, label in HISTORY_FIELDS.items()}
    kind = item.kind
    if kind == "field":
        labels["value"] = gettext("Answer")
        return labels
    if kind == "connector_list":
        kind = RECORD_KIND_TARGETS.get(item.data.get("record_kind"), "")
    try:
        fields = get_kind(kind).block_class.domain_fields
    except UnknownKind:
        return labels
    labels.update({spec.name: str(spec.label) for spec in fields})
    return labels


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
    form_version: Any = None
    intents: dict = field(default_factory=dict)

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


def _history(item: Item, versions, users) -> list[dict]:
    labels = _field_labels(item)
    states = dict(Item.State.choices)
    rows = []
    for version in versions:
        changes = []
        for key, (before, after) in (version.changes or {}).items():
            if key == "state":
                before, after = states.get(before, before), states.get(after, after)
            elif key == "assignee":
                before, after = users.get(before, before), users.get(after, after)
            changes.append(
                {
                    "field": labels.get(key, key),
                    "before": _preview(before),
                    "after": _preview(after),
                }
            )
        rows.append(
            {
                "number": version.number,
                "actor": _person(version.actor),
                "action": HISTORY_ACTIONS.get(version.action, version.action),
                "at": version.created_at,
                "changes": changes,
            }
        )
    return rows


def _person(user) -> str:
    if user is None:
        return gettext("Baton")
    return user.get_full_name() or user.get_username()


def _signature_rows(signatures) -> list[dict]:
    return [
        {
            "signature": signature,
            "signer": _person(signature.signer),
            "stale": selectors.signature_is_stale(signature),
        }
        for signature in signatures
    ]


def _threads(item: Item, user, filler: bool) -> tuple[list, list]:
    comments = list(item.comments.all())
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


def _card(item, *, handover, user, answers, versions, users, failure) -> ItemCard:
    item.handover = handover  # shares the permission cache and saves a query
    visible = item_is_visible(item, answers)
    comments = list(item.comments.all())
    resolved = sum(1 for comment in comments if comment.resolved_at)
    filler = can_fill(user, item)
    open_for_work = handover.state == Handover.State.IN_PROGRESS
    fill_now = filler and open_for_work and item.state in FILLABLE_STATES
    confirm_now = (
        can_confirm(user, item)
        and open_for_work
        and item.state == Item.State.SUBMITTED
    )
    for signature in item.signatures.all():
        signature.item = item
    threads, notes = _threads(item, user, filler)
    card = ItemCard(
        item=item,
        visible=visible,
        stamp=f"{item.version}.{len(comments)}.{resolved}.{int(visible)}."
        f"{handover.state}",
        entries=item_entries(item),
        condition_text=describe_condition(item.condition),
        can_fill=fill_now,
        can_confirm=confirm_now,
        can_discuss=handover.state
        in (Handover.State.IN_PROGRESS, Handover.State.IN_REVIEW),
        threads=threads,
        notes=notes,
        attachments=list(item.attachments.all()),
        signatures=_signature_rows(item.signatures.all()),
        history=_history(item, versions.get(item.pk, []), users),
        form_version=item.version,
        intents={decision: str(text) for decision, text in INTENT.items()},
    )
    if failure is not None and failure.item_id == item.pk:
        card.failure = failure
    if fill_now or (card.failure and card.failure.data is not None):
        data = None
        errors = None
        if card.failure and card.failure.data is not None:
            data = card.failure.data
            errors = card.failure.fields
            if card.failure.conflict:
                card.conflict_entries = card.entries
            else:
                # Keep the version the person started from: only a conflict page
                # has shown them what changed since.
                card.form_version = card.failure.values.get("version", item.version)
        card.controls, card.form_errors = item_controls(item, data, errors)
    return card


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
        user.pk: _person(user)
        for user in get_user_model().objects.filter(pk__in=assignees)
    }
    return versions, users


def handover_page(*, user, handover: Handover, failure: Failure | None = None) -> dict:
    """The template context of the detail page."""
    items = list(selectors.handover_items(handover=handover))
    answers = field_answers(items)
    versions, users = _versions_by_item(handover)
    roles = roles_of(user, handover)
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
                failure=failure
                if failure is not None and failure.section and failure.section == key
                else None,
            )
            sections.append(by_id[key])
        by_id[key].cards.append(card)

    declarations = [s for s in handover_signatures if s.decision == "declare"]
    approvals = [
        s
        for s in handover_signatures
        if s.decision == Signature.Decision.APPROVE and not s.section_block_id
    ]
    manager = ParticipantRole.MANAGER in roles
    return {
        "handover": handover,
        "roles": sorted(ParticipantRole(role).label for role in roles),
        "participants": _participants(handover),
        "progress": selectors.handover_progress(handover=handover, items=items),
        "blockers": handover_blockers(handover, items)
        if handover.is_open
        else [],
        "sections": sections,
        "declarations": _signature_rows(declarations),
        "approvals": _signature_rows(approvals),
        "can_declare": ParticipantRole.LEAVER in roles
        and handover.state == Handover.State.IN_PROGRESS
        and not declarations,
        "can_approve_sections": manager
        and handover.state in (Handover.State.IN_PROGRESS, Handover.State.IN_REVIEW),
        "can_approve": manager and handover.state == Handover.State.IN_REVIEW,
        "can_reopen": manager and handover.state == Handover.State.IN_REVIEW,
        "declaration_intent": DECLARATION_INTENT,
        "approval_intent": APPROVAL_INTENT,
        "section_approval_intent": SECTION_APPROVAL_INTENT,
        "failure": failure
        if failure is not None and not failure.item_id and not failure.section
        else None,
        "etag": handover_etag(handover),
    }


def _participants(handover) -> list[dict]:
    people = {}
    for participant in handover.participants.select_related("user").order_by("role"):
        people.setdefault(participant.get_role_display(), []).append(
            _person(participant.user)
        )
    return [{"role": role, "people": names} for role, names in people.items()]
