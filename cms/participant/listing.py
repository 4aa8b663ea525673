"""The item list of a handover page at any size: the counts per section come
from one GROUP BY over the handover's items (never from loading them), the
filters live in the URL, and only one page of items is loaded and rendered."""

from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KeyTransform

from cms.models import Comment, Handover, Item, ParticipantRole, Signature
from cms.selectors import field_answer_annotations
from cms.services.items import FILLABLE_STATES
from cms.services.review import item_is_visible

from .filters import NO_SECTION, ONE_PAGE_UP_TO, PAGE_SIZE, Filters, Pager
from .forms import ItemFilterForm

__all__ = [
    "Overview",
    "SectionCount",
    "handover_overview",
    "page_item_ids",
    "resolved_items_to_confirm",
]

ACCEPT_DECISIONS = Signature.ACCEPT_DECISIONS
# A condition that matches no row (Django compiles it away).
NOTHING = Q(pk__in=[])


# What the page knows of every item, from one GROUP BY ------------------------------


class LightItem:
    """What the rules about a handover's items read of an item (condition,
    roles, state, assignee), without its content. One object stands for a
    group of identical items: a list holds it once per item."""

    __slots__ = (
        "assignee_id",
        "confirmed_by_role",
        "data",
        "definition",
        "filled_by_role",
        "handover_id",
        "kind",
        "required",
        "state",
    )
    DONE_STATES = Item.DONE_STATES
    pk = None
    condition = Item.condition
    field_key = Item.field_key
    is_done = Item.is_done

    def __init__(self, row, handover_id):
        self.handover_id = handover_id
        self.kind = row.kind
        self.state = row.state
        self.required = row.required
        self.filled_by_role = row.filled_by_role
        self.confirmed_by_role = row.confirmed_by_role
        self.assignee_id = row.assignee_id
        self.definition = {"condition": row.condition or {}}
        self.data = {}
        if row.answer_key is not None:
            self.definition["key"] = row.answer_key
            self.data["value"] = row.answer


@dataclass
class SectionCount:
    block_id: str
    title: str
    order: tuple
    total: int = 0
    waiting: int = 0
    done: int = 0
    hidden: int = 0

    @property
    def slug(self) -> str:
        return self.block_id or NO_SECTION


@dataclass
class Overview:
    sections: list
    waiting: int
    # Visible items the viewer fills, and how many of those are past "to fill".
    my_items: int
    my_submitted: int
    # Items resolved in a connected system, unsigned, that the viewer may accept.
    resolved_to_confirm: int
    open_by_assignee: dict
    hidden_conditions: list
    # The form fields' answers and labels by key: what visibility reads, and
    # how a hidden item says why.
    answers: dict
    labels: dict
    light_items: list = field(repr=False)
    # The first item (by position) that waits for the viewer: "next for me".
    next_waiting_id: int | None = None

    @property
    def hidden_q(self) -> Q:
        """Items whose condition is not met now."""
        hidden = NOTHING
        for condition in self.hidden_conditions:
            hidden |= Q(definition__condition=condition)
        return hidden


_GROUP_FIELDS = (
    "section_block_id",
    "section_title",
    "kind",
    "state",
    "condition_value",
    "answer_key",
    "answer",
    "answer_label",
    "required",
    "filled_by_role",
    "confirmed_by_role",
    "assignee_id",
    "unsigned_resolved",
    "waiting",
    "confirm_resolved",
)


@dataclass
class _Group:
    section_block_id: str
    section_title: str
    kind: str
    state: str
    condition: dict | None
    answer_key: str | None
    answer: object
    answer_label: str | None
    required: bool
    filled_by_role: str
    confirmed_by_role: str
    assignee_id: int | None
    unsigned_resolved: bool
    waiting: bool
    confirm_resolved: bool
    number: int
    first_position: int
    first_id: int


