"""Inbound webhook replay protection, shared by every web process.

A signed request is accepted once: its signature is remembered in the database
(unique per connector) until its timestamp is too old to pass the tolerance
check anyway. The unique constraint decides between two workers receiving the
same request at the same moment; a restart forgets nothing.
"""

import hashlib
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import ConnectorConfig, WebhookDelivery

__all__ = ["webhook_deliveries_purge", "webhook_delivery_record"]


def webhook_delivery_record(
    *, connector: ConnectorConfig, signature: str, sent_at: int
) -> bool:
    """Remember an accepted request; False when it was already received."""
    tolerance = timedelta(seconds=settings.BATON_WEBHOOK_TOLERANCE_SECONDS)
    expires_at = datetime.fromtimestamp(sent_at, tz=UTC) + tolerance
    signature_hash = hashlib.sha256(signature.encode()).hexdigest()
    try:
        # A savepoint: the refused insert must not break a surrounding transaction.
        with transaction.atomic():
            WebhookDelivery.objects.create(
                connector=connector,
                signature_hash=signature_hash,
                expires_at=expires_at,
            )
    except IntegrityError:
        return False
    return True


def webhook_deliveries_purge(*, now: datetime | None = None) -> int:
    """Forget requests whose timestamp the tolerance check refuses by now."""
    deleted, _by_model = WebhookDelivery.objects.filter(
        expires_at__lt=now or timezone.now()
    ).delete()
    return deleted
