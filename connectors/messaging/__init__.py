"""Notifications through the messengers people work in: Feishu (interactive
card), DingTalk (work notification) and WeCom (application message), as
``cms.notifications.channels.Channel`` instances listed by
``connectors.extensions``. Kept free of imports here: the connector types
read their messaging settings from ``.settings``."""

import functools


@functools.cache
def notification_channels():
    """The messenger channels (``baton_notification_channels``): the same
    instances every time, so each keeps its clients' access tokens."""
    from .dingtalk import DingTalkChannel
    from .feishu import FeishuChannel
    from .wecom import WeComChannel

    return (FeishuChannel(), DingTalkChannel(), WeComChannel())
