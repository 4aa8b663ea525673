"""What the messaging channel tests share: a connector set up to send
notifications, people, and a rendered message."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from cms.notifications.channels import Message, channels
from connectors.models import ConnectorConfig

LINK = "https://baton.example/en/handovers/7/"
LINES = (
    "Laptop handover: submitted by Wang Lei, waiting for your confirmation",
    "CRM customers: 2 items to accept",
)


def sender(type_slug: str, settings: dict, secrets: dict, **extra) -> ConnectorConfig:
    config = ConnectorConfig(
        type=type_slug,
        name=f"{type_slug} messages",
        slug=f"{type_slug}-messages",
        settings={"send_notifications": True, **settings},
        **extra,
    )
    config.set_secrets(secrets)
    config.save()
    return config


def person(username="sales", email="sales@baton.example", first="Sam", last="Sales"):
    return get_user_model().objects.create_user(
        username=username, email=email, first_name=first, last_name=last
    )


def message(user, *, subject="Baton: 2 things need you", lines=LINES, **extra):
    return Message(
        user=user,
        language="en",
        subject=subject,
        lines=tuple(lines),
        link=LINK,
        link_label=extra.pop("link_label", "Open"),
        **extra,
    )


def channel(key: str):
    return channels()[key]
