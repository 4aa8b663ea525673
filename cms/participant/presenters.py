"""What the participant pages show: a handover, its sections and one page of
its items, shaped for the templates. Reads only; what the page offers to do is
what the services' checks allow (``handover_approve_check``…)."""

import hashlib
from dataclasses import dataclass

from cms import selectors
from cms.hooks import item_notes
from cms.models import Employee, Handover, ParticipantRole, Signature
from cms.permissions import roles_of
from cms.services.approval import handover_approve_check, handover_reopen_check
from cms.services.confirming import INTENT
from cms.services.participants import (
    participant_add_check,
    participant_remove_check,
)
from cms.services.review import (
    APPROVAL_INTENT,
    DECLARATION_INTENT,
    SECTION_APPROVAL_INTENT,
    handover_blockers,
    handover_declare_check,
    item_is_visible,
)
from cms.services.visibility import hidden_reason

from .cards import Failure, item_card, signature_rows, versions_by_item
from .content import person_name
from .filters import Filters
from .forms import ItemFilterForm
from .listing import Overview, SectionCount, handover_overview, page_item_ids
from .live import handover_etag

__all__ = ["Failure", "handover_page"]


@dataclass
class Section:
    """A section as the page shows it: its counts over the whole handover, and
    the cards of its items on this page."""

    counts: SectionCount
    cards: list
    approvals: list
    stamp: str
    failure: Failure | None = None

    @property
    def block_id(self):
        return self.counts.block_id

    @property
    def title(self):
        return self.counts.title

    @property
    def visible_count(self):
        return self.counts.total


def _progress(raw: dict, overview: Overview) -> dict:
    """The handover's figures (``selectors.handovers_progress``) and the
    viewer's own share of the filling."""
    total = raw.get("total", 0)
    accepted = raw.get("accepted", raw.get("done", 0))
    submitted = raw.get("submitted", 0)

    def percent(count):
        return round(100 * count / total) if total else 100

    return {
        **raw,
        "total": total,
        "done": raw.get("done", accepted),
        "accepted": accepted,
        "submitted": submitted,
        "filled": raw.get("filled", submitted + accepted),
        "percent": raw.get("percent", percent(accepted)),
        "submitted_percent": raw.get(
            "submitted_percent", percent(submitted + accepted)
        ),
        "mine": overview.my_items,
        "mine_submitted": overview.my_submitted,
        "mine_percent": round(100 * overview.my_submitted / overview.my_items)
        if overview.my_items
        else 100,
    }


def _page_sections(cards, overview, handover, approvals_by_section) -> list:
    sections = []
    by_id = {}
    for card in cards:
        key = card.item.section_block_id
        if key not in by_id:
            counts = next(
                (s for s in overview.sections if s.block_id == key),
                SectionCount(block_id=key, title=card.item.section_title, order=()),
            )
            approvals = signature_rows(approvals_by_section.get(key, []))
            by_id[key] = Section(
                counts=counts,
                cards=[],
                approvals=approvals,
                stamp=f"{handover.state}.{len(approvals)}.{counts.total}."
                f"{counts.waiting}.{counts.done}.{counts.hidden}",
            )
            sections.append(by_id[key])
        by_id[key].cards.append(card)
    return sections


def _navigation(overview: Overview, filters: Filters, pager) -> dict:
    """Links of the sections list and the pager. While the whole handover is
    on one page a section is an anchor; past that, a filter."""
    one_page = not filters.active and not pager.has_other_pages
    sections = [
        {
            "counts": counts,
            "href": f"#section-{counts.slug}"
            if one_page
            else Filters(section=counts.slug).query() + "#items",
            "waiting_href": Filters(section=counts.slug, mine=True).query() + "#items",
            "current": filters.section == counts.slug,
        }
        for counts in overview.sections
    ]
    # The next item waiting for me: an anchor on this view when it is listed
    # here, else the first of "waiting for me" (the list is in item order).
    next_id = overview.next_waiting_id
    next_href = ""
    if next_id:
        here = one_page or filters == Filters(mine=True)
        anchor = f"#item-{next_id}"
        next_href = anchor if here else Filters(mine=True).query() + anchor
    return {
        "sections": sections,
        "next_waiting_href": next_href,
        "done": sum(counts.done for counts in overview.sections),
        "total": sum(counts.total for counts in overview.sections),
        "waiting_href": Filters(mine=True).query() + "#items",
        "previous": filters.query(page=pager.number - 1) + "#items",
        "next": filters.query(page=pager.number + 1) + "#items",
        "first": filters.query(page="") + "#items",
        "last": filters.query(page=pager.num_pages) + "#items",
    }


