"""The extension points of Baton: Wagtail hooks, their names and what each
function registered for them receives and returns, in one place.

cms imports neither connectors nor reports; they register their functions in
their own ``wagtail_hooks.py`` (``hooks.register(PARTICIPANT_PANELS, fn,
order=…)``), which Wagtail imports on the first ``get_hooks``. The helpers
below are the only readers, so call sites do not repeat how a hook is called.
Functions run in hook order (``order=``, then ``INSTALLED_APPS`` order), so
pages and fingerprints come out the same on every request.

Demo data is a hook like the rest, but the function registered for it imports
the demo module inside its body: nothing imports demo code at module level.
"""

from wagtail import hooks

__all__ = [
    "API_V1_URLS",
    "CONNECTOR_TYPES",
    "DEMO_HANDOVER_SEEDERS",
    "DEMO_SEEDERS",
    "HANDOVER_BLOCKERS",
    "HANDOVER_LIST_FILTERS",
    "ITEM_NOTES",
    "LIVE_FINGERPRINTS",
    "NOTIFICATION_CHANNELS",
    "PARTICIPANT_PANELS",
    "api_v1_urls",
    "handover_blockers",
    "item_notes",
    "live_fingerprints",
    "participant_panels",
    "run_demo_handover_seeders",
    "run_demo_seeders",
]

# fn(*, request, handover) -> str: an HTML panel on the participant page ("" for
# none). Connectors: block status, access changes; cms: the successor pick.
PARTICIPANT_PANELS = "baton_participant_panels"
# fn(handover) -> str: what else the live-polling ETag of the participant page
# watches (whatever those panels show).
LIVE_FINGERPRINTS = "baton_live_fingerprints"
# fn(*, items, user) -> {item id: [html]}: notes on item cards (write-back
# previews).
ITEM_NOTES = "baton_item_notes"
# fn(handover) -> [message]: what else stops a handover's review (a required
# block its connector has not filled).
HANDOVER_BLOCKERS = "baton_handover_blockers"
# fn() -> [URL pattern]: routes that join /api/v1/ and its OpenAPI schema.
API_V1_URLS = "baton_api_v1_urls"
# fn() -> {name: django_filters.Filter}: filters of the HR handover list
# (read by cms.admin_views.filters).
HANDOVER_LIST_FILTERS = "baton_handover_list_filters"
# fn() -> iterable of ConnectorType subclasses: the connector catalogue (read
# by connectors.registry).
CONNECTOR_TYPES = "baton_connector_types"
# fn() -> iterable of cms.notifications.channels.Channel: the messengers
# notifications can go through besides e-mail (Feishu, DingTalk, WeCom).
NOTIFICATION_CHANNELS = "baton_notification_channels"
# fn() -> None: demo data that templates refer to, loaded before them.
DEMO_SEEDERS = "baton_demo_seeders"
# fn(*, handover, actor) -> None: demo data added to a demo handover.
DEMO_HANDOVER_SEEDERS = "baton_demo_handover_seeders"


def participant_panels(*, request, handover) -> list[str]:
    return [
        panel(request=request, handover=handover)
        for panel in hooks.get_hooks(PARTICIPANT_PANELS)
    ]


def live_fingerprints(handover) -> list[str]:
    return [source(handover) for source in hooks.get_hooks(LIVE_FINGERPRINTS)]


def item_notes(*, items, user) -> list[dict]:
    """One ``{item id: [html]}`` per registered function, in hook order."""
    return [source(items=items, user=user) for source in hooks.get_hooks(ITEM_NOTES)]


def handover_blockers(handover) -> list[str]:
    blockers = []
    for source in hooks.get_hooks(HANDOVER_BLOCKERS):
        blockers += source(handover)
    return blockers


def api_v1_urls() -> list:
    return [pattern for urls in hooks.get_hooks(API_V1_URLS) for pattern in urls()]


def run_demo_seeders() -> None:
    for seeder in hooks.get_hooks(DEMO_SEEDERS):
        seeder()


def run_demo_handover_seeders(*, handover, actor) -> None:
    for seeder in hooks.get_hooks(DEMO_HANDOVER_SEEDERS):
        seeder(handover=handover, actor=actor)
