"""Workload: what waits on each successor, manager and IT person right now."""

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.models import Handover, Item, Participant, ParticipantRole
from connectors.models import AccessAction

from .grouping import scoped
from .model import Chart, Column, Report, Series

__all__ = ["CHART_ROWS", "DESCRIPTION", "OPEN_ITEM_STATES", "TITLE", "compute"]

TITLE = _("Workload")
DESCRIPTION = _(
    "Now (the period does not apply): per person, the items of open handovers "
    "waiting on them — successors the items assigned to them, managers the "
    "submitted items they confirm, IT the items they fill or confirm — how many "
    "are past their due date and the oldest due date; and the approvals "
    "(managers) and by-hand access changes (IT) waiting on them. The chart "
    "shows the 15 busiest."
)
CHART_ROWS = 15
# Not accepted and not "not applicable", named positively so the partial index
# of open items (cms migration 0007) serves every query here.
OPEN_ITEM_STATES = (Item.State.PENDING, Item.State.RETURNED, Item.State.SUBMITTED)


def _names(user_ids) -> dict:
    """Each person's name, read once for everybody: grouping the figures by
    the name would join the people into every item row and sort them all."""
    return dict(
        get_user_model()
        .objects.filter(pk__in=user_ids)
        .values_list("pk", Coalesce("employee__name", "username"))
    )


def _item_figures(today):
    # Counting rows, or a column of the open-items index (a filtered count
    # needs one), not the id, lets the database answer from that index alone.
    return {
        "open_items": Count("*"),
        "overdue_items": Count("state", filter=Q(due_date__lt=today)),
        "oldest_due": Min("due_date"),
    }


def compute(scope, filters) -> Report:
    today = timezone.localdate()
    open_handovers = {"handover__state__in": Handover.OPEN_STATES}
    people: dict = {}
    # Translated once, not for each of thousands of people.
    role_labels = {role: str(role.label) for role in ParticipantRole}

    def person(user_id, role) -> dict:
        found = people.get((user_id, role))
        if found is None:
            found = people[(user_id, role)] = {
                "person": None,
                "role": role_labels[role],
                "open_items": 0,
                "overdue_items": 0,
                "oldest_due": None,
                "tasks": 0,
            }
        return found

    items = scoped(scope, filters, Item.objects.all(), "handover__").filter(
        state__in=OPEN_ITEM_STATES, **open_handovers
    )
    assigned = (
        items.filter(assignee__isnull=False)
        .values("assignee_id")
        .annotate(**_item_figures(today))
        .order_by()
    )
    for row in assigned:
        person(row["assignee_id"], ParticipantRole.SUCCESSOR).update(
            open_items=row["open_items"],
            overdue_items=row["overdue_items"],
            oldest_due=row["oldest_due"],
        )

    # One join to the participants: each (item, participant) pair is kept when
    # the participant's role is the one the item waits on.
    by_participant = (
        items.filter(
            Q(
                handover__participants__role=ParticipantRole.MANAGER,
                confirmed_by_role=ParticipantRole.MANAGER,
                state=Item.State.SUBMITTED,
            )
            | (
                Q(handover__participants__role=ParticipantRole.IT)
                & (
                    Q(filled_by_role=ParticipantRole.IT)
                    | Q(confirmed_by_role=ParticipantRole.IT)
                )
            )
        )
        .values(
            user_id=F("handover__participants__user_id"),
            role=F("handover__participants__role"),
        )
        .annotate(**_item_figures(today))
        .order_by()
    )
    for row in by_participant:
        person(row["user_id"], row["role"]).update(
            open_items=row["open_items"],
            overdue_items=row["overdue_items"],
            oldest_due=row["oldest_due"],
        )

    approvals = (
        scoped(scope, filters, Participant.objects.all(), "handover__")
        .filter(role=ParticipantRole.MANAGER, handover__state=Handover.State.IN_REVIEW)
        .values("user_id")
        .annotate(tasks=Count("*"))
        .order_by()
    )
    for row in approvals:
        person(row["user_id"], ParticipantRole.MANAGER)["tasks"] += row["tasks"]

    manual_changes = (
        scoped(scope, filters, AccessAction.objects.all(), "handover__")
        .filter(
            operation=AccessAction.Operation.MANUAL,
            state=AccessAction.State.PLANNED,
            handover__participants__role=ParticipantRole.IT,
            **open_handovers,
        )
        .values(user_id=F("handover__participants__user_id"))
        .annotate(tasks=Count("*"))
        .order_by()
    )
    for row in manual_changes:
        person(row["user_id"], ParticipantRole.IT)["tasks"] += row["tasks"]

    names = _names({user_id for user_id, _role in people})
    for (user_id, _role), row in people.items():
        row["person"] = names[user_id]

    # Two people of the same name and figures keep one order: by their id.
    ordered = sorted(
        people.items(),
        key=lambda entry: (
            -(entry[1]["open_items"] + entry[1]["tasks"]),
            -entry[1]["overdue_items"],
            str(entry[1]["person"]).casefold(),
            str(entry[1]["role"]),
            entry[0][0],
        ),
    )
    rows = [row for _key, row in ordered]
    top = rows[:CHART_ROWS]
    return Report(
        key="workload",
        title=TITLE,
        description=DESCRIPTION,
        filters=filters,
        summary=[
            (_("People with work waiting"), len(rows), ""),
            (_("Open items"), sum(row["open_items"] for row in rows), ""),
            (_("Overdue items"), sum(row["overdue_items"] for row in rows), ""),
            (
                _("Approvals and by-hand access changes"),
                sum(row["tasks"] for row in rows),
                "",
            ),
        ],
        chart=Chart(
            kind="hbar",
            labels=[f"{row['person']} ({row['role']})" for row in top],
            series=[
                Series(label=_("Open items"), data=[row["open_items"] for row in top]),
                Series(
                    label=_("Overdue items"), data=[row["overdue_items"] for row in top]
                ),
                Series(
                    label=_("Approvals and by-hand access changes"),
                    data=[row["tasks"] for row in top],
                ),
            ],
        ),
        columns=[
            Column("person", _("Person")),
            Column("role", _("Role")),
            Column("open_items", _("Open items"), "int"),
            Column("overdue_items", _("Overdue items"), "int"),
            Column("oldest_due", _("Oldest due date"), "date"),
            Column("tasks", _("Approvals and by-hand access changes"), "int"),
        ],
        rows=rows,
    )
