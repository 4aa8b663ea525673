"""What to generate (``ScaleSpec``) and how benchmarks find what was generated
(``ScaleInfo``, ``find_scale``): the root department's code names the seed and
the sizes, its name the company's "today"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cms.models import Department

__all__ = [
    "BENCH_PASSWORD",
    "BENCH_SUCCESSOR_HANDOVERS",
    "ScaleInfo",
    "ScaleSpec",
    "anchor",
    "bulk_leaver",
    "find_scale",
    "scale_info",
]

# Every generated user signs in with this password (benchmarks, never production).
BENCH_PASSWORD = "baton-bench"  # noqa: S105
# Handovers the bench successor takes over ("my handovers" benchmark).
BENCH_SUCCESSOR_HANDOVERS = 20
TEMPLATE_NAMES = ("small", "medium", "large", "blocks-300", "items-500", "fill")


@dataclass(frozen=True)
class ScaleSpec:
    seed: int = 1
    employees: int = 20_000
    handovers: int = 5_000
    items: int = 120
    today: dt.date | None = None

    @property
    def marker(self) -> str:
        """The root department's code: seed and sizes, so a different size
        with the same seed is noticed."""
        return f"scale-s{self.seed}-e{self.employees}-h{self.handovers}-i{self.items}"

    @property
    def prefix(self) -> str:
        return f"s{self.seed}"

    def validate(self):
        if self.employees < 200:
            raise ValueError("Generate at least 200 employees.")
        if self.handovers < 30:
            raise ValueError("Generate at least 30 handovers.")
        if self.handovers > self.employees // 2:
            raise ValueError("At most one handover for every two employees.")
        if not 10 <= self.items <= 250:
            raise ValueError("The average item count must be between 10 and 250.")


@dataclass
class ScaleInfo:
    """What benchmarks need to find in a seeded database."""

    spec: ScaleSpec
    today: dt.date
    now: dt.datetime
    hr_username: str
    successor_username: str
    template_slugs: dict
    bulk_connector_slug: str
    directory_connector_slug: str


def scale_info(spec: ScaleSpec, today: dt.date) -> ScaleInfo:
    prefix = spec.prefix
    return ScaleInfo(
        spec=spec,
        today=today,
        now=anchor(today),
        hr_username=f"{prefix}.hr",
        successor_username=f"{prefix}.successor",
        template_slugs={name: f"scale-{prefix}-{name}" for name in TEMPLATE_NAMES},
        bulk_connector_slug=f"scale-{prefix}-bulk",
        directory_connector_slug=f"scale-{prefix}-directory",
    )


def anchor(today: dt.date) -> dt.datetime:
    """ "Now" in the generated company: 08:00 UTC on ``today``."""
    return dt.datetime.combine(today, dt.time(8, 0), tzinfo=dt.UTC)


def bulk_leaver(spec: ScaleSpec) -> int:
    """The employee number whose tickets the bulk connector holds (2,000 of
    them, for the fill benchmark)."""
    return spec.employees - 1


def root_department(seed: int) -> Department | None:
    """The seeded company's root department (its marker), at any size."""
    return Department.objects.filter(
        code__startswith=f"scale-s{seed}-e", parent__isnull=True
    ).first()


def find_scale(seed: int = 1) -> ScaleInfo | None:
    """The seeded company of ``seed`` in this database, or None."""
    root = root_department(seed)
    if root is None:
        return None
    parts = {part[0]: part[1:] for part in root.code.removeprefix("scale-").split("-")}
    today = dt.date.fromisoformat(root.name.rsplit(" ", 1)[-1].strip("()"))
    spec = ScaleSpec(
        seed=int(parts["s"]),
        employees=int(parts["e"]),
        handovers=int(parts["h"]),
        items=int(parts["i"]),
        today=today,
    )
    return scale_info(spec, today)
