"""Progress of many handovers at once, for listings."""

from cms.selectors import handovers_progress

__all__ = ["attach_progress"]


def attach_progress(handovers) -> list:
    """Set ``progress`` (``selectors.handover_progress``) on each handover, with
    one query for all of them."""
    handovers = list(handovers)
    progress = handovers_progress(handover_ids=[handover.pk for handover in handovers])
    for handover in handovers:
        handover.progress = progress[handover.pk]
    return handovers
