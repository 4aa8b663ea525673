"""The one filter form of every report: admin page, participant site page,
API and export read the same query parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.models import ChecklistTemplatePage, Department, Role

__all__ = [
    "EARLIEST",
    "GROUPS",
    "LATEST",
    "MAX_SPAN_YEARS",
    "ReportFilterForm",
    "ReportFilters",
    "default_period",
    "department_tree_ids",
]

GROUPS = {
    "month": _("Month"),
    "department": _("Department"),
    "role": _("Role"),
    "template": _("Template"),
}
DEFAULT_GROUP = "month"
MAX_SPAN_YEARS = 5
# Dates a period may start or end on: any a company's records hold, and none
# whose next day or time zone shift leaves what Python's dates can hold.
EARLIEST = date(1900, 1, 1)
LATEST = date(9998, 12, 31)
# Twelve months including the current one.
DEFAULT_MONTHS_BACK = 11

# A department and every department inside it, at any depth; UNION ends loops.
_TREE_SQL = """
WITH RECURSIVE tree(id) AS (
    SELECT id FROM {table} WHERE id = %s
    UNION
    SELECT child.id FROM {table} child JOIN tree ON child.parent_id = tree.id
)
SELECT id FROM tree
"""


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def default_period(today: date | None = None) -> tuple[date, date]:
    """The first day of the month eleven months ago → today (local dates)."""
    today = today or timezone.localdate()
    month_index = today.year * 12 + today.month - 1 - DEFAULT_MONTHS_BACK
    return date(month_index // 12, month_index % 12 + 1, 1), today


def _tree_sql() -> str:
    return _TREE_SQL.format(table=connection.ops.quote_name(Department._meta.db_table))


def department_tree_ids(department: Department) -> frozenset[int]:
    """The department and its sub-departments (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(_tree_sql(), [department.pk])
        return frozenset(row[0] for row in cursor.fetchall())


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date
    department: Department | None = None
    role: Role | None = None
    template: ChecklistTemplatePage | None = None
    group: str = DEFAULT_GROUP

    @classmethod
    def default(cls, today: date | None = None) -> ReportFilters:
        start, end = default_period(today)
        return cls(start=start, end=end)

    def as_query(self, today: date | None = None) -> dict[str, str]:
        """Only the values that differ from the defaults, for links and exports."""
        default_start, default_end = default_period(today)
        query = {}
        if self.start != default_start:
            query["start"] = self.start.isoformat()
        if self.end != default_end:
            query["end"] = self.end.isoformat()
        for name in ("department", "role", "template"):
            chosen = getattr(self, name)
            if chosen is not None:
                query[name] = str(chosen.pk)
        if self.group != DEFAULT_GROUP:
            query["group"] = self.group
        return query

    def as_dict(self) -> dict:
        """JSON-safe: the values in force, defaults included."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "department": self.department.pk if self.department else None,
            "role": self.role.pk if self.role else None,
            "template": self.template.pk if self.template else None,
            "group": self.group,
        }

    # Reading -------------------------------------------------------------------

    @property
    def since(self) -> datetime:
        """The period's first moment: local midnight of ``start``."""
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        """The moment after the period: local midnight after ``end``."""
        return timezone.make_aware(
            datetime.combine(self.end + timedelta(days=1), time.min)
        )

    def months(self) -> list[tuple[int, int]]:
        """Every (year, month) the period touches, in order."""
        first = self.start.year * 12 + self.start.month - 1
        last = self.end.year * 12 + self.end.month - 1
        return [(index // 12, index % 12 + 1) for index in range(first, last + 1)]

    def apply(self, handovers: QuerySet, prefix: str = "") -> QuerySet:
        """``handovers`` (or rows reaching a handover through ``prefix``, e.g.
        ``"handover__"``) narrowed to the department tree, role and template.
        The department tree is a subquery: no extra round trip."""
        conditions = {}
        if self.department is not None:
            # Constant SQL; the department id is a query parameter.
            conditions[f"{prefix}employee__department_id__in"] = RawSQL(  # noqa: S611
                _tree_sql(), [self.department.pk]
            )
        if self.role is not None:
            conditions[f"{prefix}employee__role_id"] = self.role.pk
        if self.template is not None:
            conditions[f"{prefix}template_id"] = self.template.pk
        return handovers.filter(**conditions) if conditions else handovers


class ReportFilterForm(forms.Form):
    """Bind it to the query string (an empty one gives the defaults)."""

    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        required=False,
        queryset=Department.objects.order_by("name"),
        empty_label=_("All departments"),
        help_text=_("Includes its sub-departments."),
    )
    role = forms.ModelChoiceField(
        label=_("Role"),
        required=False,
        queryset=Role.objects.order_by("name"),
        empty_label=_("All roles"),
    )
    template = forms.ModelChoiceField(
        label=_("Template"),
        required=False,
        queryset=ChecklistTemplatePage.objects.select_related("locale").order_by(
            "title"
        ),
        empty_label=_("All templates"),
    )
    group = forms.ChoiceField(
        label=_("Group by"),
        required=False,
        choices=list(GROUPS.items()),
    )

    def __init__(self, data=None, *args, today: date | None = None, **kwargs):
        self.today = today or timezone.localdate()
        # Always bound (an empty query string means the defaults), and the
        # period in force shows in the date inputs even when not asked for.
        data = data.copy() if data is not None else {}
        default_start, default_end = default_period(self.today)
        for name, default in (
            ("start", default_start.isoformat()),
            ("end", default_end.isoformat()),
            ("group", DEFAULT_GROUP),
        ):
            if not data.get(name):
                data[name] = default
        super().__init__(data, *args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        default_start, default_end = default_period(self.today)
        if "start" not in self.errors and not cleaned.get("start"):
            cleaned["start"] = default_start
        if "end" not in self.errors and not cleaned.get("end"):
            cleaned["end"] = default_end
        for name in ("start", "end"):
            day = cleaned.get(name)
            if day and not EARLIEST <= day <= LATEST:
                self.add_error(
                    name,
                    _("Choose a date between %(earliest)s and %(latest)s.")
                    % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
                )
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and not self.errors:
            if end < start:
                self.add_error(
                    "end", _("The end of the period cannot be before its start.")
                )
            elif start < _years_before(end, MAX_SPAN_YEARS):
                self.add_error(
                    "start",
                    _("Choose a period of at most %(years)d years.")
                    % {"years": MAX_SPAN_YEARS},
                )
        cleaned["group"] = cleaned.get("group") or DEFAULT_GROUP
        return cleaned

    def filters(self) -> ReportFilters:
        """The filters in force; call after ``is_valid()`` returned True."""
        cleaned = self.cleaned_data
        return ReportFilters(
            start=cleaned["start"],
            end=cleaned["end"],
            department=cleaned.get("department"),
            role=cleaned.get("role"),
            template=cleaned.get("template"),
            group=cleaned.get("group") or DEFAULT_GROUP,
        )
