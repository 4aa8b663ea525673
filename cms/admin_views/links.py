"""Addresses outside the admin that HR screens link to."""

from django.urls import reverse

__all__ = ["certificate_url", "participant_url"]


def participant_url(handover_id: int) -> str:
    """The participant page of a handover, in the admin user's language."""
    return reverse("participant:detail", args=[handover_id])


def certificate_url(handover_id: int) -> str:
    """The permission-checked PDF download of a handover's certificate."""
    return reverse("api:handover-certificate", args=[handover_id])
