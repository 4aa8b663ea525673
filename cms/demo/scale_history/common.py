"""What the parts of the history share."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.utils import timezone

from cms.demo.scale import ScaleInfo
from cms.models import Participant

__all__ = ["local", "people_of", "rng_for"]


def rng_for(info: ScaleInfo, kind: str, pk: int) -> random.Random:
    # One generator per row: the same history whichever rows a run still needs.
    return random.Random(f"{info.spec.seed}/{kind}/{pk}")  # noqa: S311


def people_of(handover_ids) -> dict:
    """Handover id -> role -> [(user id, username)], in the order they were added."""
    people = defaultdict(lambda: defaultdict(list))
    rows = (
        Participant.objects.filter(handover_id__in=handover_ids)
        .order_by("pk")
        .values_list("handover_id", "role", "user_id", "user__username")
    )
    for handover_id, role, user_id, username in rows:
        people[handover_id][role].append((user_id, username))
    return people


def local(day: dt.date, at: dt.time) -> dt.datetime:
    return timezone.make_aware(
        dt.datetime.combine(day, at), timezone.get_default_timezone()
    )
