"""Progress of many handovers at once, for listings."""

from collections import defaultdict

from cms.models import Item
from cms.selectors import handover_progress

__all__ = ["attach_progress"]


def attach_progress(handovers) -> list:
    """Set ``progress`` (``selectors.handover_progress``) on each handover, with
    one query for the items of all of them."""
    handovers = list(handovers)
    items_by_handover = defaultdict(list)
    items = Item.objects.filter(handover__in=[handover.pk for handover in handovers])
    for item in items.only("handover_id", "state", "kind", "definition", "data"):
        items_by_handover[item.handover_id].append(item)
    for handover in handovers:
        handover.progress = handover_progress(
            handover=handover, items=items_by_handover[handover.pk]
        )
    return handovers
