"""What the notification tests share: submitting items, letting the batch
window pass, and a messenger channel that does what a test tells it."""

from datetime import timedelta

from django.utils import timezone

from cms import services
from cms.models import Notification
from cms.notifications.channels import Channel, Message
from tests.fixtures.handovers import item_of

SUBMITTED = ("Key client list", "Sales scripts", "Open orders and quotes")


def submit(handover, people, labels, capture):
    """The leaver submits each item, each its own request (events after
    commit)."""
    for label in labels:
        with capture(execute=True):
            services.item_submit(
                actor=people["sales"], item=item_of(handover, label), version=1
            )


def window_passes(minutes=6):
    Notification.objects.filter(sent_at__isnull=True).update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )


class FakeMessenger(Channel):
    """A messenger that records what it sends, or fails as told."""

    key = "fake"
    label = "Fake messenger"

    def __init__(self, *, error=None, available=True):
        self.error = error
        self.is_available = available
        self.sent: list[Message] = []

    def available(self):
        return self.is_available

    def send(self, message):
        if self.error is not None:
            raise self.error
        self.sent.append(message)
        return f"upstream-{len(self.sent)}"
