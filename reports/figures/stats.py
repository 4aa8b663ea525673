"""Summary statistics of durations, the same on SQLite and PostgreSQL: the
reports read plain values and summarise them here.

Method (shown in the reports' descriptions): the median is
``statistics.median``; the 90th percentile is
``statistics.quantiles(values, n=10, method="inclusive")[-1]`` — linear
interpolation between the closest ranks, so it never lies outside the values
measured (one value is its own p90). Both are rounded to one decimal."""

import statistics
from collections.abc import Iterable
from datetime import date, datetime

from django.utils import timezone

__all__ = ["days_between", "local_date", "median", "p90"]

SECONDS_PER_DAY = 86_400


def _present(values: Iterable[float | None]) -> list[float]:
    return [value for value in values if value is not None]


def median(values: Iterable[float | None]) -> float | None:
    """The median to one decimal, None for no values."""
    present = _present(values)
    if not present:
        return None
    return round(statistics.median(present), 1)


def p90(values: Iterable[float | None]) -> float | None:
    """The 90th percentile (inclusive method) to one decimal, None for no values."""
    present = _present(values)
    if not present:
        return None
    if len(present) == 1:
        return round(present[0], 1)
    return round(statistics.quantiles(present, n=10, method="inclusive")[-1], 1)


def days_between(start: datetime | None, end: datetime | None) -> float | None:
    """Elapsed days (fractional) from ``start`` to ``end``."""
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / SECONDS_PER_DAY


def local_date(moment: datetime | None) -> date | None:
    """The company's calendar date of an aware datetime."""
    if moment is None:
        return None
    return timezone.localdate(moment)
