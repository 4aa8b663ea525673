"""What connectors add to cms through its hooks (``cms.hooks`` says what each
function receives and returns). Imported by ``connectors/wagtail_hooks.py``
before anything else there."""

import functools

from wagtail import hooks

from cms.hooks import (
    API_V1_URLS,
    CONNECTOR_TYPES,
    DEMO_HANDOVER_SEEDERS,
    DEMO_SEEDERS,
    HANDOVER_BLOCKERS,
    ITEM_NOTES,
    LIVE_FINGERPRINTS,
    NOTIFICATION_CHANNELS,
    PARTICIPANT_PANELS,
)

from . import participant
from .messaging import notification_channels
from .writeback import item_notes

__all__ = [
    "builtin_connector_types",
    "connector_api_urls",
    "fill_demo_handover",
    "seed_demo_connectors",
]

# Block status, then access changes; cms's successor pick follows (order 30).
hooks.register(PARTICIPANT_PANELS, participant.sync_panel, order=10)
hooks.register(PARTICIPANT_PANELS, participant.access_panel, order=20)
hooks.register(LIVE_FINGERPRINTS, participant.fingerprint)
hooks.register(ITEM_NOTES, item_notes)
hooks.register(HANDOVER_BLOCKERS, participant.blockers)
# Feishu, DingTalk and WeCom, for the connectors set up to send notifications.
hooks.register(NOTIFICATION_CHANNELS, notification_channels)


@hooks.register(API_V1_URLS, order=10)
def connector_api_urls():
    """/api/v1/connectors/… (imported when the URLconf asks for it)."""
    from .api import urlpatterns

    return urlpatterns


# Before types added one by one with ``registry.register`` (order 0): the
# catalogue lists the built-in types first, in this order.
@hooks.register(CONNECTOR_TYPES, order=-1)
def builtin_connector_types():
    return _builtin_types()


@functools.cache
def _builtin_types():
    # Imported on first use, so loading the hooks does not load every vendor
    # client. Cached: the registry asks on every ``get_type``.
    from .types.dingtalk import DingTalkConnector
    from .types.feishu import FeishuConnector
    from .types.github import GitHubConnector
    from .types.gitlab import GitLabConnector
    from .types.hubspot import HubSpotConnector
    from .types.jira import JiraConnector
    from .types.ldap import LdapConnector
    from .types.redmine import RedmineConnector
    from .types.rest import RestConnector
    from .types.sample import SampleConnector
    from .types.scim import ScimConnector
    from .types.spreadsheet import SpreadsheetConnector
    from .types.tryton import TrytonConnector
    from .types.wecom import WeComConnector

    return (
        DingTalkConnector,
        FeishuConnector,
        GitHubConnector,
        GitLabConnector,
        HubSpotConnector,
        JiraConnector,
        LdapConnector,
        RedmineConnector,
        RestConnector,
        SampleConnector,
        ScimConnector,
        SpreadsheetConnector,
        TrytonConnector,
        WeComConnector,
    )


# Demo data: the demo module is imported only when the demo is seeded, so no
# module imports demo code.
@hooks.register(DEMO_SEEDERS)
def seed_demo_connectors():
    from .demo import seed_connectors

    seed_connectors()


@hooks.register(DEMO_HANDOVER_SEEDERS)
def fill_demo_handover(*, handover, actor):
    from .demo import fill_demo_handover

    fill_demo_handover(handover=handover, actor=actor)
