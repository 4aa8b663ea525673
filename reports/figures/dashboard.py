"""The numbers on the admin home (and the managers' site page): one panel per
role, every number a link to the filtered list behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cms.models import Handover, Item, Participant, ParticipantRole
from connectors.models import AccessAction, ResidualAccess

from .conditions import (
    BLOCKER_KINDS,
    LATE_BUCKET_LABELS,
    LATE_BUCKETS,
    blocker_condition,
    due_between,
    late_condition,
    not_started_condition,
    open_condition,
    stuck_condition,
    stuck_days,
)
from .scope import Scope, scope_for

__all__ = ["Figure", "FigureGroup", "Panel", "dashboard_for", "link"]

OPEN_STATE_FIGURES = (
    Handover.State.DRAFT,
    Handover.State.IN_PROGRESS,
    Handover.State.IN_REVIEW,
)
_OPEN_STATES_QUERY = {"state": [state.value for state in OPEN_STATE_FIGURES]}
# Late buckets past a week are critical.
_LATE_TONES = {
    "1-3": "warning",
    "4-7": "warning",
    "8-30": "critical",
    "31-": "critical",
}
_BLOCKER_TONES = dict.fromkeys(BLOCKER_KINDS, "warning") | {
    "access_failed": "critical",
    "no_successor": "critical",
}


def _as_text(instance, name):
    # Labels are text in the language of the request that built them, so
    # panels serialise as they are (API, json_script).
    object.__setattr__(instance, name, str(getattr(instance, name)))


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: int
    url: str | None
    tone: str = "default"  # "default" | "warning" | "critical"

    def __post_init__(self):
        _as_text(self, "label")


@dataclass(frozen=True)
class FigureGroup:
    title: str
    figures: list[Figure]

    def __post_init__(self):
        _as_text(self, "title")


@dataclass(frozen=True)
class Panel:
    key: str  # "hr" | "it" | "manager"
    title: str
    groups: list[FigureGroup]

    def __post_init__(self):
        _as_text(self, "title")


def link(url_name: str, *, args=None, query: dict | None = None) -> str | None:
    """The URL with its query string; None (no link) when the page does not
    exist in this installation."""
    try:
        url = reverse(url_name, args=args)
    except NoReverseMatch:
        return None
    if query:
        url = f"{url}?{urlencode(query, doseq=True)}"
    return url


def _handovers_link(query: dict) -> str | None:
    return link("handovers:index", query=query)


def _tone(value: int, tone: str) -> str:
    return tone if value else "default"


def _week_bounds(today: date) -> tuple[date, date, date]:
    """This week's Sunday, next week's Monday and Sunday."""
    sunday = today + timedelta(days=6 - today.weekday())
    return sunday, sunday + timedelta(days=1), sunday + timedelta(days=7)


def _hr_panel(scope: Scope, today: date) -> Panel:
    sunday, next_monday, next_sunday = _week_bounds(today)
    counts = {
        **{
            f"state_{state}": Count("pk", filter=Q(state=state))
            for state in OPEN_STATE_FIGURES
        },
        **{
            f"late_{index}": Count("pk", filter=late_condition(bucket, today))
            for index, bucket in enumerate(LATE_BUCKETS)
        },
        "due_this_week": Count("pk", filter=due_between(today, sunday)),
        "stuck": Count("pk", filter=stuck_condition(today)),
        **{
            f"blocker_{kind}": Count("pk", filter=blocker_condition(kind))
            for kind in BLOCKER_KINDS
        },
        "next_week": Count("pk", filter=due_between(next_monday, next_sunday)),
        "not_started": Count("pk", filter=not_started_condition()),
    }
    values = scope.handovers().aggregate(**counts)
    days = stuck_days()
    return Panel(
        key="hr",
        title=_("Handovers"),
        groups=[
            FigureGroup(
                title=_("Open handovers"),
                figures=[
                    Figure(
                        key=f"state_{state}",
                        label=state.label,
                        value=values[f"state_{state}"],
                        url=_handovers_link({"state": state.value}),
                    )
                    for state in OPEN_STATE_FIGURES
                ],
            ),
            FigureGroup(
                title=_("Overdue and due this week"),
                figures=[
                    *(
                        Figure(
                            key=f"late_{bucket}",
                            label=LATE_BUCKET_LABELS[bucket],
                            value=values[f"late_{index}"],
                            url=_handovers_link({"late": bucket}),
                            tone=_tone(values[f"late_{index}"], _LATE_TONES[bucket]),
                        )
                        for index, bucket in enumerate(LATE_BUCKETS)
                    ),
                    Figure(
                        key="due_this_week",
                        label=_("Due this week"),
                        value=values["due_this_week"],
                        url=_handovers_link(
                            {
                                **_OPEN_STATES_QUERY,
                                "lwd_from": today.isoformat(),
                                "lwd_to": sunday.isoformat(),
                            }
                        ),
                    ),
                ],
            ),
            FigureGroup(
                title=_("Stuck"),
                figures=[
                    Figure(
                        key="stuck",
                        label=ngettext(
                            "No activity for %(days)d day",
                            "No activity for %(days)d days",
                            days,
                        )
                        % {"days": days},
                        value=values["stuck"],
                        url=_handovers_link({"stuck": "yes"}),
                        tone=_tone(values["stuck"], "warning"),
                    )
                ],
            ),
            FigureGroup(
                title=_("Blockers"),
                figures=[
                    Figure(
                        key=f"blocker_{kind}",
                        label=label,
                        value=values[f"blocker_{kind}"],
                        url=_handovers_link({"blocker": kind}),
                        tone=_tone(values[f"blocker_{kind}"], _BLOCKER_TONES[kind]),
                    )
                    for kind, label in BLOCKER_KINDS.items()
                ],
            ),
            FigureGroup(
                title=_("Coming up"),
                figures=[
                    Figure(
                        key="next_week",
                        label=_("Last working day next week"),
                        value=values["next_week"],
                        url=_handovers_link(
                            {
                                **_OPEN_STATES_QUERY,
                                "lwd_from": next_monday.isoformat(),
                                "lwd_to": next_sunday.isoformat(),
                            }
                        ),
                    ),
                    Figure(
                        key="not_started",
                        label=_("Drafts not started yet"),
                        value=values["not_started"],
                        url=_handovers_link({"not_started": "yes"}),
                    ),
                ],
            ),
        ],
    )


def _it_panel(today: date) -> Panel:
    tomorrow = timezone.make_aware(
        datetime.combine(today + timedelta(days=1), time.min)
    )
    planned = Q(state=AccessAction.State.PLANNED)
    values = AccessAction.objects.aggregate(
        due_today=Count("pk", filter=planned & Q(scheduled_for__lt=tomorrow)),
        failed=Count("pk", filter=Q(state=AccessAction.State.FAILED)),
        manual=Count("pk", filter=planned & Q(operation=AccessAction.Operation.MANUAL)),
    )
    residual = ResidualAccess.objects.filter(
        active=True, resolved_at__isnull=True
    ).count()
    return Panel(
        key="it",
        title=_("Access and IT"),
        groups=[
            FigureGroup(
                title=_("Access changes"),
                figures=[
                    Figure(
                        key="access_due_today",
                        label=_("Due today"),
                        value=values["due_today"],
                        url=link("connectors_access_queue", query={"due": "today"}),
                    ),
                    Figure(
                        key="access_failed",
                        label=_("Failed"),
                        value=values["failed"],
                        url=link("connectors_access_queue", query={"state": "failed"}),
                        tone=_tone(values["failed"], "critical"),
                    ),
                    Figure(
                        key="access_manual",
                        label=_("Waiting to be done by hand"),
                        value=values["manual"],
                        url=link(
                            "connectors_access_queue",
                            query={"operation": "manual", "state": "planned"},
                        ),
                    ),
                ],
            ),
            FigureGroup(
                title=_("After departure"),
                figures=[
                    Figure(
                        key="residual_access",
                        label=_("Residual access found"),
                        value=residual,
                        url=link("connectors_access_residual"),
                        tone=_tone(residual, "critical"),
                    )
                ],
            ),
        ],
    )


def _manager_panel(scope: Scope, today: date) -> Panel:
    team = scope.handovers().aggregate(
        open=Count("pk", filter=open_condition()),
        overdue=Count("pk", filter=open_condition() & Q(last_working_day__lt=today)),
    )
    items_waiting = Item.objects.filter(
        confirmed_by_role=ParticipantRole.MANAGER,
        state=Item.State.SUBMITTED,
        handover__state__in=Handover.OPEN_STATES,
        handover__participants__user=scope.user,
        handover__participants__role=ParticipantRole.MANAGER,
    ).count()
    approvals = Participant.objects.filter(
        user=scope.user,
        role=ParticipantRole.MANAGER,
        handover__state=Handover.State.IN_REVIEW,
    ).count()
    workload = link("reports_site_report", args=["workload"])
    my_handovers = link("participant:list")
    return Panel(
        key="manager",
        title=_("My team"),
        groups=[
            FigureGroup(
                title=_("Your reports' handovers"),
                figures=[
                    Figure(
                        key="team_open",
                        label=_("Open"),
                        value=team["open"],
                        url=workload,
                    ),
                    Figure(
                        key="team_overdue",
                        label=_("Overdue"),
                        value=team["overdue"],
                        url=workload,
                        tone=_tone(team["overdue"], "warning"),
                    ),
                ],
            ),
            FigureGroup(
                title=_("Waiting on you"),
                figures=[
                    Figure(
                        key="items_to_confirm",
                        label=_("Items to confirm"),
                        value=items_waiting,
                        url=my_handovers,
                        tone=_tone(items_waiting, "warning"),
                    ),
                    Figure(
                        key="approvals",
                        label=_("Handovers to approve"),
                        value=approvals,
                        url=my_handovers,
                        tone=_tone(approvals, "warning"),
                    ),
                ],
            ),
        ],
    )


def dashboard_for(user, *, today: date | None = None) -> list[Panel]:
    """The panels ``user`` sees, in order; [] for anyone with no scope.
    A constant number of queries (at most 8) whatever the data size."""
    scope = scope_for(user)
    if scope is None:
        return []
    today = today or timezone.localdate()
    if scope.kind == "hr":
        return [_hr_panel(scope, today), _it_panel(today)]
    if scope.kind == "it":
        return [_it_panel(today)]
    return [_manager_panel(scope, today)]
