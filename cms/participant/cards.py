"""One item on the handover page, shaped for ``includes/item.html``: what it
holds, who may do what with it now (the services' checks say), its threads,
signatures and history."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext

from checklist_blocks.blocks.common import describe_condition
from checklist_blocks.registry import UnknownKind, get_kind
from cms import selectors
from cms.models import (
    Comment,
    Item,
    ItemVersion,
    ParticipantRole,
    Signature,
)
from cms.services.assigning import item_assign_check
from cms.services.confirming import (
    INTENT,
    RESOLVED_INTENT,
    item_accept_check,
    resolved_upstream_unsigned,
)
from cms.services.discussion import comment_add_check, comment_resolve_check
from cms.services.items import item_update_check

from .content import item_entries, item_history, person_name, split_empty, upstream_rows
from .item_forms import item_controls
from .listing import ACCEPT_DECISIONS

__all__ = ["Failure", "ItemCard", "item_card", "signature_rows", "versions_by_item"]


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
    # The signature that accepted the item: names who took it over, whoever
    # the successor is now.
    acceptance: Any = None

    @property
    def resolved_upstream(self):
        return bool((self.item.provenance or {}).get("resolved_upstream"))

    @property
    def resolved_unsigned(self):
        """Resolved in the connected system and nobody signed for it yet."""
        return self.resolved_upstream and self.acceptance is None

    @property
    def resolved_text(self):
        if not self.resolved_unsigned:
            return ""
        resolved = self.item.provenance["resolved_upstream"]
        at = parse_datetime(resolved.get("at") or "")
        day = timezone.localdate(at) if at else None
        return gettext("Resolved in %(connector)s on %(date)s — not signed") % {
            "connector": resolved.get("connector_name")
            or self.item.definition.get("connector")
            or gettext("the connected system"),
            "date": date_format(day) if isinstance(day, datetime.date) else "—",
        }

    # Why a hidden item is hidden, in words (set by the page, which knows the
    # form fields' labels).
    hidden_reason: str = ""

    @property
    def hidden_text(self):
        if self.hidden_reason:
            return self.hidden_reason
        return gettext("Hidden: %(condition)s") % {"condition": self.condition_text}

    @property
    def accepted_by(self):
        return person_name(self.acceptance.signer) if self.acceptance else ""

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
    def successor_name(self):
        """Who takes the item over: the successor who signed for it once it is
        accepted, else the one it is assigned to."""
        if self.acceptance and self.acceptance.role == ParticipantRole.SUCCESSOR:
            return self.accepted_by
        return self.assignee_name

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


def signature_rows(signatures) -> list[dict]:
    return [
        {
            "signature": signature,
            "signer": person_name(signature.signer),
            "stale": selectors.signature_is_stale(signature),
        }
        for signature in signatures
    ]


def _threads(item: Item, user) -> tuple[list, list]:
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
            and comment_resolve_check(actor=user, comment=comment, item=item) is None,
        )
        for comment in comments
        if comment.is_question
    ]
    notes = [c for c in comments if not c.is_question and not c.question_id]
    return threads, notes


def _acceptance(item: Item):
    accepted = [s for s in item.signature_list if s.decision in ACCEPT_DECISIONS]
    return accepted[-1] if accepted and item.is_done else None


def item_card(
    item,
    *,
    handover,
    user,
    visible,
    versions,
    users,
    failure,
    roles,
    team,
) -> ItemCard:
    """``roles``: the viewer's on the handover. What the card offers is what
    the services' checks allow now (a hidden item: nothing to fill or
    confirm, it needs no handing over)."""
    item.handover = handover  # shares the permission cache and saves a query
    comments = list(item.comment_list)
    resolved = sum(1 for comment in comments if comment.resolved_at)
    for signature in item.signature_list:
        signature.item = item
    acceptance = _acceptance(item)
    fill_now = item_update_check(actor=user, item=item, visible=visible) is None
    resolved_unsigned = resolved_upstream_unsigned(item)
    confirm_now = item_accept_check(actor=user, item=item, visible=visible) is None
    # Successors are given the items they confirm, until those are done.
    assignable = (
        visible
        and item.confirmed_by_role == ParticipantRole.SUCCESSOR
        and not item.is_done
    )
    threads, notes = _threads(item, user)
    entries, empty_labels = split_empty(item_entries(item))
    upstream = upstream_rows(item)
    card = ItemCard(
        item=item,
        visible=visible,
        # The assignee and the team are in it: removing a successor unassigns
        # items without a new version, and changes who may confirm or be chosen.
        stamp=f"{item.version}.{len(comments)}.{resolved}.{int(visible)}."
        f"{handover.state}.{item.assignee_id or 0}.{team}.{len(upstream)}."
        f"{len(item.signature_list)}",
        entries=entries,
        empty_labels=empty_labels,
        condition_text=describe_condition(item.condition),
        can_fill=fill_now,
        can_confirm=confirm_now,
        can_discuss=visible and comment_add_check(actor=user, item=item) is None,
        threads=threads,
        notes=notes,
        attachments=list(item.attachment_list),
        signatures=signature_rows(item.signature_list),
        history=item_history(item, versions.get(item.pk, []), users),
        form_version=item.version,
        intents={decision: str(text) for decision, text in INTENT.items()},
        can_assign=assignable
        and item_assign_check(actor=user, item=item, roles=roles) is None,
        assign_value=str(item.assignee_id or ""),
        upstream=upstream,
        acceptance=acceptance,
    )
    if resolved_unsigned:
        # Signing for a resolved item confirms the resolution, not a receipt.
        card.intents[Signature.Decision.ACCEPT] = str(RESOLVED_INTENT)
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
    if not card.visible:
        return False
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


def versions_by_item(item_ids) -> tuple[dict, dict]:
    """The history of the items on the page, and the names of the successors
    it mentions."""
    versions = {}
    assignees = set()
    for version in (
        ItemVersion.objects.filter(item_id__in=item_ids)
        .select_related("actor")
        .order_by("item_id", "-number")
    ):
        versions.setdefault(version.item_id, []).append(version)
        if "assignee" in (version.changes or {}):
            assignees.update(v for v in version.changes["assignee"] if v)
    users = {}
    if assignees:
        users = {
            user.pk: person_name(user)
            for user in get_user_model().objects.filter(pk__in=assignees)
        }
    return versions, users
