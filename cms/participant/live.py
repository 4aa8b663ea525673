"""Live updates: a fingerprint of a handover that changes whenever anything a
participant sees of it changes (the state endpoint answers 304 until then)."""

import hashlib
import json

from django.db.models import Count, Max, Sum

from cms.hooks import live_fingerprints
from cms.models import Certificate, Comment, Handover, Item, Participant, Signature

__all__ = ["handover_etag"]


def handover_etag(handover: Handover) -> str:
    """A short fingerprint of everything the detail page shows that others can
    change: item versions and assignees, questions and answers, signatures,
    participants, state, the certificate."""
    # Assignees are counted apart: removing a successor unassigns their items
    # without a new item version.
    items = Item.objects.filter(handover=handover).aggregate(
        count=Count("pk"),
        versions=Sum("version"),
        updated=Max("updated_at"),
        assigned=Count("assignee"),
        assignees=Sum("assignee"),
    )
    comments = Comment.objects.filter(item__handover=handover).aggregate(
        count=Count("pk"), resolved=Count("resolved_at")
    )
    signatures = Signature.objects.filter(handover=handover).count()
    # Certificates are issued in the background, after the approval.
    certified = Certificate.objects.filter(handover=handover).exists()
    participants = Participant.objects.filter(handover=handover).aggregate(
        count=Count("pk"), last=Max("pk")
    )
    fingerprint = json.dumps(
        [
            handover.state,
            handover.updated_at.isoformat(),
            items["count"],
            items["versions"],
            items["updated"].isoformat() if items["updated"] else "",
            items["assigned"],
            items["assignees"],
            comments["count"],
            comments["resolved"],
            signatures,
            certified,
            participants["count"],
            participants["last"],
            # What other apps show on the page (e.g. connector block status).
            *live_fingerprints(handover),
        ]
    )
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:20]