def _digest(*parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def handover_page(
    *,
    user,
    handover: Handover,
    failure: Failure | None = None,
    filters: Filters | None = None,
) -> dict:
    """The template context of the detail page: counts for the whole handover,
    cards for one page of items (a fixed number of queries at any size)."""
    filters = filters or Filters()
    roles = roles_of(user, handover)
    overview = handover_overview(handover=handover, user=user, roles=roles)
    ids, pager = page_item_ids(
        handover=handover, user=user, roles=roles, filters=filters, overview=overview
    )
    if failure is not None and failure.item_id and failure.item_id not in ids:
        # A refused item stays in sight with its message, even outside the filter.
        ids.append(failure.item_id)
    items = (
        list(selectors.handover_items(handover=handover).filter(pk__in=ids))
        if ids
        else []
    )
    versions, users = versions_by_item(ids)
    participants = list(handover.participants.select_related("user").order_by("pk"))
    team = "-".join(str(participant.pk) for participant in participants)
    handover_signatures = list(
        handover.signatures.filter(item__isnull=True).select_related("signer")
    )
    section_approvals = {}
    for signature in handover_signatures:
        if signature.section_block_id:
            section_approvals.setdefault(signature.section_block_id, []).append(
                signature
            )
    cards = [
        item_card(
            item,
            handover=handover,
            user=user,
            visible=item_is_visible(item, overview.answers),
            versions=versions,
            users=users,
            failure=failure,
            roles=roles,
            team=team,
        )
        for item in items
    ]
    for card in cards:
        if not card.visible:
            card.hidden_reason = hidden_reason(card.item.condition, overview.labels)
    by_item = {card.item.pk: card for card in cards}
    for notes_by_item in item_notes(items=items, user=user):
        for item_id, notes in notes_by_item.items():
            card = by_item[item_id]
            card.extra_notes += notes
            digest = hashlib.sha256("\n".join(notes).encode()).hexdigest()[:8]
            card.stamp += f".{digest}"
    sections = _page_sections(cards, overview, handover, section_approvals)

    declarations = [s for s in handover_signatures if s.decision == "declare"]
    approvals = [
        s
        for s in handover_signatures
        if s.decision == Signature.Decision.APPROVE and not s.section_block_id
    ]

    def may(check, **details) -> bool:
        return check(actor=user, handover=handover, roles=roles, **details) is None

    allowed = {
        "declare": may(handover_declare_check, declared=bool(declarations)),
        "approve_sections": may(handover_approve_check, section=True),
        "approve": may(handover_approve_check),
        "reopen": may(handover_reopen_check),
        "participant_add": may(participant_add_check),
        "accept_resolved": overview.resolved_to_confirm > 1,
    }
    panel = _participant_panel(
        participants,
        overview.open_by_assignee,
        removable=may(participant_remove_check),
    )
    for person in panel["successors"]:
        allowed[person.remove_form] = person.removable
    page_failure = None
    if failure is not None and not failure.item_id:
        on_page = {section.block_id: section for section in sections}
        section = on_page.get(failure.section) if failure.section else None
        if section is not None and allowed["approve_sections"]:
            section.failure = failure
        else:
            page_failure = failure
    query = filters.query(page=pager.number)
    return {
        "handover": handover,
        "roles": sorted(ParticipantRole(role).label for role in roles),
        "participants": panel["groups"],
        "successors": panel["successors"],
        "can_add_successor": allowed["participant_add"],
        "successor_candidates": _successor_candidates(handover, panel["successors"])
        if allowed["participant_add"]
        else [],
        "progress": _progress(
            selectors.handovers_progress(handover_ids=[handover.pk])[handover.pk],
            overview,
        ),
        "blockers": handover_blockers(handover, overview.light_items)
        if handover.is_open
        else [],
        "sections": sections,
        "overview": overview,
        "filters": filters,
        "state_choices": ItemFilterForm.base_fields["state"].choices,
        "pager": pager,
        "navigation": _navigation(overview, filters, pager),
        # Every form on the page posts with it, and comes back to this view.
        "query": query,
        "list_stamp": _digest(query, [card.item.pk for card in cards]),
        "nav_stamp": _digest(
            [
                (s.block_id, s.total, s.waiting, s.done, s.hidden)
                for s in overview.sections
            ],
            overview.waiting,
            overview.next_waiting_id,
            pager.count,
        ),
        "can_accept_resolved": allowed["accept_resolved"],
        "accept_intent": INTENT[Signature.Decision.ACCEPT],
        "declarations": signature_rows(declarations),
        "approvals": signature_rows(approvals),
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


def _participant_panel(participants, open_items, *, removable: bool) -> dict:
    """The participants by role (in the order of the roles), and the successors
    with how many unfinished items each holds (``open_items`` by user id)."""
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
