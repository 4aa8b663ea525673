"""What the handover domain announces, after the transaction commits.

Receivers (notifications, connectors, live updates) subscribe in their
``AppConfig.ready()``; cms never imports them."""

from django.dispatch import Signal

# Sent with: handover_id, event (e.g. "item.returned"), actor_id, item_id (or None),
# details (dict).
handover_event = Signal()

# Sent with: handover_id — connectors start their background fill on it.
handover_started = Signal()
