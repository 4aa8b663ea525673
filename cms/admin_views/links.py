"""Addresses outside the admin that HR screens link to."""

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language

__all__ = ["certificate_url", "participant_url"]


def participant_url(handover_id: int) -> str:
    """The participant page of a handover (``participant:detail``), in the
    admin user's language."""
    try:
        return reverse("participant:detail", args=[handover_id])
    except NoReverseMatch:
        # The participant pages ship separately; until their URL is routed the
        # link still points where they will live.
        language = get_language() or settings.LANGUAGE_CODE
        return f"/{language}/handovers/{handover_id}/"


def certificate_url(handover_id: int) -> str:
    """The permission-checked PDF download of a handover's certificate."""
    try:
        return reverse("api:handover-certificate", args=[handover_id])
    except NoReverseMatch:
        return f"/api/v1/handovers/{handover_id}/certificate/"