def annotated_items(handover: Handover, user) -> QuerySet[Item]:
    """The handover's items with what the filters and counts read: each
    item's condition, form-field answer, whether it was resolved upstream
    without a signature, and whether a question on it waits for the viewer."""
    is_field = Q(kind="field")
    accepted = Signature.objects.filter(
        item=OuterRef("pk"), decision__in=ACCEPT_DECISIONS
    )
    # Nested, so the signature lookup runs only for resolved items.
    unsigned = Case(
        When(~Exists(accepted), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    open_question = Comment.objects.filter(
        item=OuterRef("pk"), is_question=True, resolved_at__isnull=True
    ).exclude(author=user)
    return Item.objects.filter(handover=handover).annotate(
        condition_value=KeyTransform("condition", "definition"),
        **field_answer_annotations(),
        answer_label=Case(When(is_field, then=F("label"))),
        unsigned_resolved=Case(
            When(
                Q(provenance__has_key="resolved_upstream")
                & Q(state=Item.State.NOT_APPLICABLE),
                then=unsigned,
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
        question_for_me=Exists(open_question),
    )


def confirmable_q(user, roles) -> Q:
    """Items the viewer may confirm (``cms.permissions.can_confirm`` in SQL)."""
    confirmable = Q(
        confirmed_by_role__in=[role for role in roles if role != "successor"]
    )
    if ParticipantRole.SUCCESSOR in roles:
        confirmable |= Q(confirmed_by_role=ParticipantRole.SUCCESSOR) & (
            Q(assignee__isnull=True) | Q(assignee=user)
        )
    return confirmable


def resolved_to_confirm_q(handover, user, roles) -> Q:
    if handover.state != Handover.State.IN_PROGRESS:
        return NOTHING
    return confirmable_q(user, roles) & Q(unsigned_resolved=True)


def waiting_q(handover: Handover, user, roles) -> Q:
    """Items the viewer can act on now: fill, confirm (or accept what was
    resolved upstream), or answer a question someone else asked. The rules of
    ``item_update_check`` and ``item_accept_check`` in SQL, to count every
    item of a handover in one query; a card asks the checks themselves."""
    waiting = NOTHING
    if handover.state == Handover.State.IN_PROGRESS:
        waiting |= Q(filled_by_role__in=roles, state__in=FILLABLE_STATES)
        waiting |= confirmable_q(user, roles) & Q(state=Item.State.SUBMITTED)
        waiting |= resolved_to_confirm_q(handover, user, roles)
    if handover.state in (Handover.State.IN_PROGRESS, Handover.State.IN_REVIEW):
        waiting |= Q(question_for_me=True, filled_by_role__in=roles)
    return waiting


def _flag(condition: Q):
    return Case(
        When(condition, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def handover_overview(*, handover: Handover, user, roles) -> Overview:
    """Counts per section (visible, waiting for the viewer, done, hidden) and
    what the rules need to know of every item, in one query whatever the
    handover's size. Visibility is decided here, once per group: the answers
    of the (few) form fields come in the same rows."""
    rows = (
        annotated_items(handover, user)
        .annotate(
            waiting=_flag(waiting_q(handover, user, roles)),
            confirm_resolved=_flag(resolved_to_confirm_q(handover, user, roles)),
        )
        .order_by()
        .values_list(*_GROUP_FIELDS)
        .annotate(
            number=Count("id"), first_position=Min("position"), first_id=Min("id")
        )
    )
    groups = [_Group(*row) for row in rows]
    answers = {g.answer_key: g.answer for g in groups if g.answer_key is not None}
    labels = {g.answer_key: g.answer_label for g in groups if g.answer_key is not None}
    sections = {}
    light_items = []
    open_by_assignee = {}
    hidden_conditions = []
    waiting = my_items = my_submitted = resolved_to_confirm = 0
    first_waiting = None
    for group in groups:
        light = LightItem(group, handover.pk)
        visible = item_is_visible(light, answers)
        section = sections.get(group.section_block_id)
        order = (group.first_position, group.first_id)
        if section is None:
            section = sections[group.section_block_id] = SectionCount(
                block_id=group.section_block_id,
                title=group.section_title,
                order=order,
            )
        section.order = min(section.order, order)
        # Every item, hidden ones too: the rules decide visibility themselves.
        light_items += [light] * group.number
        if not visible:
            section.hidden += group.number
            if group.condition not in hidden_conditions:
                hidden_conditions.append(group.condition)
            continue
        section.total += group.number
        if group.state in Item.DONE_STATES:
            section.done += group.number
        elif group.assignee_id:
            open_by_assignee[group.assignee_id] = (
                open_by_assignee.get(group.assignee_id, 0) + group.number
            )
        if group.waiting:
            section.waiting += group.number
            waiting += group.number
            first_waiting = min(first_waiting or order, order)
        if group.confirm_resolved:
            resolved_to_confirm += group.number
        if group.filled_by_role in roles:
            my_items += group.number
            if group.state not in FILLABLE_STATES:
                my_submitted += group.number
    return Overview(
        sections=sorted(sections.values(), key=lambda section: section.order),
        waiting=waiting,
        my_items=my_items,
        my_submitted=my_submitted,
        resolved_to_confirm=resolved_to_confirm,
        open_by_assignee=open_by_assignee,
        hidden_conditions=hidden_conditions,
        answers=answers,
        labels=labels,
        light_items=light_items,
        next_waiting_id=first_waiting[1] if first_waiting else None,
    )


# One page of items ----------------------------------------------------------------


def listed_items(
    *, handover: Handover, user, roles, filters: Filters, overview: Overview
) -> QuerySet[Item]:
    """The handover's items matching ``filters``, in page order."""
    items = annotated_items(handover, user)
    if filters.section:
        section = "" if filters.section == NO_SECTION else filters.section
        items = items.filter(section_block_id=section)
    hidden = overview.hidden_q
    if filters.state == ItemFilterForm.HIDDEN:
        items = items.filter(hidden)
    elif filters.state:
        items = items.filter(state=filters.state)
    if filters.mine:
        items = items.filter(waiting_q(handover, user, roles))
    if filters.only_visible and overview.hidden_conditions:
        items = items.exclude(hidden)
    if filters.q:
        # A connector's records are labelled with their title upstream.
        items = items.filter(
            Q(label__icontains=filters.q) | Q(data__external_id__icontains=filters.q)
        )
    return items.order_by("position", "pk")


def page_item_ids(
    *, handover: Handover, user, roles, filters: Filters, overview: Overview
) -> tuple[list[int], Pager]:
    """The ids of the items on the page asked for (the last page when past
    it), and the pager: two queries, whatever the handover's size."""
    items = listed_items(
        handover=handover, user=user, roles=roles, filters=filters, overview=overview
    )
    count = items.count()
    size = count if 0 < count <= ONE_PAGE_UP_TO else PAGE_SIZE
    pager = Pager(count=count, number=1, size=size)
    pager.number = min(max(filters.page, 1), pager.num_pages)
    if not count:
        return [], pager
    ids = list(items.values_list("pk", flat=True)[pager.start : pager.end])
    return ids, pager


def resolved_items_to_confirm(*, handover: Handover, user, roles) -> list[tuple]:
    """``(id, version)`` of the visible items resolved upstream, unsigned, that
    the viewer may accept: what "confirm all resolved" signs for."""
    overview = handover_overview(handover=handover, user=user, roles=roles)
    items = annotated_items(handover, user).filter(
        resolved_to_confirm_q(handover, user, roles)
    )
    if overview.hidden_conditions:
        items = items.exclude(overview.hidden_q)
    return list(items.order_by("position", "pk").values_list("pk", "version"))
