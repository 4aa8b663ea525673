"""Who sees which figures: HR everything, IT access and connectors, a manager
their reporting chain, anyone else nothing (their report pages answer 404)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from cms.models import Employee, Handover
from cms.permissions import is_hr_admin
from connectors.permissions import can_manage_connectors

__all__ = [
    "CHAIN_IDS_INLINE",
    "MANAGERS_GROUP",
    "Scope",
    "reporting_chain_ids",
    "scope_for",
]

MANAGERS_GROUP = "Managers"
# Up to this many employees a manager's handovers are filtered by a list of
# ids; a larger chain (a director of thousands) by one array parameter.
CHAIN_IDS_INLINE = 500

# Every employee below the one signed in as the user, at any depth. UNION (not
# UNION ALL) drops rows already found, so a loop in the org chart ends.
_CHAIN_SQL = """
WITH RECURSIVE chain(id) AS (
    SELECT report.id FROM {table} report
    JOIN {table} boss ON report.manager_id = boss.id
    WHERE boss.user_id = %s
    UNION
    SELECT report.id FROM {table} report
    JOIN chain ON report.manager_id = chain.id
)
SELECT id FROM chain
WHERE id NOT IN (SELECT id FROM {table} WHERE user_id = %s)
"""


@dataclass(frozen=True)
class Scope:
    """What one user's figures may read."""

    user: object
    kind: str  # "hr" | "it" | "manager"
    # None: every employee (hr, it); a manager: their reporting chain.
    employee_ids: frozenset[int] | None

    def handovers(self) -> QuerySet[Handover]:
        """The handovers the figures may read."""
        return self.narrow(Handover.objects.all())

    def narrow(self, queryset: QuerySet, prefix: str = "") -> QuerySet:
        """Rows that reach a handover through ``prefix`` (e.g. ``"handover__"``),
        limited to the handovers this scope may read."""
        if self.employee_ids is None:
            return queryset
        employees = self.employee_ids
        if len(employees) > CHAIN_IDS_INLINE:
            employees = _large_id_set(employees)
        return queryset.filter(**{f"{prefix}employee_id__in": employees})

    def can_see(self, report_key: str) -> bool:
        from .registry import REPORTS

        definition = REPORTS.get(report_key)
        return definition is not None and self.kind in definition.audiences


def _large_id_set(ids: frozenset[int]):
    """Thousands of ids as one array parameter (PostgreSQL): the planner
    sees how many there are, and the query stays one short statement.
    Elsewhere (SQLite, ``make run``) the ids are listed."""
    if connection.vendor != "postgresql":
        return ids
    # Constant SQL; the ids are one query parameter.
    return RawSQL("SELECT unnest(%s::bigint[])", [sorted(ids)])


def _chain_sql() -> str:
    return _CHAIN_SQL.format(table=connection.ops.quote_name(Employee._meta.db_table))


def reporting_chain_ids(user) -> frozenset[int]:
    """Ids of the employees reporting to ``user``'s employee record, directly
    or not (one recursive query; works on PostgreSQL and SQLite)."""
    with connection.cursor() as cursor:
        cursor.execute(_chain_sql(), [user.pk, user.pk])
        return frozenset(row[0] for row in cursor.fetchall())


def scope_for(user) -> Scope | None:
    """The user's scope, or None: nothing to see (every report answers 404)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if is_hr_admin(user):
        return Scope(user=user, kind="hr", employee_ids=None)
    if can_manage_connectors(user):
        return Scope(user=user, kind="it", employee_ids=None)
    chain = reporting_chain_ids(user)
    if chain or _is_named_manager(user):
        return Scope(user=user, kind="manager", employee_ids=chain)
    return None


def _is_named_manager(user) -> bool:
    """In the Managers group with an employee record, even with nobody
    reporting to them yet."""
    return Employee.objects.filter(
        user=user, user__groups__name=MANAGERS_GROUP
    ).exists()
